"""The emulator's SIP edge on the wire: UDP and TCP on one port, TLS on another.

Requests go through ``SipEndpoint`` (transactions, retransmissions, CANCEL, malformed
input). This module decides what Plivo would answer: OPTIONS 200, INVITE through the
shared auth decision (``auth.decide``) with a real 407 digest challenge, BYE in a
dialog, 405 for everything else. Every INVITE's Call-ID gets a call record with its
ladder (``GET /__emulator__/calls``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.emulator.auth import Decision, Proof, decide
from wizard.emulator.callrecords import NORMAL, close_call
from wizard.emulator.records import CallRecord
from wizard.emulator.sip import signed_request, uri_user
from wizard.emulator.sipwire.call import WireCall
from wizard.emulator.sipwire.tls import DOMAIN, TlsUnavailable, make_certificate, server_context
from wizard.net import is_loopback_host, is_loopback_url
from wizard.sip.digest import DigestError, NonceStore, parse_authorization
from wizard.sip.endpoint import ALLOW, SipEndpoint
from wizard.sip.errors import SipParseError
from wizard.sip.message import SipMessage, SipRequest, SipResponse
from wizard.sip.transaction import ServerTransaction
from wizard.sip.transport import Flow
from wizard.sip.uri import format_host

if TYPE_CHECKING:
    from wizard.emulator.server import Emulator

log = logging.getLogger("byon.emulator.sip")
WILDCARDS = ("", "0.0.0.0", "::")
CALLBACK_TIMEOUT = 5.0


class SipWire:
    """The SIP edge of one emulator: ``start``, ``info``, ``stop``."""

    def __init__(self, emu: Emulator, *, timer_scale: float = 1.0) -> None:
        self.emu = emu
        self.endpoint = SipEndpoint(
            self.on_request, timer_scale=timer_scale, trace=self.trace, user_agent=None
        )
        # Nonces age on the emulator's virtual clock, like the lockout: a test can expire one.
        self.nonces = NonceStore(clock=emu.clock.now)
        self.calls: dict[str, WireCall] = {}  # answered calls by Call-ID
        self.host = "127.0.0.1"
        self.media_host = "127.0.0.1"
        self.ca_cert: Path | None = None
        self.tls_note: str | None = None
        self._tls_dir: Path | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0, *, tls_port: int | None = 0):
        """Listen: UDP and TCP on ``port`` (0: a free one), TLS on ``tls_port`` (None: off)."""
        self.host = host
        self.media_host = "127.0.0.1" if host in WILDCARDS else host
        self.endpoint.local_host = self.media_host
        await self.endpoint.listen(host or "0.0.0.0", port)
        if tls_port is not None:
            self._tls_dir = Path(tempfile.mkdtemp(prefix="byon-sip-tls-"))
            try:
                cert, key = await asyncio.to_thread(make_certificate, self._tls_dir)
            except TlsUnavailable as exc:
                self.tls_note = f"no TLS: {exc}"
                return
            await self.endpoint.listen_tls(server_context(cert, key), host or "0.0.0.0", tls_port)
            self.ca_cert = cert

    def _shown(self, transport: str) -> str | None:
        address = self.endpoint.addresses.get(transport)
        if address is None:
            return None
        host = self.media_host if address[0] in WILDCARDS else address[0]
        return format_host(host, address[1])

    def contact_address(self, transport: str) -> tuple[str, int]:
        """Where a caller reaches this edge on ``transport`` (for Contact)."""
        host, port = self.endpoint.addresses.get(transport) or self.endpoint.addresses["UDP"]
        return (self.media_host if host in WILDCARDS else host), port

    def info(self) -> dict[str, Any]:
        """The edge's addresses, as the first line of ``byon emulator`` prints them."""
        return {
            "udp": self._shown("UDP"),
            "tcp": self._shown("TCP"),
            "tls": self._shown("TLS"),
            "domain": DOMAIN,
            "ca_cert": str(self.ca_cert) if self.ca_cert else None,
        }

    def track(self, task: asyncio.Task) -> None:
        """Keep a background task until it ends (cancelled at stop)."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """End every call without signalling, close the sockets, delete the certificate."""
        now = self.emu.clock.now()
        for call in list(self.calls.values()):
            call.ended.set()
            call.cancel_scheduled_hangup()
            close_call(call.cdr, NORMAL, "Plivo", now)  # no call stays live past the edge
        for task in list(self._tasks):
            task.cancel()
        await self.endpoint.close()
        for call in list(self.calls.values()):
            for bridge in call.bridges:
                await bridge.close("call")
            call._close_media()
        self.calls.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    # -- the ladder -----------------------------------------------------------------------
    def trace(self, direction: str, message: SipMessage, flow: Flow) -> None:
        """Every message of an INVITE's Call-ID goes into its call record."""
        call_id = message.call_id
        record = self.emu.records.sip(call_id)
        if record is None:
            if not (isinstance(message, SipRequest) and message.method == "INVITE"):
                return  # OPTIONS, strays: no call, no record
            source = self.emu.map_source(flow.remote[0])
            record = self.emu.records.add(
                CallRecord("sip", call_id=call_id, transport=flow.transport, source=source)
            )
            record.extra["request_uri"] = message.uri[:300]
        record.add(direction, message)
        if not isinstance(message, SipResponse) or message.status < 200:
            return
        try:
            method = message.cseq[1]
        except SipParseError:
            return  # a 400 to a request whose CSeq could not be read
        if method == "INVITE":
            record.sip_status = message.status
            if message.status == 487:
                record.reason = "Request Terminated: the caller cancelled (CANCEL)"

    # -- requests -------------------------------------------------------------------------
    async def on_request(self, request: SipRequest, txn: ServerTransaction) -> None:
        """OPTIONS, INVITE and BYE; 405 for every other method (ACK/CANCEL: the endpoint)."""
        if request.method == "OPTIONS":
            txn.respond(200, headers={"Allow": ALLOW, "Accept": "application/sdp"})
        elif request.method == "INVITE":
            await self.invite(request, txn)
        elif request.method == "BYE":
            call = self.calls.get(request.call_id)
            if call is not None and call.dialog is not None and call.dialog.matches(request):
                call.remote_bye(txn)
            else:
                txn.respond(481)
        else:
            txn.respond(405, headers={"Allow": ALLOW})

    def _proof(self, request: SipRequest) -> Proof | None:
        value = request.headers.get("Proxy-Authorization") or request.headers.get("Authorization")
        if not value:
            return None
        try:
            creds = parse_authorization(value)
        except DigestError:
            return None  # unreadable: challenged again, like no answer at all
        return Proof.from_digest(creds, request.method, self.nonces.check(creds.nonce))

    def decide(self, request: SipRequest, source: str) -> Decision:
        """The shared auth decision for one INVITE from ``source`` (mapped)."""
        user = uri_user(request.uri)
        decision = decide(
            self.emu,
            request_uri=str(request.uri),
            user=user,
            source_ip=source,
            proof=self._proof(request),
        )
        self.emu.changed()
        return decision

    async def invite(self, request: SipRequest, txn: ServerTransaction) -> None:
        """A new INVITE: auth, then the call; an in-dialog one (re-INVITE) keeps the call."""
        if request.to_addr.tag:
            call = self.calls.get(request.call_id)
            if call is None or call.dialog is None or not call.dialog.matches(request):
                txn.respond(481)
                return
            headers = {"Contact": call.contact(), "Content-Type": "application/sdp"}
            txn.respond(200, headers=headers, body=call._sdp)  # Guess: the same session
            return
        source = self.emu.map_source(txn.source[0])
        record = self.emu.records.sip(request.call_id)
        if record is None:  # pushed out by a flood of newer calls
            record = self.emu.records.add(
                CallRecord("sip", call_id=request.call_id, transport=txn.transport, source=source)
            )
        decision = self.decide(request, source)
        if not decision.ok:
            headers = {}
            if decision.status == 407:
                challenge = self.nonces.challenge(stale=decision.stale)
                headers["Proxy-Authenticate"] = challenge.to_header()
            record.reason = decision.reason
            txn.respond(decision.status, headers=headers)
            return
        record.extra["app_id"] = (decision.app or {}).get("app_id")
        await WireCall(self, request, txn, decision, source, record).run()

    # -- callbacks ------------------------------------------------------------------------
    async def notify(self, url: str, method: str, params: dict[str, str]) -> dict[str, Any]:
        """A signed callback (hangup) to ``url``; the outcome, never an exception."""
        out: dict[str, Any] = {"url": url, "method": method, "http_status": None, "error": None}
        if not url:
            out["error"] = "the application has no hangup_url or answer_url"
            return out
        if not self.emu.remote_callbacks and not is_loopback_url(url):
            out["error"] = f"{url} is not on this machine; this emulator only calls loopback"
            return out
        headers = self.emu.edge.sign(url, method, params)
        import aiohttp

        try:
            async with asyncio.timeout(CALLBACK_TIMEOUT):
                request = signed_request(self.emu.http, url, method, params, headers)
                async with request as resp:
                    out["http_status"] = resp.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            out["error"] = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
        return out


def parse_source_map(values: list[str]) -> dict[str, str]:
    """``["127.0.0.2=203.0.113.10", ...]`` -> a dict; ValueError with a sentence when wrong."""
    out: dict[str, str] = {}
    for value in values:
        source, sep, public = value.partition("=")
        if not sep:
            raise ValueError(f"{value!r} is not LOOPBACK=PUBLIC, e.g. 127.0.0.2=203.0.113.10")
        try:
            src = ipaddress.ip_address(source.strip())
            dst = ipaddress.ip_address(public.strip())
        except ValueError:
            raise ValueError(f"{value!r}: both sides must be IP addresses") from None
        if not is_loopback_host(str(src)):
            raise ValueError(f"{value!r}: the source must be a loopback address (127.x.y.z, ::1)")
        out[str(src)] = str(dst)
    return out
