"""Running the kamailio.cfg byon prints in a real Kamailio on a loopback port: find the binary,
start it with the plan's password in its environment, wait until it answers, stop it.

Used by tests/domain/test_kamailio.py and tests/sip_peers/test_kamailio_template.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.pipes import kill_group

KAMAILIO = shutil.which("kamailio") or (
    "/usr/sbin/kamailio" if Path("/usr/sbin/kamailio").exists() else None
)
MISSING = "kamailio is not installed (apt-get install kamailio)"


def sip_request(method: str, uri: str, port: int, to: str, branch: str, cseq: int = 1) -> bytes:
    """A minimal UDP SIP request from 127.0.0.1:``port`` (no body)."""
    lines = [
        f"{method} {uri} SIP/2.0",
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK-{branch}",
        "Max-Forwards: 70",
        "From: <sip:+12125550123@127.0.0.1>;tag=caller1",
        f"To: <sip:{to}@127.0.0.1>",
        f"Call-ID: {branch}@byon-test",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:caller@127.0.0.1:{port}>",
        "Content-Length: 0",
        "",
        "",
    ]
    return "\r\n".join(lines).encode()


def receive(sock: socket.socket, want: Callable[[str], bool]) -> str:
    """The next message on ``sock`` for which ``want(text)`` is true (others are skipped)."""
    while True:
        data, _addr = sock.recvfrom(65535)
        text = data.decode(errors="replace")
        if want(text):
            return text


def _wait_ready(port: int, proc: subprocess.Popen, log: Path) -> None:
    """Kamailio answers OPTIONS to itself once it listens (the config says so)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ua:
        ua.bind(("127.0.0.1", 0))
        ua.settimeout(0.2)
        for attempt in range(100):  # a hang guard: about 20 s
            if proc.poll() is not None:
                raise AssertionError(log.read_text(errors="replace")[-2000:])
            own = ua.getsockname()[1]
            ua.sendto(
                sip_request("OPTIONS", f"sip:127.0.0.1:{port}", own, "probe", f"o{attempt}"),
                ("127.0.0.1", port),
            )
            with contextlib.suppress(TimeoutError):
                if receive(ua, lambda t: t.startswith("SIP/2.0 200")):
                    return
    raise AssertionError("kamailio never answered OPTIONS")


@contextlib.contextmanager
def running(cfg: str, tmp_path: Path, port: int, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """Kamailio running ``cfg`` unchanged, listening on udp:127.0.0.1:``port`` (given with -l,
    as the template invites), with ``env`` added to its environment; ready when yielded."""
    assert KAMAILIO is not None, MISSING
    path = tmp_path / "kamailio.cfg"
    path.write_text(cfg)
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    cmd = [KAMAILIO, "-f", str(path), "-DD", "-E", "-m", "64", "-Y", str(run)]
    cmd += ["-l", f"udp:127.0.0.1:{port}"]
    log = tmp_path / "kamailio.log"  # a file, not a pipe: a full pipe would stall Kamailio
    with log.open("wb") as err:
        # its own session: on exit Kamailio signals its whole process group, not pytest's
        proc = subprocess.Popen(
            cmd, env={**os.environ, **env}, stdout=err, stderr=err, start_new_session=True
        )
    try:
        _wait_ready(port, proc, log)
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop Kamailio started in a session of its own, and any of its workers that outlive
    it: one caught being forked as the main process exits is left to run otherwise."""
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    kill_group(proc)
