"""Reading a subprocess's output with a deadline, so a process that stops talking (but keeps
running) fails its test with what it said on stderr, instead of hanging the suite.

A plain ``proc.stdout.readline()`` waits forever; here the read runs in a daemon thread and
the test gives up after ``GUARD`` seconds, kills the process and fails. And ending a process
started in a session of its own together with whatever it started (``kill_group``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import IO, Any

import pytest

GUARD = 30.0  # seconds; only so a broken process fails the test instead of hanging it
SHOWN = 4000  # characters of the process's stderr in a failure message


def _within(read: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
    """(finished, value) of ``read()`` run in a daemon thread for at most ``timeout`` s."""
    box: list[Any] = []
    reader = threading.Thread(target=lambda: box.append(read()), daemon=True)
    reader.start()
    reader.join(timeout)
    return (True, box[0]) if box else (False, None)


def _text(data: Any) -> str:
    return data.decode(errors="replace") if isinstance(data, bytes) else str(data or "")


def kill_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Kill ``proc``'s process group, children it left behind included, and reap it. For a
    process started with ``start_new_session=True``: its group's id is its pid."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout)


def give_up(proc: subprocess.Popen, why: str, errfile: IO | None = None, said: str = "") -> None:
    """Kill ``proc`` and fail the test with ``why``, what it said, and the end of its stderr."""
    proc.kill()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    err = ""
    if errfile is not None:
        errfile.seek(0)
        err = _text(errfile.read())
    elif proc.stderr is not None:
        err = _text(_within(proc.stderr.read, 5)[1])
    shown = f"\n--- it said:\n{said}" if said else ""
    pytest.fail(f"{why} (exit status {proc.returncode}){shown}\n--- stderr:\n{err[-SHOWN:]}")


def read_line(
    proc: subprocess.Popen,
    *,
    stream: str = "stdout",
    timeout: float = GUARD,
    errfile: IO | None = None,
) -> Any:
    """The next line ``proc`` writes on ``stream``; the test fails (and ``proc`` is killed)
    when none comes within ``timeout`` s or the stream ends first. ``errfile``: where its
    stderr went, when not to a pipe."""
    pipe = getattr(proc, stream)
    finished, line = _within(pipe.readline, timeout)
    if not finished:
        give_up(proc, f"no line on {stream} within {timeout:g} s", errfile)
    if not line:
        give_up(proc, f"{stream} ended before a line came", errfile)
    return line


def read_until(
    proc: subprocess.Popen, wanted: Callable[[str], bool], *, stream: str = "stderr",
    timeout: float = GUARD,
) -> list[str]:  # fmt: skip
    """Lines of ``stream`` up to and including the first ``wanted`` one; the test fails (and
    ``proc`` is killed) when it does not come within ``timeout`` s in all."""
    import time

    deadline = time.monotonic() + timeout
    seen: list[str] = []
    pipe = getattr(proc, stream)
    while True:
        left = deadline - time.monotonic()
        finished, line = _within(pipe.readline, max(left, 0.0))
        if not finished or not line:
            why = "ended" if finished else f"went {timeout:g} s"
            give_up(proc, f"{stream} {why} without the awaited line", said="".join(seen))
        seen.append(_text(line))
        if wanted(seen[-1]):
            return seen
