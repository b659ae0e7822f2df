"""wss:// on loopback with a throwaway self-signed certificate made by the openssl CLI."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest

from wizard.stream.check import EchoAgent, stream_check

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate"
)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, crt = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(crt), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return key, crt


@pytest.fixture
async def tls_agent(cert):
    key, crt = cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(crt, key)
    agent = EchoAgent("echo")
    await agent.start("127.0.0.1", 0, ssl=server_ctx)
    try:
        yield agent
    finally:
        await agent.stop()


async def test_wss_handshake_reports_tls(tls_agent, cert):
    _key, crt = cert
    trusting = ssl.create_default_context(cafile=str(crt))
    assert tls_agent.ws_url.startswith("wss://127.0.0.1:")
    report = await stream_check(tls_agent.ws_url, seconds=0.2, timeout=5, ssl=trusting)
    assert report.ok, report.to_dict()
    assert report.handshake.tls is True
    assert report.handshake.tls_version in ("TLSv1.2", "TLSv1.3")
    assert report.warnings == []  # wss:// needs no warning
    assert "TLS TLSv1." in report.human()


async def test_untrusted_certificate_is_a_clear_verdict(tls_agent):
    report = await stream_check(tls_agent.ws_url, seconds=0.2, timeout=5)
    assert not report.ok
    assert report.handshake.ok is False and report.handshake.tls is True
    assert report.verdict.startswith("The TLS certificate of 127.0.0.1:")
    assert "was refused" in report.verdict
    assert tls_agent.streams == []  # nothing reached the agent
