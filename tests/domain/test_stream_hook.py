"""The emulator seam: a <Stream> in the answer XML is followed like Plivo would."""

from __future__ import annotations

import pytest
from aiohttp import web

from wizard.stream.check import EchoAgent, emulator_stream_hook


@pytest.fixture
async def agent():
    echo = EchoAgent("echo")
    await echo.start("127.0.0.1", 0)
    try:
        yield echo
    finally:
        await echo.stop()


async def test_hook_runs_a_short_check(agent):
    info = {
        "url": agent.ws_url,
        "bidirectional": True,
        "audio_track": "inbound",
        "content_type": "audio/x-mulaw;rate=8000",
        "extra_headers": "tenant=acme,region=eu",
    }
    result = await emulator_stream_hook(info, "call-123")
    assert result["ok"] is True, result
    assert result["call_id"] == "call-123"
    # 1 s of audio, then silence until the first echo (a loaded machine sends some)
    assert result["frames_sent"] >= 50
    assert result["frames_received"] == result["frames_sent"]
    assert result["first_audio_ms"] is not None
    assert result["bidirectional"] is True
    assert not any("bidirectional" in w for w in result["warnings"])
    [stream] = agent.streams
    assert stream.call_id == "call-123"
    assert stream.headers["tenant"] == "acme" and stream.headers["region"] == "eu"


async def test_hook_defaults_to_plivos_content_type_and_flags_one_way_streams(agent):
    result = await emulator_stream_hook({"url": agent.ws_url}, "call-9")
    # No contentType attribute: Plivo streams audio/x-l16;rate=8000.
    assert result["content_type"] == "audio/x-l16;rate=8000"
    assert agent.streams[0].content_type == "audio/x-l16;rate=8000"
    assert result["bidirectional"] is False
    assert any('not bidirectional="true"' in w for w in result["warnings"])


async def test_hook_accepts_xml_attribute_names_and_a_bare_url(agent):
    result = await emulator_stream_hook(
        {"text": agent.ws_url, "contentType": "audio/x-l16;rate=16000", "bidirectional": "true"},
        "c1",
    )
    assert result["ok"] and result["content_type"] == "audio/x-l16;rate=16000"
    result = await emulator_stream_hook(agent.ws_url, "c2")
    assert result["url"] == agent.ws_url and result["audio_received"]


async def test_hook_never_raises():
    result = await emulator_stream_hook({"url": "https://agent.example/ws"}, "c3")
    assert result["ok"] is False
    assert "is not a WebSocket URL" in result["verdict"]
    result = await emulator_stream_hook({"url": "ws://127.0.0.1:1/ws", "contentType": "mp3"}, "c4")
    assert result["ok"] is False and "Unsupported content type" in result["verdict"]


async def test_emulator_follows_the_stream_element(emulator, client, agent):
    xml = (
        '<Response><Stream bidirectional="true" keepCallAlive="true" '
        f'contentType="audio/x-mulaw;rate=8000">{agent.ws_url}</Stream></Response>'
    )

    async def answer(request):
        return web.Response(text=xml, content_type="application/xml")

    answer_app = web.Application()
    answer_app.router.add_route("*", "/answer", answer)
    runner = web.AppRunner(answer_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        answer_url = f"http://127.0.0.1:{runner.addresses[0][1]}/answer"
        app = await client.create_application(app_name="stream-check", answer_url=answer_url)
        emulator.on_stream = emulator_stream_hook
        result = await emulator.inbound(
            request_uri=f"sip:{app.app_id}@app.plivo.com",
            source_ip="203.0.113.10",
            from_="sip:caller@provider.example",
        )
    finally:
        await runner.cleanup()
    assert result["sip_status"] == 200, result
    callback = result["callback"]
    assert callback["xml_valid"] is True
    stream_result = callback["stream_result"]
    assert stream_result["ok"] is True, stream_result
    assert stream_result["call_id"] == result["call_uuid"]
    assert stream_result["content_type"] == "audio/x-mulaw;rate=8000"
    assert agent.streams[0].call_id == result["call_uuid"]
