"""`byon ARGS` as the tests run it: a process of its own, forked from one that has already
imported byon.

A `byon` command that talks to the emulator spends most of its CPU starting Python and
importing byon, httpx and asyncio (about 0.3 s of the 0.5 s of a `byon audit`), and the
suite runs hundreds of them. Here a server process imports all of that once per test
process; each command is a fork of it: its own pid, its own stdin, stdout and stderr (files
handed over the server's socket), its own environment and working directory, its own exit
status. What runs in it is what the `byon` script runs, from this checkout (the server
starts in its root): ``wizard.cli.main`` with the arguments, then the interpreter's exit.
The installed script itself is still run as a real subprocess by the tests that are about
it (help, start-up, signals, terminals).

Where fork is missing, or with BYON_TEST_SUBPROCESS=1, every command is a plain subprocess.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import json
import os
import pkgutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
BYON = str(Path(sys.executable).with_name("byon"))
# the modules a command imports as it runs; those that load Textual are left to the child
NOT_PRELOADED = ("wizard.app", "wizard.commands.serve_web", "wizard.__main__")
HEADER = struct.Struct("!I")


def run_byon(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: int | IO | None = subprocess.DEVNULL,
    cwd: str | Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``byon ARGS`` to its end; stdout and stderr come back as text, as from
    ``subprocess.run(..., capture_output=True, text=True)``, and a command that outlives
    ``timeout`` is killed and raises ``subprocess.TimeoutExpired``."""
    env = dict(os.environ if env is None else env)
    server = _server()
    if server is None:
        return subprocess.run(
            [BYON, *args],
            env=env,
            stdin=stdin,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    return server.run(list(args), env, stdin, str(cwd or os.getcwd()), timeout)


class _Server:
    """The forking server of this test process, and how to ask it for one command."""

    def __init__(self) -> None:
        from tests.pipes import read_line  # here: the server itself needs no pytest

        self.dir = tempfile.mkdtemp(prefix="byon-runner-")
        self.path = os.path.join(self.dir, "socket")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.runner", self.path],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        if read_line(self.proc).strip() != "ready":
            self.proc.kill()
            raise RuntimeError("the byon runner did not start")

    def run(
        self,
        argv: list[str],
        env: dict[str, str],
        stdin: int | IO | None,
        cwd: str,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        with (
            tempfile.TemporaryFile() as out,
            tempfile.TemporaryFile() as err,
            _stdin_fd(stdin) as fd_in,
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn,
        ):
            conn.connect(self.path)
            body = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
            socket.send_fds(conn, [HEADER.pack(len(body))], [fd_in, out.fileno(), err.fileno()])
            conn.sendall(body)
            conn.settimeout(timeout)
            with conn.makefile("r") as answers:
                pid = int(answers.readline())
                code = _status(answers, pid, argv, timeout)
            return subprocess.CompletedProcess([BYON, *argv], code, _text(out), _text(err))

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self.dir)


def _status(answers: IO[str], pid: int, argv: list[str], timeout: float) -> int:
    """The command's exit status, as the server reports it; killed past ``timeout``."""
    try:
        return int(answers.readline())
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        raise subprocess.TimeoutExpired([BYON, *argv], timeout) from None


@contextlib.contextmanager
def _stdin_fd(stdin: int | IO | None):
    """The command's stdin as a file descriptor: /dev/null, this process's, or the one given."""
    if stdin == subprocess.DEVNULL:
        with open(os.devnull, "rb") as null:
            yield null.fileno()
    elif stdin is None:
        yield 0
    else:
        yield stdin if isinstance(stdin, int) else stdin.fileno()


def _text(file: IO[bytes]) -> str:
    """What a text-mode pipe would have given: the default encoding, universal newlines."""
    file.seek(0)
    return io.TextIOWrapper(io.BytesIO(file.read())).read()


_started: list[_Server] = []


def _server() -> _Server | None:
    """This process's server, started on first use and again if it died (None: plain
    subprocesses)."""
    usable = hasattr(os, "fork") and hasattr(socket, "send_fds")
    if not usable or os.environ.get("BYON_TEST_SUBPROCESS") == "1":
        return None
    if not _started or _started[-1].proc.poll() is not None:
        _started.append(_Server())
        atexit.register(_started[-1].stop)
    return _started[-1]


# --- the server ---------------------------------------------------------------------------


def _preload() -> None:
    """Import what `byon` commands import, Textual excepted (the wizard faces load it)."""
    import anyio._backends._asyncio  # noqa: F401 (httpcore loads it on the first request)

    import wizard

    for found in pkgutil.walk_packages(wizard.__path__, "wizard."):
        if not found.name.startswith(NOT_PRELOADED):
            importlib.import_module(found.name)
    if "textual" in sys.modules:
        raise RuntimeError("preloading byon imported Textual; add the module to NOT_PRELOADED")


def _serve(path: str) -> None:
    if sys.platform == "linux":  # gone with the test process, however it ends
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    _preload()
    import gc

    gc.freeze()  # the commands' collections leave what was preloaded alone (no page copies)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            head, fds, _, _ = socket.recv_fds(conn, HEADER.size, 3)
            (size,) = HEADER.unpack(_received(conn, HEADER.size, head))
            request = json.loads(_received(conn, size))
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                _child(request, fds)  # never returns
            for fd in fds:
                os.close(fd)
            # the asker may be gone (it timed out and killed the command): serve on
            with contextlib.suppress(OSError):
                conn.sendall(f"{pid}\n".encode())
            _, status = os.waitpid(pid, 0)
            with contextlib.suppress(OSError):
                conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def _received(conn: socket.socket, size: int, got: bytes = b"") -> bytes:
    """``size`` bytes from ``conn``, ``got`` being the first of them."""
    while len(got) < size:
        chunk = conn.recv(size - len(got))
        if not chunk:
            raise ConnectionError("the asker hung up mid-request")
        got += chunk
    return got


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """Become the command: its stdio, environment and directory, then byon's main and an
    exit as the interpreter's own (atexit handlers, threads joined, stdio flushed, the exit
    status), less the teardown of every module the server imported, which would cost more
    than the command (each object freed is a page copied from the server)."""
    import random
    import threading

    for target, fd in zip((0, 1, 2), fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    random.seed()  # a fork copies the generator's state: each command gets its own
    sys.argv = [BYON, *request["argv"]]
    try:
        from wizard.cli import main

        code = _exit_status(main(request["argv"]))
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    atexit._run_exitfuncs()
    threading._shutdown()  # what the interpreter does before it exits
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _exit_status(code: object) -> int:
    """The status ``sys.exit(code)`` gives: None is 0, a number itself, text is said, 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    _serve(sys.argv[1])
