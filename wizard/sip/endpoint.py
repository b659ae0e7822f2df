"""The SIP endpoint: transports, transaction matching, and the request handler callback.

A server gives it ``on_request(request, server_txn)`` and listens; a client calls
``send_request``/``start_request``. Both at once work (a UAS sends BYE later).
Malformed input never escapes: on TCP/TLS it gets 400 when the headers allow an
answer (the connection stays), on UDP it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable

from wizard.sip.errors import SipParseError, SipTransportError
from wizard.sip.message import (
    SipMessage,
    SipRequest,
    SipResponse,
    make_response,
    new_branch,
    parse_message,
)
from wizard.sip.transaction import ClientTransaction, ServerTransaction, Timers
from wizard.sip.transport import (
    Flow,
    StreamConnection,
    Target,
    UdpFlow,
    connect_stream,
    open_udp,
    serve_stream,
)
from wizard.sip.uri import Via, format_host

log = logging.getLogger("wizard.sip.endpoint")
RequestHandler = Callable[[SipRequest, ServerTransaction], Awaitable[None]]
Trace = Callable[[str, SipMessage, Flow], None]
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS"
_REQUIRED = ("Via", "From", "To", "Call-ID", "CSeq")


def server_key(request: SipRequest) -> tuple:
    """The server transaction a request belongs to (RFC 3261 17.2.3); ACK maps to its INVITE."""
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    branch = via.branch or ""
    if branch.startswith("z9hG4bK"):
        return (branch, via.host.lower(), via.port, method)
    # RFC 2543 peers have no unique branch: fall back on the dialog and sequence
    return ("", request.call_id, request.cseq[0], request.from_addr.tag, str(via), method)


class SipEndpoint:
    """Transports plus transaction layer. ``timer_scale`` speeds every RFC 3261 timer up.

    ``on_request(request, txn)`` runs as a task per new request (INVITEs get 100 Trying
    first). It must send a final response before it returns; it may go on after that
    (media, a BYE later). Returning or raising without one sends 500 for it.
    A CANCEL is answered here (200, and 487 to the INVITE); the handler sees
    ``txn.cancelled`` set. ACKs go to ``txn.wait_ack()``, never to the handler.
    ``trace(direction, message, flow)`` sees every message that parsed, "in" or "out"
    (retransmissions included): the emulator's call ladder is built from it.
    """

    def __init__(
        self,
        on_request: RequestHandler | None = None,
        *,
        timer_scale: float = 1.0,
        timers: Timers | None = None,
        local_host: str = "127.0.0.1",
        user_agent: str | None = "byon",
        trace: Trace | None = None,
        client_ssl: ssl.SSLContext | None = None,
        connect_timeout: float = 5.0,
        advertised_host: str | None = None,
    ) -> None:
        self.on_request = on_request
        self.timers = timers or Timers.scaled(timer_scale)
        self.local_host = local_host
        self.user_agent = user_agent
        self.trace = trace
        self.client_ssl = client_ssl
        self.connect_timeout = connect_timeout
        self.advertised_host = advertised_host  # for Via when bound to 0.0.0.0 or behind NAT
        self.addresses: dict[str, tuple[str, int]] = {}
        self._udp = None
        self._servers: list[asyncio.Server] = []
        self._connections: dict[tuple[str, tuple[str, int]], StreamConnection] = {}
        self._connect_locks: dict[tuple[str, tuple[str, int]], asyncio.Lock] = {}
        self._server_txns: dict[tuple, ServerTransaction] = {}
        # INVITEs with a final response, by (Call-ID, CSeq): for ACKs with another branch
        self._finals: dict[tuple[str, int], ServerTransaction] = {}
        self._client_txns: dict[tuple[str, str], ClientTransaction] = {}
        self._tasks: set[asyncio.Task] = set()
        self._udp_lock = asyncio.Lock()
        self.closed = False

    # ---- listening -------------------------------------------------------------------
    async def listen_udp(self, host: str | None = None, port: int = 0) -> tuple[str, int]:
        """Bind the endpoint's UDP socket (also used for UDP requests it sends)."""
        self._udp, local = await open_udp(host or self.local_host, port, self._on_data)
        self.addresses["UDP"] = local
        return local

    async def listen_tcp(self, host: str | None = None, port: int = 0) -> tuple[str, int]:
        """Accept SIP over TCP."""
        return await self._listen_stream("TCP", host or self.local_host, port, None)

    async def listen_tls(
        self, ssl_context: ssl.SSLContext, host: str | None = None, port: int = 0
    ) -> tuple[str, int]:
        """Accept SIP over TLS with a server-side ``ssl_context``."""
        return await self._listen_stream("TLS", host or self.local_host, port, ssl_context)

    async def _listen_stream(
        self, kind: str, host: str, port: int, ctx: ssl.SSLContext | None
    ) -> tuple[str, int]:
        server = await serve_stream(
            host, port, kind, self._on_data, self._on_open, self._on_closed, ctx
        )
        self._servers.append(server)
        sockname = server.sockets[0].getsockname()
        self.addresses[kind] = (sockname[0], sockname[1])
        return self.addresses[kind]

    async def listen(self, host: str | None = None, port: int = 0) -> tuple[str, int]:
        """UDP and TCP on one port (a free one for 0, retried if TCP finds it taken)."""
        for _attempt in range(20):
            udp = await self.listen_udp(host, port)
            try:
                await self.listen_tcp(host, udp[1])
                return udp
            except OSError:
                self._udp.sock.close()  # type: ignore[union-attr]
                self._udp = None
                if port:
                    raise
        raise SipTransportError("no port free for both UDP and TCP")

    # ---- sending ---------------------------------------------------------------------
    async def _resolve(self, host: str, port: int) -> tuple[str, int]:
        try:
            return str(ipaddress.ip_address(host.strip("[]"))), port
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        family = socket.AF_UNSPEC
        if self._udp is not None and ":" not in self._udp.local[0]:
            family = socket.AF_INET
        infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_DGRAM)
        if not infos:
            raise SipTransportError(f"{host} does not resolve")
        return infos[0][4][0], infos[0][4][1]

    async def connect(self, target: Target) -> Flow:
        """A flow to ``target``: the UDP socket, or a TCP/TLS connection (reused when open)."""
        if self.closed:
            raise SipTransportError("endpoint closed")
        try:
            address = await self._resolve(target.host, target.port)
        except OSError as exc:
            raise SipTransportError(f"{target.host} does not resolve: {exc}") from exc
        if target.transport == "UDP":
            async with self._udp_lock:  # two first requests at once: still one socket
                if self._udp is None:
                    await self.listen_udp()
            return UdpFlow(self._udp.sock, self._udp.local, address)  # type: ignore[union-attr]
        key = (target.transport, address)
        lock = self._connect_locks.setdefault(key, asyncio.Lock())
        async with lock:
            conn = self._connections.get(key)
            if conn is not None and not conn.closed:
                return conn
            conn = await self._open(target, address)
            self._connections[key] = conn
            return conn

    async def _open(self, target: Target, address: tuple[str, int]) -> StreamConnection:
        ctx = None
        if target.transport == "TLS":
            ctx = target.ssl_context or self.client_ssl or ssl.create_default_context()
        try:
            return await asyncio.wait_for(
                connect_stream(
                    address[0],
                    address[1],
                    target.transport,
                    self._on_data,
                    self._on_closed,
                    ssl_context=ctx,
                    server_hostname=(target.server_hostname or target.host) if ctx else None,
                    local_host=self.local_host,
                ),
                self.connect_timeout,
            )
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            what = f"{target.transport} connection to {format_host(*address)}"
            raise SipTransportError(f"{what} failed: {exc or type(exc).__name__}") from exc

    def via_for(self, flow: Flow) -> Via:
        """A Via for a request leaving on ``flow``, with a new branch and ``rport``."""
        host, port = flow.local
        host = self.advertised_host or host
        return Via(flow.transport, host, port, (("branch", new_branch()), ("rport", None)))

    def _prepare(self, request: SipRequest, flow: Flow) -> None:
        if "Via" not in request.headers:
            request.headers.prepend("Via", str(self.via_for(flow)))
        if "Max-Forwards" not in request.headers:
            request.headers.add("Max-Forwards", "70")
        if self.user_agent and "User-Agent" not in request.headers:
            request.headers.add("User-Agent", self.user_agent)

    async def start_request(self, request: SipRequest, target: Target | Flow) -> ClientTransaction:
        """Send ``request`` in a new client transaction (Via, Max-Forwards added if missing)."""
        flow = target if isinstance(target, Flow) else await self.connect(target)
        if flow.closed:
            raise SipTransportError("the connection is closed")
        self._prepare(request, flow)
        txn = ClientTransaction(self, request, flow)
        if txn.key in self._client_txns:
            raise ValueError("a transaction with this branch is already running")
        self._client_txns[txn.key] = txn
        txn.start()
        return txn

    async def send_request(
        self,
        request: SipRequest,
        target: Target | Flow,
        *,
        on_provisional: Callable[[SipResponse], None] | None = None,
    ) -> SipResponse:
        """Send ``request`` and return its final response (SipTimeout after 64*T1)."""
        txn = await self.start_request(request, target)
        while True:
            response = await txn.next_response()
            if response.status >= 200:
                return response
            if on_provisional is not None:
                on_provisional(response)

    async def send_ack(
        self, ack: SipRequest, target: Target | Flow, invite: ClientTransaction | None = None
    ) -> Flow:
        """Send the end-to-end ACK for a 2xx; ``invite`` resends it if the 2xx repeats."""
        flow = target if isinstance(target, Flow) else await self.connect(target)
        self._prepare(ack, flow)
        data = ack.to_bytes()
        self._transmit(flow, data, ack)
        if invite is not None:
            invite.set_ack(flow, data, ack)
        return flow

    def _transmit(self, flow: Flow, data: bytes, message: SipMessage | None) -> None:
        try:
            flow.send(data)
        except (OSError, RuntimeError) as exc:
            log.debug("send on %r failed: %s", flow, exc)
        if self.trace is not None and message is not None:
            try:
                self.trace("out", message, flow)
            except Exception:
                log.exception("SIP trace callback failed")

    # ---- receiving -------------------------------------------------------------------
    def _on_open(self, conn: StreamConnection) -> None:
        self._connections[(conn.transport, conn.remote)] = conn

    def _on_closed(self, conn: StreamConnection) -> None:
        key = (conn.transport, conn.remote)
        if self._connections.get(key) is conn:
            del self._connections[key]
        for txn in list(self._client_txns.values()):
            if txn.flow is conn:
                txn._fail(SipTransportError(f"{conn.transport} connection closed"))

    def _on_data(self, data: bytes, flow: Flow) -> None:
        if self.closed or not data.strip(b"\r\n\t \0"):
            return  # keep-alives
        try:
            message = parse_message(data)
        except SipParseError as exc:
            self._malformed(exc, flow)
            return
        except Exception:
            log.exception("SIP parser failed unexpectedly")
            return
        try:
            if self.trace is not None:
                self.trace("in", message, flow)
            if isinstance(message, SipRequest):
                self._on_request(message, flow)
            else:
                self._on_response(message)
        except Exception:  # a bug here must not stop the edge
            log.exception("SIP endpoint failed on a %s", type(message).__name__)

    def _malformed(self, exc: SipParseError, flow: Flow) -> None:
        partial = exc.partial
        log.debug("malformed SIP from %s over %s: %s", flow.remote, flow.transport, exc)
        if not flow.reliable or not isinstance(partial, SipRequest) or partial.method == "ACK":
            return  # UDP: drop silently (RFC 3261 leaves no way to answer reliably)
        if any(not partial.headers.get(name) for name in _REQUIRED):
            return
        reason = str(exc).replace('"', "'")[:80]
        response = make_response(partial, 400, headers=[("Warning", f'399 byon "{reason}"')])
        self._transmit(flow, response.to_bytes(), response)

    def _stamp_via(self, request: SipRequest, flow: Flow) -> None:
        via = request.top_via
        ip, port = flow.remote
        stamped = via
        if via.host != ip or via.has_rport or via.received not in (None, ip):
            stamped = stamped.with_param("received", ip)
        if via.has_rport:
            stamped = stamped.with_param("rport", str(port))
        if stamped != via:
            request.set_top_via(stamped)

    def _reply_flow(self, request: SipRequest, flow: Flow) -> Flow:
        if flow.reliable or not isinstance(flow, UdpFlow):
            return flow
        via = request.top_via
        host = via.received or via.host
        port = via.rport or via.port or 5060
        try:
            ipaddress.ip_address(host)
        except ValueError:
            host = flow.remote[0]  # a name we will not resolve on the hot path
        return flow.to((host, port))

    def _on_request(self, request: SipRequest, flow: Flow) -> None:
        self._stamp_via(request, flow)
        key = server_key(request)
        if request.method == "ACK":
            txn = self._server_txns.get(key) or self._ack_by_dialog(request)
            if txn is not None:
                txn._on_ack(request)
            return  # a stray ACK has nobody to answer
        txn = self._server_txns.get(key)
        if txn is not None:
            txn._on_retransmission(request)
            return
        txn = ServerTransaction(self, request, flow, self._reply_flow(request, flow), key)
        self._server_txns[key] = txn
        if request.method == "CANCEL":
            self._on_cancel(txn)
            return
        if txn.is_invite:
            txn.respond(100)  # at once: stops the caller's Timer A
        if self.on_request is None:  # a bare endpoint still answers pings
            txn.respond(200 if request.method == "OPTIONS" else 501, headers={"Allow": "OPTIONS"})
            return
        task = asyncio.get_running_loop().create_task(self._handle(request, txn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_cancel(self, cancel: ServerTransaction) -> None:
        invite = self._server_txns.get((*cancel.key[:-1], "INVITE"))
        if invite is None:
            cancel.respond(481)
            return
        cancel.respond(200)  # RFC 3261 9.2: the CANCEL is answered on its own
        invite._on_cancel()

    async def _handle(self, request: SipRequest, txn: ServerTransaction) -> None:
        assert self.on_request is not None
        try:
            await self.on_request(request, txn)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("SIP request handler failed on %s", request.method)
            txn.respond(500)
            return
        if txn.final_response is None:  # a caller must never be left hanging
            txn.respond(500, "No Response From Handler")

    def _on_response(self, response: SipResponse) -> None:
        via = response.top_via
        txn = self._client_txns.get((via.branch or "", response.cseq[1]))
        if txn is not None:
            txn._on_response(response)
        else:
            log.debug("stray %s response to %s", response.status, response.cseq[1])

    # ---- bookkeeping -----------------------------------------------------------------
    def _ack_by_dialog(self, ack: SipRequest) -> ServerTransaction | None:
        # A 2xx ACK has its own branch (RFC 3261 13.2.2.4). SIPp scenarios also give the
        # ACK of a 407 a new branch; matching on Call-ID, CSeq and To tag keeps their
        # 407 from being retransmitted for 32 s at a caller that has moved on.
        txn = self._finals.get((ack.call_id, ack.cseq[0]))
        if txn is None or ack.to_addr.tag not in (txn.to_tag, None):
            return None
        return txn

    def _final_sent(self, txn: ServerTransaction) -> None:
        self._finals[(txn.request.call_id, txn.request.cseq[0])] = txn

    def _forget(self, txn: ServerTransaction | ClientTransaction) -> None:
        if isinstance(txn, ServerTransaction):
            if self._server_txns.get(txn.key) is txn:
                del self._server_txns[txn.key]
            fkey = (txn.request.call_id, txn.request.cseq[0])
            if self._finals.get(fkey) is txn:
                del self._finals[fkey]
        elif self._client_txns.get(txn.key) is txn:
            del self._client_txns[txn.key]

    async def close(self) -> None:
        """Stop every timer, handler task, listener and connection."""
        if self.closed:
            return
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        for txn in [*self._server_txns.values(), *self._client_txns.values()]:
            txn._terminate()
        for server in self._servers:
            server.close()
        for conn in list(self._connections.values()):
            conn.close()
        if self._udp is not None and self._udp.sock is not None:
            self._udp.sock.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.sleep(0)  # let transports run connection_lost

    async def __aenter__(self) -> SipEndpoint:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
