"""What the user types at their carrier or PBX: provider facts as data, and their renderers.

May import: ``wizard.plivo`` facts and the shared helpers. Never ``wizard.commands``.
"""
