"""Diagnoses that compare the plan with what a real (emulated) call carried.

Each call goes through the emulator's SIP edge or its provider routes; the
listener judges the signed callback it receives.
"""

from __future__ import annotations

import base64

import aiohttp

from tests.domain.test_verify_support import (
    PASSWORD,
    USERNAME,
    expectation,
    make_app,
)
from wizard.verify.diagnose import Expectation
from wizard.verify.listener import simulate


def control_auth(emulator) -> dict[str, str]:
    """The control surface takes the account's own keys."""
    pair = base64.b64encode(f"{emulator.auth_id}:{emulator.auth_token}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


async def inbound(emulator, **body):
    async with (
        aiohttp.ClientSession(headers=control_auth(emulator)) as http,
        http.post(f"{emulator.api_url}/__emulator__/inbound", json=body) as r,
    ):
        return await r.json()


async def test_auth_type_differs_from_the_plan(emulator, client, listener):
    app_id = await make_app(client, listener.answer_url, "ip_acl")
    listener.expectation = expectation("credential", app_id)
    out = await inbound(
        emulator,
        request_uri=f"sip:{app_id}@app.plivo.com",
        source_ip="203.0.113.10",
        **{"from": "+14155550142"},
    )
    assert out["sip_status"] == 200
    [ev] = listener.events
    assert ev.row == "auth_type_mismatch" and ev.verdict == "fail"
    assert "ip_acl" in ev.diagnosis and "credential" in ev.diagnosis


async def test_source_ip_outside_the_planned_acl(emulator, client, listener):
    # the account's ACL is wider than the plan says
    app_id = await make_app(
        client, listener.answer_url, "ip_acl", entries=("203.0.113.10", "198.51.100.0/24")
    )
    listener.expectation = expectation("ip_acl", app_id, acl_entries=("203.0.113.10",))
    await inbound(
        emulator,
        request_uri=f"sip:{app_id}@app.plivo.com",
        source_ip="198.51.100.77",
        **{"from": "+14155550142"},
    )
    [ev] = listener.events
    assert ev.row == "ip_outside_acl" and "198.51.100.77" in ev.diagnosis


async def test_cgnat_source_with_ip_acl_alone(emulator, client, listener):
    app_id = await make_app(client, listener.answer_url, "ip_acl", entries=("100.64.12.0/24",))
    listener.expectation = expectation("ip_acl", app_id, acl_entries=("100.64.12.0/24",))
    await inbound(
        emulator,
        request_uri=f"sip:{app_id}@app.plivo.com",
        source_ip="100.64.12.9",
        **{"from": "+14155550142"},
    )
    [ev] = listener.events
    assert ev.row == "cgnat" and ev.verdict == "fail"
    assert "ip_acl_and_credential" in ev.fix


async def test_cgnat_source_with_both_checks_passes(emulator, client, listener):
    app_id = await make_app(
        client, listener.answer_url, "ip_acl_and_credential", entries=("100.64.12.0/24",)
    )
    exp = expectation("ip_acl_and_credential", app_id, acl_entries=("100.64.12.0/24",))
    listener.expectation = exp
    res = await simulate(emulator, "correct", exp, password=PASSWORD)
    assert res.diagnosis.verdict == "pass" and listener.events[0].passed
    assert listener.events[0].sip_source_ip.startswith("100.64.12.")


async def test_auth_user_is_not_the_configured_username(emulator, client, listener):
    app_id = await make_app(client, listener.answer_url, "credential", username="old_trunk")
    listener.expectation = expectation("credential", app_id)  # plan says carrier_trunk
    await inbound(
        emulator,
        request_uri=f"sip:{app_id}@app.plivo.com",
        source_ip="203.0.113.10",
        username="old_trunk",
        password=PASSWORD,
        **{"from": "+14155550142"},
    )
    [ev] = listener.events
    assert ev.row == "auth_user_mismatch" and "old_trunk" in ev.diagnosis
    assert USERNAME in ev.diagnosis


async def _did_setup(emulator, client, listener):
    app = await client.create_application(app_name="did-app", answer_url=listener.answer_url)
    num = (await client.search_phone_numbers("US"))[0].number
    await client.buy_phone_number(num, app_id=app.app_id)
    async with aiohttp.ClientSession(headers=control_auth(emulator)) as http:
        route = {"number": "+14155550100", "mode": "forward", "target": num}
        async with http.post(f"{emulator.api_url}/__emulator__/provider", json=route) as r:
            assert r.status < 300
    return app.app_id, num


async def test_did_forwarding_passes_when_the_call_arrives_on_the_plivo_number(
    emulator, client, listener
):
    app_id, num = await _did_setup(emulator, client, listener)
    listener.expectation = Expectation(
        auth_type="none",
        app_id=app_id,
        option="did_forwarding",
        plivo_number=f"+{num}",
        external_number="+14155550100",
    )
    await client.create_call(
        from_="+14155550142", to="+14155550100", answer_url=f"{listener.local_url}/outbound"
    )
    [ev] = listener.events
    assert ev.signature_valid and ev.verdict == "pass" and ev.sip_auth_type is None
    assert ev.params.get("ForwardedFrom", "").endswith("14155550100")


async def test_did_forwarding_to_another_number_fails(emulator, client, listener):
    app_id, num = await _did_setup(emulator, client, listener)
    listener.expectation = Expectation(
        auth_type="none", app_id=app_id, option="did_forwarding", plivo_number="+14155550999"
    )
    await client.create_call(
        from_="+14155550142", to="+14155550100", answer_url=f"{listener.local_url}/outbound"
    )
    [ev] = listener.events
    assert ev.row == "wrong_number" and num in ev.diagnosis
