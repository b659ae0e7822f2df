"""How byon names things to people (cheap to import: the option step uses it before paint)."""

from __future__ import annotations

AUTH_WORDS = {
    "ip_acl": "an IP ACL",
    "credential": "SIP credentials (digest)",
    "ip_acl_and_credential": "an IP ACL and SIP credentials",
}
