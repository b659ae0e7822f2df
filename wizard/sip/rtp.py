"""RTP (RFC 3550): packets, a small jitter buffer, and a paced asyncio endpoint.

Sending is paced at one frame per 20 ms against absolute deadlines on the loop's
clock, so scheduling delays do not add up into drift. Receiving puts packets back
in order through a jitter buffer that holds at most ``depth`` packets past a gap.
No RTCP: byon's calls are short tests, and nothing here needs reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import struct
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass

from wizard.sip import media
from wizard.sip.sdp import PCMA, PCMU

log = logging.getLogger("wizard.sip.rtp")
FRAME_SECONDS = 0.020
_HEADER = struct.Struct(">BBHII")
_MAX_GAP = 3000  # a jump larger than this is a restarted sender, not loss


class RtpError(ValueError):
    """Bytes that are not an RTP packet."""


@dataclass(frozen=True)
class RtpPacket:
    """One RTP packet (fixed header, CSRCs and payload; extensions are skipped on parse)."""

    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrcs: tuple[int, ...] = ()

    def to_bytes(self) -> bytes:
        """The packet on the wire."""
        first = 0x80 | len(self.csrcs)
        second = (0x80 if self.marker else 0) | (self.payload_type & 0x7F)
        head = _HEADER.pack(
            first, second, self.seq & 0xFFFF, self.timestamp & 0xFFFFFFFF, self.ssrc & 0xFFFFFFFF
        )
        return head + b"".join(struct.pack(">I", c) for c in self.csrcs) + self.payload


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse an RTP packet; RtpError for anything else (RTCP included)."""
    if len(data) < 12:
        raise RtpError("shorter than an RTP header")
    first, second, seq, timestamp, ssrc = _HEADER.unpack_from(data)
    if first >> 6 != 2:
        raise RtpError("not RTP version 2")
    if 72 <= (second & 0x7F) <= 76:
        raise RtpError("RTCP, not RTP")
    offset = 12 + 4 * (first & 0x0F)
    csrcs = struct.unpack_from(f">{first & 0x0F}I", data, 12) if len(data) >= offset else None
    if csrcs is None:
        raise RtpError("truncated CSRC list")
    if first & 0x10:  # header extension: skip it
        if len(data) < offset + 4:
            raise RtpError("truncated header extension")
        (words,) = struct.unpack_from(">H", data, offset + 2)
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding: the last byte counts it
        end -= data[-1]
    if end < offset:
        raise RtpError("truncated packet")
    return RtpPacket(
        second & 0x7F, seq, timestamp, ssrc, bytes(data[offset:end]), bool(second & 0x80), csrcs
    )


@dataclass
class RtpStats:
    """Counters of one RTP session."""

    sent: int = 0
    received: int = 0  # valid RTP packets that arrived (late and duplicate ones included)
    delivered: int = 0  # audio packets handed on, in order
    lost: int = 0  # sequence numbers skipped over
    late: int = 0  # arrived after their turn was played or skipped
    duplicates: int = 0
    invalid: int = 0  # datagrams that were not RTP
    other: int = 0  # RTP packets of other payload types (DTMF events, comfort noise)

    def to_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for JSON reports)."""
        return asdict(self)


class JitterBuffer:
    """Reorders packets by sequence number, holding at most ``depth`` packets past a gap.

    In-order packets come out at once; a gap is waited for until more than ``depth``
    packets are held (or ``flush``), then counted as lost. Packets older than what
    came out are late and dropped. Counting needs no clock, so tests are exact.
    """

    def __init__(self, depth: int = 3) -> None:
        self.depth = depth
        self.lost = self.late = self.duplicates = 0
        self._held: dict[int, RtpPacket] = {}
        self._next: int | None = None
        self._highest: int | None = None

    @property
    def pending(self) -> int:
        """Packets held, waiting for a gap to fill."""
        return len(self._held)

    def reset(self) -> None:
        """Forget the stream (a new SSRC started)."""
        self._held.clear()
        self._next = self._highest = None

    def _extend(self, seq: int) -> int:
        if self._highest is None:
            return seq + 0x10000  # room below for packets that arrive early-reordered
        delta = (seq - self._highest) & 0xFFFF
        if delta >= 0x8000:
            delta -= 0x10000
        return self._highest + delta

    def push(self, packet: RtpPacket) -> list[RtpPacket]:
        """Add a packet; return the packets now ready, in order."""
        ext = self._extend(packet.seq)
        if self._next is None:
            self._next = ext
        if ext < self._next:
            self.late += 1
            return []
        if ext in self._held:
            self.duplicates += 1
            return []
        self._held[ext] = packet
        self._highest = ext if self._highest is None else max(self._highest, ext)
        return self._release(force=False)

    def flush(self) -> list[RtpPacket]:
        """Give up on every gap: return all held packets in order."""
        return self._release(force=True)

    def _release(self, *, force: bool) -> list[RtpPacket]:
        out: list[RtpPacket] = []
        while self._held and self._next is not None:
            if self._next in self._held:
                out.append(self._held.pop(self._next))
                self._next += 1
            elif force or len(self._held) > self.depth:
                lowest = min(self._held)
                if lowest - self._next <= _MAX_GAP:
                    self.lost += lowest - self._next
                self._next = lowest
            else:
                break
        return out


class RtpSession(asyncio.DatagramProtocol):
    """One RTP stream over UDP: paced sending, in-order receiving, counters.

    ``on_packet`` gets each in-order audio packet; with ``record`` the decoded PCM
    accumulates in ``received_pcm``. The remote address comes from the SDP
    (``set_remote``) or, with ``latch``, from the first packet received.
    """

    def __init__(
        self,
        *,
        payload_type: int = PCMU,
        jitter: int = 3,
        record: bool = False,
        latch: bool = True,
        on_packet: Callable[[RtpPacket], None] | None = None,
    ) -> None:
        self.payload_type = payload_type
        self.record = record
        self.latch = latch
        self.on_packet = on_packet
        self.stats = RtpStats()
        self.received_pcm = bytearray()
        self.remote: tuple[str, int] | None = None
        self.ssrc = secrets.randbits(32)
        self.frame_seconds = FRAME_SECONDS
        self._seq = secrets.randbits(16)
        self._timestamp = secrets.randbits(32)
        self._jitter = JitterBuffer(jitter)
        self._remote_ssrc: int | None = None
        self._latched = False
        self._transport: asyncio.DatagramTransport | None = None
        self._queue: deque[bytes] = deque()
        self._pacer: asyncio.Task | None = None
        self._drained = asyncio.Event()
        self._drained.set()
        self._next_slot: float | None = None
        self._flush_timer: asyncio.TimerHandle | None = None
        # pacing clock and sleep: replaceable, so tests check the schedule without waiting
        self.clock: Callable[[], float] = lambda: asyncio.get_running_loop().time()
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    async def open(
        cls, host: str = "127.0.0.1", port: int = 0, *, remote: tuple[str, int] | None = None, **kw
    ) -> RtpSession:
        """Bind a session on ``host:port`` (0: any free port)."""
        session = cls(**kw)
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: session, local_addr=(host, port))
        if remote:
            session.set_remote(remote)
        return session

    @property
    def local(self) -> tuple[str, int]:
        """The (host, port) this session is bound to."""
        assert self._transport is not None, "session not open"
        return self._transport.get_extra_info("sockname")[:2]

    def set_remote(self, address: tuple[str, int] | None) -> None:
        """Send to ``address`` from now on (None: wait to latch onto the first sender)."""
        self.remote = address
        self._latched = address is not None

    # asyncio.DatagramProtocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """asyncio: the socket is bound."""
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        """asyncio: one datagram; RTP goes through the jitter buffer, junk is counted."""
        try:
            packet = parse_rtp(data)
        except RtpError:
            self.stats.invalid += 1
            return
        if self.latch and not self._latched:
            self.remote, self._latched = (addr[0], addr[1]), True
        self.stats.received += 1
        if packet.payload_type not in (PCMU, PCMA):
            self.stats.other += 1
            return
        if packet.ssrc != self._remote_ssrc:
            self._deliver(self._jitter.flush())
            self._jitter.reset()
            self._remote_ssrc = packet.ssrc
        self._deliver(self._jitter.push(packet))
        self._sync_counters()
        if self._jitter.pending and self._flush_timer is None:
            # a gap no later packet fills would hold audio back forever: give up on it
            delay = self._jitter.depth * self.frame_seconds
            self._flush_timer = asyncio.get_running_loop().call_later(delay, self._timed_flush)

    def error_received(self, exc: Exception) -> None:
        """asyncio: ICMP errors (the far end went away) are not worth more than a debug line."""
        log.debug("RTP socket error: %s", exc)

    def _timed_flush(self) -> None:
        self._flush_timer = None
        self._deliver(self._jitter.flush())
        self._sync_counters()

    def _sync_counters(self) -> None:
        self.stats.lost = self._jitter.lost
        self.stats.late = self._jitter.late
        self.stats.duplicates = self._jitter.duplicates

    def _deliver(self, packets: list[RtpPacket]) -> None:
        for packet in packets:
            self.stats.delivered += 1
            if self.record:
                with contextlib.suppress(ValueError):
                    self.received_pcm += media.decode(packet.payload_type, packet.payload)
            if self.on_packet is not None:
                try:
                    self.on_packet(packet)
                except Exception:  # a consumer's bug must not kill the socket
                    log.exception("RTP packet callback failed")

    def send_payload(self, payload: bytes, *, marker: bool = False) -> None:
        """Send one packet now (unpaced) and advance seq and timestamp."""
        if self._transport is None or self.remote is None or self._transport.is_closing():
            return
        packet = RtpPacket(
            self.payload_type, self._seq, self._timestamp, self.ssrc, payload, marker
        )
        self._transport.sendto(packet.to_bytes(), self.remote)
        self.stats.sent += 1
        self._seq = (self._seq + 1) & 0xFFFF
        self._timestamp = (self._timestamp + len(payload)) & 0xFFFFFFFF  # G.711: 1 byte/sample

    def play(self, payloads: Iterable[bytes]) -> None:
        """Queue frames to be sent, one every 20 ms (after what is already queued)."""
        self._queue.extend(payloads)
        if self._queue and self._pacer is None:
            self._drained.clear()
            self._pacer = asyncio.get_running_loop().create_task(self._pace())

    @property
    def queued(self) -> int:
        """Frames queued by ``play`` and not sent yet."""
        return len(self._queue)

    def clear(self) -> int:
        """Drop the frames not yet sent (Plivo's clearAudio); return how many."""
        count = len(self._queue)
        self._queue.clear()
        return count

    async def drain(self) -> None:
        """Wait until every queued frame was sent (or cleared)."""
        await self._drained.wait()

    async def send_frames(self, payloads: Iterable[bytes]) -> None:
        """Send frames paced at 20 ms and return when the last one left."""
        self.play(payloads)
        await self.drain()

    async def send_pcm(self, pcm: bytes) -> None:
        """Encode 16-bit PCM in the session's codec and send it paced."""
        await self.send_frames(media.frames(self.payload_type, pcm))

    async def send_silence(self, seconds: float) -> None:
        """Send ``seconds`` of silence, paced (keeps NAT bindings and media timers alive)."""
        frame = media.silence(self.payload_type)
        await self.send_frames([frame] * max(1, round(seconds / self.frame_seconds)))

    async def _pace(self) -> None:
        start = self.clock()
        if self._next_slot is not None and start > self._next_slot:
            # idle since the last frame: the timestamp keeps counting through the silence
            idle = int((start - self._next_slot) / self.frame_seconds)
            self._timestamp = (self._timestamp + idle * media.SAMPLES_PER_FRAME) & 0xFFFFFFFF
        index = 0
        try:
            while self._queue:
                # absolute deadlines: a late wake-up shortens the next wait, nothing adds up
                delay = start + index * self.frame_seconds - self.clock()
                if delay > 0:
                    await self.sleep(delay)
                if not self._queue:
                    break
                self.send_payload(self._queue.popleft(), marker=index == 0)
                index += 1
                self._next_slot = start + index * self.frame_seconds
        finally:
            self._pacer = None
            self._drained.set()

    def close(self) -> None:
        """Stop sending, deliver what the jitter buffer holds, and close the socket."""
        self._queue.clear()
        if self._pacer is not None:
            self._pacer.cancel()
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self._deliver(self._jitter.flush())
        self._sync_counters()
        if self._transport is not None:
            self._transport.close()
