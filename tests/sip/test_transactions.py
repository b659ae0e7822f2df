"""Transactions and transports over real loopback sockets: retransmissions, ACK, CANCEL,
timers, framing on TCP, and malformed input that never stops the endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

from wizard.sip.client import SipClient
from wizard.sip.endpoint import SipEndpoint
from wizard.sip.errors import SipTimeout
from wizard.sip.message import Headers, SipRequest, make_response, new_branch, parse_message
from wizard.sip.transaction import build_cancel
from wizard.sip.transport import Target

from .conftest import SCALE, until
from .uas import start_uas


class Datagrams(asyncio.DatagramProtocol):
    """A raw UDP peer: every datagram received lands in ``queue``."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.sock: asyncio.DatagramTransport | None = None

    def connection_made(self, transport):
        self.sock = transport

    def datagram_received(self, data, addr):
        self.queue.put_nowait(data)

    @property
    def port(self) -> int:
        return self.sock.get_extra_info("sockname")[1]

    async def message(self):
        return parse_message(await asyncio.wait_for(self.queue.get(), 5))


@contextlib.asynccontextmanager
async def raw_udp():
    loop = asyncio.get_running_loop()
    sock, peer = await loop.create_datagram_endpoint(Datagrams, local_addr=("127.0.0.1", 0))
    try:
        yield peer
    finally:
        sock.close()


def request_bytes(method, port, *, branch=None, call_id="call-1", cseq=1, to_tag=None):
    to = "<sip:app@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    return (
        f"{method} sip:app@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch={branch or new_branch()};rport\r\n"
        f"From: <sip:raw@127.0.0.1>;tag=raw1\r\nTo: {to}\r\nCall-ID: {call_id}\r\n"
        f"CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


@contextlib.asynccontextmanager
async def server(handler):
    """An endpoint on UDP+TCP with ``handler``; yields (endpoint, port, calls)."""
    calls = []

    async def counted(request, txn):
        calls.append((request, txn))
        await handler(request, txn)

    endpoint = SipEndpoint(counted, timer_scale=SCALE)
    _, port = await endpoint.listen("127.0.0.1", 0)
    try:
        yield endpoint, port, calls
    finally:
        await endpoint.close()


async def test_final_is_retransmitted_until_ack_and_retransmitted_invites_are_absorbed():
    acks = []

    async def busy(request, txn):
        txn.respond(486)
        acks.append(await txn.wait_ack())

    async with server(busy) as (_endpoint, port, calls), raw_udp() as peer:
        invite = request_bytes("INVITE", peer.port, branch="z9hG4bKfixed")
        peer.sock.sendto(invite, ("127.0.0.1", port))
        assert (await peer.message()).status == 100
        finals = [await peer.message(), await peer.message(), await peer.message()]
        assert [m.status for m in finals] == [486, 486, 486]  # we "lost" two ACKs
        peer.sock.sendto(invite, ("127.0.0.1", port))  # a late retransmission: absorbed
        to_tag = finals[0].to_addr.tag
        ack = request_bytes("ACK", peer.port, branch="z9hG4bKfixed", to_tag=to_tag)
        peer.sock.sendto(ack, ("127.0.0.1", port))
        await until(lambda: len(acks) == 1)
        assert len(calls) == 1 and acks[0].method == "ACK"


async def test_without_ack_timer_h_gives_up():
    acks = []

    async def busy(request, txn):
        txn.respond(486)
        acks.append(await txn.wait_ack())

    async with server(busy) as (_endpoint, port, _calls), raw_udp() as peer:
        peer.sock.sendto(request_bytes("INVITE", peer.port), ("127.0.0.1", port))
        await until(lambda: len(acks) == 1)
        assert acks == [None]
        statuses = []
        while not peer.queue.empty():
            statuses.append((await peer.message()).status)
        assert statuses[0] == 100 and statuses.count(486) >= 3  # Timer G retransmissions


async def test_2xx_is_retransmitted_until_the_client_acks_again_after_a_lost_ack():
    uas = await start_uas(auth=False)
    relay = await Relay.start(uas.endpoint.addresses["UDP"], drop=lambda d: d.startswith(b"ACK"))
    uas.contact_address = relay.front_address  # in-dialog requests pass the relay too
    try:
        async with SipClient(timer_scale=SCALE) as client:
            call = await client.call(Target(*relay.front_address), "sip:app@x", "sip:a@b")
            assert (await call.wait_final(5)).status == 200
            await until(lambda: len(uas.acks) == 1)  # the 200 repeats until the ACK gets there
            await call.bye()
        assert call.result.ended_by == "local" and len(uas.byes) == 1
        assert len(relay.dropped) == 1  # the first ACK never arrived
        assert uas.acks[0] is not None  # ...the client re-sent it when the 200 came again
        oks = [m for way, _, m in uas.ladder if way == "out" and m.cseq == (1, "INVITE")]
        assert sum(m.status == 200 for m in oks) >= 2  # the 200 was sent again
    finally:
        relay.close()
        await uas.close()


class Relay:
    """A UDP hop in front of a server that drops the first datagram ``drop`` picks."""

    def __init__(self, server, drop):
        self.server, self.drop = server, drop
        self.client = None
        self.dropped = []

    @classmethod
    async def start(cls, server, drop):
        relay = cls(server, drop)
        loop = asyncio.get_running_loop()
        relay.front, _ = await loop.create_datagram_endpoint(
            lambda: _Side(relay.from_client), local_addr=("127.0.0.1", 0)
        )
        relay.back, _ = await loop.create_datagram_endpoint(
            lambda: _Side(relay.from_server), local_addr=("127.0.0.1", 0)
        )
        return relay

    @property
    def front_address(self):
        return self.front.get_extra_info("sockname")[:2]

    def from_client(self, data, addr):
        self.client = addr
        if not self.dropped and self.drop(data):
            self.dropped.append(data)
            return
        self.back.sendto(data, self.server)

    def from_server(self, data, addr):
        if self.client is not None:
            self.front.sendto(data, self.client)

    def close(self):
        self.front.close()
        self.back.close()


class _Side(asyncio.DatagramProtocol):
    def __init__(self, callback):
        self.callback = callback

    def datagram_received(self, data, addr):
        self.callback(data, addr)


async def test_non_invite_retransmission_gets_the_same_answer_once_handled():
    async def ok(request, txn):
        txn.respond(200, headers={"X-Count": "1"})

    async with server(ok) as (_endpoint, port, calls), raw_udp() as peer:
        options = request_bytes("OPTIONS", peer.port)
        peer.sock.sendto(options, ("127.0.0.1", port))
        first = await peer.message()
        peer.sock.sendto(options, ("127.0.0.1", port))
        second = await peer.message()
        assert first == second and first.status == 200 and len(calls) == 1


async def test_cancel_answers_200_then_487_and_unknown_cancel_gets_481():
    async def ringing(request, txn):
        txn.respond(180)
        await txn.cancelled.wait()
        assert txn.respond(200) is None  # too late: the 487 went out

    async with server(ringing) as (_endpoint, port, calls), raw_udp() as peer:
        invite_bytes = request_bytes("INVITE", peer.port, branch="z9hG4bKc1")
        peer.sock.sendto(invite_bytes, ("127.0.0.1", port))
        assert [(await peer.message()).status for _ in range(2)] == [100, 180]
        cancel = build_cancel(parse_message(invite_bytes))
        peer.sock.sendto(cancel.to_bytes(), ("127.0.0.1", port))
        got = {(m.status, m.cseq[1]) for m in [await peer.message(), await peer.message()]}
        assert got == {(200, "CANCEL"), (487, "INVITE")}
        stray = request_bytes("CANCEL", peer.port, branch="z9hG4bKnothing")
        peer.sock.sendto(stray, ("127.0.0.1", port))
        answer = await peer.message()
        while answer.cseq[1] != "CANCEL":  # skip 487 retransmissions (no ACK sent)
            answer = await peer.message()
        assert answer.status == 481
        await until(lambda: calls[0][1].cancelled.is_set())


@pytest.mark.parametrize(("transport", "copies"), [("UDP", "many"), ("TCP", "one")])
async def test_client_retransmits_over_udp_only_and_times_out(transport, copies):
    received = []
    loop = asyncio.get_running_loop()
    if transport == "UDP":
        sink, peer = await loop.create_datagram_endpoint(Datagrams, local_addr=("127.0.0.1", 0))
        port, closer = peer.port, sink.close
    else:

        async def swallow(reader, writer):
            try:
                while data := await reader.read(65536):
                    received.append(data)
            finally:
                writer.close()

        listener = await asyncio.start_server(swallow, "127.0.0.1", 0)
        port, closer = listener.sockets[0].getsockname()[1], listener.close
    endpoint = SipEndpoint(timer_scale=SCALE)
    try:
        request = SipRequest("OPTIONS", "sip:x@127.0.0.1", _headers("OPTIONS"))
        with pytest.raises(SipTimeout):
            await endpoint.send_request(request, Target("127.0.0.1", port, transport))
        if transport == "UDP":
            assert peer.queue.qsize() >= 4  # Timer E: T1, 2T1, 4T1, T2...
        else:
            frames = b"".join(received).count(b"OPTIONS sip:x@127.0.0.1")
            assert frames == 1
    finally:
        await endpoint.close()
        closer()


def _headers(method, cseq=1):
    return Headers(
        [("From", "<sip:a@127.0.0.1>;tag=1"), ("To", "<sip:x@127.0.0.1>"),
         ("Call-ID", new_branch()), ("CSeq", f"{cseq} {method}")]
    )  # fmt: skip


async def test_malformed_udp_is_dropped_and_the_endpoint_keeps_serving():
    async def ok(request, txn):
        txn.respond(200)

    async with server(ok) as (_endpoint, port, calls), raw_udp() as peer:
        good = request_bytes("OPTIONS", peer.port)
        for junk in [b"\x00\xff garbage", good.replace(b"CSeq: 1", b"CSeq: x"), b"\r\n\r\n",
                     good.replace(b"SIP/2.0\r\n", b"SIP/9\r\n", 1), good[:40]]:  # fmt: skip
            peer.sock.sendto(junk, ("127.0.0.1", port))
        peer.sock.sendto(good, ("127.0.0.1", port))
        answer = await peer.message()
        assert answer.status == 200 and peer.queue.empty() and len(calls) == 1


async def test_tcp_answers_400_keeps_the_connection_and_frames_split_and_glued_messages():
    async def ok(request, txn):
        txn.respond(200)

    async with server(ok) as (_endpoint, port, _calls):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            bad = request_bytes("OPTIONS", 5060).replace(b"Max-Forwards", b"Contact: <sip:x")
            writer.write(bad.replace(b"UDP", b"TCP"))
            answer = await _read_message(reader)
            assert answer.status == 400 and answer.cseq == (1, "OPTIONS")
            bad_cseq = request_bytes("OPTIONS", 5060).replace(b"CSeq: 1 OPTIONS", b"CSeq: one")
            writer.write(bad_cseq)
            raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            assert raw.startswith(b"SIP/2.0 400 ") and b'Warning: 399 byon "malformed CSeq"' in raw
            writer.write(b"\r\n\r\n")  # keep-alive ping
            assert await asyncio.wait_for(reader.readexactly(2), 5) == b"\r\n"
            first, second, third = (request_bytes("OPTIONS", 5060) for _ in range(3))
            for i in range(0, len(first), 9):  # one message cut into tiny writes
                writer.write(first[i : i + 9])
                await writer.drain()
            writer.write(second + third)  # two glued
            statuses = [(await _read_message(reader)).status for _ in range(3)]
            assert statuses == [200, 200, 200]
        finally:
            writer.close()


async def _read_message(reader):
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    message = parse_message(head)
    assert message.body == b""
    return message


async def test_handler_failure_answers_500_and_silence_answers_500():
    async def broken(request, txn):
        if request.method == "OPTIONS":
            raise RuntimeError("bug in the handler")

    async with server(broken) as (_endpoint, port, _calls), raw_udp() as peer:
        peer.sock.sendto(request_bytes("OPTIONS", peer.port), ("127.0.0.1", port))
        assert (await peer.message()).status == 500
        peer.sock.sendto(request_bytes("INFO", peer.port), ("127.0.0.1", port))
        assert (await peer.message()).status == 500  # left unanswered
        peer.sock.sendto(request_bytes("INVITE", peer.port), ("127.0.0.1", port))
        assert [(await peer.message()).status for _ in range(2)] == [100, 500]


async def test_stray_responses_and_acks_are_ignored():
    async def ok(request, txn):
        txn.respond(200)

    async with server(ok) as (_endpoint, port, calls), raw_udp() as peer:
        stray = make_response(parse_message(request_bytes("OPTIONS", peer.port)), 200)
        peer.sock.sendto(stray.to_bytes(), ("127.0.0.1", port))
        peer.sock.sendto(request_bytes("ACK", peer.port), ("127.0.0.1", port))
        peer.sock.sendto(request_bytes("OPTIONS", peer.port), ("127.0.0.1", port))
        assert (await peer.message()).status == 200 and len(calls) == 1


async def test_ack_with_a_new_branch_still_stops_407_retransmissions():
    acks = []

    async def challenge(request, txn):
        txn.respond(407, headers={"Proxy-Authenticate": 'Digest realm="r", nonce="n"'})
        acks.append(await txn.wait_ack())

    async with server(challenge) as (_endpoint, port, _calls), raw_udp() as peer:
        peer.sock.sendto(request_bytes("INVITE", peer.port, call_id="sipp"), ("127.0.0.1", port))
        assert (await peer.message()).status == 100
        final = await peer.message()
        ack = request_bytes("ACK", peer.port, call_id="sipp", to_tag=final.to_addr.tag)
        peer.sock.sendto(ack, ("127.0.0.1", port))  # SIPp style: [branch] is a new one
        await until(lambda: len(acks) == 1)
        assert acks[0] is not None


async def test_rfc2543_peer_without_magic_cookie_is_matched_by_dialog():
    acks = []

    async def busy(request, txn):
        txn.respond(486)
        acks.append(await txn.wait_ack())

    async with server(busy) as (_endpoint, port, _calls), raw_udp() as peer:
        invite = request_bytes("INVITE", peer.port, branch="old1")
        peer.sock.sendto(invite, ("127.0.0.1", port))
        assert (await peer.message()).status == 100
        final = await peer.message()
        ack = request_bytes("ACK", peer.port, branch="old1", to_tag=final.to_addr.tag)
        peer.sock.sendto(ack, ("127.0.0.1", port))
        await until(lambda: len(acks) == 1)
        assert acks[0] is not None


def _mutations(seed, count):
    rng = random.Random(seed)
    extra = b"Contact: <sip:a@127.0.0.1:5070>\r\nRecord-Route: <sip:p;lr>"
    body = b"Content-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n"
    base = (
        request_bytes("INVITE", 5070)
        .replace(b"Max-Forwards: 70", extra)
        .replace(b"Content-Length: 0\r\n\r\n", body)
    )
    pieces = [b"\r\n", b":", b";", b"<", b">", b'"', b" ", b",", b"\x00", b"\xff", b"=", b"\r\n "]
    for _ in range(count):
        raw = bytearray(base)
        for _ in range(rng.randint(1, 5)):
            i = rng.randrange(len(raw))
            action = rng.choice(["flip", "delete", "insert"])
            if action == "flip":
                raw[i] = rng.randrange(256)
            elif action == "delete":
                del raw[i : i + rng.randint(1, 10)]
            else:
                raw[i:i] = rng.choice(pieces)
        yield bytes(raw)


async def test_mutated_traffic_never_raises_out_of_the_endpoint_nor_stops_it(caplog):
    async def answer(request, txn):
        txn.respond(486 if request.method == "INVITE" else 200)

    caplog.set_level("ERROR", logger="wizard.sip")
    async with server(answer) as (_endpoint, port, _calls), raw_udp() as peer:
        for data in _mutations(1, 300):
            peer.sock.sendto(data, ("127.0.0.1", port))
        for data in _mutations(2, 60):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(data)
            await writer.drain()
            writer.close()
        while not peer.queue.empty():
            peer.queue.get_nowait()
        options = request_bytes("OPTIONS", peer.port, call_id="after-the-storm")
        peer.sock.sendto(options, ("127.0.0.1", port))
        answer_ = await peer.message()
        while answer_.call_id != "after-the-storm":
            answer_ = await peer.message()
        assert answer_.status == 200
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []
