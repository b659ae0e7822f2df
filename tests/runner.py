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

``run_byon`` (and ``run_byon_async``, from an event loop) runs a command to its end;
``start_byon`` (a ``subprocess.Popen``) and
``start_byon_async`` (as ``asyncio.create_subprocess_exec`` gives) start one that runs until
told to stop: an emulator, a listener, an agent. Each command has a waiter of its own in the
server, which forks it and reports its pid and then its exit status, so such commands run
side by side; a command dies with its waiter, and a waiter with the server.

Where fork is missing, or with BYON_TEST_SUBPROCESS=1, every command is a plain subprocess.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import json
import os
import pkgutil
import select
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
    ``timeout`` is killed and raises ``subprocess.TimeoutExpired`` (what ``subprocess.run``
    does, with the command started by ``start_byon``)."""
    piped = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with start_byon(*args, env=env, stdin=stdin, cwd=cwd, **piped) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def start_byon(*args: str, **popen: Any) -> subprocess.Popen:
    """Start ``byon ARGS`` and return at once: a ``subprocess.Popen`` (pipes, ``communicate``,
    ``wait``, signals) for a command that runs until told to stop (an emulator, a listener).
    Takes Popen's ``stdin``, ``stdout``, ``stderr``, ``text``, ``env`` and ``cwd``."""
    started = subprocess.Popen if _server() is None else _Forked
    return started([BYON, *args], **popen)


class _Forked(subprocess.Popen):
    """A Popen whose process is forked by the server rather than by this one.

    Popen makes the pipes and reads and writes them; the process itself is a child of the
    server's waiter, which reports its pid and then its exit status on a socket, where
    Popen would ask the kernel (``waitpid`` works only on one's own children)."""

    def _execute_child(self, args, executable, preexec_fn, close_fds, pass_fds, cwd, env,
                       startupinfo, creationflags, shell, p2cread, p2cwrite, c2pread,
                       c2pwrite, errread, errwrite, *rest) -> None:  # fmt: skip
        env = dict(os.environ if env is None else env)
        cwd = os.fspath(cwd) if cwd is not None else os.getcwd()
        fds = [p2cread if p2cread != -1 else 0, c2pwrite if c2pwrite != -1 else 1]
        fds.append(errwrite if errwrite != -1 else 2)
        try:
            self._answers = _server().ask(list(args[1:]), env, cwd, fds)
            self.pid = int(self._answers.readline())
        finally:
            self._close_pipe_fds(p2cread, p2cwrite, c2pread, c2pwrite, errread, errwrite)
        self._child_created = True

    def _internal_poll(self, _deadstate=None, **_ignored):
        if self.returncode is None and select.select([self._answers], [], [], 0)[0]:
            self._wait(None)
        return self.returncode

    def _wait(self, timeout):
        if self.returncode is None:
            self._answers.settimeout(timeout)
            try:
                self._ended(self._answers.readline())
            except TimeoutError:
                raise subprocess.TimeoutExpired(self.args, timeout) from None
        return self.returncode

    async def wait_async(self) -> int:
        """``wait()`` for a test's event loop: the loop goes on while the command runs."""
        if self.returncode is None:
            self._ended(await self._answers.readline_async())
        return self.returncode

    def _ended(self, status: str) -> None:
        # no status: the waiter died with the server, and took the command with it
        self.returncode = int(status) if status.strip() else -signal.SIGKILL
        self._answers.close()


async def run_byon_async(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``run_byon`` for a test's event loop, which goes on serving (an emulator or an edge
    in the same loop, say) while the command runs; past ``timeout`` it is killed and
    ``TimeoutError`` raised."""
    proc = await start_byon_async(*args, env=env, cwd=cwd)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return subprocess.CompletedProcess([BYON, *args], proc.returncode, out.decode(), err.decode())


async def start_byon_async(
    *args: str, env: dict[str, str] | None = None, cwd: str | Path | None = None
) -> Any:
    """Start ``byon ARGS`` from a test's event loop, its stdout and stderr piped: what
    ``asyncio.create_subprocess_exec`` gives (``stdout`` and ``stderr`` stream readers,
    ``wait``, ``communicate``, signals), while the loop goes on serving."""
    if _server() is None:
        return await asyncio.create_subprocess_exec(
            BYON, *args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    popen = _Forked(
        [BYON, *args], env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    return _AsyncForked(popen, await _reader(popen.stdout), await _reader(popen.stderr))


async def _reader(pipe: IO[bytes]) -> asyncio.StreamReader:
    """An event-loop reader of ``pipe`` (closed with the pipe's end)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader


class _AsyncForked:
    """A forked command as ``asyncio.subprocess.Process`` presents one."""

    def __init__(
        self, popen: _Forked, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader
    ) -> None:
        self.popen, self.stdout, self.stderr, self.stdin = popen, stdout, stderr, None
        self.pid = popen.pid

    @property
    def returncode(self) -> int | None:
        return self.popen.returncode

    async def wait(self) -> int:
        return await self.popen.wait_async()

    async def communicate(self, input: bytes | None = None) -> tuple[bytes, bytes]:
        out, err = await asyncio.gather(self.stdout.read(), self.stderr.read())
        await self.wait()
        return out, err

    def send_signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def terminate(self) -> None:
        self.popen.terminate()

    def kill(self) -> None:
        self.popen.kill()


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

    def ask(self, argv: list[str], env: dict[str, str], cwd: str, fds: list[int]) -> _Answers:
        """Have ``byon ARGV`` started with ``fds`` as its stdin, stdout and stderr; the
        answers: a line with its pid, then one with its exit status when it ends."""
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(self.path)
            body = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode()
            socket.send_fds(conn, [HEADER.pack(len(body))], fds)
            conn.sendall(body)
        except BaseException:
            conn.close()
            raise
        return _Answers(conn)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self.dir)


class _Answers:
    """The server's answers about one command, a line at a time, each read bounded by the
    timeout set last (None: no bound). Read unbuffered, so the socket is readable exactly
    when an answer is waiting."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn

    def settimeout(self, timeout: float | None) -> None:
        self.conn.settimeout(timeout)

    def readline(self) -> str:
        """The next line ("" when the server hung up first)."""
        line = b""
        while not line.endswith(b"\n"):
            byte = self.conn.recv(1)
            if not byte:
                break
            line += byte
        return line.decode()

    async def readline_async(self) -> str:
        """``readline`` for an event loop, which goes on until the answer has come (each
        is sent whole, so it is all there once the socket is readable)."""
        loop = asyncio.get_running_loop()
        come = loop.create_future()
        loop.add_reader(self.conn, lambda: come.done() or come.set_result(None))
        try:
            await come
        finally:
            loop.remove_reader(self.conn)
        return self.readline()

    def fileno(self) -> int:
        return self.conn.fileno()

    def close(self) -> None:
        self.conn.close()


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
    _gone_with_parent()  # the test process
    _preload()
    import gc

    gc.freeze()  # the commands' collections leave what was preloaded alone (no page copies)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    print("ready", flush=True)
    # each command has a waiter of its own (below), so long-running commands run side by
    # side; a waiter that ends is reaped by the kernel
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        conn, _ = listener.accept()
        with conn:
            head, fds, _, _ = socket.recv_fds(conn, HEADER.size, 3)
            try:
                (size,) = HEADER.unpack(_received(conn, HEADER.size, head))
                request = json.loads(_received(conn, size))
            except (ConnectionError, ValueError):  # an asker gone mid-request: serve on
                for fd in fds:
                    os.close(fd)
                continue
            if os.fork() == 0:
                listener.close()
                _wait_for(request, fds, conn)  # never returns
            for fd in fds:
                os.close(fd)


def _wait_for(request: dict[str, Any], fds: list[int], conn: socket.socket) -> None:
    """The waiter: fork the command, tell the asker its pid, then its exit status."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # its own child is waited for
    _gone_with_parent()
    pid = os.fork()
    if pid == 0:
        conn.close()
        _gone_with_parent()
        _child(request, fds)  # never returns
    for fd in fds:  # the command's ends only: the asker sees the end of its output
        os.close(fd)
    # the asker may be gone (it timed out and killed the command): the status goes nowhere
    with contextlib.suppress(OSError):
        conn.sendall(f"{pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    os._exit(0)


def _gone_with_parent() -> None:
    """Die with the parent process, however it ends (Linux; elsewhere nothing)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


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
    # buffered as a new interpreter's would be for these files and this environment
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdout.reconfigure(line_buffering=unbuffered or os.isatty(1), write_through=unbuffered)
    sys.stderr.reconfigure(line_buffering=True, write_through=unbuffered)
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
