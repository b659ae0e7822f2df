"""HTTP digest for SIP (RFC 2617, RFC 8760): challenges, verification, and the client side.

The server checks a response against the HA1 stored when the credential was made
(``MD5(username:realm:password)``), hashing the ``uri`` exactly as the client sent it
in the header: SIPp and others send one that differs from the Request-URI.
No password, HA1 or response ever appears in a repr or an exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from wizard.plivo.facts import SIP_DOMAIN
from wizard.sip.uri import quote, unquote

REALM = SIP_DOMAIN  # the realm Plivo challenges with
NONCE_TTL = 300.0
_PAIR = re.compile(r'\s*([A-Za-z0-9\-_]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|\Z)')


class DigestError(ValueError):
    """A digest header that cannot be read."""


def _hash(algorithm: str) -> Callable[[bytes], str]:
    base = algorithm.upper().removesuffix("-SESS")
    if base == "MD5":
        return lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest()
    if base == "SHA-256":
        return lambda data: hashlib.sha256(data).hexdigest()
    if base == "SHA-512-256":
        return lambda data: hashlib.new("sha512_256", data).hexdigest()
    raise DigestError("unsupported digest algorithm")


def parse_params(value: str) -> tuple[str, dict[str, str]]:
    """``Digest a="x", b=y`` -> ("digest", {"a": "x", "b": "y"}); names lower-cased."""
    scheme, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _PAIR.match(rest, pos)
        if not match or match.end() == pos:
            raise DigestError("malformed digest parameters")
        params[match.group(1).lower()] = unquote(match.group(2))
        pos = match.end()
    return scheme.lower(), params


@dataclass(frozen=True)
class DigestChallenge:
    """A WWW-Authenticate / Proxy-Authenticate digest challenge."""

    realm: str
    nonce: str
    opaque: str | None = None
    algorithm: str = "MD5"
    qop: str | None = "auth"
    stale: bool = False

    def to_header(self) -> str:
        """The header value, e.g. ``Digest realm="app.plivo.com", nonce="..."...``."""
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}"]
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        parts.append(f"algorithm={self.algorithm}")
        if self.qop:
            parts.append(f"qop={quote(self.qop)}")
        if self.stale:
            parts.append("stale=true")
        return "Digest " + ", ".join(parts)

    @property
    def qop_options(self) -> list[str]:
        """The qop values offered, lower case."""
        return [q.strip().lower() for q in (self.qop or "").split(",") if q.strip()]


def parse_challenge(value: str) -> DigestChallenge:
    """Parse a WWW-Authenticate / Proxy-Authenticate value."""
    scheme, params = parse_params(value)
    if scheme != "digest" or "nonce" not in params:
        raise DigestError("not a digest challenge")
    return DigestChallenge(
        realm=params.get("realm", ""),
        nonce=params["nonce"],
        opaque=params.get("opaque"),
        algorithm=params.get("algorithm", "MD5").upper(),
        qop=params.get("qop"),
        stale=params.get("stale", "").lower() == "true",
    )


@dataclass(frozen=True)
class DigestCredentials:
    """The parameters of an Authorization / Proxy-Authorization header."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str = field(repr=False)
    algorithm: str = "MD5"
    qop: str | None = None
    nc: str | None = None
    cnonce: str | None = field(default=None, repr=False)
    opaque: str | None = None


def parse_authorization(value: str) -> DigestCredentials:
    """Parse an Authorization / Proxy-Authorization value; DigestError when incomplete."""
    scheme, params = parse_params(value)
    if scheme != "digest":
        raise DigestError("not digest credentials")
    missing = [k for k in ("username", "realm", "nonce", "uri", "response") if k not in params]
    if missing:
        raise DigestError("digest credentials lack " + ", ".join(missing))
    qop = params.get("qop") or None
    if qop and ("nc" not in params or "cnonce" not in params):
        raise DigestError("digest credentials with qop lack nc or cnonce")
    return DigestCredentials(
        username=params["username"],
        realm=params["realm"],
        nonce=params["nonce"],
        uri=params["uri"],
        response=params["response"],
        algorithm=(params.get("algorithm") or "MD5").upper(),
        qop=qop.lower() if qop else None,
        nc=params.get("nc"),
        cnonce=params.get("cnonce"),
        opaque=params.get("opaque"),
    )


def compute_ha1(username: str, realm: str, password: str, algorithm: str = "MD5") -> str:
    """HA1 = H(username:realm:password), what a server stores instead of the password."""
    return _hash(algorithm)(f"{username}:{realm}:{password}".encode())


def compute_response(
    *,
    ha1: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
    algorithm: str = "MD5",
    body: bytes = b"",
) -> str:
    """The digest response from an HA1 (RFC 2617 3.2.2.1); ``-sess`` and auth-int included."""
    h = _hash(algorithm)
    if algorithm.upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce or ''}".encode())
    ha2_input = f"{method}:{uri}"
    if qop == "auth-int":
        ha2_input += ":" + h(body)
    ha2 = h(ha2_input.encode())
    if qop:
        return h(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())
    return h(f"{ha1}:{nonce}:{ha2}".encode())  # RFC 2069 compatibility


def verify_response(
    credentials: DigestCredentials, *, method: str, ha1: str, body: bytes = b""
) -> bool:
    """True when the response matches ``ha1``, hashing the header's ``uri`` as sent.
    Constant-time; an unknown algorithm or qop is simply False."""
    if credentials.qop not in (None, "auth", "auth-int"):
        return False
    try:
        expected = compute_response(
            ha1=ha1.lower(),
            method=method,
            uri=credentials.uri,
            nonce=credentials.nonce,
            qop=credentials.qop,
            nc=credentials.nc,
            cnonce=credentials.cnonce,
            algorithm=credentials.algorithm,
            body=body,
        )
    except DigestError:
        return False
    return hmac.compare_digest(expected.encode(), credentials.response.lower().encode())


class NonceState(StrEnum):
    """What a nonce presented by a client is."""

    VALID = "valid"
    STALE = "stale"  # ours, but expired: answer a fresh challenge with stale=true
    UNKNOWN = "unknown"  # not ours (forged, or from before a restart)


class NonceStore:
    """Issues nonces that expire after ``ttl`` seconds of ``clock``; holds no per-nonce state.

    A nonce is its issue time and some random bytes, signed with a per-store key, so
    a server under load keeps no table and can still tell stale from forged.
    """

    def __init__(
        self,
        *,
        ttl: float = NONCE_TTL,
        clock: Callable[[], float] = time.monotonic,
        realm: str = REALM,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.realm = realm
        self._key = os.urandom(32)
        self.opaque = secrets.token_hex(8)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:12]

    def issue(self) -> str:
        """A new nonce, valid for ``ttl`` seconds from now."""
        payload = struct.pack(">d", self.clock()) + os.urandom(8)
        return base64.urlsafe_b64encode(payload + self._sign(payload)).decode().rstrip("=")

    def check(self, nonce: str) -> NonceState:
        """VALID, STALE (ours but expired) or UNKNOWN."""
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return NonceState.UNKNOWN
        if len(raw) != 28 or not hmac.compare_digest(self._sign(raw[:16]), raw[16:]):
            return NonceState.UNKNOWN
        (issued,) = struct.unpack(">d", raw[:8])
        age = self.clock() - issued
        return NonceState.VALID if -1.0 <= age <= self.ttl else NonceState.STALE

    def challenge(self, *, stale: bool = False) -> DigestChallenge:
        """A fresh MD5, qop=auth challenge for this store's realm."""
        return DigestChallenge(self.realm, self.issue(), self.opaque, "MD5", "auth", stale)


def build_authorization(
    challenge: DigestChallenge | str,
    *,
    username: str,
    password: str,
    method: str,
    uri: str,
    nc: int = 1,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The client's Authorization / Proxy-Authorization value answering ``challenge``."""
    if isinstance(challenge, str):
        challenge = parse_challenge(challenge)
    options = challenge.qop_options
    qop = "auth" if "auth" in options else ("auth-int" if "auth-int" in options else None)
    nc_text = f"{nc:08x}"
    cnonce = cnonce or secrets.token_hex(8)
    ha1 = compute_ha1(username, challenge.realm, password, challenge.algorithm)
    response = compute_response(
        ha1=ha1,
        method=method,
        uri=uri,
        nonce=challenge.nonce,
        qop=qop,
        nc=nc_text,
        cnonce=cnonce,
        algorithm=challenge.algorithm,
        body=body,
    )
    parts = [
        f"username={quote(username)}",
        f"realm={quote(challenge.realm)}",
        f"nonce={quote(challenge.nonce)}",
        f"uri={quote(uri)}",
        f"response={quote(response)}",
        f"algorithm={challenge.algorithm}",
    ]
    if challenge.opaque is not None:
        parts.append(f"opaque={quote(challenge.opaque)}")
    if qop:
        parts += [f"qop={qop}", f"nc={nc_text}", f"cnonce={quote(cnonce)}"]
    return "Digest " + ", ".join(parts)
