"""Plivo audio streaming: the `<Stream>` answer XML, test audio, stream check, echo agent.

May import: ``wizard.plivo`` and the shared helpers. Never ``wizard.commands``.
"""
