"""Fixtures of the SIP tests: a wait helper and a throwaway TLS certificate."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Callable

import pytest

SCALE = 0.02  # RFC 3261 timers 50 times faster: T1 = 10 ms, 64*T1 = 0.64 s


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for ``predicate`` (a hang guard, not a speed check)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.002)


def _cert_with_cryptography(key_path, cert_path) -> bool:
    try:
        import datetime
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.plivo.com")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("app.plivo.com"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return True


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """(cert, key) of a self-signed certificate for 127.0.0.1 and app.plivo.com."""
    folder = tmp_path_factory.mktemp("sip-tls")
    key, crt = folder / "key.pem", folder / "cert.pem"
    if _cert_with_cryptography(key, crt):
        return crt, key
    if shutil.which("openssl") is None:
        pytest.skip("needs the cryptography package or the openssl command for a test certificate")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "2", "-keyout", str(key), "-out", str(crt),
            "-subj", "/CN=app.plivo.com",
            "-addext", "subjectAltName=DNS:app.plivo.com,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return crt, key


from tests.sipedge_fixtures import answers, apps, edge  # noqa: E402, F401  (the SIP edge)
