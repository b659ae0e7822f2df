"""How byon names things to people (cheap to import: the option step uses it before paint)."""

from __future__ import annotations

AUTH_WORDS = {
    "ip_acl": "an IP ACL",
    "credential": "SIP credentials (digest)",
    "ip_acl_and_credential": "an IP ACL and SIP credentials",
}


def auth_words(auth_type: str | None) -> str:
    """A label for Plivo's literal auth type: "ip_acl_and_credential" -> "IP ACL and SIP
    credentials"; none or "" -> open (unknown values as given)."""
    if not auth_type or auth_type == "none":
        return "no SIP authentication (open)"
    words = AUTH_WORDS.get(auth_type, str(auth_type))
    return words.removeprefix("an ").removeprefix("a ")
