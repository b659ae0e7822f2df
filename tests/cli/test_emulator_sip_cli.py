"""`byon emulator`'s SIP edge from the command line: the first line's "sip" addresses,
--no-sip, --sip-source-map (and the demo seed's), bad values and busy ports."""

from __future__ import annotations

import asyncio
import signal
import ssl
import subprocess
from pathlib import Path

from tests.cli.test_emulator_cli import BYON, GUARD, first_line, start, stop
from wizard.sip import SipClient, Target


async def options(address: str, transport: str, ca_cert: str | None = None) -> int | None:
    host, port = address.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=ca_cert) if ca_cert else None
    target = Target(host, int(port), transport, "app.plivo.com", ctx)
    async with SipClient(transport=transport) as client:
        return (await client.options(target, timeout=10)).status


def test_first_line_has_the_sip_edge_and_it_answers():
    proc = start()
    info = first_line(proc)
    sip = info["sip"]
    assert set(sip) == {"udp", "tcp", "tls", "domain", "ca_cert"}
    assert sip["domain"] == "app.plivo.com" and sip["udp"] == sip["tcp"]
    assert sip["udp"].startswith("127.0.0.1:") and sip["tls"].startswith("127.0.0.1:")
    cert = Path(sip["ca_cert"])
    assert cert.exists() and (cert.parent / "app.plivo.com.key").stat().st_mode & 0o077 == 0
    for transport in ("UDP", "TCP"):
        assert asyncio.run(options(sip["udp"], transport)) == 200
    assert asyncio.run(options(sip["tls"], "TLS", sip["ca_cert"])) == 200  # verified
    code, out, err = stop(proc, signal.SIGTERM)
    assert code == 0 and out == ""
    assert f"SIP edge for app.plivo.com: udp {sip['udp']}" in err and str(cert) in err
    assert not cert.exists()  # the throwaway key goes with the process


def test_no_sip():
    proc = start("--no-sip")
    info = first_line(proc)
    assert info["sip"] is None
    assert stop(proc, signal.SIGTERM)[0] == 0


def test_source_maps_seed_and_explicit():
    proc = start("--seed", "demo", "--sip-source-map", "127.0.0.2=192.0.2.7",
                 "--sip-source-map", "127.0.0.9=198.51.100.9")  # fmt: skip
    first_line(proc)
    code, _, err = stop(proc, signal.SIGTERM)
    assert code == 0
    assert "SIP from 127.0.0.2 stands for 192.0.2.7" in err  # explicit wins over the seed
    assert "SIP from 127.0.0.3 stands for 198.51.100.200" in err  # the seed's outside address
    assert "SIP from 127.0.0.9 stands for 198.51.100.9" in err


def test_bad_source_map_exits_2_with_a_sentence():
    for value, words in (
        ("127.0.0.2", "LOOPBACK=PUBLIC"),
        ("127.0.0.2=nowhere", "must be IP addresses"),
        ("10.0.0.1=203.0.113.1", "must be a loopback address"),
    ):
        done = subprocess.run(
            [BYON, "emulator", "--sip-source-map", value],
            capture_output=True, text=True, timeout=GUARD,
        )  # fmt: skip
        assert done.returncode == 2 and done.stdout == ""
        assert words in done.stderr


def test_busy_sip_port_exits_1():
    proc = start()
    info = first_line(proc)
    port = info["sip"]["udp"].rsplit(":", 1)[1]
    try:
        second = subprocess.run(
            [BYON, "emulator", "--sip-port", port], capture_output=True, text=True, timeout=GUARD
        )
        assert second.returncode == 1 and second.stdout == ""
        assert "cannot listen for SIP" in second.stderr and "--no-sip" in second.stderr
    finally:
        assert stop(proc, signal.SIGTERM)[0] == 0
