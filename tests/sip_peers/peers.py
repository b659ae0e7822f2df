"""Running SIP software nobody here wrote against the emulator's edge: find the tool (or
skip with the reason), pick free loopback ports, run it without blocking the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).parent / "scenarios"


def tool(name: str) -> str:
    """The path of ``name``, or skip the test saying what is missing."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (make tools installs it where apt is usable)")
    return found


def free_port(host: str = "127.0.0.1", below: int = 65536) -> int:
    """A port free for both UDP and TCP on ``host`` (below ``below``: sipsak cuts 5-digit
    ports in -s URIs)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            if port >= below:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def low_port(host: str = "127.0.0.1") -> int:
    """A free port below 10000 (for tools that mangle 5-digit ports)."""
    for port in range(5100 + os.getpid() % 3000, 9999):
        with contextlib.ExitStack() as stack:
            try:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    sock = stack.enter_context(socket.socket(socket.AF_INET, kind))
                    sock.bind((host, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port below 10000")


def private_file(path: Path, text: str) -> Path:
    """Write ``text`` readable by the owner only (it may hold a test password)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


def sipp_scenario(folder: Path, name: str, username: str = "", password: str = "") -> Path:
    """A copy of a scenario; with a username, its [authentication] line names the pair."""
    text = (SCENARIOS / name).read_text()
    if username:
        text = text.replace(
            "[authentication]", f"[authentication username={username} password={password}]"
        )
    return private_file(folder / name, text)


async def run(
    args: list[str],
    cwd: Path,
    timeout: float = 60.0,
    stdin: bytes = b"",
    interrupt_after: str = "",
) -> tuple[int, str]:
    """Run a tool beside the test's event loop; (exit code, output). Killed after ``timeout``.

    With ``interrupt_after``, the tool gets a Ctrl-C (SIGINT) once a line of its output
    holds that text: for a tool whose work is done there but which then idles on a timer
    of its own, and which reports what it found when interrupted."""
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    read: list[bytes] = []  # what was read before a timeout is kept for the report
    try:
        await asyncio.wait_for(_output(proc, stdin, interrupt_after, read), timeout)
    except TimeoutError:
        proc.kill()
        read.append((await proc.communicate())[0])
        return -9, b"".join(read).decode(errors="replace")
    return proc.returncode or 0, b"".join(read).decode(errors="replace")


async def _output(
    proc: asyncio.subprocess.Process, stdin: bytes, interrupt_after: str, read: list[bytes]
) -> None:
    """All ``proc`` writes into ``read`` until it exits; SIGINT after the line holding
    ``interrupt_after``."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    while line := await proc.stdout.readline():
        read.append(line)
        if interrupt_after and interrupt_after.encode() in line:
            proc.send_signal(signal.SIGINT)
            break
    read.append(await proc.stdout.read())
    await proc.wait()
