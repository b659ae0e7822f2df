"""How byon names things to people (cheap to import: the option step uses it before paint)."""

from __future__ import annotations

from wizard.plivo.facts import CREDENTIAL, IP_ACL, IP_ACL_AND_CREDENTIAL

AUTH_WORDS = {
    IP_ACL: "an IP ACL",
    CREDENTIAL: "SIP credentials (digest)",
    IP_ACL_AND_CREDENTIAL: "an IP ACL and SIP credentials",
}
# the auth step's short choice labels, in AUTH_TYPES order
AUTH_LABELS = {
    IP_ACL: "IP ACL",
    CREDENTIAL: "Credential",
    IP_ACL_AND_CREDENTIAL: "ACL + credential",
}


def auth_words(auth_type: str | None) -> str:
    """A label for Plivo's literal auth type: "ip_acl_and_credential" -> "IP ACL and SIP
    credentials"; none or "" -> open (unknown values as given)."""
    if not auth_type or auth_type == "none":
        return "no SIP authentication (open)"
    words = AUTH_WORDS.get(auth_type, str(auth_type))
    return words.removeprefix("an ").removeprefix("a ")
