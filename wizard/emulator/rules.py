"""The rules Plivo applies to what an account's SIP auth and applications may hold: names,
usernames, passwords, ACL entries and quotas (shared/reference/plivo-api.md). The
emulator's REST handlers (rest.py) answer 400 with these sentences, as Plivo would."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from wizard.emulator.httputil import ApiError
from wizard.plivo.facts import (
    ACL_MAX_ENTRIES,
    APP_NAME_PATTERN,
    PASSWORD_LENGTH,
    USERNAME_PATTERN,
)

APP_NAME_RE = re.compile(rf"^{APP_NAME_PATTERN}$")
USERNAME_RE = re.compile(rf"^{USERNAME_PATTERN}$")
CREDENTIAL_QUOTA = 200
ACL_QUOTA = 100


def check_password(password: str) -> None:
    """Plivo's SIP credential password rule: 12-128 characters with an upper, a lower, a digit."""
    shortest, longest = PASSWORD_LENGTH
    if not shortest <= len(password) <= longest:
        raise ApiError(400, "password must be 12 to 128 characters long")
    classes = (r"[A-Z]", r"[a-z]", r"\d")
    if not all(re.search(c, password) for c in classes):
        raise ApiError(
            400,
            "password must contain at least one uppercase letter, one lowercase letter "
            "and one digit",
        )


def parse_acl_entry(entry: Any) -> str:
    """One IP ACL entry, stripped: an IP address or a CIDR range (host bits allowed); else 400."""
    if not isinstance(entry, str) or not entry.strip():
        raise ApiError(400, "each ip_addresses entry must be an IP address or CIDR range string")
    text = entry.strip()
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
        else:
            ipaddress.ip_address(text)
    except ValueError:
        raise ApiError(400, f"{text!r} is not an IP address or CIDR range") from None
    return text


def parse_acl_entries(body: dict[str, Any], *, required: bool) -> list[str] | None:
    """``ip_addresses``: a JSON list (or comma-separated form text) of 1-50 entries;
    None when absent and not required."""
    if "ip_addresses" not in body or body["ip_addresses"] is None:
        if required:
            raise ApiError(400, "ip_addresses is required")
        return None
    value = body["ip_addresses"]
    if isinstance(value, str):
        # Guess: a form-encoded request may send the list comma-separated.
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise ApiError(400, "ip_addresses must be a list of IP addresses or CIDR ranges")
    if not value:
        # Guess: an empty list is refused (it would admit nobody).
        raise ApiError(400, "ip_addresses must hold at least one IP address or CIDR range")
    if len(value) > ACL_MAX_ENTRIES:
        raise ApiError(400, f"an IP access control list holds at most {ACL_MAX_ENTRIES} entries")
    return [parse_acl_entry(v) for v in value]
