"""SIP transports over asyncio: UDP datagrams, and TCP/TLS streams framed by Content-Length.

A ``Flow`` is where a message came from and how to answer it: the UDP socket and
the peer's address, or one stream connection. The endpoint never needs more.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from wizard.sip.errors import SipParseError
from wizard.sip.message import KEEPALIVE, StreamFramer
from wizard.sip.uri import SipUri, parse_uri

log = logging.getLogger("wizard.sip.transport")
TRANSPORTS = ("UDP", "TCP", "TLS")
DEFAULT_PORTS = {"UDP": 5060, "TCP": 5060, "TLS": 5061}

DataCallback = Callable[[bytes, "Flow"], None]


def _address(value: tuple | None) -> tuple[str, int]:
    return (str(value[0]), int(value[1])) if value else ("", 0)


@dataclass(frozen=True)
class Target:
    """Where to send a request: host, port, transport, and the TLS name to verify."""

    host: str
    port: int = 5060
    transport: str = "UDP"
    server_hostname: str | None = field(default=None, compare=False)
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "transport", self.transport.upper())
        if self.transport not in TRANSPORTS:
            raise ValueError(f"unknown SIP transport {self.transport!r}")

    @classmethod
    def from_uri(cls, uri: SipUri | str, transport: str | None = None) -> Target:
        """The next hop a URI names: its host and port, ``transport=`` (sips: means TLS)."""
        if isinstance(uri, str):
            uri = parse_uri(uri)
        kind = (transport or uri.transport or ("TLS" if uri.scheme == "sips" else "UDP")).upper()
        if kind == "TCP" and uri.scheme == "sips":
            kind = "TLS"
        return cls(uri.host, uri.port or DEFAULT_PORTS.get(kind, 5060), kind)


class Flow:
    """One way to reach a peer: a transport name, both addresses, and ``send``."""

    transport: str = "UDP"
    reliable: bool = False
    local: tuple[str, int] = ("", 0)
    remote: tuple[str, int] = ("", 0)

    def send(self, data: bytes) -> None:  # pragma: no cover - overridden
        """Send bytes to the peer (never blocks; errors are logged by the caller)."""
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        """True once the flow can no longer carry messages."""
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.transport} {self.local} -> {self.remote}>"


class UdpFlow(Flow):
    """The endpoint's UDP socket, aimed at one peer address."""

    transport = "UDP"
    reliable = False

    def __init__(
        self, sock: asyncio.DatagramTransport, local: tuple[str, int], remote: tuple[str, int]
    ) -> None:
        self.sock, self.local, self.remote = sock, local, remote

    def send(self, data: bytes) -> None:
        """Send one datagram."""
        if not self.sock.is_closing():
            self.sock.sendto(data, self.remote)

    def to(self, remote: tuple[str, int]) -> UdpFlow:
        """The same socket aimed at another address (responses follow Via, RFC 3261 18.2.2)."""
        return UdpFlow(self.sock, self.local, remote)

    @property
    def closed(self) -> bool:
        """True once the socket is closed."""
        return self.sock.is_closing()


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, on_data: DataCallback) -> None:
        self.on_data = on_data
        self.sock: asyncio.DatagramTransport | None = None
        self.local = ("", 0)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """asyncio: the socket is bound."""
        self.sock = transport  # type: ignore[assignment]
        self.local = _address(transport.get_extra_info("sockname"))

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        """asyncio: one datagram, one message, with a flow to answer on."""
        assert self.sock is not None
        self.on_data(data, UdpFlow(self.sock, self.local, _address(addr)))

    def error_received(self, exc: Exception) -> None:
        """asyncio: ICMP errors are normal for SIP over UDP; a debug line is enough."""
        log.debug("UDP error (ICMP unreachable?): %s", exc)


class StreamConnection(Flow, asyncio.Protocol):
    """One TCP or TLS connection, framing its byte stream into SIP messages."""

    reliable = True

    def __init__(
        self,
        transport_name: str,
        on_data: DataCallback,
        on_closed: Callable[[StreamConnection], None],
        on_open: Callable[[StreamConnection], None] | None = None,
    ) -> None:
        self.transport = transport_name
        self.on_data = on_data
        self.on_closed = on_closed
        self.on_open = on_open
        self.framer = StreamFramer()
        self._stream: asyncio.Transport | None = None
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """asyncio: connected (or accepted); note both addresses."""
        self._stream = transport  # type: ignore[assignment]
        self.local = _address(transport.get_extra_info("sockname"))
        self.remote = _address(transport.get_extra_info("peername"))
        if self.on_open is not None:
            self.on_open(self)

    def data_received(self, data: bytes) -> None:
        """asyncio: bytes in; complete messages go on, pings get their pong."""
        try:
            frames = self.framer.feed(data)
        except SipParseError:
            log.debug("closing %r: the stream cannot be framed", self)
            self.close()
            return
        for frame in frames:
            if frame is KEEPALIVE:
                self.send(b"\r\n")  # RFC 5626 pong
            else:
                self.on_data(frame, self)

    def connection_lost(self, exc: Exception | None) -> None:
        """asyncio: the peer or we closed the connection."""
        self._closed = True
        self.on_closed(self)

    def send(self, data: bytes) -> None:
        """Write bytes to the connection."""
        if self._stream is not None and not self._closed and not self._stream.is_closing():
            self._stream.write(data)

    @property
    def closed(self) -> bool:
        """True once the connection is closed or closing."""
        return self._closed or self._stream is None or self._stream.is_closing()

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        """The TLS session (peer certificate, version, cipher), or None on TCP."""
        return self._stream.get_extra_info("ssl_object") if self._stream else None

    def close(self) -> None:
        """Close the connection."""
        if self._stream is not None:
            self._stream.close()


async def open_udp(host: str, port: int, on_data: DataCallback) -> tuple[_UdpProtocol, tuple]:
    """Bind a UDP socket on ``host:port``; every datagram goes to ``on_data``."""
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(
        lambda: _UdpProtocol(on_data), local_addr=(host, port)
    )
    return protocol, protocol.local


async def serve_stream(
    host: str,
    port: int,
    transport_name: str,
    on_data: DataCallback,
    on_open: Callable[[StreamConnection], None],
    on_closed: Callable[[StreamConnection], None],
    ssl_context: ssl.SSLContext | None = None,
) -> asyncio.Server:
    """Listen for TCP (or TLS with ``ssl_context``) connections carrying SIP."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: StreamConnection(transport_name, on_data, on_closed, on_open),
        host,
        port,
        ssl=ssl_context,
        reuse_address=True,
    )


async def connect_stream(
    host: str,
    port: int,
    transport_name: str,
    on_data: DataCallback,
    on_closed: Callable[[StreamConnection], None],
    *,
    ssl_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    local_host: str | None = None,
) -> StreamConnection:
    """Open a TCP (or TLS) connection to ``host:port``, bound to ``local_host`` if given."""
    loop = asyncio.get_running_loop()
    kwargs: dict = {}
    if ssl_context is not None:
        kwargs["ssl"] = ssl_context
        kwargs["server_hostname"] = server_hostname or host
    if local_host:
        kwargs["local_addr"] = (local_host, 0)
    _, conn = await loop.create_connection(
        lambda: StreamConnection(transport_name, on_data, on_closed), host, port, **kwargs
    )
    return conn
