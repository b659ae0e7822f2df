"""Where a SIP URI's host leads (RFC 3263, simplified): SRV per transport, then A/AAAA.

SRV needs a DNS resolver; byon uses dnspython when it is installed and says so plainly
when it is not. Names under ``localhost`` never go to DNS (RFC 6761): only the
system's own lookup (``/etc/hosts``) answers them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from wizard.sip.transport import DEFAULT_PORTS

# transport -> the SRV name prefix that announces it
SRV_NAMES = {"UDP": "_sip._udp", "TCP": "_sip._tcp", "TLS": "_sips._tcp"}

SrvLookup = Callable[[str, float], Awaitable[list[tuple[int, int, int, str]]]]


@dataclass(frozen=True)
class Hop:
    """One place to send SIP: transport, host (a name or an address), port."""

    transport: str
    host: str
    port: int


@dataclass
class Resolution:
    """The outcome: a hop per transport, the SRV records and addresses found, and notes."""

    hops: dict[str, Hop] = field(default_factory=dict)
    srv: dict[str, list[str]] = field(default_factory=dict)  # SRV name -> ["10 5 5060 host"]
    addresses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 literal (brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_local_name(host: str) -> bool:
    """``localhost`` and names under it: never sent to DNS (RFC 6761 section 6.3)."""
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


async def dnspython_srv(name: str, timeout: float) -> list[tuple[int, int, int, str]]:
    """SRV records of ``name`` as (priority, weight, port, target); [] when there are none.

    Raises ImportError when dnspython is missing, OSError when DNS cannot be asked."""
    import dns.asyncresolver
    import dns.exception
    import dns.resolver

    try:
        answer = await dns.asyncresolver.resolve(name, "SRV", lifetime=max(timeout, 0.1))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.resolver.NoNameservers as exc:
        raise OSError(f"no DNS server answered for {name}") from exc
    except dns.exception.Timeout as exc:
        raise OSError(f"DNS timed out for {name}") from exc
    except dns.exception.DNSException as exc:
        raise OSError(f"DNS failed for {name}: {type(exc).__name__}") from exc
    return [(r.priority, r.weight, r.port, str(r.target).rstrip(".")) for r in answer]


async def addresses_of(host: str, timeout: float) -> list[str]:
    """A and AAAA addresses of ``host`` through the system's resolver (in its order)."""
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, None, type=socket.SOCK_DGRAM), max(timeout, 0.1)
    )
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


async def resolve(
    host: str,
    transports: list[str],
    timeout: float,
    *,
    srv_lookup: SrvLookup | None = dnspython_srv,
    tls_port: int | None = None,
) -> Resolution:
    """Where to send SIP for ``host`` on each transport: SRV first, else A/AAAA with the
    default ports. ``srv_lookup=None`` skips SRV (the note says so)."""
    out = Resolution()
    if is_ip(host):
        address = host.strip("[]")
        out.addresses = [address]
        out.notes.append(f"{address} is an address; nothing to resolve")
        out.hops = {t: Hop(t, address, _port(t, tls_port)) for t in transports}
        return out
    if is_local_name(host):
        out.notes.append(f"{host} is a local name: SRV is not asked (RFC 6761)")
    elif srv_lookup is None:
        out.notes.append("SRV not looked up (no DNS resolver)")
    else:
        await _srv(out, host, transports, timeout, srv_lookup)
    try:
        out.addresses = await addresses_of(host, timeout)
    except (OSError, TimeoutError) as exc:
        if not out.hops:
            out.error = f"{host} does not resolve: {_why(exc)}"
            return out
        out.notes.append(f"no A/AAAA for {host} itself ({_why(exc)})")
    for transport in transports:
        if transport not in out.hops and out.addresses:
            out.hops[transport] = Hop(transport, host, _port(transport, tls_port))
    return out


async def _srv(
    out: Resolution, host: str, transports: list[str], timeout: float, lookup: SrvLookup
) -> None:
    names = [(t, f"{SRV_NAMES[t]}.{host}") for t in transports]
    try:
        answers = await asyncio.gather(*(lookup(name, timeout) for _t, name in names))
    except ImportError:
        out.notes.append(
            "SRV not looked up: the dnspython package is not installed (pip install dnspython)"
        )
        return
    except (OSError, TimeoutError) as exc:
        out.notes.append(f"SRV not looked up: {_why(exc)}")
        return
    for (transport, name), records in zip(names, answers, strict=True):
        if not records:
            continue
        records = sorted(records, key=lambda r: (r[0], -r[1]))
        out.srv[name] = [f"{p} {w} {port} {target}" for p, w, port, target in records[:8]]
        _p, _w, port, target = records[0]
        out.hops[transport] = Hop(transport, target, port)


def _port(transport: str, tls_port: int | None) -> int:
    if transport == "TLS" and tls_port:
        return tls_port
    return DEFAULT_PORTS[transport]


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)
    return str(exc) or type(exc).__name__
