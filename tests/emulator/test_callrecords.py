"""Plivo's record of each call in the emulator: ``GET Call/{uuid}/?status=live`` and the CDR.

Read through byon's client and through the official plivo SDK (its shapes must hold)."""

from __future__ import annotations

import asyncio

import plivo
import pytest
from aiohttp import web

from tests.emulator.test_sdk import sdk  # noqa: F401  (fixture)
from wizard.emulator import Emulator
from wizard.errors import AuthError
from wizard.plivo.client import PlivoClient


@pytest.fixture
async def probing_answer_server(client):
    """An answer_url that, while Plivo waits for its XML, asks Plivo about the call."""
    seen: dict[str, object] = {}

    async def answer(request: web.Request) -> web.Response:
        form = dict(await request.post())
        seen["live"] = await client.get_live_call(form["CallUUID"])
        seen["cdr"] = await client.get_call_record(form["CallUUID"])
        return web.Response(text="<Response><Hangup/></Response>", content_type="text/xml")

    app = web.Application()
    app.router.add_post("/answer", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/answer", seen
    finally:
        await runner.cleanup()


async def test_a_call_is_live_while_its_xml_is_fetched_then_has_a_record(
    emulator, client, probing_answer_server
):
    url, seen = probing_answer_server
    app = await client.create_application(app_name="open", answer_url=url)
    out = await emulator.inbound(
        request_uri=f"sip:{app.app_id}@app.plivo.com",
        source_ip="198.51.100.7",
        from_="+14155550142",
        to="+14155550100",
    )
    call_uuid = out["call_uuid"]
    live = seen["live"]
    assert live is not None and live.live and live.call_uuid == call_uuid
    assert (live.from_, live.to, live.direction) == ("+14155550142", "14155550100", "inbound")
    assert seen["cdr"] is None  # no detail record while the call is up
    assert await client.get_live_call(call_uuid) is None  # ended
    cdr = await client.get_call_record(call_uuid)
    assert cdr is not None and not cdr.live
    assert (cdr.from_, cdr.to, cdr.direction) == ("+14155550142", "14155550100", "inbound")
    assert await client.get_call_record("00000000-0000-4000-8000-000000000000") is None


async def test_the_sdk_reads_both_shapes(emulator, client, sdk):  # noqa: F811
    app = await client.create_application(app_name="open", answer_url="http://127.0.0.1:9/x")
    out = await emulator.inbound(
        request_uri=f"sip:{app.app_id}@app.plivo.com", source_ip="198.51.100.7", from_="+1415"
    )
    cdr = await asyncio.to_thread(sdk.calls.get, out["call_uuid"])
    assert cdr.call_uuid == out["call_uuid"] and cdr.call_direction == "inbound"
    assert cdr.from_number == "+1415" and cdr.resource_uri.endswith(f"/Call/{cdr.call_uuid}/")
    with pytest.raises(plivo.exceptions.ResourceNotFoundError):
        await asyncio.to_thread(sdk.live_calls.get, out["call_uuid"])


async def test_calls_placed_with_the_call_api_keep_their_record_across_a_restart(tmp_path):
    state = tmp_path / "emu.json"
    emu = Emulator(state_file=state)
    await emu.start("127.0.0.1", 0)
    try:
        async with PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url) as c:
            app = await c.create_application(app_name="a", answer_url="http://127.0.0.1:9/x")
            emu.register_provider(
                {
                    "number": "+14155550100",
                    "mode": "sip",
                    "request_uri": f"sip:{app.app_id}@app.plivo.com",
                    "source_ip": "203.0.113.10",
                }
            )
            request_uuid = await c.create_call(
                from_="+14155550142", to="+14155550100", answer_url="http://x/"
            )
            call_uuid = emu.calls[-1]["call_uuid"]
    finally:
        await emu.stop()
    again = Emulator(state_file=state)
    await again.start("127.0.0.1", 0)
    try:
        async with PlivoClient(again.auth_id, again.auth_token, base_url=again.api_url) as c:
            cdr = await c.get_call_record(call_uuid)
            leg = await c.get_call_record(request_uuid)  # the outbound leg, by its own uuid
    finally:
        await again.stop()
    assert cdr is not None and cdr.from_ == "+14155550142" and cdr.to == "14155550100"
    assert leg is not None and leg.direction == "outbound" and leg.call_uuid == request_uuid
    assert (leg.from_, leg.to, leg.status) == ("+14155550142", "14155550100", "ANSWER")


async def test_call_records_need_the_accounts_credentials(emulator):
    async with PlivoClient(emulator.auth_id, "not-the-token", base_url=emulator.api_url) as c:
        with pytest.raises(AuthError) as err:
            await c.get_call_record("x")
    assert "refused the credentials" in str(err.value)
