"""Plivo audio streaming: the `<Stream>` answer XML, test audio, stream check, echo agent.

protocol.py (message shapes, limits, V3 signing of the upgrade), audio.py (formats and
codecs), session.py (one live stream, byon playing Plivo), check.py (``stream_check``
and the emulator's hook), report.py (what a check observed), agent.py (the echo agent),
xml.py (answer XML).

May import: ``wizard.plivo`` and the shared helpers. Never ``wizard.commands``.
"""
