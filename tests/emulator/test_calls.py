"""Call create, and provider routes that deliver the call back as an inbound call."""

from __future__ import annotations

from tests.emulator.helpers import (
    EXTERNAL,
    make_acl,
    make_app,
    make_credential,
    place_call,
)
from tests.emulator.helpers import buy_number as buy


async def fire(api, to: str = EXTERNAL) -> dict:
    body = await place_call(api, to)
    assert body["message"] == "call fired" and body["request_uuid"] and body["api_id"]
    return body


async def test_call_create_validation(api):
    cases = [
        ({"to": EXTERNAL, "answer_url": "https://x.test"}, "from is required"),
        ({"from": "1", "answer_url": "https://x.test"}, "to is required"),
        ({"from": "1", "to": EXTERNAL}, "answer_url is required"),
        ({"from": "1", "to": EXTERNAL, "answer_url": "x"}, "http"),
        ({"from": "1", "to": "<<", "answer_url": "https://x.test"}, "destinations"),
    ]
    for body, message in cases:
        r = await api.post("Call/", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"]


async def test_call_without_route_is_logged_as_undelivered(api, emulator, ctl):
    body = await fire(api)
    calls = (await ctl.get("calls")).json()["calls"]
    assert len(calls) == 1 and calls[0]["request_uuid"] == body["request_uuid"]
    assert calls[0]["sip_status"] is None and "no provider route" in calls[0]["reason"]
    assert calls[0]["route"] == "call_api" and calls[0]["provider_route"] is None
    assert emulator.calls[0]["request_uuid"] == body["request_uuid"]


async def test_sip_route_with_credentials(api, emulator, ctl, receiver):
    cred = await make_credential(api, "trunk_user", "Secret12345x")
    app = await make_app(
        api, answer_url=receiver.url + "/a", sip_auth_type="credential", credential_uuid=cred
    )
    route = {
        "number": "+1 415 555 0123",
        "mode": "sip",
        "request_uri": f"sip:{app}@app.plivo.com",
        "source_ip": "203.0.113.5",
        "username": "trunk_user",
        "password": "Secret12345x",
    }
    r = await ctl.post("provider", json=route)
    assert r.status_code == 201 and "Secret12345x" not in r.text
    await fire(api)
    call = (await ctl.get("calls")).json()["calls"][-1]
    assert call["sip_status"] == 200 and call["provider_route"] == "sip"
    params = call["callback"]["params"]
    assert params["SIPAuthType"] == "credential" and params["SIPAuthUser"] == "trunk_user"
    assert params["SIPSourceIP"] == "203.0.113.5" and params["To"] == EXTERNAL
    assert receiver.got and receiver.got[0]["form"]["CallUUID"] == call["call_uuid"]
    assert "Secret12345x" not in str(emulator.dump_state())


async def test_sip_route_failures_are_diagnosable(api, ctl, receiver):
    cred = await make_credential(api, "trunk_user", "Secret12345x")
    app = await make_app(
        api, answer_url=receiver.url + "/a", sip_auth_type="credential", credential_uuid=cred
    )
    base = {"number": EXTERNAL, "mode": "sip", "request_uri": f"sip:{app}@app.plivo.com"}
    await ctl.post("provider", json={**base, "source_ip": "203.0.113.5"})
    await fire(api)
    await ctl.post(
        "provider",
        json={
            **base,
            "source_ip": "203.0.113.5",
            "username": "trunk_user",
            "password": "Nope1234567x",
        },
    )
    for _ in range(10):
        await fire(api)
    calls = (await ctl.get("calls")).json()["calls"]
    assert calls[0]["sip_status"] == 407
    assert [c["sip_status"] for c in calls[1:11]] == [403] * 10
    assert "locked out" not in calls[10]["reason"]
    await fire(api)
    last = (await ctl.get("calls")).json()["calls"][-1]
    assert last["sip_status"] == 403 and "locked out" in last["reason"]


async def test_sip_route_with_number_in_request_uri_skips_auth(api, ctl, receiver):
    acl = await make_acl(api, ["198.51.100.0/24"])
    app = await make_app(
        api, answer_url=receiver.url + "/a", sip_auth_type="ip_acl", ip_acl_uuid=acl
    )
    number = await buy(api, app)
    await ctl.post(
        "provider",
        json={
            "number": EXTERNAL,
            "mode": "sip",
            "request_uri": f"sip:{number}@app.plivo.com",
            "source_ip": "203.0.113.5",
        },
    )
    await fire(api)
    call = (await ctl.get("calls")).json()["calls"][-1]
    assert call["sip_status"] == 200 and "SIPAuthType" not in call["callback"]["params"]


async def test_forward_route_three_legs(api, ctl, receiver):
    app = await make_app(api, answer_url=receiver.url + "/a")
    number = await buy(api, app)
    r = await ctl.post("provider", json={"number": EXTERNAL, "mode": "forward", "target": number})
    assert r.status_code == 201
    await fire(api)
    call = (await ctl.get("calls")).json()["calls"][-1]
    assert (
        call["sip_status"] == 200 and call["provider_route"] == "forward" and len(call["legs"]) == 3
    )
    params = call["callback"]["params"]
    assert params["ForwardedFrom"] == EXTERNAL and params["To"] == number
    assert "SIPAuthType" not in params
    assert receiver.got[0]["form"]["ForwardedFrom"] == EXTERNAL


async def test_forward_to_number_not_rented_404(api, ctl):
    await ctl.post("provider", json={"number": EXTERNAL, "mode": "forward", "target": "15550001"})
    await fire(api)
    call = (await ctl.get("calls")).json()["calls"][-1]
    assert call["sip_status"] == 404


async def test_call_to_own_number_rings_its_app(api, ctl, receiver):
    app = await make_app(api, answer_url=receiver.url + "/a")
    number = await buy(api, app)
    await fire(api, to=number)
    call = (await ctl.get("calls")).json()["calls"][-1]
    assert call["sip_status"] == 200 and call["app_id"] == app


async def test_several_destinations(api, ctl):
    await fire(api, to=f"{EXTERNAL}<14155550124")
    calls = (await ctl.get("calls")).json()["calls"]
    assert [c["to"] for c in calls] == [EXTERNAL, "14155550124"]


async def test_provider_route_validation(ctl):
    cases = [
        ({"mode": "forward", "target": "1"}, "number is required"),
        ({"number": "abc", "mode": "forward", "target": "1"}, "not a phone number"),
        ({"number": EXTERNAL, "mode": "carrier-pigeon"}, "mode must be"),
        ({"number": EXTERNAL, "mode": "forward"}, "target is required"),
        ({"number": EXTERNAL, "mode": "sip", "source_ip": "1.2.3.4"}, "request_uri is required"),
        ({"number": EXTERNAL, "mode": "sip", "request_uri": "sip:1@x"}, "source_ip is required"),
        (
            {"number": EXTERNAL, "mode": "sip", "request_uri": "sip:1@x", "source_ip": "nope"},
            "not an IP address",
        ),
        (
            {
                "number": EXTERNAL,
                "mode": "sip",
                "request_uri": "sip:1@x",
                "source_ip": "1.2.3.4",
                "password": "x",
            },
            "needs a username",
        ),
    ]
    for body, message in cases:
        r = await ctl.post("provider", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"], (body, r.json())
    assert (await ctl.get("provider")).json()["providers"] == []


async def test_register_provider_in_process(emulator):
    emulator.register_provider({"number": EXTERNAL, "mode": "forward", "target": "14155550150"})
    assert emulator.dump_state()["providers"][0]["target"] == "14155550150"
