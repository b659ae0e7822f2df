"""RTP packets, G.711 both laws, the jitter buffer, and a paced session over loopback."""

from __future__ import annotations

import asyncio
import itertools
import struct
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.sip import media
from wizard.sip.rtp import JitterBuffer, RtpError, RtpPacket, RtpSession, parse_rtp
from wizard.sip.sdp import PCMA, PCMU

from .conftest import until


@settings(max_examples=100, deadline=None)
@given(
    pt=st.integers(0, 127).filter(lambda p: not 72 <= p <= 76),
    seq=st.integers(0, 0xFFFF),
    ts=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=200),
    marker=st.booleans(),
    csrcs=st.lists(st.integers(0, 0xFFFFFFFF), max_size=3).map(tuple),
)
def test_rtp_pack_parse_round_trip(pt, seq, ts, ssrc, payload, marker, csrcs):
    packet = RtpPacket(pt, seq, ts, ssrc, payload, marker, csrcs)
    assert parse_rtp(packet.to_bytes()) == packet


def test_rtp_parse_skips_extension_and_padding():
    head = struct.pack(">BBHII", 0x80 | 0x10 | 0x20, 0x80 | 8, 7, 160, 99)
    extension = struct.pack(">HH", 0xBEDE, 1) + b"\x01\x02\x03\x04"
    packet = parse_rtp(head + extension + b"abc" + b"\x00\x00\x03")
    assert (packet.payload_type, packet.seq, packet.marker, packet.payload) == (8, 7, True, b"abc")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80" * 11,
        b"\x40" + b"\x00" * 11,  # version 1
        struct.pack(">BBHII", 0x80, 200, 1, 1, 1),  # RTCP sender report
        struct.pack(">BBHII", 0x8F, 0, 1, 1, 1),  # 15 CSRCs announced, none present
        struct.pack(">BBHII", 0xA0, 0, 1, 1, 1) + b"\xff",  # padding longer than the packet
    ],
)
def test_rtp_parse_rejects_junk(data):
    with pytest.raises(RtpError):
        parse_rtp(data)


def _pcm(samples):
    return array("h", samples).tobytes()


def _samples(pcm):
    return array("h", pcm).tolist()


@pytest.mark.parametrize(("encode", "decode", "bound"), [
    (media.ulaw_encode, media.ulaw_decode, 16),
    (media.alaw_encode, media.alaw_decode, 32),
])  # fmt: skip
def test_g711_round_trip_within_quantisation_error(encode, decode, bound):
    values = [*range(-32768, 32768, 7), 32767, -32768, 0, 1, -1]
    decoded = _samples(decode(encode(_pcm(values))))
    for value, back in zip(values, decoded, strict=True):
        # both laws keep the error below a fixed fraction of the magnitude (plus a floor)
        assert abs(back - value) <= abs(value) / bound + 16, (value, back)


def test_g711_known_values_and_silence():
    assert media.silence(PCMU, 4) == b"\xff" * 4
    assert media.silence(PCMA, 4) == b"\xd5" * 4
    assert _samples(media.alaw_decode(b"\xd5\x55\x2a\xaa")) == [8, -8, -32256, 32256]
    assert _samples(media.ulaw_decode(b"\xff\x7f\x00\x80")) == [0, 0, -32124, 32124]
    for code in range(256):  # decode then encode gives the code back (both zeros aside)
        assert media.alaw_encode(media.alaw_decode(bytes([code]))) == bytes([code])
        if code not in (0x7F,):
            assert media.ulaw_encode(media.ulaw_decode(bytes([code]))) == bytes([code])


def test_frames_cut_and_pad_to_20ms():
    frames = media.frames(PCMU, _pcm([1000] * 400))
    assert [len(f) for f in frames] == [160, 160, 160]
    assert frames[-1][-1:] == b"\xff"  # padded with silence
    with pytest.raises(ValueError):
        media.encode(101, b"\0\0")


def _packets(seqs, ssrc=1):
    return [RtpPacket(0, s & 0xFFFF, 160 * s, ssrc, bytes([s & 0xFF])) for s in seqs]


def _drain(buffer, packets):
    out = []
    for packet in packets:
        out += buffer.push(packet)
    return [p.seq for p in out + buffer.flush()]


def test_jitter_buffer_reorders_without_loss():
    buffer = JitterBuffer(depth=3)
    assert _drain(buffer, _packets([10, 12, 11, 14, 13, 15])) == [10, 11, 12, 13, 14, 15]
    assert (buffer.lost, buffer.late, buffer.duplicates) == (0, 0, 0)


def test_jitter_buffer_skips_a_gap_after_depth_and_counts_late_and_duplicates():
    buffer = JitterBuffer(depth=2)
    out = [p.seq for p in buffer.push(_packets([1])[0])]
    for packet in _packets([3, 4, 4, 5]):  # 2 is missing; 4 arrives twice
        out += [p.seq for p in buffer.push(packet)]
    assert out == [1, 3, 4, 5] and buffer.lost == 1 and buffer.duplicates == 1
    assert buffer.push(_packets([2])[0]) == [] and buffer.late == 1


def test_jitter_buffer_handles_sequence_wrap():
    seqs = [65533, 65535, 65534, 0, 2, 1]
    buffer = JitterBuffer(depth=3)
    assert _drain(buffer, _packets(seqs)) == [65533, 65534, 65535, 0, 1, 2]
    assert buffer.lost == 0


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(20))), st.integers(1, 5))
def test_jitter_buffer_delivers_every_packet_once_in_order(order, depth):
    buffer = JitterBuffer(depth=depth)
    seqs = _drain(buffer, _packets([100 + i for i in order]))
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    assert len(seqs) + buffer.late == 20


async def test_rtp_sessions_exchange_paced_frames_and_decode_them():
    received = []
    b = await RtpSession.open("127.0.0.1", 0, payload_type=PCMA, record=True,
                              on_packet=received.append)  # fmt: skip
    a = await RtpSession.open("127.0.0.1", 0, payload_type=PCMA, remote=b.local)
    try:
        tone = _pcm([(i * 37 % 2000) - 1000 for i in range(160 * 5)])
        await a.send_pcm(tone)
        assert a.stats.sent == 5
        await until(lambda: len(received) >= 5)
        assert [p.seq for p in received] == [(received[0].seq + i) & 0xFFFF for i in range(5)]
        assert received[0].marker and not any(p.marker for p in received[1:])
        steps = {(q.timestamp - p.timestamp) & 0xFFFFFFFF for p, q in itertools.pairwise(received)}
        assert steps == {160}
        assert b.remote == a.local  # latched onto the sender
        assert len(b.received_pcm) == len(tone) and b.stats.delivered == 5
        pairs = zip(_samples(b.received_pcm), _samples(tone), strict=True)
        assert max(abs(x - y) for x, y in pairs) < 70
    finally:
        a.close()
        b.close()


async def test_rtp_clear_drops_what_is_queued():
    sink = await RtpSession.open("127.0.0.1", 0)
    source = await RtpSession.open("127.0.0.1", 0, remote=sink.local)
    try:
        source.play([media.silence(PCMU)] * 50)
        await asyncio.sleep(0)
        dropped = source.clear()
        await source.drain()
        assert dropped > 0 and source.stats.sent + dropped == 50
    finally:
        source.close()
        sink.close()


async def test_rtp_session_ignores_junk_and_counts_it():
    session = await RtpSession.open("127.0.0.1", 0)
    loop = asyncio.get_running_loop()
    sender, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                    remote_addr=session.local)  # fmt: skip
    try:
        sender.sendto(b"not rtp")
        sender.sendto(RtpPacket(101, 1, 0, 5, b"\x01\x00\x00\xa0").to_bytes())  # DTMF event
        sender.sendto(RtpPacket(0, 2, 0, 5, b"\xff" * 160).to_bytes())
        await until(lambda: session.stats.delivered >= 1)
        assert (session.stats.invalid, session.stats.other, session.stats.received) == (1, 1, 2)
    finally:
        sender.close()
        session.close()


async def test_pacing_uses_absolute_deadlines_so_late_wakeups_do_not_add_up():
    sink = await RtpSession.open("127.0.0.1", 0)
    source = await RtpSession.open("127.0.0.1", 0, remote=sink.local)
    now = [100.0]
    sent_at = []

    async def oversleeping(delay):
        now[0] += delay + 0.007  # every wake-up 7 ms late
        await asyncio.sleep(0)

    source.clock, source.sleep = (lambda: now[0]), oversleeping
    original = source.send_payload

    def send(payload, *, marker=False):
        sent_at.append(now[0])
        original(payload, marker=marker)

    source.send_payload = send
    try:
        await source.send_frames([media.silence(PCMU)] * 50)
        lateness = [t - (100.0 + 0.020 * i) for i, t in enumerate(sent_at)]
        assert len(sent_at) == 50 and max(lateness) <= 0.0071  # no drift, only the one wake-up
    finally:
        source.close()
        sink.close()
