"""The stream bridge: a call's RTP to an agent over Plivo's stream protocol and back."""

from __future__ import annotations

import asyncio
import base64
import json
from array import array

import pytest
from aiohttp import WSMsgType, web

from tests.sipedge_fixtures import until
from wizard.emulator.sipwire.bridge import (
    downsample2,
    extra_headers_text,
    from_stream,
    to_stream,
    upsample2,
)
from wizard.sip import PCMA, PCMU, SipClient
from wizard.sip import media as g711
from wizard.stream.audio import L16, MULAW, AudioFormat
from wizard.stream.check import EchoAgent

SCALE = 0.1


def tone(frames: int) -> bytes:
    return array("h", [(i * 97 % 4000) - 2000 for i in range(160 * frames)]).tobytes()


def loudness(pcm: bytes) -> int:
    samples = memoryview(pcm[: len(pcm) - len(pcm) % 2]).cast("h")
    return max((abs(s) for s in samples), default=0)


def stream_xml(url: str, content_type: str, after: str = "", **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return (
        f'<Response><Stream bidirectional="true" keepCallAlive="true" '
        f'contentType="{content_type}"{extra}>{url}</Stream>{after}</Response>'
    )


@pytest.fixture
async def echo():
    agent = EchoAgent()
    await agent.start("127.0.0.1", 0)
    try:
        yield agent
    finally:
        await agent.stop()


@pytest.mark.parametrize(
    "content_type", ["audio/x-mulaw;rate=8000", "audio/x-l16;rate=8000", "audio/x-l16;rate=16000"]
)
async def test_caller_hears_the_echo_agent(edge, apps, answers, echo, content_type):
    answers.reply = stream_xml(echo.ws_url, content_type, extraHeaders="a=1,b=2")
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        result = await client.invite(
            edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2", hold=1.0,
            audio=tone(40), timeout=10,
        )  # fmt: skip
    assert result.status == 200 and result.ended_by == "local"
    assert result.rtp.sent == 50 and result.rtp.lost == 0
    assert result.rtp.received >= 30  # the echo of 0.8 s of tone, at least
    assert loudness(result.received_pcm) > 1000
    stream = echo.streams[0]
    assert stream.start_seen and stream.call_id == answers.answers()[0]["CallUUID"]
    assert stream.content_type == content_type and stream.media >= 30
    await until(lambda: bool(answers.hangups()))
    record = (await edge.calls())[-1]
    summary = record["verbs"][0]["stream"]
    assert summary["connected"] and summary["media_sent"] >= 30 and summary["frames_played"] >= 30


async def start_agent(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()

    async def ws_handler(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await handler(ws)
        return ws

    app.router.add_get("/ws", ws_handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"


async def test_clear_audio_flushes_checkpoint_answers_stop_moves_on(edge, apps, answers):
    seen: list[dict] = []

    async def agent(ws):
        start = json.loads((await ws.receive()).data)
        seen.append(start)
        sid = start["streamId"]
        three_seconds = base64.b64encode(b"\x10" * 8000 * 3).decode()
        play = {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": three_seconds}
        await ws.send_json({"event": "playAudio", "streamId": sid, "media": play})
        await ws.send_json({"event": "checkpoint", "streamId": sid, "name": "cp1"})
        await asyncio.sleep(0.3)
        await ws.send_json({"event": "clearAudio", "streamId": sid})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                obj = json.loads(msg.data)
                seen.append(obj)
                if obj["event"] == "playedStream":
                    await ws.send_json({"event": "stop", "streamId": sid})
                    return

    runner, url = await start_agent(agent)
    answers.reply = stream_xml(url, "audio/x-mulaw;rate=8000", after="<Hangup/>")
    try:
        async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
            result = await client.invite(
                edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2", hold=5, timeout=10
            )
    finally:
        await runner.cleanup()
    assert result.ended_by == "remote"  # stop ended the stream, then <Hangup/> sent BYE
    assert 5 <= result.rtp.received < 60  # 0.3 s of the 3 s played before the flush
    events = [m["event"] for m in seen]
    assert events[0] == "start" and seen[0]["sequenceNumber"] == 1
    assert seen[0]["extra_headers"] == ""
    assert "clearedAudio" in events and "playedStream" in events
    played = next(m for m in seen if m["event"] == "playedStream")
    assert played["name"] == "cp1"
    numbers = [m["sequenceNumber"] for m in seen]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    record = (await edge.calls())[-1]
    assert [v["verb"] for v in record["verbs"]] == ["Stream", "Hangup"]
    assert record["verbs"][0]["stream"]["ended_by"] == "agent"
    assert record["verbs"][0]["stream"]["cleared"] == 1


async def test_unreachable_agent_moves_on_to_the_next_verb(edge, apps, answers):
    answers.reply = stream_xml("ws://127.0.0.1:9/ws", "audio/x-mulaw;rate=8000", after="<Hangup/>")
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        result = await client.invite(
            edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2", hold=5, timeout=10
        )
    assert result.status == 200 and result.ended_by == "remote"
    record = (await edge.calls())[-1]
    assert record["verbs"][0]["result"] == "failed"
    assert "could not be reached" in record["verbs"][0]["stream"]["error"]


def test_transcoding_both_laws_and_rates():
    pcm = tone(1)
    for law in (PCMU, PCMA):
        payload = g711.encode(law, pcm)
        mulaw = to_stream(law, payload, AudioFormat(MULAW, 8000))
        assert len(mulaw) == 160 and loudness(g711.ulaw_decode(mulaw)) > 1000
        l16 = to_stream(law, payload, AudioFormat(L16, 16000))
        assert len(l16) == 640
        back = from_stream(AudioFormat(L16, 16000), l16, law)
        assert len(back) == 160 and loudness(g711.decode(law, back)) > 1000
        assert from_stream(AudioFormat(MULAW, 8000), mulaw, law) == payload or law == PCMA
    assert len(downsample2(upsample2(pcm))) == len(pcm)
    assert extra_headers_text("k1=v1,k2=v2") == "k1=v1;k2=v2"
    assert extra_headers_text(None) == ""
