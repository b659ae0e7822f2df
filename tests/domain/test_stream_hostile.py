"""Broken and hostile agents: each gets a clear verdict, and byon never hangs or crashes.

Every peer here is a real server on 127.0.0.1. Timeouts are short so that a
hang would show up as the check running into pytest's own limits, not as a
timing assertion.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from wizard.stream.check import stream_check


@asynccontextmanager
async def raw_tcp(handler):
    """A bare TCP server: ``handler(reader, writer)``; yields its ws:// URL and the handler log."""
    log: list[str] = []

    async def wrapped(reader, writer):
        try:
            await handler(reader, writer, log)
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/ws", log
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def ws_peer(handler, *, path="/ws"):
    """An aiohttp WebSocket server; records when each connection ended."""
    ended: list[bool] = []

    async def endpoint(request):
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        try:
            await handler(ws)
        except (ConnectionError, RuntimeError):
            pass  # byon hung up on us: expected for the hostile ones
        finally:
            ended.append(True)
        return ws

    app = web.Application()
    app.router.add_get(path, endpoint)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}", ended
    finally:
        await runner.cleanup()


async def _read_request(reader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


async def _check_while_ticking(url, **kwargs):
    """Run a check while another task ticks: the event loop must stay free throughout."""
    ticks = 0
    stop = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        report = await stream_check(url, **kwargs)
    finally:
        stop.set()
        await task
    return report, ticks


def _assert_failed_cleanly(report):
    assert not report.ok
    assert report.verdict.endswith((".", ")"))
    assert report.errors, "a failure always carries a sentence"
    json.loads(report.to_json())  # the --json object is still produced
    assert "FAIL: " in report.human()


async def test_closes_mid_handshake():
    async def handler(reader, writer, log):
        await _read_request(reader)
        log.append("request read")
        # Close without answering the upgrade.

    async with raw_tcp(handler) as (url, log):
        report = await stream_check(url, seconds=0.2, timeout=3)
    assert log and set(log) == {"request read"}  # (aiohttp retries a dropped GET once)
    _assert_failed_cleanly(report)
    assert report.handshake.ok is False
    assert "closed the connection during the WebSocket handshake" in report.verdict


async def test_never_answers_the_handshake():
    async def handler(reader, writer, log):
        await _read_request(reader)
        log.append("request read")
        await asyncio.sleep(30)

    async with raw_tcp(handler) as (url, log):
        report = await stream_check(url, seconds=0.2, timeout=0.5)
    assert log == ["request read"]
    _assert_failed_cleanly(report)
    assert report.handshake.ok is False and report.handshake.status is None
    assert "No answer to the WebSocket handshake" in report.verdict
    assert "within 0.5 s" in report.verdict


async def test_http_404_instead_of_an_upgrade():
    async with ws_peer(lambda ws: asyncio.sleep(0), path="/elsewhere") as (base, _ended):
        report = await stream_check(base + "/ws", seconds=0.2, timeout=3)
    _assert_failed_cleanly(report)
    assert report.handshake.status == 404
    assert "answered HTTP 404 instead of a WebSocket upgrade" in report.verdict
    assert "check the URL's path" in report.verdict


async def test_nothing_listening():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is free again once the socket is closed: nothing listens there.
    report = await stream_check(f"ws://127.0.0.1:{port}/ws", seconds=0.2, timeout=3)
    _assert_failed_cleanly(report)
    assert "Could not connect to 127.0.0.1" in report.verdict
    assert "connection refused, nothing listens there" in report.verdict


async def test_garbage_json_flood():
    async def flood(ws):
        await ws.receive()  # start
        for _ in range(5000):
            await ws.send_str("{this is not json")
        async for _msg in ws:  # until byon hangs up
            pass

    async with ws_peer(flood) as (url, ended):
        report, ticks = await _check_while_ticking(url + "/ws", seconds=0.3, timeout=1)
    _assert_failed_cleanly(report)
    assert report.verdict.startswith("The agent sent a message that is not JSON: '{this is not")
    assert report.verdict.endswith("(5000 times)")
    assert len(report.errors) == 2  # the garbage, once with a count, then the missing audio
    assert "No audio came back within 1 s" in report.errors[1]
    assert ticks > 0
    assert ended == [True]  # byon closed the connection: nothing left half-open


async def test_json_that_is_not_a_message():
    async def odd(ws):
        await ws.receive()
        await ws.send_str("[1, 2, 3]")
        await ws.send_str('{"no": "event"}')
        await asyncio.sleep(30)

    async with ws_peer(odd) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=0.2, timeout=1)
    _assert_failed_cleanly(report)
    assert 'JSON without an "event" field' in report.errors[0]
    assert "(2 times)" in report.errors[0]


async def test_ten_megabyte_frame():
    async def huge(ws):
        await ws.receive()
        await ws.send_str(
            json.dumps({"event": "playAudio", "media": {"payload": "A" * (10 * 1024 * 1024)}})
        )
        await asyncio.sleep(30)

    async with ws_peer(huge) as (url, ended):
        report, ticks = await _check_while_ticking(url + "/ws", seconds=0.3, timeout=3)
    _assert_failed_cleanly(report)
    assert report.verdict.startswith("The agent sent a frame over 1 MiB")
    assert report.audio_received is False and report.bytes_received == 0
    assert ticks > 0
    assert ended == [True]


async def test_connected_but_never_answers():
    async def silent(ws):
        async for _msg in ws:
            pass

    async with ws_peer(silent) as (url, ended):
        report = await stream_check(url + "/ws", seconds=0.2, timeout=1)
    _assert_failed_cleanly(report)
    assert report.handshake.ok
    assert report.audio_received is False
    assert report.verdict.startswith("No audio came back within 1 s of the first frame")
    assert report.frames_sent >= 50  # it kept streaming (silence) for the whole timeout
    assert ended == [True]


async def test_binary_frames():
    async def binary(ws):
        async for msg in ws:
            if json.loads(msg.data)["event"] == "media":
                await ws.send_bytes(b"\xff" * 160)

    async with ws_peer(binary) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=0.2, timeout=1)
    _assert_failed_cleanly(report)
    assert report.verdict.startswith("The agent sent a binary frame; Plivo expects JSON text")


async def test_closes_mid_stream():
    async def rude(ws):
        count = 0
        async for _msg in ws:
            count += 1
            if count == 5:
                await ws.close(code=1011, message=b"boom")
                return

    async with ws_peer(rude) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=1, timeout=3)
    _assert_failed_cleanly(report)
    assert report.verdict.startswith("The agent closed the stream early (close code 1011)")
    assert report.close_code == 1011


@pytest.mark.parametrize(
    ("media", "expected"),
    [
        ({"payload": "@@not base64@@"}, "payload is not valid base64"),
        ({"contentType": "audio/x-mulaw", "sampleRate": 8000}, "without media.payload"),
        ({"payload": ""}, "empty payload"),
    ],
)
async def test_broken_play_audio(media, expected):
    async def broken(ws):
        async for msg in ws:
            if json.loads(msg.data)["event"] == "media":
                await ws.send_json({"event": "playAudio", "media": media})

    async with ws_peer(broken) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=0.2, timeout=1)
    _assert_failed_cleanly(report)
    assert expected in report.verdict
    assert report.audio_received is False


async def test_checkpoint_spam_is_bounded():
    async def spam(ws):
        await ws.receive()
        await ws.send_json(
            {
                "event": "playAudio",
                "media": {
                    "contentType": "audio/x-mulaw",
                    "sampleRate": 8000,
                    "payload": base64.b64encode(b"\xff" * 160).decode(),
                },
            }
        )
        for i in range(3000):
            await ws.send_json({"event": "checkpoint", "name": f"c{i}"})
        async for _msg in ws:
            pass

    async with ws_peer(spam) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=0.3, timeout=3)
    assert report.events["checkpoint"] == 3000
    assert len(report.checkpoints_answered) == 100  # the report stays small
    assert report.ok


async def test_invented_event_names_are_bounded():
    async def inventive(ws):
        await ws.receive()
        for i in range(500):
            await ws.send_json({"event": f"made-up-{i}"})
        async for _msg in ws:
            pass

    async with ws_peer(inventive) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=0.2, timeout=1)
    assert len(report.events) <= 51
    assert report.events["(other)"] == 450
    _assert_failed_cleanly(report)


@pytest.mark.parametrize(
    "content_type",
    ["\x1b]0;PWNED\x07\x1b[31mred", "audio/x-evil\nbyon: FAKE verified", "\x9b2J\x1bc" * 40],
    ids=["osc-sgr", "newline", "c1-ris-long"],
)
async def test_hostile_content_type_is_shown_inert(content_type):
    payload = base64.b64encode(b"\xff" * 160).decode()

    async def hostile(ws):
        async for msg in ws:
            if json.loads(msg.data)["event"] == "media":
                media = {"contentType": content_type, "sampleRate": 8000, "payload": payload}
                await ws.send_json({"event": "playAudio", "media": media})

    async with ws_peer(hostile) as (url, _ended):
        report = await stream_check(url + "/ws", seconds=0.2, timeout=1)
    problems = report.format.get("problems", [])
    shown = report.human() + report.verdict + " ".join(problems)
    assert "\x1b" not in shown and "\x9b" not in shown and "\nbyon: fake" not in shown.lower()
    assert not any("\n" in p for p in problems)
    assert "The agent answered" in shown and max(len(p) for p in problems) < 600
