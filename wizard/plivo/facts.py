"""Plivo facts every part of byon shares: the SIP domain, an app's SIP URI, auth types.

Minimal version: the files & journal security work owns this module and its
fuller version wins at merge; the names here are the shared contract.
"""

from __future__ import annotations

SIP_DOMAIN = "app.plivo.com"
AUTH_TYPES = ("ip_acl", "credential", "ip_acl_and_credential")


def sip_uri(app_id: str) -> str:
    """The URI a provider sends calls to for Direct SIP: ``sip:{app_id}@app.plivo.com``."""
    return f"sip:{app_id}@{SIP_DOMAIN}"
