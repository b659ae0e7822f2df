"""Plivo facts byon relies on everywhere: the SIP domain, the SIP URI form, the auth types."""

from __future__ import annotations

SIP_DOMAIN = "app.plivo.com"
AUTH_TYPES = ("ip_acl", "credential", "ip_acl_and_credential")


def sip_uri(app_id: str) -> str:
    """The SIP URI of a Plivo application: ``sip:{app_id}@app.plivo.com``."""
    return f"sip:{app_id}@{SIP_DOMAIN}"
