"""Floods and slow sockets against the real listener over loopback (issue 10, #6 and #10).

Bounded by construction: a few hundred requests and sockets, each test stops by itself.
Figures (RSS, latency under 10,000 requests) are in benchmarks/listener_flood.py.
"""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from tests.domain.test_verify_support import PASSWORD, expectation, make_app
from wizard.verify.listener import MAX_BODY, Listener, simulate
from wizard.verify.signature import ReplayStore

FLOOD = 300
SHOWN = 5  # guard.SHOWN_PER_WINDOW


async def unsigned_flood(url: str, n: int, size: int) -> list[int]:
    """``n`` unsigned POSTs with ``size``-byte bodies, 50 connections at a time."""
    body = {"CallUUID": "flood", "From": "+14155550142", "Pad": "x" * size}
    conn = aiohttp.TCPConnector(limit=50)
    async with aiohttp.ClientSession(connector=conn) as http:

        async def one(_i: int) -> int:
            async with http.post(url, data=body) as resp:
                await resp.read()
                return resp.status

        return await asyncio.gather(*(one(i) for i in range(n)))


async def test_an_unsigned_flood_is_bounded_summarised_and_a_genuine_call_passes(emulator, client):
    seen = []
    lis = Listener(
        emulator.auth_token, client=client, on_event=seen.append, replays=ReplayStore(None)
    )
    await lis.start("127.0.0.1", 0)
    try:
        app_id = await make_app(client, lis.answer_url, "credential")
        lis.expectation = expectation("credential", app_id)
        flood = asyncio.create_task(unsigned_flood(lis.answer_url, FLOOD, 32 * 1024))
        await asyncio.sleep(0)  # the flood is under way when the call arrives
        res = await simulate(emulator, "correct", lis.expectation, password=PASSWORD)
        statuses = await flood
        oversized = await unsigned_flood(lis.answer_url, 20, MAX_BODY + 1)
    finally:
        await lis.stop()
    assert res.outcome["callback"]["http_status"] == 200 and res.diagnosis.verdict == "pass"
    assert statuses == [403] * FLOOD and oversized == [413] * 20
    calls = [e for e in seen if e.kind == "answer" and not e.rejected]
    assert len(calls) == 1 and calls[0].passed and calls[0].confirmed
    # the first few rejections are shown one by one, the rest in one summary line
    shown = [e for e in seen if e.rejected]
    assert len(shown) == SHOWN
    [summary] = [e for e in seen if e.kind == "summary"]
    hidden = FLOOD + 20 - SHOWN
    assert f"{hidden} more unsigned or forged requests rejected" in summary.diagnosis
    assert len(lis.events) <= SHOWN + 2


async def test_rows_kept_are_bounded():
    lis = Listener("token-rows-0000000000000000", replays=ReplayStore(None))
    lis.tally.shown = 10_000  # show every rejection: only the kept list bounds them
    await lis.start("127.0.0.1", 0)
    try:
        statuses = await unsigned_flood(lis.answer_url, 1200, 10)
    finally:
        await lis.stop()
    assert statuses == [403] * 1200
    assert len(lis.events) <= 1000 and lis.events[-1].rejected


def _slow_socket(port: int) -> socket.socket:
    """A connection that sends half a request line and then nothing (slowloris)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /answer HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    s.setblocking(False)
    return s


def _closed_by_peer(s: socket.socket) -> bool:
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


async def test_slow_sockets_cannot_lock_out_a_genuine_callback(emulator, client, capsys):
    cap = 32
    seen = []
    lis = Listener(
        emulator.auth_token,
        client=client,
        on_event=seen.append,
        replays=ReplayStore(None),
        max_connections=cap,
    )
    await lis.start("127.0.0.1", 0)
    port = int(lis.local_url.rsplit(":", 1)[1])
    sockets = []
    try:
        app_id = await make_app(client, lis.answer_url, "ip_acl")
        lis.expectation = expectation("ip_acl", app_id)
        for _ in range(cap * 3):
            sockets.append(_slow_socket(port))
            await asyncio.sleep(0)  # let the listener accept each one
        await asyncio.sleep(0.1)
        assert lis.connections <= cap
        res = await simulate(emulator, "correct", lis.expectation)
        assert res.outcome["callback"]["http_status"] == 200 and res.diagnosis.verdict == "pass"
        assert sum(_closed_by_peer(s) for s in sockets) >= cap * 2
    finally:
        for s in sockets:
            s.close()
        await lis.stop()
    [summary] = [e for e in seen if e.kind == "summary"]
    assert "excess connections closed" in summary.diagnosis
    assert "Traceback" not in capsys.readouterr().err


async def test_a_connection_that_never_finishes_its_headers_is_closed():
    lis = Listener("token-slow-000000000000000", replays=ReplayStore(None), header_timeout=0.2)
    await lis.start("127.0.0.1", 0)
    port = int(lis.local_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"POST /answer HTTP/1.1\r\nHost: x\r\n")
        await writer.drain()
        # the listener hangs up (EOF) instead of waiting for the rest for ever
        assert await asyncio.wait_for(reader.read(), 10) == b""
    finally:
        writer.close()
        await lis.stop()


@pytest.mark.parametrize("missing", [10, 60_000])
async def test_a_body_that_never_arrives_in_full_gets_408(missing):
    seen = []
    lis = Listener(
        "token-body-000000000000000",
        replays=ReplayStore(None),
        body_timeout=0.2,
        on_event=seen.append,
    )
    await lis.start("127.0.0.1", 0)
    port = int(lis.local_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        length = 20 + missing
        writer.write(
            b"POST /answer HTTP/1.1\r\nHost: x\r\nX-Plivo-Signature-V3: a\r\n"
            b"X-Plivo-Signature-V3-Nonce: b\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
            + b"CallUUID=x&From=%2B1"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readline(), 10)
        assert head.startswith(b"HTTP/1.1 408")
    finally:
        writer.close()
        await lis.stop()
    assert seen[0].answered_with == "408" and "too slow" in seen[0].diagnosis


async def test_malformed_http_is_counted_and_a_bug_is_one_line_never_a_traceback(capsys):
    from wizard.verify.listener import signed_headers

    token = "token-quiet-00000000000000"
    lis = Listener(token, replays=ReplayStore(None))
    await lis.start("127.0.0.1", 0)
    port = int(lis.local_url.rsplit(":", 1)[1])
    try:
        for junk in (b"\x16\x03\x01\x02\x00garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(junk)
            await writer.drain()
            await asyncio.wait_for(reader.read(), 10)
            writer.close()
        lis.expectation = None  # a bug of byon's own: judging a callback raises
        params = {"CallUUID": "c1", "From": "+14155550142"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                lis.answer_url,
                data=params,
                headers=signed_headers("POST", lis.answer_url, params, token),
            ) as resp,
        ):
            assert resp.status == 500
    finally:
        await lis.stop()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("byon: listener error: AttributeError") == 1
