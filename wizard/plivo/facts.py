"""Facts about Plivo every folder may use: the SIP domain, an app's SIP URI, the auth types."""

from __future__ import annotations

SIP_DOMAIN = "app.plivo.com"
AUTH_TYPES = ("ip_acl", "credential", "ip_acl_and_credential")


def sip_uri(app_id: str) -> str:
    """The SIP URI a provider sends calls to for one Plivo application."""
    return f"sip:{app_id}@{SIP_DOMAIN}"
