"""Quitting when the wizard's terminal goes away (its window closed, ssh dropped).

SIGHUP reaches only the session's leader: under `make demo`, make gets it and waits for
byon, which then reads endless end-of-file from the dead terminal (Textual's input thread
spins on it at full CPU). So SIGHUP quits, and so does a terminal that stops being one
(checked each second). Standard library only: the App hands in its loop-side parts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

HANGUP_EXIT = 129  # as a shell reports a hangup (128 + SIGHUP)


class TerminalWatch:
    """Started after the first paint; ``close_session`` is awaited before the process ends."""

    def __init__(self, close_session: Callable[[], Awaitable[Any]]) -> None:
        self._close_session = close_session
        self._quitting: asyncio.Task[None] | None = None

    def start(self, set_interval: Callable[..., Any]) -> None:
        """Watch stdin's terminal (the loop's SIGHUP handler and the timer keep this alive)."""
        stdin = sys.__stdin__
        if stdin is None or not stdin.isatty():
            return  # the browser driver: no terminal to lose
        fd = stdin.fileno()
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.gone)
        set_interval(1.0, lambda: None if os.isatty(fd) else self.gone())

    def gone(self) -> None:
        """The terminal is gone: close the session and end the process (once)."""
        if self._quitting is None:  # the check may fire again while quitting
            self._quitting = asyncio.get_running_loop().create_task(self._quit())

    async def _quit(self) -> None:
        # Not Textual's exit: it would restore a terminal that is gone, and its output
        # thread dies on the first write there, so later writes block for ever.
        try:
            await asyncio.wait_for(self._close_session(), timeout=10)
        finally:
            os._exit(HANGUP_EXIT)
