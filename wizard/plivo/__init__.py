"""Plivo itself: the async REST client, its typed errors, and facts about Plivo.

May import: the standard library, httpx, ``wizard.errors`` and the shared helpers at
the top of ``wizard/``. Never another byon folder: everything else builds on this.
"""
