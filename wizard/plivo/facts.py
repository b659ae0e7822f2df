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
# What Plivo accepts, checked by byon's validation before a request and enforced by the
# emulator as Plivo would (each side keeps its own sentences).
USERNAME_PATTERN = r"[A-Za-z0-9._-]{3,64}"  # a SIP credential's username
APP_NAME_PATTERN = r"[A-Za-z0-9_-]{1,255}"  # Guess: the docs give the alphabet, not a length
PASSWORD_LENGTH = (12, 128)  # a SIP password, which also needs an upper, a lower and a digit
ACL_MAX_ENTRIES = 50  # addresses or ranges in one IP access control list


def sip_uri(app_id: str) -> str:
    """The Direct SIP address of an application: ``sip:{app_id}@app.plivo.com``."""
    return f"sip:{app_id}@{SIP_DOMAIN}"


def uses_ip_acl(auth_type: str) -> bool:
    """True when this sip_auth_type checks the caller's IP against an ACL."""
    return auth_type in (IP_ACL, IP_ACL_AND_CREDENTIAL)


def uses_credential(auth_type: str) -> bool:
    """True when this sip_auth_type asks the caller for a SIP digest username/password."""
    return auth_type in (CREDENTIAL, IP_ACL_AND_CREDENTIAL)
