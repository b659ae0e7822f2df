"""The listener's limits against floods and slow sockets (anyone can reach it via the tunnel).

- ``RejectionTally``: the first few rejected requests of each minute are shown one by
  one; the rest are counted and summarised in one line.
- ``ConnectionGuard``: open connections stay below the open-file limit. At the cap the
  oldest connection not busy with a signed callback is closed, so silent or slow
  sockets cannot lock a genuine callback out.
- ``QuietLog``: aiohttp's per-connection errors are counted, never printed as tracebacks.
"""

from __future__ import annotations

import logging
import resource
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

SHOWN_PER_WINDOW = 5  # rejected requests shown one by one per window
WINDOW = 60.0  # seconds
MAX_CONNECTIONS = 1000
FD_RESERVE = 64  # file descriptors left for the API client, state files, the terminal
BACKLOG = 32  # asyncio accepts up to this many sockets per turn: must stay below FD_RESERVE
MIN_CONNECTIONS = 16


def _peer_caused(exc: BaseException) -> bool:
    """Errors a remote peer can provoke: closed sockets, bad HTTP, cancelled requests."""
    import asyncio

    from aiohttp import ClientError
    from aiohttp.http_exceptions import HttpProcessingError

    peer = (OSError, asyncio.CancelledError, TimeoutError, HttpProcessingError, ClientError)
    return isinstance(exc, peer)


def connection_cap() -> int:
    """At most MAX_CONNECTIONS, and always FD_RESERVE below the process's open-file limit."""
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (OSError, ValueError):
        return MAX_CONNECTIONS
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft - FD_RESERVE))


class RejectionTally:
    """Counts rejections and closed connections per window; says when to show one."""

    def __init__(
        self,
        shown: int = SHOWN_PER_WINDOW,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shown = shown
        self.window = window
        self.clock = clock
        self.total = 0  # every rejection since start
        self._start = clock()
        self._in_window = 0
        self._hidden = 0
        self._dropped = 0

    def _roll(self) -> None:
        if self.clock() - self._start >= self.window and not (self._hidden or self._dropped):
            self._start = self.clock()
            self._in_window = 0

    def would_show(self) -> bool:
        """Whether the next rejection will be shown one by one."""
        self._roll()
        return self._in_window < self.shown

    def reject(self) -> bool:
        """Count one rejection; True when it is to be shown one by one."""
        self._roll()
        self.total += 1
        self._in_window += 1
        if self._in_window <= self.shown:
            return True
        self._hidden += 1
        return False

    def dropped(self, n: int = 1) -> None:
        """Count connections closed for being slow, malformed or over the cap."""
        self._dropped += n

    def summary(self, *, force: bool = False) -> str:
        """The line for the window just ended ("" when nothing was hidden), then a new window."""
        elapsed = self.clock() - self._start
        if not force and elapsed < self.window:
            return ""
        hidden, dropped = self._hidden, self._dropped
        self._start, self._in_window, self._hidden, self._dropped = self.clock(), 0, 0, 0
        if not hidden and not dropped:
            return ""
        span = "in the last minute" if elapsed >= self.window * 0.95 else f"in {elapsed:.0f} s"
        parts = []
        if hidden:
            parts.append(
                f"{hidden} more unsigned or forged requests rejected {span} (after the first "
                f"{self.shown}, they are counted, not shown)"
            )
        if dropped:
            parts.append(f"{dropped} slow, malformed or excess connections closed {span}")
        return "; ".join(parts) + "."


class ConnectionGuard:
    """Caps an aiohttp server's open connections (aiohttp has no hook of its own for this)."""

    def __init__(self, cap: int, on_drop: Callable[[], None]) -> None:
        self.cap = cap
        self.on_drop = on_drop
        self.busy: set[Any] = set()  # protocols handling a signed callback: never closed
        self._open: OrderedDict[Any, Any] = OrderedDict()  # protocol -> transport, oldest first
        self._made: Callable[..., None] | None = None
        self._lost: Callable[..., None] | None = None
        self._loop: Any = None
        self._previous: Any = None

    def __len__(self) -> int:
        return len(self._open)

    def attach(self, server: Any) -> None:
        """Wrap ``server``'s connection bookkeeping (aiohttp's ``web.Server``)."""
        self._made, self._lost = server.connection_made, server.connection_lost
        server.connection_made = self._connection_made
        server.connection_lost = self._connection_lost

    def watch_accept_errors(self, loop: Any) -> None:
        """Count "out of file descriptors" accept errors instead of printing tracebacks.

        asyncio reports them through the loop's exception handler and retries the
        accept a second later; every other error still goes to the previous handler."""
        previous = loop.get_exception_handler()

        def handler(loop: Any, context: dict[str, Any]) -> None:
            if "socket.accept() out of system resource" in str(context.get("message", "")):
                self.on_drop()
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        self._loop, self._previous = loop, previous
        loop.set_exception_handler(handler)

    def unwatch_accept_errors(self) -> None:
        """Give the loop its previous exception handler back."""
        if self._loop is not None:
            self._loop.set_exception_handler(self._previous)
            self._loop = None

    def _connection_made(self, protocol: Any, transport: Any) -> None:
        assert self._made is not None
        self._open[protocol] = transport
        self._made(protocol, transport)
        if len(self._open) > self.cap:
            victim = next((p for p in self._open if p not in self.busy), protocol)
            self._open.pop(victim).abort()
            self.on_drop()

    def _connection_lost(self, protocol: Any, exc: BaseException | None = None) -> None:
        assert self._lost is not None
        self._open.pop(protocol, None)
        self.busy.discard(protocol)
        self._lost(protocol, exc)


class QuietLog(logging.Handler):
    """Counts aiohttp's per-connection error records instead of printing tracebacks.

    What a peer can cause (resets, malformed HTTP, cancelled reads) is only counted; any
    other exception is a bug of byon's and gets one line on stderr, still no traceback."""

    def __init__(self, on_error: Callable[[], None]) -> None:
        super().__init__(level=logging.WARNING)
        self.on_error = on_error

    def emit(self, record: logging.LogRecord) -> None:
        """Count the record; one line for an exception no peer could cause."""
        self.on_error()
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and not _peer_caused(exc):
            from wizard.text import plain

            line = f"byon: listener error: {type(exc).__name__}: {plain(exc)}"
            print(line, file=sys.stderr, flush=True)

    @classmethod
    def logger(cls, name: str, on_error: Callable[[], None]) -> logging.Logger:
        """A logger of its own (outside logging's registry, not propagated) that only counts."""
        log = logging.Logger(name, logging.WARNING)
        log.propagate = False
        log.addHandler(cls(on_error))
        return log
