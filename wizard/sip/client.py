"""A small user agent client: OPTIONS, and calls that answer one digest challenge.

Built for ``byon sip-probe`` and the demo's simulated calls. A call can be
cancelled while early, or answered (ACK), hold RTP for a while, and hang up (BYE).
Bind it to a chosen loopback address (``local_host="127.0.0.2"``) so an emulator
can map the source to a public IP.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Any

from wizard.sip import media
from wizard.sip.dialog import Dialog
from wizard.sip.digest import DigestError, build_authorization, parse_challenge
from wizard.sip.endpoint import ALLOW, SipEndpoint
from wizard.sip.errors import SipError, SipTimeout
from wizard.sip.message import Headers, SipRequest, SipResponse, new_tag
from wizard.sip.rtp import RtpSession, RtpStats
from wizard.sip.sdp import PCMU, SdpError, build_offer, parse_sdp
from wizard.sip.transaction import ClientTransaction, build_cancel
from wizard.sip.transport import Flow, StreamConnection, Target
from wizard.sip.uri import NameAddr, format_host, parse_name_addr, parse_uri


@dataclass(frozen=True)
class Credentials:
    """A SIP username and password (the password never shows in a repr)."""

    username: str
    password: str = field(repr=False)


@dataclass
class OptionsResult:
    """The answer to an OPTIONS: the response (None on silence), time taken, TLS facts."""

    response: SipResponse | None = None
    ms: float | None = None
    error: str | None = None
    transport: str = "UDP"
    local: tuple[str, int] | None = None
    remote: tuple[str, int] | None = None
    tls: dict[str, Any] | None = None

    @property
    def status(self) -> int | None:
        """The status code, or None when nothing came back."""
        return self.response.status if self.response is not None else None


@dataclass
class CallResult:
    """What happened to one call: every response, the final one, and how it ended.

    ``timings`` holds milliseconds from the first INVITE: ``first_response``,
    ``provisional``, ``final``, ``answered`` and ``ended`` where they happened.
    """

    call_id: str
    status: int | None = None
    reason: str = ""
    responses: list[SipResponse] = field(default_factory=list, repr=False)
    response_ms: list[float] = field(default_factory=list, repr=False)
    timings: dict[str, float] = field(default_factory=dict)
    challenged: bool = False
    challenge_loop: bool = False  # challenged again after answering with credentials
    answered: bool = False
    cancelled: bool = False
    ended_by: str | None = None  # "local" (our BYE) or "remote" (theirs)
    error: str | None = None
    codec: int | None = None
    rtp: RtpStats | None = None
    received_pcm: bytes = field(default=b"", repr=False)

    @property
    def statuses(self) -> list[int]:
        """Every status code received, in order."""
        return [r.status for r in self.responses]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no bodies, no credentials)."""
        return {
            "call_id": self.call_id,
            "status": self.status,
            "reason": self.reason,
            "statuses": self.statuses,
            "timings": self.timings,
            "challenged": self.challenged,
            "challenge_loop": self.challenge_loop,
            "answered": self.answered,
            "cancelled": self.cancelled,
            "ended_by": self.ended_by,
            "error": self.error,
            "codec": self.codec,
            "rtp": self.rtp.to_dict() if self.rtp else None,
        }


def _name_addr(value: str | NameAddr) -> NameAddr:
    if isinstance(value, NameAddr):
        return value
    return parse_name_addr(value if "<" in value else f"<{value}>")


class Call:
    """One outgoing call. Made by ``SipClient.call``; its INVITE is already on its way."""

    def __init__(
        self,
        client: SipClient,
        target: Target,
        request_uri: str,
        from_addr: NameAddr,
        to_addr: NameAddr,
        credentials: Credentials | None,
        headers: list[tuple[str, str]],
    ) -> None:
        self.client = client
        self.target = target
        self.request_uri = request_uri
        self.from_addr = from_addr.with_tag(new_tag())
        self.to_addr = to_addr
        self.credentials = credentials
        self.extra_headers = headers
        self.result = CallResult(call_id=new_tag() + new_tag() + "@byon")
        self.dialog: Dialog | None = None
        self.rtp: RtpSession | None = None
        self.early = asyncio.Event()  # a provisional other than 100
        self.finished = asyncio.Event()  # the INVITE has its final answer (or failed)
        self.ended = asyncio.Event()  # BYE either way
        self._any_provisional = asyncio.Event()
        self._txn: ClientTransaction | None = None
        self._flow: Flow | None = None
        self._offer = b""
        self._cseq = 0
        self._authed = False
        self._task: asyncio.Task | None = None
        self._loop = asyncio.get_running_loop()
        self._t0 = self._loop.time()

    def _ms(self) -> float:
        return round((self._loop.time() - self._t0) * 1000, 1)

    def _mark(self, name: str) -> None:
        self.result.timings.setdefault(name, self._ms())

    async def _start(self, offer_sdp: bool) -> None:
        host = self.client.local_host
        if offer_sdp:
            self.rtp = await RtpSession.open(host, 0, record=True)
            self._offer = build_offer(host, self.rtp.local[1])
        self._flow = await self.client.endpoint.connect(self.target)
        self._t0 = self._loop.time()
        await self._send_invite(None)
        self._task = self._loop.create_task(self._run())

    def _invite(self, authorization: tuple[str, str] | None) -> SipRequest:
        assert self._flow is not None
        self._cseq += 1
        local = self._flow.local
        params = "" if self._flow.transport == "UDP" else f";transport={self._flow.transport}"
        user = self.from_addr.uri.user or "byon"
        contact = f"<sip:{user}@{format_host(*local)}{params.lower()}>"
        headers = Headers(
            [
                ("From", str(self.from_addr)),
                ("To", str(self.to_addr)),
                ("Call-ID", self.result.call_id),
                ("CSeq", f"{self._cseq} INVITE"),
                ("Contact", contact),
                ("Allow", ALLOW),
                *self.extra_headers,
            ]
        )
        if authorization is not None:
            headers.add(*authorization)
        if self._offer:
            headers.add("Content-Type", "application/sdp")
        return SipRequest("INVITE", self.request_uri, headers, self._offer)

    async def _send_invite(self, authorization: tuple[str, str] | None) -> None:
        assert self._flow is not None
        if self._flow.closed:  # the server hung up the connection after its challenge
            self._flow = await self.client.endpoint.connect(self.target)
        invite = self._invite(authorization)
        self._txn = await self.client.endpoint.start_request(invite, self._flow)

    async def _run(self) -> None:
        try:
            await self._responses()
        except SipTimeout:
            self.result.error = self.result.error or "timeout"
        except SipError as exc:
            self.result.error = str(exc)
        finally:
            self._mark("final")
            self.finished.set()
            if not self.result.answered:
                self._close_media()

    async def _responses(self) -> None:
        while True:
            assert self._txn is not None
            response = await self._txn.next_response()
            self.result.responses.append(response)
            self.result.response_ms.append(self._ms())
            self._mark("first_response")
            if response.status < 200:
                self._any_provisional.set()
                if response.status > 100:
                    self._mark("provisional")
                    self.early.set()
                continue
            if response.status in (401, 407):
                self.result.challenged = True
                self.result.challenge_loop = self._authed
                if not self._authed and await self._answer_challenge(response):
                    continue
            self.result.status, self.result.reason = response.status, response.reason
            if response.status < 300:
                await self._answered(response)
            return

    async def _answer_challenge(self, response: SipResponse) -> bool:
        proxy = response.status == 407
        value = response.headers.get("Proxy-Authenticate" if proxy else "WWW-Authenticate")
        if not value or self.credentials is None:
            return False
        try:
            challenge = parse_challenge(value)
            authorization = build_authorization(
                challenge,
                username=self.credentials.username,
                password=self.credentials.password,
                method="INVITE",
                uri=self.request_uri,
            )
        except DigestError:
            return False
        self._authed = True
        name = "Proxy-Authorization" if proxy else "Authorization"
        await self._send_invite((name, authorization))
        return True

    async def _answered(self, response: SipResponse) -> None:
        assert self._txn is not None
        self.result.answered = True
        self._mark("answered")
        self.dialog = Dialog.from_uac(self._txn.request, response, self._flow)
        ack = self.dialog.ack(self._txn.request.cseq[0])
        try:
            await self.client.endpoint.send_ack(ack, self.dialog.destination(), self._txn)
        except (SipError, ValueError) as exc:  # ValueError: a Contact we cannot reach
            self.result.error = f"ACK not sent: {exc}"
        if self.rtp is None or not response.body:
            return
        try:
            answer = parse_sdp(response.body)
        except SdpError as exc:
            self.result.error = f"unusable SDP answer: {exc}"
            return
        codecs = [c.payload_type for c in answer.audio_codecs if c.payload_type in (0, 8)]
        self.rtp.payload_type = codecs[0] if codecs else PCMU
        self.result.codec = self.rtp.payload_type
        if answer.rtp_address:
            self.rtp.set_remote(answer.rtp_address)

    async def wait_final(self, timeout: float | None = None) -> SipResponse | None:
        """Wait for the INVITE's final response (None on timeout or failure)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.finished.wait(), timeout)
        if not self.finished.is_set() or self.result.status is None:
            return None
        return self.result.responses[-1]

    async def wait_early(self, timeout: float | None = None) -> bool:
        """Wait for a provisional beyond 100 or the final; True when early came first."""
        waiters = [
            asyncio.ensure_future(self.early.wait()),
            asyncio.ensure_future(self.finished.wait()),
        ]
        _, pending = await asyncio.wait(waiters, timeout=timeout, return_when="FIRST_COMPLETED")
        for waiter in pending:
            waiter.cancel()
        return self.early.is_set() and not self.finished.is_set()

    async def cancel(self, timeout: float | None = None) -> bool:
        """CANCEL the ringing call; True when it was still pending. Answered anyway: BYE."""
        limit = timeout if timeout is not None else self.client.endpoint.timers.b
        if not self.finished.is_set() and not self._any_provisional.is_set():
            # RFC 3261 9.1: a CANCEL may only follow a provisional response
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._any_provisional.wait(), limit)
            if not self._any_provisional.is_set():
                await self.abandon()
                return False
        if self.finished.is_set() or self._txn is None or self._txn.final_response is not None:
            if self.result.answered:
                await self.bye()
            return False
        self.result.cancelled = True
        try:
            await self.client.endpoint.send_request(build_cancel(self._txn.request), self._txn.flow)
        except SipError as exc:
            self.result.error = f"CANCEL failed: {exc}"
        if await self.wait_final(limit) is None:
            await self.abandon()
        if self.result.answered:  # the 200 crossed our CANCEL
            await self.bye()
        return True

    async def abandon(self) -> None:
        """Give up on the INVITE without signalling (no answer at all: nothing to cancel)."""
        if self._txn is not None and not self.finished.is_set():
            self._txn.abandon()
        if self._task is not None:
            await self.finished.wait()

    async def stream(self, seconds: float, pcm: bytes | None = None) -> RtpStats | None:
        """Send ``seconds`` of RTP (``pcm`` then silence) while recording what comes back."""
        if not self.result.answered or self.rtp is None or self.ended.is_set():
            return self.rtp.stats if self.rtp else None
        count = max(1, round(seconds / self.rtp.frame_seconds))
        frames = media.frames(self.rtp.payload_type, pcm) if pcm else []
        frames = frames[:count]
        frames += [media.silence(self.rtp.payload_type)] * (count - len(frames))
        self.rtp.play(frames)
        drained = asyncio.ensure_future(self.rtp.drain())
        ended = asyncio.ensure_future(self.ended.wait())
        await asyncio.wait([drained, ended], return_when="FIRST_COMPLETED")
        drained.cancel()
        ended.cancel()
        self.rtp.clear()
        return self.rtp.stats

    async def bye(self) -> SipResponse | None:
        """Hang up an answered call; the BYE's final response (None if it got none)."""
        if self.dialog is None or self.ended.is_set():
            return None
        self.result.ended_by = "local"
        self.ended.set()
        self._mark("ended")
        self._close_media()
        try:
            return await self.client.endpoint.send_request(
                self.dialog.request("BYE"), self.dialog.destination()
            )
        except (SipError, ValueError) as exc:
            self.result.error = f"BYE failed: {exc}"
            return None

    def _remote_bye(self) -> None:
        if self.ended.is_set():
            return
        self.result.ended_by = "remote"
        self.ended.set()
        self._mark("ended")
        self._close_media()

    def _close_media(self) -> None:
        if self.rtp is not None:
            self.rtp.close()
            self.result.rtp = self.rtp.stats
            self.result.received_pcm = bytes(self.rtp.received_pcm)

    async def close(self) -> None:
        """Stop everything this call still runs (no signalling)."""
        if self._task is not None and not self._task.done():
            await self.abandon()
        self._close_media()


class SipClient:
    """A UAC on one transport, bound to ``local_host`` (say 127.0.0.2) for a source IP."""

    def __init__(
        self,
        *,
        transport: str = "UDP",
        local_host: str = "127.0.0.1",
        local_port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
        timer_scale: float = 1.0,
        user_agent: str = "byon",
    ) -> None:
        self.transport = transport.upper()
        self.local_host = local_host
        self.local_port = local_port
        self.server_hostname = server_hostname
        self.endpoint = SipEndpoint(
            self._on_request,
            timer_scale=timer_scale,
            local_host=local_host,
            user_agent=user_agent,
            client_ssl=ssl_context,
        )
        self.calls: dict[str, Call] = {}

    async def start(self) -> SipClient:
        """Bind the UDP socket (TCP/TLS connect per target, on demand)."""
        if self.transport == "UDP" and "UDP" not in self.endpoint.addresses:
            await self.endpoint.listen_udp(self.local_host, self.local_port)
        return self

    async def close(self) -> None:
        """Stop every call's media and close sockets and connections."""
        for call in list(self.calls.values()):
            await call.close()
        await self.endpoint.close()

    async def __aenter__(self) -> SipClient:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def target(self, host: str, port: int) -> Target:
        """A target on this client's transport."""
        return Target(host, port, self.transport, self.server_hostname)

    async def _on_request(self, request: SipRequest, txn: Any) -> None:
        call = self.calls.get(request.call_id)
        in_dialog = call is not None and call.dialog is not None and call.dialog.matches(request)
        if request.method == "BYE" and in_dialog:
            txn.respond(200)
            call._remote_bye()  # type: ignore[union-attr]
        elif request.method == "OPTIONS":
            txn.respond(200, headers={"Allow": ALLOW})
        elif request.method == "INVITE":
            txn.respond(488 if in_dialog else 486)  # no re-INVITEs, no incoming calls
        else:
            txn.respond(481 if request.method in ("BYE", "INFO", "UPDATE") else 405)

    async def options(
        self, target: Target, request_uri: str | None = None, *, timeout: float | None = None
    ) -> OptionsResult:
        """Send OPTIONS; silence (UDP) or a dead connection ends in ``error``, never raises."""
        await self.start()
        result = OptionsResult(transport=target.transport)
        uri = request_uri or f"sip:{format_host(target.host, target.port)}"
        loop = asyncio.get_running_loop()
        start = loop.time()
        txn = None
        try:
            flow = await self.endpoint.connect(target)
            result.local, result.remote = flow.local, flow.remote
            result.tls = _tls_facts(flow)
            request = SipRequest("OPTIONS", uri, _probe_headers(self.local_host, uri, "OPTIONS"))
            txn = await self.endpoint.start_request(request, flow)
            result.response = await asyncio.wait_for(txn.final(), timeout)
            result.ms = round((loop.time() - start) * 1000, 1)
        except (SipTimeout, TimeoutError):
            result.error = "timeout"
        except SipError as exc:
            result.error = str(exc)
        finally:
            if txn is not None and result.response is None:
                txn.abandon()
        return result

    async def call(
        self,
        target: Target,
        request_uri: str,
        from_uri: str | NameAddr,
        to_uri: str | NameAddr | None = None,
        credentials: Credentials | None = None,
        *,
        offer_sdp: bool = True,
        headers: list[tuple[str, str]] | None = None,
    ) -> Call:
        """Start a call: the INVITE is sent; the returned Call follows it in the background."""
        await self.start()
        parse_uri(request_uri)  # SipParseError now rather than a malformed INVITE
        call = Call(
            self, target, request_uri, _name_addr(from_uri), _name_addr(to_uri or request_uri),
            credentials, list(headers or ()),
        )  # fmt: skip
        self.calls[call.result.call_id] = call
        try:
            await call._start(offer_sdp)
        except BaseException:
            call._close_media()
            raise
        return call

    async def invite(
        self,
        target: Target,
        request_uri: str,
        from_uri: str | NameAddr,
        to_uri: str | NameAddr | None = None,
        credentials: Credentials | None = None,
        *,
        cancel_early: bool = False,
        hold: float = 0.0,
        audio: bytes | None = None,
        timeout: float = 32.0,
    ) -> CallResult:
        """Place a call and see it through (never raises for what the far end does): CANCEL at
        ringing with ``cancel_early``, else stream ``audio`` for ``hold`` s and BYE."""
        try:
            call = await self.call(target, request_uri, from_uri, to_uri, credentials)
        except SipError as exc:
            return CallResult(call_id="", error=str(exc))
        if cancel_early:
            await call.wait_early(timeout)
        else:
            await call.wait_final(timeout)
        if not call.finished.is_set():
            await call.cancel(timeout)
        if call.result.answered and not call.ended.is_set():
            if hold > 0:
                await call.stream(hold, audio)
            await call.bye()
        await call.close()
        return call.result


def _probe_headers(host: str, uri: str, method: str) -> Headers:
    return Headers(
        [
            ("From", f"<sip:byon@{format_host(host)}>;tag={new_tag()}"),
            ("To", f"<{uri}>"),
            ("Call-ID", new_tag() + new_tag() + "@byon"),
            ("CSeq", f"1 {method}"),
            ("Accept", "application/sdp"),
        ]
    )


def _tls_facts(flow: Flow) -> dict[str, Any] | None:
    if not isinstance(flow, StreamConnection) or flow.ssl_object is None:
        return None
    tls = flow.ssl_object
    return {
        "version": tls.version(),
        "cipher": (tls.cipher() or ("",))[0],
        "peer_certificate": tls.getpeercert() or None,  # empty unless it was verified
        "peer_certificate_der": tls.getpeercert(binary_form=True),
    }
