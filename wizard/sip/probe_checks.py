"""The probe's checks on the network: dns, reach per transport, and the two INVITEs.

Each returns a ``CheckResult`` and never raises for what the far end does; the
classification of an INVITE's outcome is a pure function (tested on its own).
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from wizard.sip.client import SipClient
from wizard.sip.errors import SipError, SipTransportError
from wizard.sip.lockout import LockoutGuard
from wizard.sip.probe_model import Budget, CheckResult, ProbeOptions, tls_context
from wizard.sip.resolve import Hop, resolve
from wizard.sip.transport import Target
from wizard.sip.uri import format_host


async def check_dns(opts: ProbeOptions, budget: Budget) -> tuple[CheckResult, list[Hop]]:
    """The ``dns`` check: SRV then A/AAAA of the URI's host; ``skipped`` with ``--host``."""
    started = time.monotonic()
    transports = opts.transports
    if opts.host:
        host = opts.host.strip()
        hops = [
            Hop(t, host, (opts.tls_port or 5061) if t == "TLS" else (opts.port or 5060))
            for t in transports
        ]
        row = CheckResult("dns", True, "skipped", f"not resolved: sent straight to {host}", 0.0)
        return row, hops
    name = opts.uri_host
    found = await resolve(
        name, transports, budget.left(0.3), srv_lookup=opts.srv_lookup, tls_port=opts.tls_port
    )
    ms = (time.monotonic() - started) * 1000
    if found.error or not found.hops:
        detail = found.error or f"{name} has no address for {', '.join(transports)}"
        return CheckResult("dns", False, "unresolved", _notes(detail, found.notes), ms), []
    hops = []
    for transport in transports:
        hop = found.hops.get(transport)
        if hop is not None:
            port = opts.port if opts.port and transport != "TLS" else hop.port
            hops.append(Hop(transport, hop.host, port))
    srv = "; ".join(f"{k}: {', '.join(v)}" for k, v in found.srv.items())
    what = f"SRV {srv}" if srv else "no SRV records"
    addresses = ", ".join(found.addresses[:6]) or "none"
    detail = f"{name}: {what}; addresses {addresses}"
    extra = {"srv": found.srv, "addresses": found.addresses[:16]}
    result = "srv" if found.srv else "address"
    return CheckResult("dns", True, result, _notes(detail, found.notes), ms, extra=extra), hops


def _notes(detail: str, notes: list[str]) -> str:
    return "; ".join([detail, *notes])


# ---- reach -------------------------------------------------------------------------------


async def source_for(host: str, port: int) -> str:
    """The local address the system routes toward ``host`` (no packet is sent): the probe
    binds there so its Via and Contact name a real address."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM), 2.0)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            return str(sock.getsockname()[0])
    except (OSError, TimeoutError, IndexError):
        return "0.0.0.0"


def _client(opts: ProbeOptions, transport: str, local: str, seconds: float) -> SipClient:
    ctx = tls_context(opts.ca_file) if transport == "TLS" else None
    client = SipClient(
        transport=transport,
        local_host=local,
        ssl_context=ctx,
        server_hostname=opts.uri_host if transport == "TLS" else None,
        timer_scale=opts.timer_scale,
        user_agent="byon-sip-probe",
    )
    client.endpoint.connect_timeout = max(seconds, 0.05)
    return client


def _target(opts: ProbeOptions, hop: Hop) -> Target:
    server_name = opts.uri_host if hop.transport == "TLS" else None
    return Target(hop.host, hop.port, hop.transport, server_name)


async def prepare_tls(opts: ProbeOptions, hops: list[Hop]) -> None:
    """Load the CA store off the event loop before the clock of ``reach`` starts."""
    if any(hop.transport == "TLS" for hop in hops):
        await asyncio.to_thread(tls_context, opts.ca_file)


async def reach_all(opts: ProbeOptions, hops: list[Hop], seconds: float) -> list[CheckResult]:
    """``reach`` on every transport at once (a silent one costs the budget only once)."""
    return list(await asyncio.gather(*(reach_one(opts, hop, seconds) for hop in hops)))


async def reach_one(opts: ProbeOptions, hop: Hop, seconds: float) -> CheckResult:
    """UDP: an OPTIONS (silence is ``unknown``). TCP/TLS: the connect (and the
    certificate), then an OPTIONS."""
    budget = Budget(seconds)
    started = time.monotonic()
    where = format_host(hop.host, hop.port)
    local = opts.local_host or await source_for(hop.host, hop.port)
    client = _client(opts, hop.transport, local, budget.left())
    target = _target(opts, hop)
    tls: dict | None = None
    try:
        if hop.transport != "UDP":
            try:
                flow = await asyncio.wait_for(client.endpoint.connect(target), budget.left())
            except (SipError, TimeoutError, OSError) as exc:
                result, detail = connect_failure(exc, hop.transport, where, seconds)
                return CheckResult("reach", False, result, detail, _ms(started), hop.transport)
            tls = tls_facts(flow)
        answer = await client.options(target, f"sip:{opts.uri_host}", timeout=budget.left())
    finally:
        await client.close()
    ms = _ms(started)
    extra = {"address": where, **({"tls": tls} if tls else {})}
    cert = f"; {tls_sentence(tls)}" if tls else ""
    if answer.response is not None:
        status = f"{answer.response.status} {plain(answer.response.reason, 60)}"
        detail = f"OPTIONS over {hop.transport} to {where} answered {status}{cert}"
        return CheckResult("reach", True, "reached", detail, ms, hop.transport, extra)
    if hop.transport != "UDP":
        detail = f"connected to {where}, but OPTIONS got no answer within {seconds:.1f} s{cert}"
        return CheckResult("reach", True, "connected", detail, ms, hop.transport, extra)
    if answer.error and answer.error != "timeout":
        detail = f"OPTIONS over UDP to {where} could not be sent: {plain(answer.error, 160)}"
        return CheckResult("reach", False, "unreachable", detail, ms, hop.transport, extra)
    detail = (
        f"no answer to OPTIONS over UDP from {where} within {seconds:.1f} s; UDP reports no "
        "error for a silent host, so reach is unknown (the INVITE below tells more)"
    )
    return CheckResult("reach", True, "unknown", detail, ms, hop.transport, extra)


def connect_failure(exc: BaseException, transport: str, where: str, seconds: float):
    """``(result, detail)`` for a TCP/TLS connect that failed, by what failed."""
    import ssl

    cause = exc.__cause__ if isinstance(exc, SipTransportError) and exc.__cause__ else exc
    if isinstance(cause, ssl.SSLCertVerificationError):
        why = plain(cause.verify_message or cause.reason or "not trusted", 160)
        return "cert_invalid", (
            f"TLS to {where}: the certificate was refused ({why}); check the name and "
            "the CA (--ca-file for a private one)"
        )
    if isinstance(cause, ssl.SSLError):
        return "handshake_failed", f"TLS handshake with {where} failed: {plain(cause, 160)}"
    if isinstance(cause, ConnectionRefusedError):
        return "refused", f"{transport} connection to {where} refused (nothing listens there)"
    if isinstance(cause, TimeoutError):
        return "timeout", f"{transport} connection to {where} timed out after {seconds:.1f} s"
    return "unreachable", f"{transport} connection to {where} failed: {plain(cause, 160)}"


def tls_facts(flow: object) -> dict | None:
    """Subject, issuer, expiry and days left of the peer's (verified) certificate."""
    import ssl

    tls = getattr(flow, "ssl_object", None)
    if tls is None:
        return None
    cert = tls.getpeercert() or {}

    def name(pairs: tuple) -> str:
        return ", ".join(f"{k}={v}" for rdn in pairs for k, v in rdn)

    facts: dict = {"version": tls.version(), "subject": plain(name(cert.get("subject", ())))}
    facts["issuer"] = plain(name(cert.get("issuer", ())))
    not_after = cert.get("notAfter")
    if not_after:
        expires = ssl.cert_time_to_seconds(not_after)
        facts["not_after"] = not_after
        facts["days_left"] = int((expires - time.time()) // 86400)
    return facts


def tls_sentence(facts: dict) -> str:
    """The certificate as a sentence, with a warning when it expires within 14 days."""
    days = facts.get("days_left")
    soon = " (renew soon)" if isinstance(days, int) and days < 14 else ""
    left = f", {days} days left{soon}" if days is not None else ""
    return (
        f"certificate {facts.get('subject') or '?'} issued by {facts.get('issuer') or '?'}"
        f"{left}, {facts.get('version') or 'TLS'}"
    )


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def plain(value: object, limit: int = 200) -> str:
    """Far-end text made inert and bounded (wizard.text.plain)."""
    from wizard.text import plain as _plain

    return _plain(value, limit)


# ---- the INVITEs ---------------------------------------------------------------------------


def invite_hop(opts: ProbeOptions, hops: list[Hop], reach: list[CheckResult]) -> Hop | None:
    """The transport the INVITEs use: the first of UDP, TCP, TLS that answered; UDP when it
    was only silent; None when nothing can be reached."""
    by_transport = {row.transport: row for row in reach}
    for hop in hops:
        row = by_transport.get(hop.transport)
        if row is not None and row.result in ("reached", "connected"):
            return hop
    for hop in hops:
        row = by_transport.get(hop.transport)
        if hop.transport == "UDP" and row is not None and row.result == "unknown":
            return hop
    return None


def guard_for(opts: ProbeOptions, hop: Hop | None) -> LockoutGuard:
    """The lockout guard of the target the INVITEs go to (host and port)."""
    host = hop.host if hop else (opts.host or opts.uri_host)
    port = hop.port if hop else (opts.port or 5060)
    folder = Path(opts.guard_folder) if opts.guard_folder is not None else None
    return LockoutGuard(f"{host.lower()}:{port}", folder=folder)
