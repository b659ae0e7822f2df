"""The probe's lockout guard: at most 3 failed auth attempts toward one target in 60 s.

Plivo locks a source IP out after 10 failures within 60 s. The probe stays far below,
counted across runs in byon's state dir, so running it again and again (by hand, in a
loop, from the wizard) can never lock the user's provider out. Each INVITE that may
fail takes a slot first (``reserve``) and gives it back when it did not fail (``settle``),
so two probes at once cannot both take the last slot.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

LIMIT = 3
WINDOW = 60.0
FILE_NAME = "sip-probe-attempts.json"
MAX_TARGETS = 200  # bounds the file; the oldest targets go first


@dataclass
class LockoutGuard:
    """Failed auth attempts per target (``key``, e.g. ``app.plivo.com:5060``), in a file."""

    key: str
    folder: Path | None = None  # None: byon's state dir (wizard.files.state_dir())
    clock: Callable[[], float] = field(default=time.time)
    limit: int = LIMIT
    window: float = WINDOW

    @property
    def path(self) -> Path:
        """The JSON file that holds every target's recent attempts."""
        if self.folder is None:
            from wizard.files import state_dir

            self.folder = state_dir()
        else:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.folder / FILE_NAME

    def reserve(self) -> float | None:
        """Take a slot for one attempt that may fail: its stamp, or None when all are taken."""
        now = self.clock()
        with self._locked() as table:
            recent = self._recent(table, now)
            if len(recent) >= self.limit:
                return None
            recent.append(now)
            table[self.key] = recent
        return now

    def settle(self, stamp: float, failed: bool) -> None:
        """Keep the slot when the attempt failed (403, challenge loop); else give it back."""
        if failed:
            return
        with self._locked() as table:
            recent = table.get(self.key, [])
            with contextlib.suppress(ValueError):
                recent.remove(stamp)
            table[self.key] = recent

    def used(self) -> int:
        """How many failed (or pending) attempts toward this target fall in the window."""
        with self._locked() as table:
            return len(self._recent(table, self.clock()))

    def wait_seconds(self) -> float:
        """Seconds until a slot frees (0 when one is free now)."""
        now = self.clock()
        with self._locked() as table:
            recent = sorted(self._recent(table, now))
        if len(recent) < self.limit:
            return 0.0
        return max(0.0, recent[len(recent) - self.limit] + self.window - now)

    def _recent(self, table: dict[str, list[float]], now: float) -> list[float]:
        return [t for t in table.get(self.key, []) if now - self.window < t <= now + 1]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, list[float]]]:
        """The table, read and written under an exclusive lock (blocking: runs are short)."""
        import fcntl

        from wizard.files import PRIVATE_FILE, write_atomic

        path = self.path
        lock = os.open(
            path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE
        )
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            table = _read(path)
            before = json.dumps(table, sort_keys=True)
            yield table
            now = self.clock()
            kept = {k: v for k, v in table.items() if any(now - self.window < t for t in v)}
            kept = dict(sorted(kept.items(), key=lambda kv: max(kv[1]))[-MAX_TARGETS:])
            if json.dumps(kept, sort_keys=True) != before:
                write_atomic(path, json.dumps(kept), mode=PRIVATE_FILE)
        finally:
            os.close(lock)  # releases the lock


def _read(path: Path) -> dict[str, list[float]]:
    """The table; an unreadable or foreign file counts as empty (it only ever holds times)."""
    from wizard.errors import ByonError
    from wizard.files import read_private

    try:
        data = read_private(path, limit=1 << 18)
        table = json.loads(data) if data else {}
    except (ByonError, ValueError):
        return {}
    if not isinstance(table, dict):
        return {}
    out: dict[str, list[float]] = {}
    for key, stamps in table.items():
        if isinstance(key, str) and isinstance(stamps, list):
            out[key] = [float(t) for t in stamps if isinstance(t, int | float)]
    return out
