"""RFC 3261 transactions (section 17, with the RFC 6026 fix for 2xx to INVITE).

Server side: an INVITE transaction absorbs retransmitted INVITEs, retransmits its
final response over UDP (T1 doubling up to T2) until the ACK or Timer H/L, and
a non-INVITE one answers retransmissions with its last response. Client side:
Timer A/E retransmissions over UDP only, Timer B/F timeouts everywhere, and the
ACK for a non-2xx final. The ACK for a 2xx is end-to-end: the caller builds and
sends it (``SipEndpoint.send_ack``); the transaction resends it when the 2xx repeats.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.sip.errors import SipTimeout, SipTransportError
from wizard.sip.message import Headers, SipRequest, SipResponse, make_response, new_tag

if TYPE_CHECKING:
    from wizard.sip.transport import Flow

log = logging.getLogger("wizard.sip.transaction")


@dataclass(frozen=True)
class Timers:
    """RFC 3261 timer bases. ``scaled(0.02)`` makes every timer 50 times faster (tests)."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @classmethod
    def scaled(cls, scale: float) -> Timers:
        """Default timers multiplied by ``scale``."""
        return cls(0.5 * scale, 4.0 * scale, 5.0 * scale)

    @property
    def b(self) -> float:
        """64*T1: Timers B, F, H, J, L and M (and D, 32 s at default values)."""
        return 64 * self.t1


def build_ack(invite: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK for a non-2xx final response (RFC 3261 17.1.1.3), part of the INVITE transaction."""
    headers = Headers([("Via", invite.headers.values("Via")[0])])
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", response.headers.get("To") or "")
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq[0]} ACK")
    return SipRequest("ACK", invite.uri, headers)


def build_cancel(invite: SipRequest) -> SipRequest:
    """The CANCEL for a pending INVITE (RFC 3261 9.1): its branch, Call-ID, From, To and CSeq."""
    headers = Headers([("Via", invite.headers.values("Via")[0])])
    for route in invite.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    for name in ("From", "To"):
        headers.add(name, invite.headers.get(name) or "")
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq[0]} CANCEL")
    return SipRequest("CANCEL", invite.uri, headers)


class _Transaction:
    """Timers and termination shared by every transaction kind."""

    def __init__(self, layer: Any, request: SipRequest, flow: Flow) -> None:
        self.layer = layer
        self.request = request
        self.flow = flow
        self.reliable = flow.reliable
        self.timers: Timers = layer.timers
        self.state = "trying"
        self.final_response: SipResponse | None = None
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._loop = asyncio.get_running_loop()
        self._interval = self.timers.t1

    def _after(self, name: str, delay: float, callback: Callable[[], None]) -> None:
        self._cancel(name)
        self._handles[name] = self._loop.call_later(delay, callback)

    def _cancel(self, name: str) -> None:
        handle = self._handles.pop(name, None)
        if handle is not None:
            handle.cancel()

    def _terminate(self) -> None:
        if self.state == "terminated":
            return
        self.state = "terminated"
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        self.layer._forget(self)


class ServerTransaction(_Transaction):
    """A request received, and the way to answer it: ``respond`` and, for INVITE, ``wait_ack``.

    ``cancelled`` is set when a CANCEL arrived for this INVITE (it was then answered 487).
    """

    def __init__(
        self, layer: Any, request: SipRequest, flow: Flow, reply: Flow, key: tuple
    ) -> None:
        super().__init__(layer, request, flow)
        self.key = key
        self.is_invite = request.method == "INVITE"
        self.state = "proceeding" if self.is_invite else "trying"
        self.to_tag = request.to_addr.tag or new_tag()
        self.cancelled = asyncio.Event()
        self.last_response: SipResponse | None = None
        self.ack: SipRequest | None = None
        self._reply = reply
        self._bytes = b""
        self._ack_future: asyncio.Future[SipRequest | None] | None = None

    @property
    def source(self) -> tuple[str, int]:
        """The (ip, port) the request came from."""
        return self.flow.remote

    @property
    def transport(self) -> str:
        """UDP, TCP or TLS."""
        return self.flow.transport

    def respond(
        self,
        status: int | SipResponse,
        reason: str | None = None,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> SipResponse | None:
        """Send a response (built with this transaction's To tag unless one is given).
        None, and nothing sent, once a final went out (after a CANCEL the INVITE has its 487)."""
        if self.final_response is not None or self.state == "terminated":
            return None
        if isinstance(status, SipResponse):
            response = status
        else:
            response = make_response(
                self.request, status, reason, to_tag=self.to_tag, headers=headers, body=body
            )
        self.last_response = response
        self._bytes = response.to_bytes()
        self.layer._transmit(self._reply, self._bytes, response)
        if response.status < 200:
            if not self.is_invite:
                self.state = "proceeding"
            return response
        self.final_response = response
        if self.is_invite:
            self._invite_final(response)
        elif self.reliable:
            self.state = "completed"
            self._terminate()
        else:
            self.state = "completed"
            self._after("J", self.timers.b, self._terminate)
        return response

    def _invite_final(self, response: SipResponse) -> None:
        self.state = "accepted" if response.status < 300 else "completed"  # RFC 6026 for 2xx
        self.layer._final_sent(self)
        if not self.reliable:
            self._interval = self.timers.t1
            self._after("G", self._interval, self._retransmit)
        self._after("H", self.timers.b, self._no_ack)

    def _retransmit(self) -> None:
        if self.state not in ("completed", "accepted") or self.ack is not None:
            return
        self.layer._transmit(self._reply, self._bytes, self.last_response)
        self._interval = min(self._interval * 2, self.timers.t2)
        self._after("G", self._interval, self._retransmit)

    def _no_ack(self) -> None:
        if self.ack is None:
            log.debug("no ACK for %s %s", self.final_response and self.final_response.status, self)
        self._terminate()

    def _terminate(self) -> None:
        super()._terminate()
        if self._ack_future is not None and not self._ack_future.done():
            self._ack_future.set_result(self.ack)

    def _on_retransmission(self, request: SipRequest) -> None:
        # RFC 6026: a retransmitted INVITE in "accepted" is absorbed; Timer G covers the 2xx
        if self.state in ("proceeding", "completed") and self.last_response is not None:
            self.layer._transmit(self._reply, self._bytes, self.last_response)

    def _on_ack(self, ack: SipRequest) -> None:
        if self.ack is not None or self.state not in ("completed", "accepted"):
            return  # a retransmitted ACK: absorbed
        self.ack = ack
        self._cancel("G")
        if self._ack_future is not None and not self._ack_future.done():
            self._ack_future.set_result(ack)
        if self.state == "completed":
            self.state = "confirmed"
            self._cancel("H")
            if self.reliable:
                self._terminate()
            else:
                self._after("I", self.timers.t4, self._terminate)
        # accepted: Timer L (kept in "H") still absorbs INVITE retransmissions

    def _on_cancel(self) -> bool:
        """CANCEL arrived: answer the pending INVITE 487. False when it was already final."""
        if not self.is_invite or self.final_response is not None:
            return False
        self.cancelled.set()
        self.respond(487)
        return True

    async def wait_ack(self) -> SipRequest | None:
        """The ACK for the final response; None when none came within 64*T1."""
        if self.ack is not None or self.state == "terminated":
            return self.ack
        if self._ack_future is None:
            self._ack_future = self._loop.create_future()
        return await asyncio.shield(self._ack_future)

    def __repr__(self) -> str:
        return f"<ServerTransaction {self.request.method} {self.state} {self.flow!r}>"


class ClientTransaction(_Transaction):
    """A request sent: ``next_response()`` yields provisionals then the final; ``final()``.

    Raises SipTimeout when Timer B/F fires first, SipTransportError when the connection drops.
    """

    def __init__(self, layer: Any, request: SipRequest, flow: Flow) -> None:
        super().__init__(layer, request, flow)
        self.is_invite = request.method == "INVITE"
        self.state = "calling" if self.is_invite else "trying"
        self.key = (request.top_via.branch or "", request.cseq[1])
        self.responses: list[SipResponse] = []
        self.started = self._loop.time()
        self._queue: asyncio.Queue[SipResponse | Exception] = asyncio.Queue()
        self._bytes = request.to_bytes()
        self._ack: tuple[Flow, bytes, SipRequest] | None = None

    def start(self) -> None:
        """Send the request and arm the timers."""
        self.layer._transmit(self.flow, self._bytes, self.request)
        if not self.reliable:
            self._after("A", self._interval, self._retransmit)
        self._after("B", self.timers.b, self._timeout)

    def _retransmit(self) -> None:
        if self.state not in ("calling", "trying", "proceeding"):
            return
        self.layer._transmit(self.flow, self._bytes, self.request)
        if self.is_invite:
            self._interval *= 2  # Timer A doubles without a cap
        elif self.state == "proceeding":
            self._interval = self.timers.t2
        else:
            self._interval = min(self._interval * 2, self.timers.t2)
        self._after("A", self._interval, self._retransmit)

    def _timeout(self) -> None:
        if self.final_response is None:
            what = "INVITE" if self.is_invite else self.request.method
            self._queue.put_nowait(SipTimeout(f"no final response to {what} within 64*T1"))
        self._terminate()

    def _fail(self, exc: Exception) -> None:
        if self.final_response is None and self.state != "terminated":
            self._queue.put_nowait(exc)
            self._terminate()

    def _on_response(self, response: SipResponse) -> None:
        if response.status < 200:
            if self.final_response is not None:
                return  # a provisional after the final: stale
            if self.is_invite and self.state == "calling":
                self._cancel("A")
                self._cancel("B")  # Timer B only runs in "calling"
            self.state = "proceeding"
            self.responses.append(response)
            self._queue.put_nowait(response)
            return
        if self.final_response is not None:
            self._on_repeated_final(response)
            return
        self.final_response = response
        self.responses.append(response)
        self._queue.put_nowait(response)
        self._cancel("A")
        self._cancel("B")
        if self.is_invite and response.status >= 300:
            ack = build_ack(self.request, response)
            self._ack = (self.flow, ack.to_bytes(), ack)
            self.layer._transmit(self.flow, self._ack[1], ack)
            self.state = "completed"
            self._after("D", 0 if self.reliable else self.timers.b, self._terminate)
        elif self.is_invite:
            self.state = "accepted"  # RFC 6026 Timer M: 2xx retransmissions reach us
            self._after("M", self.timers.b, self._terminate)
        else:
            self.state = "completed"
            self._after("K", 0 if self.reliable else self.timers.t4, self._terminate)

    def _on_repeated_final(self, response: SipResponse) -> None:
        if self.is_invite and self._ack is not None:
            flow, data, ack = self._ack
            self.layer._transmit(flow, data, ack)

    def abandon(self) -> None:
        """Stop waiting (and retransmitting): the caller gave up; waiters get SipTimeout."""
        if self.final_response is None and self.state != "terminated":
            self._queue.put_nowait(SipTimeout("gave up waiting for a final response"))
        self._terminate()

    def set_ack(self, flow: Flow, data: bytes, ack: SipRequest) -> None:
        """Remember the 2xx ACK so a retransmitted 2xx gets it again."""
        self._ack = (flow, data, ack)

    async def next_response(self) -> SipResponse:
        """The next response (provisional or final)."""
        item = await self._queue.get()
        if isinstance(item, Exception):
            raise item
        return item

    async def final(self) -> SipResponse:
        """Wait for the final response, skipping provisionals."""
        if self.final_response is not None:
            return self.final_response
        while True:
            response = await self.next_response()
            if response.status >= 200:
                return response

    def _terminate(self) -> None:
        super()._terminate()
        if self.final_response is None and self._queue.empty():
            self._queue.put_nowait(SipTransportError("transaction ended without an answer"))

    def __repr__(self) -> str:
        return f"<ClientTransaction {self.request.method} {self.state} {self.flow!r}>"
