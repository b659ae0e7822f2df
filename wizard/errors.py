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


_BASIC = re.compile(r"(?i)(authorization:\s*basic\s+)[A-Za-z0-9+/=]+")


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Replace every secret (and any Basic auth header) in ``text`` with ``***``."""
    out = _BASIC.sub(r"\1***", text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            out = out.replace(secret, "***")
    return out
