"""The demo's simulated calls on real SIP: byon's SipClient places each scenario's INVITEs
to the emulator's SIP edge over loopback, from mapped sources (127.0.0.2 allowed, 127.0.0.3
outside the ACL); every offered scenario ends in exactly the row it names for the chosen
auth, and each call carries its SIP ladder."""

from __future__ import annotations

import re

import pytest

from tests.domain.test_verify_support import PASSWORD, expectation, make_app
from wizard.plans.plan import StreamPlan
from wizard.stream.agent import EchoAgent
from wizard.stream.xml import stream_xml
from wizard.verify.simulate import SIMULATIONS, scenarios_for, simulate

AUTH_TYPES = ("ip_acl", "credential", "ip_acl_and_credential")
CASES = [(a, s) for a in AUTH_TYPES for _k, s, _l in scenarios_for("direct_sip", a)]


@pytest.fixture
async def edge(emulator):
    await emulator.start_sip("127.0.0.1", 0, tls_port=None)
    return emulator


def answers_of(listener) -> list:
    """The answer callbacks (the hangup callback goes to the answer_url too, as on Plivo)."""
    return [e for e in listener.events if e.kind == "answer" and "Hangup" not in str(e.params)]


def lines(outcome) -> list[str]:
    """The ladder's start lines in order, responses as their status code."""
    out = []
    for step in outcome["ladder"]:
        first = step["line"].split()
        out.append(first[1] if first[0] == "SIP/2.0" else first[0])
    return out


@pytest.mark.parametrize(("auth_type", "scenario"), CASES)
async def test_each_offered_scenario_reaches_its_row_over_sip(
    edge, client, listener, auth_type, scenario
):
    app_id = await make_app(client, listener.answer_url, auth_type)
    exp = expectation(auth_type, app_id)
    listener.expectation = exp
    num = (await client.search_phone_numbers("US"))[0].number
    await client.buy_phone_number(num, app_id=app_id)
    res = await simulate(edge, scenario, exp, password=PASSWORD)
    assert res.route == "sip"
    assert res.diagnosis.row == SIMULATIONS[scenario].row, res.diagnosis
    assert all(o["route"] == "sip" and o["ladder"] for o in res.outcomes)
    assert lines(res.outcome)[0] == "INVITE"
    if scenario == "correct":
        expected = ["INVITE", "100", "180", "200", "ACK", "BYE", "200"]
        if "credential" in auth_type:
            expected = ["INVITE", "100", "407", "ACK", *expected]
        assert lines(res.outcome) == expected
        [event] = answers_of(listener)
        assert event.call_uuid == res.outcome["call_uuid"] and event.signature_valid
        assert event.sip_source_ip == res.outcome["source_ip"]
    if scenario == "missing_credentials":
        assert res.outcome["sip_status"] == 407 and "407" in lines(res.outcome)
    if scenario in ("wrong_ip", "wrong_password"):
        assert res.outcome["sip_status"] == 403
    if scenario == "intermittent":
        statuses = [o["sip_status"] for o in res.outcomes]
        assert statuses == [200, 403, 200, 403]
        assert res.outcome["sip_status"] == 403  # the row shown is a refused call
        assert res.outcome["source_ip"] not in {o["source_ip"] for o in res.outcomes[::2]}


async def test_ladder_never_holds_the_digest_response(edge, client, listener):
    app_id = await make_app(client, listener.answer_url, "credential")
    res = await simulate(edge, "correct", expectation("credential", app_id), password=PASSWORD)
    authed = [s for s in res.outcome["ladder"] if "Proxy-Authorization" in s["headers"]]
    digest = re.compile(r"response=\"?[0-9a-f]{32}")
    assert authed and not any(digest.search(s["headers"]["Proxy-Authorization"]) for s in authed)
    challenge = [s for s in res.outcome["ladder"] if "Proxy-Authenticate" in s["headers"]]
    assert 'realm="app.plivo.com"' in challenge[0]["headers"]["Proxy-Authenticate"]
    assert PASSWORD not in repr(res)


async def streamed_call(edge, client, agent_url: str) -> dict:
    """The correct call to an app whose answer XML streams to ``agent_url``: its stream
    result (did audio come back over RTP, and how soon)."""
    from wizard.verify.listener import Listener

    xml = stream_xml(StreamPlan(url=agent_url), pretty=False)
    lis = Listener(edge.auth_token, answer_xml=xml)
    await lis.start("127.0.0.1", 0)
    try:
        app_id = await make_app(client, lis.answer_url, "ip_acl")
        res = await simulate(edge, "correct", expectation("ip_acl", app_id))
    finally:
        await lis.stop()
    return res.outcome["callback"]["stream_result"]


async def test_answered_call_streams_to_the_agent_and_hears_the_echo(edge, client):
    agent = EchoAgent()
    await agent.start("127.0.0.1", 0)
    try:
        stream = await streamed_call(edge, client, agent.ws_url)
    finally:
        await agent.stop()
    assert stream["ok"] and stream["first_audio_ms"] is not None, stream


@pytest.mark.parametrize("scenario", ["did_forwarded", "did_unassigned", "did_no_xml"])
async def test_did_forwarding_scenarios(edge, client, listener, scenario):
    app_id = await make_app(client, listener.answer_url, "ip_acl")
    await client.update_application(app_id, sip_auth_type="")
    num = (await client.search_phone_numbers("US"))[0].number
    await client.buy_phone_number(num, app_id=app_id)
    spare = (await client.search_phone_numbers("US"))[1].number
    await client.buy_phone_number(spare)  # rented, assigned to no application
    exp = expectation("none", app_id, option="did_forwarding", plivo_number=num)
    listener.expectation = exp
    res = await simulate(edge, scenario, exp)
    assert res.route == "sip"
    assert res.diagnosis.row == SIMULATIONS[scenario].row, res.diagnosis
    assert res.outcome["request_uri"].startswith("sip:1") and not res.outcome["username"]
    if scenario == "did_forwarded":
        [event] = answers_of(listener)
        assert event.to.lstrip("+") == num.lstrip("+") and event.verdict == "pass"
    if scenario == "did_unassigned":
        assert res.outcome["sip_status"] == 404 and spare.lstrip("+") in res.diagnosis.sentence
    if scenario == "did_no_xml":
        assert res.outcome["sip_status"] in (500, 503)


def test_buttons_follow_the_auth_type():
    def names(option, auth):
        return [s for _k, s, _l in scenarios_for(option, auth)]

    assert "missing_credentials" not in names("direct_sip", "ip_acl")
    assert "wrong_password" not in names("direct_sip", "ip_acl")
    assert "wrong_ip" not in names("direct_sip", "credential")
    assert "intermittent" not in names("direct_sip", "credential")
    assert names("did_forwarding", "none") == ["did_forwarded", "did_unassigned", "did_no_xml"]
    assert [k for k, _s, _l in scenarios_for("direct_sip", "ip_acl_and_credential")] == [
        str(i) for i in range(1, 9)
    ]


async def test_an_agent_that_speaks_after_the_tone_is_still_heard(edge, client):
    """An AI agent greets after its speech synthesis, often past the 1 s tone: the call
    stays on the line until its first audio (within the grace), and reports it."""
    import asyncio
    import base64
    import json

    from aiohttp import web

    from wizard.verify.sipcalls import HOLD_SECONDS

    async def greets_late(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if json.loads(msg.data).get("event") == "start":
                await asyncio.sleep(HOLD_SECONDS + 0.5)
                greeting = base64.b64encode(b"\x7f" * 160).decode()
                media = {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": greeting}
                await ws.send_json({"event": "playAudio", "media": media})
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", greets_late)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        stream = await streamed_call(edge, client, f"ws://127.0.0.1:{runner.addresses[0][1]}/a")
    finally:
        await runner.cleanup()
    assert stream["ok"], stream
    # heard after the tone had ended (the agent's clock starts a little before the call's)
    assert stream["first_audio_ms"] >= HOLD_SECONDS * 1000
