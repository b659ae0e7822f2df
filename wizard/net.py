"""Whether a host is this machine: one rule for every loopback check in byon.

Standard library only, so every folder (the Plivo client and the emulator included)
may import it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

# The addresses byon's own local servers are reached on (the emulator's certificate names them)
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")
# How a URL names this machine (``byon serve`` accepts a page from any of them)
LOOPBACK_URL_HOSTS = ("localhost", *(f"[{a}]" if ":" in a else a for a in LOOPBACK_ADDRESSES))


def is_loopback_host(host: str) -> bool:
    """True for "localhost" (any case), 127.0.0.0/8, ::1 and ::ffff:127.x, bracketed or
    not; False for every other name or address (a name is not resolved)."""
    text = (host or "").strip().removeprefix("[").removesuffix("]")
    if text.lower() == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # a dual-stack socket reports 127.0.0.1 as ::ffff:127.0.0.1
    return addr.is_loopback


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is this machine (see ``is_loopback_host``)."""
    try:
        return is_loopback_host(urlsplit(url).hostname or "")
    except ValueError:  # a malformed netloc such as "http://[::1"
        return False
