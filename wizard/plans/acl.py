"""The rules of an IP ACL's entries: what Plivo can see a provider's INVITE come from.

Pure functions shared by the wizard's ACL field and plan validation. How wide an
entry may be before it is risky is judged in risks.py (with byon audit).
"""

from __future__ import annotations

import ipaddress

from wizard.plans.findings import Finding, error, warning
from wizard.plans.risks import SHARED_SPACE, wide_acl_entry
from wizard.plivo.facts import ACL_MAX_ENTRIES

MAX_ACL_ENTRIES = ACL_MAX_ENTRIES  # Plivo's limit (wizard.plivo.facts)
# Addresses Plivo can never see a provider's INVITE come from. Documentation
# ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are left
# out on purpose: examples use them, and they are harmless in an ACL.
_NON_PUBLIC: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), label)
    for net, label in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::ffff:0:0/96", "reserved"),
        ("100::/64", "reserved"),
        ("fc00::/7", "private"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "reserved"),
        ("ff00::/8", "multicast"),
    )
)


def _parse_acl_entry(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | str:
    """The network an entry stands for, or an error sentence."""
    if not isinstance(entry, str) or not entry:
        return "an empty entry; give an IPv4/IPv6 address or CIDR range like 203.0.113.10"
    if entry != entry.strip() or " " in entry:
        return f"{entry!r} contains spaces; write the address alone, like 203.0.113.10"
    if "/" in entry:
        try:
            return ipaddress.ip_network(entry, strict=True)
        except ValueError as exc:
            if "host bits set" in str(exc):
                net = ipaddress.ip_network(entry, strict=False)
                return (
                    f"{entry!r} has host bits set: the range it names is {net}; "
                    f"write {net} (or the single address without /prefix)"
                )
            return f"{entry!r} is not a CIDR range; write it like 198.51.100.0/28 or 2001:db8::/48"
    try:
        addr = ipaddress.ip_address(entry)
    except ValueError:
        return (
            f"{entry!r} is not an IP address; write an IPv4/IPv6 address or CIDR range, "
            "like 203.0.113.10 or 198.51.100.0/28"
        )
    return ipaddress.ip_network(addr)


def check_acl_entry(entry: str, auth_type: str = "ip_acl") -> str | None:
    """An error unless ``entry`` is a public address or range a provider could send from."""
    net = _parse_acl_entry(entry)
    if isinstance(net, str):
        return net
    if net.prefixlen == 0:
        return (
            f"{entry!r} matches every address, which is no IP ACL at all; "
            "list your provider's signaling IPs instead"
        )
    for bad, label in _NON_PUBLIC:
        if net.version == bad.version and net.overlaps(bad):
            return (
                f"{entry!r} is in {label} address space ({bad}); Plivo sees only public "
                "addresses, so list your provider's public signaling IPs"
            )
    if net.version == 4 and net.overlaps(SHARED_SPACE) and auth_type == "ip_acl":
        return (
            f"{entry!r} is in shared/CGNAT space (100.64.0.0/10), where many customers "
            "send from the same addresses; IP ACL alone cannot tell them apart, so use "
            'auth type "ip_acl_and_credential"'
        )
    return None


def acl_entry_warning(entry: str) -> str | None:
    """A warning for a valid entry that lets in a suspiciously wide range (risks.py)."""
    if isinstance(_parse_acl_entry(entry), str):
        return None
    wide = wide_acl_entry(entry)
    return f"{wide}; ask your provider for its exact signaling IPs" if wide else None


def check_acl_entries(entries: list[str], auth_type: str = "ip_acl") -> list[Finding]:
    """Every problem with an ACL's entry list (key ``auth.ip_acl.entries[i]``)."""
    key = "auth.ip_acl.entries"
    if not entries:
        return error(
            key, "at least one address is required: your provider's signaling IPs or CIDR ranges"
        )
    found: list[Finding] = []
    if len(entries) > MAX_ACL_ENTRIES:
        found += error(
            key,
            f"{len(entries)} entries; an IP ACL holds at most {MAX_ACL_ENTRIES}: "
            "merge neighbouring addresses into CIDR ranges",
        )
    seen: dict[object, int] = {}
    for i, entry in enumerate(entries):
        k = f"{key}[{i}]"
        err = check_acl_entry(entry, auth_type)
        if err:
            found += error(k, err)
            continue
        net = _parse_acl_entry(entry)
        if net in seen:
            found += error(
                k, f"{entry!r} repeats entry {seen[net] + 1} ({entries[seen[net]]!r}); list it once"
            )
            continue
        seen[net] = i
        found += warning(k, acl_entry_warning(entry))
    return found
