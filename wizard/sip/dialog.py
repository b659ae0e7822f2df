"""Dialogs (RFC 3261 section 12): what both sides need to send BYE (or anything) in a call.

Route sets come from Record-Route (reversed on the caller's side), the remote
target from Contact. Only loose routing (``;lr``) is supported; every proxy
written this century does it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from wizard.sip.message import Headers, SipMessage, SipRequest, SipResponse
from wizard.sip.transport import Flow, Target
from wizard.sip.uri import NameAddr, SipUri, parse_name_addr


@dataclass
class Dialog:
    """One side of a call: Call-ID, both tags, remote target, route set and our CSeq."""

    call_id: str
    local: NameAddr
    remote: NameAddr
    remote_target: SipUri
    route_set: list[str] = field(default_factory=list)
    local_cseq: int = 0
    flow: Flow | None = field(default=None, repr=False)

    @property
    def local_tag(self) -> str | None:
        """Our tag."""
        return self.local.tag

    @property
    def remote_tag(self) -> str | None:
        """The peer's tag."""
        return self.remote.tag

    @classmethod
    def from_uac(
        cls, invite: SipRequest, response: SipResponse, flow: Flow | None = None
    ) -> Dialog:
        """The caller's dialog, from its INVITE and the 2xx (or 1xx with a To tag)."""
        contacts = response.contacts
        target = contacts[0].uri if contacts else invite.request_uri
        routes = list(reversed(response.headers.values("Record-Route")))
        return cls(
            invite.call_id, invite.from_addr, response.to_addr, target, routes,
            invite.cseq[0], flow,
        )  # fmt: skip

    @classmethod
    def from_uas(
        cls, invite: SipRequest, response: SipResponse, flow: Flow | None = None
    ) -> Dialog:
        """The callee's dialog, from the INVITE received and the 2xx sent."""
        contacts = invite.contacts
        target = contacts[0].uri if contacts else invite.from_addr.uri
        routes = invite.headers.values("Record-Route")
        return cls(invite.call_id, response.to_addr, invite.from_addr, target, routes, 0, flow)

    def matches(self, message: SipMessage) -> bool:
        """True when ``message`` belongs to this dialog (Call-ID and both tags)."""
        if message.call_id != self.call_id:
            return False
        if isinstance(message, SipRequest):  # a request from the peer: From is theirs
            ours, theirs = message.to_addr.tag, message.from_addr.tag
        else:
            ours, theirs = message.from_addr.tag, message.to_addr.tag
        return ours == self.local_tag and theirs == self.remote_tag

    def request(
        self,
        method: str,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes = b"",
        cseq: int | None = None,
    ) -> SipRequest:
        """A new in-dialog request (CSeq incremented unless ``cseq`` is given, as for ACK)."""
        if cseq is None:
            self.local_cseq += 1
            cseq = self.local_cseq
        out = Headers([(("Route", r)) for r in self.route_set])
        out.add("From", str(self.local))
        out.add("To", str(self.remote))
        out.add("Call-ID", self.call_id)
        out.add("CSeq", f"{cseq} {method}")
        if isinstance(headers, Mapping):
            headers = headers.items()
        for name, value in headers or ():
            out.add(name, value)
        return SipRequest(method, str(self.remote_target), out, body)

    def ack(self, invite_cseq: int) -> SipRequest:
        """The end-to-end ACK for a 2xx to the INVITE with CSeq ``invite_cseq``."""
        return self.request("ACK", cseq=invite_cseq)

    def target(self) -> Target:
        """The next hop: the first route if any, else the remote target."""
        uri = parse_name_addr(self.route_set[0]).uri if self.route_set else self.remote_target
        fallback = self.flow.transport if self.flow is not None else None
        return Target.from_uri(uri, uri.transport or fallback)

    def destination(self) -> Target | Flow:
        """Where in-dialog requests go: the call's open TCP/TLS connection, else ``target()``.
        Reusing the connection reaches callers that cannot accept one (NAT, TLS clients)."""
        if self.flow is not None and self.flow.reliable and not self.flow.closed:
            return self.flow
        return self.target()
