"""Errors as values with a sentence for the user: what happened, what to do.

Every exception byon raises on purpose derives from ``ByonError``. Messages
are built from Plivo's own error text plus a hint; secrets are scrubbed by
``scrub`` before they can reach a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class ByonError(Exception):
    """An error whose ``str`` is fit to show a user."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class PlivoError(ByonError):
    """The Plivo API (or the way to it) failed. Keeps Plivo's own ``error`` text."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error: object = None,
        method: str = "",
        path: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.error = error
        self.method = method
        self.path = path


class AuthError(PlivoError):
    """401: the auth id / token pair was refused."""


class NotFound(PlivoError):
    """404: the named resource does not exist."""


class Conflict(PlivoError):
    """409: duplicate, or still in use."""


class RateLimited(PlivoError):
    """429 that outlasted the retry deadline."""


class ServerError(PlivoError):
    """5xx that outlasted the retry deadline."""


class NetworkError(PlivoError):
    """No HTTP answer at all: connection refused, dropped, timed out."""


class BadRequest(PlivoError):
    """400 (or another 4xx): Plivo refused the request as made."""


class PlanError(ByonError):
    """A plan file is unreadable or breaks a rule; names file, line and key."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None, key: str = ""):
        self.file = file
        self.line = line
        self.key = key
        where = file
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        prefix = f"{where}: " if where else ""
        keypart = f"{key}: " if key else ""
        super().__init__(f"{prefix}{keypart}{message}")


# "Basic <base64>" anywhere (a header echoed in a body, a log line, a URL), not only after
# "Authorization:". Long enough and mixed enough to be a credential, not the word "basic".
_BASIC = re.compile(r"(?i)(\bbasic\s+)([A-Za-z0-9+/_-]{12,}={0,2})")


def _hide_basic(match: re.Match[str]) -> str:
    value = match.group(2)
    looks_encoded = value.endswith("=") or any(c.isdigit() or c in "+/" for c in value)
    if looks_encoded or any(c.isupper() for c in value[1:]):
        return match.group(1) + "***"
    return match.group(0)


def secret_forms(secret: str) -> list[str]:
    """The ways a secret may appear in text: as is, percent-encoded, and base64-encoded."""
    from base64 import b64encode
    from urllib.parse import quote

    encoded = b64encode(secret.encode("utf-8")).decode("ascii")
    forms = {secret, quote(secret, safe=""), encoded, encoded.rstrip("=")}
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def basic_form(auth_id: str, token: str) -> str:
    """The value of an ``Authorization: Basic`` header for this pair: a secret like the token."""
    from base64 import b64encode

    return b64encode(f"{auth_id}:{token}".encode()).decode("ascii")


def contains_secret(text: str, secret: str | None) -> bool:
    """True when ``secret`` is in ``text`` as ``scrub`` would find it: in any form
    ``secret_forms`` lists, in any letter case (secrets shorter than 4 never match)."""
    if not secret or len(secret) < 4:
        return False
    low = text.lower()
    return any(form.lower() in low for form in secret_forms(secret))


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every secret (by value, in every form ``secret_forms`` lists, in any letter
    case) and any ``Basic`` credential in ``text`` with ``***``. The one scrubber of byon."""
    out = _BASIC.sub(_hide_basic, text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            for form in secret_forms(secret):
                # a server may echo a secret upper- or lower-cased: still the secret
                out = re.sub(re.escape(form), "***", out, flags=re.IGNORECASE)
    return out
