"""The terminal goes away under the wizard (its window closed, ssh dropped): byon quits
with 129, as a shell reports a hangup, closing its session on the way, instead of dying
of the signal or staying behind, stuck or spinning on the dead terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

import pytest

from tests.pipes import kill_group
from tests.runner import BYON

# A session leader that takes the hangup and waits for its child, as make does under
# `make demo`: the kernel signals only the leader, so byon itself gets no SIGHUP.
MAKE_LIKE = (
    "import signal, subprocess, sys;"
    "signal.signal(signal.SIGHUP, lambda *a: None);"
    "sys.exit(subprocess.call(sys.argv[1:]))"
)


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # the new session's controlling terminal


def _read_until(master: int, done, seconds: float = 60) -> bytes:
    """What the wizard drew until ``done(drawn)`` (read all along: a full terminal would
    stop it)."""
    seen, deadline = b"", time.monotonic() + seconds
    while not done(seen) and time.monotonic() < deadline:
        if select.select([master], [], [], 0.2)[0]:
            seen += os.read(master, 65536)
    return seen


@pytest.mark.parametrize("leader", ["byon", "make-like"])
def test_a_closed_terminal_ends_the_wizard_with_129(leader, tmp_path):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    argv = [BYON, "demo"]
    if leader == "make-like":
        argv = [sys.executable, "-c", MAKE_LIKE, *argv]
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "BYON_STATE_DIR": str(tmp_path / "state"),
    }
    proc = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=_take_terminal,
    )
    os.close(slave)
    try:
        try:
            screen = _read_until(master, lambda seen: b"Use recommendation" in seen)
            assert b"Use recommendation" in screen, screen[-2000:]
            # right after its first paint, byon starts watching its terminal
            _read_until(master, lambda _seen: False, seconds=1.0)
        finally:
            os.close(master)  # the terminal window closes
        code = proc.wait(timeout=30)
    finally:
        kill_group(proc)  # whatever failed: no wizard left behind on a dead terminal
    assert code == 129
