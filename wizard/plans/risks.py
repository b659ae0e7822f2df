"""Risky settings, judged in one place for validation, ``byon audit`` and ``byon apply``.

The plan's warnings (shown by ``byon settings``, the wizard and ``byon apply``
before its question) and the account findings of ``byon audit`` call these, so
one setting can never be "fine" to one of them and "risky" to another.

Two risks are dangerous enough that ``byon apply`` refuses them unless a flag
names them (``DANGEROUS``): an ACL entry wider than ``WIDE_PREFIX``, and an
application whose SIP URI would accept calls with no authentication.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from wizard.plivo.facts import sip_uri, uses_ip_acl

if TYPE_CHECKING:
    from wizard.plans.plan import Plan

# Wider than this trusts more hosts than any provider's SIP edge: a /16 is 65,536
# IPv4 addresses; an IPv6 /48 is one site's whole allocation.
WIDE_PREFIX = {4: 16, 6: 48}
SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")

# risk kind -> the ``byon apply`` flag that accepts it
DANGEROUS = {"wide_acl_entry": "--allow-wide-acl", "open_sip_uri": "--allow-open-sip"}


@dataclass(frozen=True)
class Risk:
    """One risky setting a plan would leave in the account."""

    kind: str  # "wide_acl_entry" | "open_sip_uri"
    key: str  # the plan key it comes from ("application" for the SIP URI)
    message: str
    fix: str = ""  # how to remove the risk from the plan

    @property
    def flag(self) -> str:
        """The ``byon apply`` flag that accepts this risk."""
        return DANGEROUS[self.kind]


def acl_network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The network an ACL entry stands for (host bits forgiven), or None."""
    try:
        return ipaddress.ip_network(str(entry).strip(), strict=False)
    except ValueError:
        return None


def wide_acl_entry(entry: str) -> str | None:
    """``"20.0.0.0/8 covers 16,777,216 addresses (wider than /16)"`` when an entry
    trusts more hosts than a provider's edge, else None."""
    net = acl_network(entry)
    if net is None:
        return None
    limit = WIDE_PREFIX[net.version]
    if net.prefixlen < limit:
        return f"{entry} covers {net.num_addresses:,} addresses (wider than /{limit})"
    return None


def in_shared_space(entry: str) -> bool:
    """An entry in carrier-grade NAT space, where other customers share the addresses."""
    net = acl_network(entry)
    return net is not None and net.version == 4 and net.overlaps(SHARED_SPACE)


def plain_http(url: str) -> bool:
    """A callback URL in clear text (the call's details and the XML that steers it)."""
    return urlsplit(url or "").scheme.lower() == "http"


def plain_ws(url: str) -> bool:
    """A stream URL in clear text (the call's audio)."""
    return urlsplit(url or "").scheme.lower() == "ws"


def open_sip_uri(app_id: str = "") -> str:
    """The toll-fraud sentence for an application whose SIP URI needs no authentication."""
    where = sip_uri(app_id) if app_id else "its SIP URI"
    return f"{where} accepts calls with no SIP authentication (toll-fraud risk)"


def dangerous_risks(plan: Plan, application: Any = None) -> list[Risk]:
    """What applying ``plan`` would leave dangerously open; ``application`` is the plan's
    application as it is now in the account (None: it will be created)."""
    found: list[Risk] = []
    acl = plan.auth.ip_acl if plan.auth is not None and plan.option == "direct_sip" else None
    if acl is not None and uses_ip_acl(plan.auth.type):  # type: ignore[union-attr]
        for i, entry in enumerate(acl.entries):
            wide = wide_acl_entry(entry)
            if wide:
                found.append(
                    Risk(
                        "wide_acl_entry",
                        f"auth.ip_acl.entries[{i}]",
                        wide,
                        "list only your provider's SIP signalling addresses",
                    )
                )
    # DID forwarding cannot secure the SIP URI (the plan has no [auth]); direct_sip always does
    if plan.option == "did_forwarding" and not getattr(application, "sip_auth_type", ""):
        app_id = getattr(application, "app_id", "")
        found.append(
            Risk(
                "open_sip_uri",
                "application",
                f"application {plan.application.name}: {open_sip_uri(app_id)}. DID forwarding "
                "reaches it through the Plivo number, not the SIP URI; byon audit lists every "
                "such application",
                'use option = "direct_sip" with an [auth] table, which secures the SIP URI',
            )
        )
    return found
