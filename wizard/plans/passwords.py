"""Strong SIP passwords that satisfy Plivo's rules (12-128 chars, upper, lower, digit)."""

from __future__ import annotations

import secrets
import string

# No look-alike or shell/URI-hostile characters: the user types this into a provider's console.
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "lIO0o1")
_SYMBOLS = "-_.~"


def generate_password(length: int = 24) -> str:
    """A random password with at least one upper, one lower, one digit and one symbol."""
    if not 12 <= length <= 128:
        raise ValueError("SIP passwords are 12 to 128 characters")
    alphabet = _ALPHABET + _SYMBOLS
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.isupper() for c in pw)
            and any(c.islower() for c in pw)
            and any(c.isdigit() for c in pw)
            and any(c in _SYMBOLS for c in pw)
            and pw[0] not in _SYMBOLS
        ):
            return pw
