"""A self-signed certificate for ``app.plivo.com``, made when the edge starts.

The emulator prints the certificate's path; a client that trusts it (``--ca-file``,
baresip's ``sip_cafile``, PJSIP's ``caListFile``) gets a verified TLS session, as
with Plivo. Made with the ``openssl`` command, or the ``cryptography`` package if it is
installed; with neither, the edge runs without TLS and says why.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from pathlib import Path

from wizard.files import write_new_private
from wizard.net import LOOPBACK_ADDRESSES
from wizard.plivo.facts import SIP_DOMAIN

DOMAIN = SIP_DOMAIN
SUBJECT_NAMES = (f"DNS:{DOMAIN}", "DNS:localhost", "IP:127.0.0.1", "IP:::1")
DAYS = 30


class TlsUnavailable(RuntimeError):
    """No way to make a certificate on this machine."""


def _with_openssl(key: Path, cert: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsUnavailable("the openssl command is not installed")
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-days", str(DAYS), "-keyout", str(key), "-out", str(cert),
        "-subj", f"/CN={DOMAIN}", "-addext", "subjectAltName=" + ",".join(SUBJECT_NAMES),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise TlsUnavailable(f"openssl could not make a certificate: {exc}") from None


def _with_cryptography(key: Path, cert: Path) -> None:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, DOMAIN)])
    now = datetime.datetime.now(datetime.UTC)
    alt = [x509.DNSName(DOMAIN), x509.DNSName("localhost")]
    alt += [x509.IPAddress(ipaddress.ip_address(a)) for a in LOOPBACK_ADDRESSES]
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """(cert, key) in ``folder`` (key readable by the owner only); TlsUnavailable without tools."""
    key, cert = folder / f"{DOMAIN}.key", folder / f"{DOMAIN}.pem"
    write_new_private(key, "")  # 0600 before the key is in it
    try:
        _with_openssl(key, cert)
    except TlsUnavailable:
        try:
            _with_cryptography(key, cert)
        except ImportError:
            raise TlsUnavailable(
                "neither the openssl command nor the cryptography package is installed"
            ) from None
    os.chmod(key, 0o600)
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A TLS server context with the certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
