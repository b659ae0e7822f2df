"""Plans as code: the Plan, its validation, apply (diff, changes, undo, journal), export, audit.

May import: ``wizard.plivo``, ``wizard.providers``, ``wizard.stream`` (answer XML) and
the shared helpers. Never ``wizard.commands``, the emulator or Textual.
"""
