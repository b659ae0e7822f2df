"""Facts about Plivo that byon states in many places, each written once here.

Standard library only, so anything (the emulator included) may import it.
"""

from __future__ import annotations

SIP_DOMAIN = "app.plivo.com"
# The sip_auth_type values Plivo accepts on an application ("" leaves the SIP URI open).
IP_ACL = "ip_acl"
CREDENTIAL = "credential"
IP_ACL_AND_CREDENTIAL = "ip_acl_and_credential"
AUTH_TYPES = (IP_ACL, CREDENTIAL, IP_ACL_AND_CREDENTIAL)


def sip_uri(app_id: str) -> str:
    """The Direct SIP address of an application: ``sip:{app_id}@app.plivo.com``."""
    return f"sip:{app_id}@{SIP_DOMAIN}"


def uses_ip_acl(auth_type: str) -> bool:
    """True when this sip_auth_type checks the caller's IP against an ACL."""
    return auth_type in (IP_ACL, IP_ACL_AND_CREDENTIAL)


def uses_credential(auth_type: str) -> bool:
    """True when this sip_auth_type asks the caller for a SIP digest username/password."""
    return auth_type in (CREDENTIAL, IP_ACL_AND_CREDENTIAL)
