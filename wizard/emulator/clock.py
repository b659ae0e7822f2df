"""The emulator's clock: real time plus an offset that tests and the control surface move."""

from __future__ import annotations

import time


class VirtualClock:
    """``now()`` is wall time plus every ``advance`` so far.

    Lockouts and rate limits read this clock, so a test can expire a 60 s
    lockout by advancing 61 s instead of sleeping.
    """

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = float(offset)

    def now(self) -> float:
        """Wall-clock seconds since the epoch plus every advance so far."""
        return time.time() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (never back: ValueError); returns the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += float(seconds)
        return self.now()
