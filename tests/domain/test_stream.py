"""stream_check against the echo agent and small purpose-built agents, all on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from wizard.errors import ByonError
from wizard.stream.audio import CONTENT_TYPES, parse_content_type, tone_samples
from wizard.stream.check import EchoAgent, check_url, stream_check


@asynccontextmanager
async def ws_agent(handler):
    """Serve ``handler(ws, request)`` as a WebSocket agent on a free loopback port."""

    async def endpoint(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await handler(ws, request)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", endpoint)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}/agent"
    finally:
        await runner.cleanup()


def play_mulaw_b64(payload: str, *, stream_id: str | None = None) -> dict:
    """An agent's playAudio message: base64 mu-law at 8 kHz, as Pipecat sends it."""
    msg = {
        "event": "playAudio",
        "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": payload},
    }
    if stream_id is not None:
        msg["streamId"] = stream_id
    return msg


def play_mulaw(audio: bytes, *, stream_id: str | None = None) -> dict:
    return play_mulaw_b64(base64.b64encode(audio).decode(), stream_id=stream_id)


@pytest.fixture
async def echo_agent():
    agent = EchoAgent("echo")
    await agent.start("127.0.0.1", 0)
    try:
        yield agent
    finally:
        await agent.stop()


@pytest.mark.parametrize("mode", ["echo", "tone"])
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_check_against_echo_agent(mode, content_type):
    agent = EchoAgent(mode)
    url = await agent.start("127.0.0.1", 0)
    try:
        report = await stream_check(url, content_type=content_type, seconds=0.5, timeout=5)
    finally:
        await agent.stop()
    fmt = parse_content_type(content_type)
    assert report.ok, report.to_dict()
    assert report.errors == []
    hs = report.handshake
    assert (hs.ok, hs.status, hs.tls, hs.subprotocol, hs.error) == (True, 101, False, None, "")
    assert report.audio_received and report.format_ok
    # the 0.5 s signal is 25 frames; a loaded machine may send silence after it until the
    # first echo is back (as Plivo streams on), and the agent answers those too
    n = report.frames_sent
    assert n >= 25
    assert report.frames_received == n  # every frame came back: none dropped
    assert report.bytes_received == n * fmt.frame_bytes
    assert report.audio_ms_received == pytest.approx(n * 20)
    assert report.first_audio_ms is not None and report.first_audio_ms >= 0
    assert report.format["received"] == [
        {"contentType": fmt.encoding, "sampleRate": fmt.sample_rate, "messages": n}
    ]
    assert "ws:// is unencrypted" in report.warnings[0]
    [stream] = agent.streams
    assert stream.start_seen
    assert stream.stream_id == report.stream_id and stream.call_id == report.call_id
    assert stream.content_type == fmt.content_type
    assert stream.media == n and stream.bad_messages == 0
    assert "in the negotiated format" in report.verdict


async def test_plivo_message_shapes():
    """start (with both streamIds), media every frame in order, as text frames; then the
    WebSocket closes, with no in-band stop (Plivo documents none)."""
    seen: list[dict] = []
    kinds: set = set()

    async def recorder(ws, request):
        async for msg in ws:
            kinds.add(msg.type)
            obj = json.loads(msg.data)
            seen.append(obj)
            if obj["event"] == "media":
                await ws.send_json(
                    play_mulaw_b64(obj["media"]["payload"], stream_id=seen[0]["streamId"])
                )

    async with ws_agent(recorder) as url:
        report = await stream_check(
            url,
            seconds=0.2,
            timeout=5,
            call_id="call-1",
            stream_id="st-1",
            account_id="MA1",
            extra_headers={"userId": "12345", "sessionId": "abcxyz"},
        )
    assert report.ok, report.to_dict()
    assert kinds == {aiohttp.WSMsgType.TEXT}
    start, *media = seen
    # Plivo's documented start: sequenceNumber 1, extra_headers as "k1=v1;k2=v2"
    assert start["event"] == "start" and start["sequenceNumber"] == 1
    assert start["streamId"] == "st-1"
    assert start["start"] == {
        "callId": "call-1",
        "streamId": "st-1",
        "accountId": "MA1",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
    }
    assert start["extra_headers"] == "userId=12345;sessionId=abcxyz"
    # the 0.2 s signal is 10 frames; a loaded machine may send silence after it until the
    # agent's first audio is back (as Plivo streams on): never fewer, and never a "stop"
    n = len(media)
    assert n >= 10 and n == report.frames_sent
    assert [m["event"] for m in media] == ["media"] * n
    assert [m["sequenceNumber"] for m in media] == list(range(2, n + 2))
    assert [m["media"]["chunk"] for m in media] == list(range(1, n + 1))
    for m in media:
        assert m["streamId"] == "st-1" and m["media"]["track"] == "inbound"
        assert m["media"]["timestamp"].isdigit()
        assert len(base64.b64decode(m["media"]["payload"])) == 160


async def test_no_extra_headers_is_an_empty_string():
    seen: list[dict] = []

    async def recorder(ws, request):
        async for msg in ws:
            seen.append(json.loads(msg.data))
            if seen[-1]["event"] == "media":
                await ws.send_json(play_mulaw_b64(seen[-1]["media"]["payload"]))

    async with ws_agent(recorder) as url:
        await stream_check(url, seconds=0.1, timeout=5)
    assert seen[0]["extra_headers"] == ""


async def test_extra_headers_reach_the_agent(echo_agent):
    report = await stream_check(
        echo_agent.ws_url, seconds=0.1, timeout=5, extra_headers={"X-Tenant": "acme"}
    )
    assert report.ok
    assert echo_agent.streams[0].headers["X-Tenant"] == "acme"


async def test_silent_start_keeps_streaming_until_the_agent_answers():
    """An agent that answers late (pipecat's parser waits for message 2) still passes."""

    async def late(ws, request):
        count = 0
        async for msg in ws:
            obj = json.loads(msg.data)
            count += 1
            if obj["event"] == "media" and count >= 30:  # after the 0.2 s of signal is over
                await ws.send_json(play_mulaw_b64(obj["media"]["payload"]))

    async with ws_agent(late) as url:
        report = await stream_check(url, seconds=0.2, timeout=5)
    assert report.ok, report.to_dict()
    assert report.frames_sent >= 29  # silence kept flowing after the 10 signal frames


async def test_checkpoint_is_answered_after_the_queued_audio_played():
    """playedStream comes back only once the audio queued before the checkpoint has played."""
    frames_before_played: list[int] = []

    async def agent(ws, request):
        media = 0
        async for msg in ws:
            obj = json.loads(msg.data)
            if obj["event"] == "start":
                half_second = bytes([0xFF]) * 4000
                await ws.send_json(play_mulaw(half_second))
                await ws.send_json({"event": "checkpoint", "name": "greeting"})
            elif obj["event"] == "media":
                media += 1
            elif obj["event"] == "playedStream":
                assert obj["name"] == "greeting"
                frames_before_played.append(media)

    async with ws_agent(agent) as url:
        report = await stream_check(url, seconds=1.0, timeout=5)
    assert report.checkpoints_answered == ["greeting"]
    # 0.5 s of audio is 25 frame periods; answering at once would see about 0.
    assert frames_before_played and frames_before_played[0] >= 10


async def test_checkpoints_from_the_echo_agent():
    agent = EchoAgent("echo", checkpoint_every=10)
    url = await agent.start()
    try:
        report = await stream_check(url, seconds=0.6, timeout=5)
    finally:
        await agent.stop()
    assert report.ok
    assert report.checkpoints_answered == ["cp-1", "cp-2", "cp-3"]
    assert agent.streams[0].played == ["cp-1", "cp-2", "cp-3"]


async def test_hash_key_makes_the_echo_agent_clear_audio(echo_agent):
    report = await stream_check(echo_agent.ws_url, seconds=0.5, timeout=5, dtmf=[(0.2, "#")])
    assert report.ok
    assert report.events["clearAudio"] == 1
    assert report.clears_answered == 1
    [stream] = echo_agent.streams
    assert stream.dtmf == ["#"]
    assert stream.cleared_acks == 1


async def test_clear_audio_flushes_and_answers_pending_checkpoints():
    order: list[str] = []

    async def agent(ws, request):
        async for msg in ws:
            obj = json.loads(msg.data)
            if obj["event"] == "start":
                ten_seconds = bytes([0xFF]) * 80000
                await ws.send_json(play_mulaw(ten_seconds))
                await ws.send_json({"event": "checkpoint", "name": "long"})
                await ws.send_json({"event": "clearAudio"})
            elif obj["event"] in ("playedStream", "clearedAudio"):
                order.append(obj["event"])

    async with ws_agent(agent) as url:
        report = await stream_check(url, seconds=0.3, timeout=5)
    assert order == ["playedStream", "clearedAudio"]
    assert report.checkpoints_answered == ["long"] and report.clears_answered == 1
    assert report.ok


def _wrong_format_agent(content_type, sample_rate):
    async def agent(ws, request):
        async for msg in ws:
            obj = json.loads(msg.data)
            if obj["event"] == "media":
                media = {"payload": base64.b64encode(bytes(640)).decode()}
                if content_type is not None:
                    media["contentType"] = content_type
                if sample_rate is not None:
                    media["sampleRate"] = sample_rate
                await ws.send_json({"event": "playAudio", "media": media})

    return agent


@pytest.mark.parametrize(
    ("negotiated", "answered", "rate", "expected"),
    [
        (
            "audio/x-mulaw;rate=8000",
            "audio/x-l16",
            16000,
            "answered audio/x-l16 at 16000 Hz but the stream negotiated audio/x-mulaw at 8000 Hz",
        ),
        (
            "audio/x-l16;rate=16000",
            "audio/x-l16",
            8000,
            "answered audio/x-l16 at 8000 Hz but the stream negotiated audio/x-l16 at 16000 Hz",
        ),
        ("audio/x-l16;rate=8000", None, 8000, "playAudio has no media.contentType"),
        ("audio/x-l16;rate=8000", "audio/x-l16", None, "playAudio has no valid media.sampleRate"),
    ],
)
async def test_format_mismatch_is_detected(negotiated, answered, rate, expected):
    async with ws_agent(_wrong_format_agent(answered, rate)) as url:
        report = await stream_check(url, content_type=negotiated, seconds=0.2, timeout=5)
    assert report.audio_received
    assert report.format_ok is False
    assert not report.ok
    assert expected in report.format["problems"][0]
    assert expected in report.verdict
    data = json.loads(report.to_json())
    assert data["ok"] is False and data["format_ok"] is False


async def test_the_json_report_has_every_documented_key(echo_agent):
    report = await stream_check(echo_agent.ws_url, seconds=0.1, timeout=5)
    data = json.loads(report.to_json())
    for key in (
        "ok",
        "verdict",
        "url",
        "content_type",
        "handshake",
        "audio_received",
        "frames_sent",
        "frames_received",
        "bytes_received",
        "format_ok",
        "format",
        "first_audio_ms",
        "errors",
    ):
        assert key in data
    assert set(data["handshake"]) >= {"ok", "status", "tls", "subprotocol", "error"}
    assert data["format"]["expected"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000}
    assert "PASS" in report.human() and "first audio" in report.human()


async def test_agent_stop_ends_the_stream_cleanly():
    async def agent(ws, request):
        async for msg in ws:
            obj = json.loads(msg.data)
            if obj["event"] == "media":
                await ws.send_json(play_mulaw_b64(obj["media"]["payload"]))
                await ws.send_json({"event": "stop"})
                return

    async with ws_agent(agent) as url:
        report = await stream_check(url, seconds=2, timeout=5)
    assert report.agent_stopped
    assert report.ok, report.to_dict()
    assert report.frames_sent < 100  # it did not keep streaming 2 s into a closed stream


async def test_foreign_stream_id_is_a_warning():
    async def agent(ws, request):
        async for msg in ws:
            obj = json.loads(msg.data)
            if obj["event"] == "media":
                await ws.send_json(
                    play_mulaw_b64(obj["media"]["payload"], stream_id="someone-else")
                )

    async with ws_agent(agent) as url:
        report = await stream_check(url, seconds=0.1, timeout=5)
    assert any("someone-else" in w for w in report.warnings)


async def test_echo_agent_answers_in_the_negotiated_format():
    for mode in ("echo", "tone"):
        agent = EchoAgent(mode)
        url = await agent.start()
        sent = base64.b64encode(bytes(range(0, 256, 2)) * 5).decode()  # 640 B = 20 ms L16/16k
        try:
            async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
                await ws.send_json(
                    {
                        "event": "start",
                        "start": {
                            "streamId": "s1",
                            "callId": "c1",
                            "mediaFormat": {"encoding": "audio/x-l16", "sampleRate": 16000},
                        },
                    }
                )
                await ws.send_json({"event": "media", "media": {"payload": sent}})
                reply = await asyncio.wait_for(ws.receive_json(), 5)
        finally:
            await agent.stop()
        assert reply["event"] == "playAudio" and reply["streamId"] == "s1"
        assert reply["media"]["contentType"] == "audio/x-l16"
        assert reply["media"]["sampleRate"] == 16000
        if mode == "echo":
            assert reply["media"]["payload"] == sent
        else:
            fmt = parse_content_type("audio/x-l16;rate=16000")
            expected = fmt.encode(tone_samples(16000, 0, 320))
            assert base64.b64decode(reply["media"]["payload"]) == expected


async def test_echo_agent_explains_plain_http(echo_agent):
    http_url = echo_agent.ws_url.replace("ws://", "http://")
    async with aiohttp.ClientSession() as http, http.get(http_url) as resp:
        assert resp.status == 426
        assert "connect with a WebSocket" in await resp.text()


def test_echo_agent_rejects_an_unknown_mode():
    with pytest.raises(ByonError, match="Unknown echo agent mode"):
        EchoAgent("karaoke")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:9/ws", "is not a WebSocket URL"),
        ("wss://", "is not a WebSocket URL"),
        ("127.0.0.1:9", "is not a WebSocket URL"),
        ("ws://127.0.0.1:99999/ws", "invalid port"),
    ],
)
async def test_bad_urls_are_refused_before_any_traffic(url, message):
    with pytest.raises(ByonError, match=message) as err:
        await stream_check(url, seconds=0.1, timeout=1)
    assert "wss://" in str(err.value) or "Check the URL" in str(err.value)


async def test_bad_arguments_are_refused_before_any_traffic(echo_agent):
    with pytest.raises(ByonError, match="Unsupported content type"):
        await stream_check(echo_agent.ws_url, content_type="audio/mp3")
    with pytest.raises(ByonError, match="must be positive"):
        await stream_check(echo_agent.ws_url, seconds=0)
    with pytest.raises(ByonError, match="must be positive"):
        await stream_check(echo_agent.ws_url, timeout=-1)
    assert echo_agent.streams == []  # the agent never saw a connection


def test_wss_has_no_warning_ws_has_one():
    assert check_url("wss://agent.example.com/ws") == ""
    assert "unencrypted" in check_url("ws://127.0.0.1:1/ws")


async def test_echo_agent_survives_malformed_messages():
    agent = EchoAgent("tone")
    url = await agent.start()
    good = base64.b64encode(b"\xff" * 160).decode()
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
            await ws.send_str("not json")
            await ws.send_str("[1, 2]")
            await ws.send_json({"event": "media"})
            await ws.send_json({"event": "media", "media": "oops"})
            await ws.send_json({"event": "media", "media": {"payload": "@@bad@@"}})
            await ws.send_json({"event": "dtmf", "dtmf": 5})
            await ws.send_json({"event": "media", "media": {"payload": good}})
            reply = await asyncio.wait_for(ws.receive_json(), 5)
    finally:
        await agent.stop()
    assert reply["event"] == "playAudio"
    assert len(base64.b64decode(reply["media"]["payload"])) == 160
    [stream] = agent.streams
    assert stream.bad_messages == 6
    assert stream.replies == 1 and stream.media == 1


async def test_credentials_in_the_url_stay_out_of_the_report(echo_agent):
    url = echo_agent.ws_url + "?token=s3cr3t-value&lang=en"
    report = await stream_check(url, seconds=0.1, timeout=5)
    assert report.ok
    assert "s3cr3t-value" not in report.to_json() + report.human()
    assert report.url.endswith("?token=***&lang=en")
    refused = await stream_check("ws://user:pw-s3cr3t@127.0.0.1:1/ws?api_key=k3y", timeout=2)
    assert "pw-s3cr3t" not in refused.to_json() and "k3y" not in refused.to_json()
    with pytest.raises(ByonError) as err:
        await stream_check("http://127.0.0.1:1/ws?auth=s3cr3t")
    assert "s3cr3t" not in str(err.value)


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_ipv6_loopback():
    agent = EchoAgent()
    url = await agent.start("::1", 0)
    try:
        report = await stream_check(url, seconds=0.1, timeout=5)
    finally:
        await agent.stop()
    assert url.startswith("ws://[::1]:")
    assert report.ok, report.to_dict()
