"""`byon sip-probe` against Kamailio configured as a Plivo-like edge
(tests/sip_peers/kamailio_plivo_edge.cfg): digest 407 from the `auth` module, 403 for
sources outside its ACL and for wrong credentials (sip.md section 3)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.kamailio_run import stop
from wizard.sip import Credentials
from wizard.sip.probe import ProbeOptions, exit_code, run_probe

CFG = Path(__file__).with_name("kamailio_plivo_edge.cfg")
APP_ID = "31415926535897932"
USERNAME = "trunk_user"

pytestmark = pytest.mark.skipif(
    shutil.which("kamailio") is None,
    reason="kamailio is not installed (make test installs it from the system's packages)",
)


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as tcp, socket.socket(type=socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@pytest.fixture
async def kamailio(tmp_path):
    """Kamailio on a free loopback port with a random password in its (private) config."""
    password = "Pw" + secrets.token_hex(8)
    cfg = tmp_path / "kamailio.cfg"
    text = CFG.read_text()
    for key, value in (("@APP_ID@", APP_ID), ("@USERNAME@", USERNAME), ("@PASSWORD@", password)):
        text = text.replace(key, value)
    cfg.write_text(text)
    cfg.chmod(0o600)
    port = free_port()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc = subprocess.Popen(
        ["kamailio", "-f", str(cfg), "-DD", "-E", "-m", "64", "-M", "8", "-Y", str(run_dir),
         "-l", f"udp:127.0.0.1:{port}", "-l", f"tcp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,  # on exit Kamailio signals its process group, not pytest's
    )  # fmt: skip
    try:
        await _wait_listening(proc, port)
        yield port, password
    finally:
        stop(proc)


async def _wait_listening(proc: subprocess.Popen, port: int) -> None:
    async with asyncio.timeout(20):  # a hang guard
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                pytest.fail(f"kamailio exited with {proc.returncode}: {err[-800:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                return
            await asyncio.sleep(0.05)


def probe(port: int, tmp_path: Path, *, source: str, creds: Credentials | None, **kw):
    return ProbeOptions(
        request_uri=f"sip:{APP_ID}@app.plivo.com", host="127.0.0.1", port=port,
        local_host=source, credentials=creds, guard_folder=tmp_path / "guard",
        timeout=5.0, **kw,
    )  # fmt: skip


def rows(results):
    return {r.check: r for r in results if r.check != "reach"} | {
        f"reach {r.transport}": r for r in results if r.check == "reach"
    }


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_provider_address_challenged_then_accepted(kamailio, tmp_path, transport):
    port, password = kamailio
    opts = probe(port, tmp_path, source="127.0.0.2", creds=Credentials(USERNAME, password),
                 transport=transport)  # fmt: skip
    results = await run_probe(opts)
    got = rows(results)
    assert got[f"reach {transport.upper()}"].result == "reached"
    assert got["unauthenticated"].result == "challenge_407"
    assert got["authenticated"].result == "accepted", got["authenticated"].detail
    assert got["authenticated"].extra["statuses"][-2:] == [407, 200]
    assert exit_code(results) == 0


async def test_unknown_source_is_forbidden(kamailio, tmp_path):
    port, password = kamailio
    opts = probe(port, tmp_path, source="127.0.0.3", creds=Credentials(USERNAME, password),
                 transport="udp")  # fmt: skip
    got = rows(await run_probe(opts))
    assert (got["unauthenticated"].ok, got["unauthenticated"].result) == (True, "forbidden_403")
    assert got["authenticated"].result == "forbidden_403" and not got["authenticated"].ok


async def test_wrong_password_is_forbidden_and_guarded(kamailio, tmp_path):
    port, _password = kamailio
    outcomes = []
    for _ in range(5):
        opts = probe(port, tmp_path, source="127.0.0.2", creds=Credentials(USERNAME, "nope"),
                     transport="udp")  # fmt: skip
        outcomes.append(rows(await run_probe(opts))["authenticated"].result)
    assert outcomes == ["forbidden_403"] * 3 + ["guarded"] * 2


async def test_other_user_part_is_not_found(kamailio, tmp_path):
    port, _password = kamailio
    opts = probe(port, tmp_path, source="127.0.0.2", creds=None, transport="tcp")
    opts.request_uri = "sip:27182818284590452@app.plivo.com"
    got = rows(await run_probe(opts))
    assert got["unauthenticated"].result == "not_found_404"
