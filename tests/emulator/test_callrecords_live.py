"""Plivo's record of a call over its whole life: live while ringing and answered, a CDR
from the real hang-up (either side), and a record for every Call API leg."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import EXTERNAL, buy_number, make_app, place_call, rest_client
from tests.sipedge_fixtures import WAIT, call, phone, until
from wizard.plivo.client import PlivoClient


def plivo(emu) -> PlivoClient:
    return PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url)


async def test_an_answered_sip_call_is_live_until_the_caller_hangs_up(edge, apps, answers):
    answers.reply = WAIT
    async with plivo(edge.emu) as c:
        async with phone() as sip_phone:
            placed = await sip_phone.call(
                edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2"
            )
            assert (await placed.wait_final(5)).status == 200
            call_uuid = answers.answers()[0]["CallUUID"]
            live = await c.get_live_call(call_uuid)
            assert live is not None and live.status == "in-progress"
            assert (live.direction, live.call_uuid) == ("inbound", call_uuid)
            assert await c.get_call_record(call_uuid) is None  # no CDR while the call is up
            async with rest_client(edge.emu) as api:
                listed = (await api.get("Call/", params={"status": "live"})).json()
            assert listed["calls"] == [call_uuid]
            edge.emu.advance(7)  # seven seconds of conversation on the emulator's clock
            assert (await placed.bye()).status == 200
        await until(lambda: bool(answers.hangups()))
        assert await c.get_live_call(call_uuid) is None
        cdr = await c.get_call_record(call_uuid)
    assert cdr is not None and not cdr.live
    raw, hangup = cdr.raw, answers.hangups()[0]
    assert raw["call_state"] == "ANSWER" and raw["hangup_source"] == "Caller"
    assert (raw["hangup_cause_code"], raw["hangup_cause_name"]) == (4000, "Normal Hangup")
    assert raw["answer_time"] and raw["end_time"] > raw["answer_time"]
    assert raw["bill_duration"] >= 7 and str(raw["bill_duration"]) == hangup["BillDuration"]
    assert str(raw["call_duration"]) == hangup["Duration"]
    assert raw["billed_duration"] == 60  # Guess kept: Plivo bills by the started minute


@pytest.mark.parametrize(
    ("xml", "source", "code", "name"),
    [
        ("<Response><Speak>Hi</Speak></Response>", "Plivo", 4010, "End Of XML Instructions"),
        ("<Response><Hangup/></Response>", "Answer XML", 4000, "Normal Hangup"),
        (
            '<Response><Hangup schedule="0.2"/><Wait length="30"/></Response>',
            "Answer XML",
            4000,
            "Normal Hangup",
        ),
    ],
    ids=["end-of-xml", "hangup", "scheduled-hangup"],
)
async def test_plivos_own_hangup_is_recorded_as_its_callback_says(
    edge, apps, answers, xml, source, code, name
):
    answers.reply = xml
    result = await call(edge, apps.uri(apps.open), hold=10)
    assert result.status == 200 and result.ended_by == "remote"
    await until(lambda: bool(answers.hangups()))
    hangup = answers.hangups()[0]
    async with plivo(edge.emu) as c:
        cdr = await c.get_call_record(hangup["CallUUID"])
    assert cdr is not None
    raw = cdr.raw
    assert (raw["hangup_source"], raw["hangup_cause_code"], raw["hangup_cause_name"]) == (
        source,
        code,
        name,
    )
    assert hangup["HangupSource"] == source and hangup["HangupCauseCode"] == str(code)
    assert raw["call_state"] == "ANSWER" and raw["answer_time"]


async def test_a_call_cancelled_while_ringing_was_live_then_never_answered(edge, apps, answers):
    answers.delay = 2.0
    async with plivo(edge.emu) as c:
        async with phone() as sip_phone:
            placed = await sip_phone.call(
                edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2"
            )
            await until(lambda: bool(answers.got))
            call_uuid = answers.got[0]["form"]["CallUUID"]
            live = await c.get_live_call(call_uuid)
            assert live is not None and live.status == "ringing"
            assert await placed.cancel(5)
            await placed.wait_final(5)
        await until(lambda: bool(answers.hangups()))
        assert await c.get_live_call(call_uuid) is None
        cdr = await c.get_call_record(call_uuid)
    assert cdr is not None
    raw = cdr.raw
    assert raw["call_state"] == "CANCEL" and raw["hangup_source"] == "Caller"
    assert raw["answer_time"] is None and raw["bill_duration"] == 0
    assert answers.hangups()[0]["HangupCauseCode"] == str(raw["hangup_cause_code"])


# -- the Call API ----------------------------------------------------------------------------
async def fire(api, to: str) -> str:
    return (await place_call(api, to, "+14155550100"))["request_uuid"]


async def test_every_call_api_leg_has_its_own_record(api, ctl, receiver):
    app = await make_app(api, answer_url=receiver.url + "/a")
    number = await buy_number(api, app)
    routes = [
        {"number": EXTERNAL, "mode": "forward", "target": number},
        {
            "number": "14155550124",
            "mode": "sip",
            "request_uri": f"sip:{app}@app.plivo.com",
            "source_ip": "203.0.113.5",
        },
    ]
    for route in routes:
        assert (await ctl.post("provider", json=route)).status_code == 201
    forwarded = await fire(api, EXTERNAL)
    by_sip = await fire(api, "14155550124")
    nowhere = await fire(api, "14155550199")
    for request_uuid, to in ((forwarded, EXTERNAL), (by_sip, "14155550124")):
        r = await api.get(f"Call/{request_uuid}/")
        assert r.status_code == 200, r.text
        leg = r.json()
        # Plivo: an outbound call's call_uuid is the request_uuid Call create answered
        assert leg["call_uuid"] == request_uuid and leg["call_direction"] == "outbound"
        assert (leg["from_number"], leg["to_number"]) == ("+14155550100", to)
        assert leg["call_state"] == "ANSWER" and leg["answer_time"]
        assert leg["hangup_source"] == "Callee" and leg["hangup_cause_code"] == 4000
    failed = (await api.get(f"Call/{nowhere}/")).json()
    assert failed["call_direction"] == "outbound" and failed["to_number"] == "14155550199"
    assert failed["call_state"] == "FAILED" and failed["answer_time"] is None
    assert failed["hangup_cause_name"] == "Invalid Destination Address"
    assert failed["hangup_cause_code"] == 2000 and failed["bill_duration"] == 0
    listed = (await api.get("Call/")).json()["objects"]
    inbound = [o["call_uuid"] for o in listed if o["call_direction"] == "inbound"]
    outbound = [o["call_uuid"] for o in listed if o["call_direction"] == "outbound"]
    assert sorted(outbound) == sorted([forwarded, by_sip, nowhere])
    assert len(inbound) == 2 and not set(inbound) & set(outbound)
    assert (await api.get(f"Call/{forwarded}/", params={"status": "live"})).status_code == 404


async def test_a_refused_delivery_fails_the_outbound_leg(api, ctl):
    await ctl.post("provider", json={"number": EXTERNAL, "mode": "forward", "target": "15550001"})
    request_uuid = await fire(api, EXTERNAL)
    leg = (await api.get(f"Call/{request_uuid}/")).json()
    assert leg["call_state"] == "FAILED" and leg["answer_time"] is None
    assert leg["hangup_source"] == "Carrier" and leg["hangup_cause_code"] != 4000
