"""What a Pipecat bot showed about byon's Plivo side: μ-law answers to L16, signed upgrades."""

from __future__ import annotations

import base64
import json
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from plivo.utils.signature_v3 import construct_get_url, get_signature_v3, validate_v3_signature

from wizard.errors import ByonError
from wizard.stream.check import EchoAgent, emulator_stream_hook, stream_check
from wizard.stream.protocol import signature_headers, signed_url

TOKEN = "stream-token-0123456789abcdefghijklmnop"


@asynccontextmanager
async def agent_at(handler, path="/ws"):
    """``handler(ws, request)`` behind a real WebSocket endpoint; yields its ws:// URL."""
    upgrades: list[dict[str, str]] = []

    async def endpoint(request):
        upgrades.append(dict(request.headers))
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await handler(ws, request)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get(path, endpoint)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}{path}", upgrades
    finally:
        await runner.cleanup()


async def pipecat_like(ws, request):
    """Pipecat's PlivoFrameSerializer ignores mediaFormat: it always answers μ-law 8 kHz."""
    async for msg in ws:
        obj = json.loads(msg.data)
        if obj["event"] == "media":
            mulaw = base64.b64encode(b"\xff" * 160).decode()
            await ws.send_json(
                {
                    "event": "playAudio",
                    "media": {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": mulaw},
                    "streamId": obj["streamId"],
                }
            )


@pytest.mark.parametrize("content_type", ["audio/x-l16;rate=8000", "audio/x-l16;rate=16000"])
async def test_mulaw_answer_to_an_l16_stream_names_the_fix(content_type):
    async with agent_at(pipecat_like) as (url, _):
        report = await stream_check(url, content_type=content_type, seconds=0.2, timeout=5)
    assert report.audio_received and not report.ok
    assert report.verdict == (
        "The agent answered μ-law to an L16 stream; many frameworks (Pipecat's Plivo "
        "serializer among them) only speak μ-law 8 kHz, so set "
        'contentType="audio/x-mulaw;rate=8000" on the <Stream>.'
    )
    assert "FAIL: The agent answered μ-law to an L16 stream" in report.human()


async def test_the_same_agent_passes_on_a_mulaw_stream():
    async with agent_at(pipecat_like) as (url, _):
        report = await stream_check(url, content_type="audio/x-mulaw;rate=8000", seconds=0.2)
    assert report.ok, report.to_dict()


async def test_emulator_hook_on_plivos_default_stream_says_the_same():
    """A <Stream> with no contentType is L16 at Plivo: the demo tells the user so."""
    async with agent_at(pipecat_like) as (url, _):
        result = await emulator_stream_hook({"url": url, "bidirectional": "true"}, "call-1")
    assert result["ok"] is False
    assert result["verdict"].startswith("The agent answered μ-law to an L16 stream")


def _check(url: str, headers: dict[str, str]) -> bool:
    """Verify an upgrade's V3 signature the way an agent would, over ``url``."""
    base = construct_get_url(url, {}).decode()
    nonce = headers["X-Plivo-Signature-V3-Nonce"]
    expected = get_signature_v3(TOKEN, base, nonce)
    expected = expected.decode() if isinstance(expected, bytes) else expected
    return expected in headers["X-Plivo-Signature-V3"].split(",")


async def test_upgrade_is_signed_over_the_wss_form_by_default():
    async with agent_at(pipecat_like) as (url, upgrades):
        report = await stream_check(url + "?tenant=acme", seconds=0.1, timeout=5, auth_token=TOKEN)
    assert report.ok and report.handshake.signed == "wss"
    (headers,) = upgrades
    assert _check(url + "?tenant=acme", headers)
    assert not _check(signed_url(url + "?tenant=acme", "https"), headers)
    assert TOKEN not in report.to_json() and TOKEN not in report.human()
    assert "X-Plivo-Signature-V3 over the wss:// form" in report.human()


async def test_upgrade_signed_over_the_https_form_validates_with_the_sdk():
    async with agent_at(pipecat_like) as (url, upgrades):
        report = await stream_check(
            url, seconds=0.1, timeout=5, auth_token=TOKEN, signed_url_form="https"
        )
    assert report.ok and report.handshake.signed == "https"
    (headers,) = upgrades
    https_url = signed_url(url, "https")
    assert https_url.startswith("http://127.0.0.1:")  # ws:// pairs with http://
    assert validate_v3_signature(
        "GET",
        https_url,
        headers["X-Plivo-Signature-V3-Nonce"],
        TOKEN,
        headers["X-Plivo-Signature-V3"],
    )
    assert not _check(url, headers)


async def test_no_token_no_signature():
    async with agent_at(pipecat_like) as (url, upgrades):
        report = await stream_check(url, seconds=0.1, timeout=5)
    assert report.handshake.signed is None
    assert "X-Plivo-Signature-V3" not in upgrades[0]


async def test_a_wrong_signed_url_form_is_refused():
    with pytest.raises(ByonError, match="signed URL form"):
        await stream_check("ws://127.0.0.1:9/ws", auth_token=TOKEN, signed_url_form="http")


def test_each_upgrade_gets_its_own_nonce():
    first = signature_headers("wss://agent.test/ws", TOKEN)
    second = signature_headers("wss://agent.test/ws", TOKEN)
    assert first["X-Plivo-Signature-V3-Nonce"] != second["X-Plivo-Signature-V3-Nonce"]
    assert signed_url("wss://agent.test/ws", "https") == "https://agent.test/ws"


async def test_demo_hook_signs_with_the_emulators_token():
    """The demo's emulator signs the upgrade to the echo agent as Plivo would."""
    agent = EchoAgent()
    url = await agent.start("127.0.0.1", 0)
    try:
        result = await emulator_stream_hook(
            {"url": url, "bidirectional": "true", "contentType": "audio/x-mulaw;rate=8000"},
            "call-2",
            auth_token=TOKEN,
        )
    finally:
        await agent.stop()
    assert result["ok"] and result["handshake"]["signed"] == "wss"
    assert _check(url, agent.streams[0].headers)


def test_byon_writes_mulaw_into_stream_xml_by_default():
    """Plivo's own default is L16, which μ-law-only agents turn into noise."""
    from wizard.plans import plan
    from wizard.stream import protocol
    from wizard.stream.xml import stream_xml

    xml = stream_xml(plan.StreamPlan(url="wss://agent.example.com/ws"))
    assert 'contentType="audio/x-mulaw;rate=8000"' in xml
    assert plan.DEFAULT_CONTENT_TYPE == protocol.DEFAULT_CONTENT_TYPE


async def test_the_wizards_stream_check_signs_with_the_accounts_token(emulator):
    from wizard.session import LIVE, Session

    session = Session(mode=LIVE, api_url=emulator.api_url)
    agent = EchoAgent()
    url = await agent.start("127.0.0.1", 0)
    try:
        await session.connect(emulator.auth_id, emulator.auth_token)
        report = await session.check_stream(url, "audio/x-mulaw;rate=8000", seconds=0.2)
    finally:
        await agent.stop()
        await session.close()
    assert report.ok and report.handshake.signed == "wss"
    headers = agent.streams[0].headers
    base = construct_get_url(url, {}).decode()
    expected = get_signature_v3(emulator.auth_token, base, headers["X-Plivo-Signature-V3-Nonce"])
    expected = expected.decode() if isinstance(expected, bytes) else expected
    assert headers["X-Plivo-Signature-V3"] == expected
