"""Python's cyclic garbage collector around the wizard's start.

Importing Textual and building the first screen makes some 45,000 objects that live as long
as the app; the hundred collections Python would run over them before the first paint find
next to nothing to free, and cost a twentieth of the time to it. So `byon` and `byon demo`
pause the collector before loading the app, and the app resumes it at its first paint.
Standard library only: the command line imports this before anything heavy.
"""

from __future__ import annotations

import gc


def pause() -> bool:
    """Turn the collector off; True when this call did (False: it was off already)."""
    if not gc.isenabled():
        return False
    gc.disable()
    return True


def resume(*, freeze: bool = True) -> None:
    """Turn the collector back on if it was paused (nothing when it is on).

    ``freeze`` first moves what exists now out of every later collection: at the first paint
    that is what the start built, which lives as long as the app, so later full collections
    (each a pause of the interface) no longer walk it."""
    if gc.isenabled():
        return
    if freeze:
        gc.freeze()
    gc.enable()
