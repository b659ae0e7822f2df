"""byon: bring your own number to Plivo.

Domain package. Nothing here imports Textual except ``wizard.app``; heavy
libraries (aiohttp, plivo, textual) are imported by the modules that need
them, so ``byon --help`` stays instant.
"""

__version__ = "0.1.0"
