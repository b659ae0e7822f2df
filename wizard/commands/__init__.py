"""Every CLI face (``byon apply``, ``verify``, ``audit``, ...): argument handling and printing.

Commands may import any domain folder; no domain module imports a command. ``wizard.cli``
imports these lazily, so ``byon --help`` stays light.
"""
