"""A tiny UAS for the tests, built on SipEndpoint the way the emulator's edge will be.

It challenges INVITEs with 407, checks the answer against a stored HA1, answers with
SDP and echoes RTP, and can hang up with BYE later. ``mode`` picks other behaviours.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

from wizard.sip.dialog import Dialog
from wizard.sip.digest import (
    DigestError,
    NonceState,
    NonceStore,
    compute_ha1,
    parse_authorization,
    verify_response,
)
from wizard.sip.endpoint import ALLOW, SipEndpoint
from wizard.sip.message import SipMessage, SipRequest, SipResponse
from wizard.sip.rtp import RtpPacket, RtpSession
from wizard.sip.sdp import SdpError, build_answer
from wizard.sip.transaction import ServerTransaction
from wizard.sip.transport import Flow

from .conftest import SCALE


@dataclass
class Uas:
    """The test UAS. ``users`` maps usernames to HA1; ``mode`` is answer, ring or busy.

    ``auth=False`` makes it an open application; ``contact`` overrides its Contact.
    """

    users: dict[str, str] = field(default_factory=dict)
    mode: str = "answer"
    auth: bool = True
    contact_address: tuple[str, int] | None = None
    nonces: NonceStore = field(default_factory=NonceStore)
    ladder: list[tuple[str, str, SipMessage]] = field(default_factory=list)
    dialogs: list[Dialog] = field(default_factory=list)
    acks: list[SipRequest | None] = field(default_factory=list)
    byes: list[SipRequest] = field(default_factory=list)
    cancelled: list[ServerTransaction] = field(default_factory=list)
    rtp: list[RtpSession] = field(default_factory=list)
    endpoint: SipEndpoint | None = None

    def add_user(self, username: str, password: str) -> None:
        """Store a credential the way Plivo does: its HA1 only."""
        self.users[username] = compute_ha1(username, "app.plivo.com", password)

    def trace(self, direction: str, message: SipMessage, flow: Flow) -> None:
        """Record every message in and out, as the emulator's ladder does."""
        self.ladder.append((direction, flow.transport, message))

    def lines(self, direction: str | None = None) -> list[str]:
        """Start lines (responses as 'STATUS METHOD') of the ladder, retransmissions left out.

        Under load a 10 ms T1 fires before the answer arrives; repeats are correct SIP
        but would make the tests depend on the machine's speed.
        """
        out, seen = [], set()
        for way, _transport, msg in self.ladder:
            key = (way, msg.start_line(), msg.cseq)
            if (direction and way != direction) or key in seen:
                continue
            seen.add(key)
            text = f"{msg.status} {msg.cseq[1]}" if isinstance(msg, SipResponse) else msg.method
            out.append(text)
        return out

    async def on_request(self, request: SipRequest, txn: ServerTransaction) -> None:
        """The handler: OPTIONS, BYE, and INVITE with digest, SDP and RTP echo."""
        if request.method == "OPTIONS":
            txn.respond(200, headers={"Allow": ALLOW})
        elif request.method == "BYE":
            self.byes.append(request)
            txn.respond(200)
        elif request.method != "INVITE":
            txn.respond(405, headers={"Allow": ALLOW})
        elif not self.auth or self.authorized(request, txn):
            await self.invite(request, txn)

    def authorized(self, request: SipRequest, txn: ServerTransaction) -> bool:
        """Digest check: 407 without (or with stale) credentials, 403 when wrong."""
        value = request.headers.get("Proxy-Authorization")
        if value is None:
            challenge = self.nonces.challenge()
            txn.respond(407, headers={"Proxy-Authenticate": challenge.to_header()})
            return False
        try:
            creds = parse_authorization(value)
        except DigestError:
            txn.respond(400)
            return False
        state = self.nonces.check(creds.nonce)
        if state is not NonceState.VALID:
            stale = state is NonceState.STALE
            challenge = self.nonces.challenge(stale=stale)
            txn.respond(407, headers={"Proxy-Authenticate": challenge.to_header()})
            return False
        ha1 = self.users.get(creds.username)
        if ha1 is None or not verify_response(creds, method=request.method, ha1=ha1):
            txn.respond(403)
            return False
        return True

    async def invite(self, request: SipRequest, txn: ServerTransaction) -> None:
        """Ring, then answer with SDP (echoing RTP), or stay ringing, or be busy."""
        if self.mode == "busy":
            txn.respond(486)
            self.acks.append(await txn.wait_ack())
            return
        txn.respond(180)
        if self.mode == "ring":
            await txn.cancelled.wait()
            self.cancelled.append(txn)
            return
        try:
            rtp = await RtpSession.open("127.0.0.1", 0)
            answer = build_answer(request.body, "127.0.0.1", rtp.local[1])
        except SdpError:
            txn.respond(488)
            return
        rtp.payload_type = answer.codec.payload_type
        rtp.set_remote(answer.remote)
        rtp.on_packet = lambda packet, rtp=rtp: self.echo(rtp, packet)
        self.rtp.append(rtp)
        response = txn.respond(
            200,
            headers={"Contact": self.contact(txn), "Content-Type": "application/sdp"},
            body=answer.sdp,
        )
        assert response is not None
        self.dialogs.append(Dialog.from_uas(request, response, txn.flow))
        self.acks.append(await txn.wait_ack())

    @staticmethod
    def echo(rtp: RtpSession, packet: RtpPacket) -> None:
        """Send the caller's audio straight back."""
        rtp.send_payload(packet.payload, marker=packet.marker)

    def contact(self, txn: ServerTransaction) -> str:
        """Our Contact for the transport the request came on."""
        assert self.endpoint is not None
        host, port = self.contact_address or self.endpoint.addresses[txn.transport]
        suffix = "" if txn.transport == "UDP" else f";transport={txn.transport.lower()}"
        return f"<sip:uas@{host}:{port}{suffix}>"

    async def hangup(self) -> SipResponse:
        """Send BYE on the latest dialog, as Plivo does when the XML ends."""
        assert self.endpoint is not None
        dialog = self.dialogs[-1]
        return await self.endpoint.send_request(dialog.request("BYE"), dialog.destination())

    async def close(self) -> None:
        """Stop media and the endpoint."""
        for session in self.rtp:
            session.close()
        if self.endpoint is not None:
            await self.endpoint.close()


async def start_uas(tls: ssl.SSLContext | None = None, **kw) -> Uas:
    """A UAS listening on UDP and TCP (one port) and, with ``tls``, on TLS."""
    uas = Uas(**kw)
    uas.endpoint = SipEndpoint(uas.on_request, timer_scale=SCALE, trace=uas.trace)
    await uas.endpoint.listen("127.0.0.1", 0)
    if tls is not None:
        await uas.endpoint.listen_tls(tls, "127.0.0.1", 0)
    await asyncio.sleep(0)
    return uas
