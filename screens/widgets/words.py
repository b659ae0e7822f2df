"""How the wizard names Plivo's values to a person: auth types, prices, counts.

Plivo's literal values (``ip_acl_and_credential``) stay in tables and settings that
mirror a parameter; sentences use these words.
"""

from __future__ import annotations

AUTH_WORDS = {
    "ip_acl": "IP ACL",
    "credential": "SIP credentials",
    "ip_acl_and_credential": "IP ACL and SIP credentials",
    "none": "no SIP authentication (open)",
    "": "no SIP authentication (open)",
}


def auth_words(auth_type: str | None) -> str:
    """ "ip_acl_and_credential" -> "IP ACL and SIP credentials" (unknown values as given)."""
    return AUTH_WORDS.get(auth_type or "", str(auth_type))


def money(rate: object, per: str = "") -> str:
    """Plivo's rate strings ("0.80000", US dollars) as "$0.80", with "/month" etc. when given.

    Sub-cent parts keep their digits ("$0.0085/min"); a missing rate says so."""
    from wizard.text import plain

    try:
        value = float(str(rate))
    except (TypeError, ValueError):
        return plain(rate, 20) if rate else "price not given"
    text = f"${value:.2f}"
    if 0 < value < 1 and round(value, 2) != value:  # per-minute rates: keep their digits
        text = f"${value:.4f}".rstrip("0")
    return f"{text}/{per}" if per else text
