"""Emulator -> listener with genuine signatures, and every simulated scenario.

The emulator signs each answer_url callback with its account token; the
listener checks it with the same token. Diagnoses come from what the emulator
actually did, never from parameters built by hand.
"""

from __future__ import annotations

import pytest

from tests.domain.test_verify_support import (
    ENTRIES,
    PASSWORD,
    USERNAME,
    expectation,
    make_app,
    start_listener,
)
from wizard.emulator.seed import DEMO_CREDENTIAL_PASSWORD
from wizard.errors import ByonError
from wizard.verify.diagnose import TROUBLESHOOTING_ROWS, Expectation
from wizard.verify.listener import SIMULATIONS, Listener, place_test_call, simulate


async def test_emulator_callback_carries_a_genuine_signature(emulator, client, listener):
    app_id = await make_app(client, listener.answer_url, "ip_acl_and_credential")
    listener.expectation = expectation("ip_acl_and_credential", app_id)
    res = await simulate(emulator, "correct", listener.expectation, password=PASSWORD)
    assert res.outcome["sip_status"] == 200 and res.diagnosis.verdict == "pass"
    cb = res.outcome["callback"]
    # the emulator judged the listener's answer to be valid Plivo XML
    assert cb["http_status"] == 200 and cb["xml_valid"] is True
    [ev] = listener.events
    assert ev.signature_valid and ev.verdict == "pass"
    assert ev.params == cb["params"] and ev.call_uuid == res.outcome["call_uuid"]
    assert ev.sip_auth_type == "ip_acl_and_credential" and ev.sip_auth_user == USERNAME
    assert ev.sip_source_ip == "203.0.113.10"


async def test_get_answer_method_is_verified_too(emulator, client, listener):
    app_id = await make_app(client, listener.answer_url, "credential", answer_method="GET")
    exp = expectation("credential", app_id)
    listener.expectation = exp
    res = await simulate(emulator, "correct", exp, password=PASSWORD)
    assert res.outcome["callback"]["method"] == "GET"
    [ev] = listener.events
    assert ev.method == "GET" and ev.signature_valid and ev.verdict == "pass"


async def test_callback_signed_by_another_account_is_refused(emulator, client):
    lis = Listener("the-token-of-some-other-account-000000", expectation=Expectation())
    await lis.start("127.0.0.1", 0)
    try:
        app_id = await make_app(client, lis.answer_url, "credential")
        res = await simulate(
            emulator, "correct", expectation("credential", app_id), password=PASSWORD
        )
        assert res.outcome["callback"]["http_status"] == 403
        assert res.outcome["callback"]["xml_valid"] is False
        [ev] = lis.events
        assert ev.signature_valid is False and ev.verdict == "fail"
        assert ev.row == "forged"
    finally:
        await lis.stop()


async def test_replaying_the_emulators_signed_callback_is_refused(emulator, client, listener):
    import aiohttp

    app_id = await make_app(client, listener.answer_url, "credential")
    res = await simulate(emulator, "correct", expectation("credential", app_id), password=PASSWORD)
    cb = res.outcome["callback"]
    async with aiohttp.ClientSession() as http:
        # same nonce and signature again: a replay, not a second call
        async with http.post(cb["url"], data=cb["params"], headers=cb["signature_headers"]) as resp:
            assert resp.status == 403
        # the same signed request sent to another URL of the listener
        async with http.post(
            listener.hangup_url, data=cb["params"], headers=cb["signature_headers"]
        ) as resp:
            assert resp.status == 403
    assert [e.signature_valid for e in listener.events] == [True, False, False]
    assert sum(e.passed for e in listener.events) == 1


@pytest.mark.parametrize("auth_type", ["ip_acl", "credential", "ip_acl_and_credential"])
@pytest.mark.parametrize(
    "scenario",
    [
        "correct",
        "number_in_uri",
        "wrong_ip",
        "missing_credentials",
        "wrong_password",
        "lockout",
        "invalid_xml",
        "intermittent",
        "unknown_uri",
    ],
)
async def test_each_scenario_reaches_its_row_through_the_emulator(
    emulator, client, listener, auth_type, scenario
):
    app_id = await make_app(client, listener.answer_url, auth_type)
    exp = expectation(auth_type, app_id)
    listener.expectation = exp
    num = (await client.search_phone_numbers("US"))[0].number
    await client.buy_phone_number(num, app_id=app_id)
    uses_acl = "ip_acl" in auth_type
    uses_cred = "credential" in auth_type
    if scenario == "intermittent" and not uses_acl:
        with pytest.raises(ByonError, match="IP ACL"):
            await simulate(emulator, scenario, exp, password=PASSWORD)
        return
    res = await simulate(emulator, scenario, exp, password=PASSWORD)
    expected = SIMULATIONS[scenario].row
    if scenario == "wrong_ip" and not uses_acl:
        expected = "pass"  # credential auth does not look at the IP
    if scenario == "missing_credentials" and not uses_cred:
        expected = "pass"
    if scenario == "wrong_password" and not uses_cred:
        expected = "pass"
    assert res.diagnosis.row == expected, res.diagnosis
    assert res.diagnosis.fix if expected != "pass" else res.diagnosis.sentence == ""
    assert (res.diagnosis.verdict == "pass") == (expected == "pass")
    # when the call reached the application, the listener saw the same verdict
    reached = [o for o in res.outcomes if o.get("sip_status") == 200]
    if scenario == "invalid_xml":
        assert res.outcome["callback"]["xml_valid"] is False
        assert listener.events == []  # the broken answer server got that callback
        assert (await client.get_application(app_id)).answer_url == listener.answer_url
    else:
        assert len(listener.events) == len(reached)
        for ev, out in zip(listener.events, reached, strict=True):
            assert ev.signature_valid and ev.call_uuid == out["call_uuid"]
    if scenario == "number_in_uri":
        [ev] = listener.events
        assert ev.verdict == "fail" and ev.row == "no_sip_auth_type"
        assert f"sip:{app_id}@app.plivo.com" in ev.diagnosis
    if scenario == "lockout":
        assert len(res.outcomes) == 11 and "locked out" in res.outcome["reason"]
        # released afterwards (the emulator's clock moved 61 s), so the demo goes on
        again = await simulate(emulator, "correct", exp, password=PASSWORD)
        assert again.diagnosis.verdict == "pass"


async def test_open_app_in_the_demo_account_is_flagged(demo_emulator, demo_client):
    lis = await start_listener(demo_emulator, client=demo_client)
    try:
        open_app = next(a for a in await demo_client.list_applications() if not a.sip_auth_type)
        await demo_client.update_application(open_app.app_id, answer_url=lis.answer_url)
        lis.expectation = Expectation(auth_type="none", app_id=open_app.app_id)
        res = await simulate(demo_emulator, "open_app", Expectation())
        assert res.outcome["sip_status"] == 200
        assert res.diagnosis.row == "open_uri" and res.diagnosis.verdict == "fail"
        assert "toll-fraud" in res.diagnosis.sentence
        [ev] = lis.events
        assert ev.signature_valid and ev.row == "open_uri" and ev.verdict == "fail"
        assert open_app.sip_uri in ev.diagnosis or open_app.app_id in ev.diagnosis
    finally:
        await lis.stop()


async def test_demo_credential_works_with_the_demo_password(demo_emulator, demo_client):
    lis = await start_listener(demo_emulator, client=demo_client)
    try:
        cred = next(iter(await demo_client.list_credentials()))
        app = await demo_client.create_application(
            app_name="verify-demo",
            answer_url=lis.answer_url,
            sip_auth_type="credential",
            credential_uuid=cred.credential_uuid,
        )
        exp = Expectation(auth_type="credential", username=cred.username, app_id=app.app_id)
        lis.expectation = exp
        res = await simulate(demo_emulator, "correct", exp, password=DEMO_CREDENTIAL_PASSWORD)
        assert res.diagnosis.verdict == "pass" and lis.events[0].passed
    finally:
        await lis.stop()


async def test_simulate_refuses_unknown_scenarios_missing_passwords_and_remote_apis(emulator):
    exp = expectation("credential", "123")
    with pytest.raises(ByonError, match="Unknown scenario"):
        await simulate(emulator, "nope", exp)
    with pytest.raises(ByonError, match="SIP password"):
        await simulate(emulator, "correct", exp)
    with pytest.raises(ByonError, match="local emulator"):
        await simulate("https://api.plivo.com", "correct", exp, password=PASSWORD, auth=("MA", "t"))


async def test_simulate_takes_the_api_url_of_a_running_emulator(emulator, client, listener):
    app_id = await make_app(client, listener.answer_url, "ip_acl")
    res = await simulate(
        emulator.api_url,
        "wrong_ip",
        expectation("ip_acl", app_id),
        auth=(emulator.auth_id, emulator.auth_token),
    )
    assert res.diagnosis.row == "all_403" and "IP ACL" in res.diagnosis.sentence


async def test_test_call_through_a_sip_provider_route_is_verified(emulator, client, listener):
    import httpx

    app_id = await make_app(client, listener.answer_url, "ip_acl_and_credential")
    listener.expectation = expectation("ip_acl_and_credential", app_id)
    async with httpx.AsyncClient(auth=(emulator.auth_id, emulator.auth_token)) as http:
        route = {
            "number": "+14155550100",
            "mode": "sip",
            "request_uri": f"sip:{app_id}@app.plivo.com",
            "source_ip": ENTRIES[0],
            "username": USERNAME,
            "password": PASSWORD,
        }
        r = await http.post(f"{emulator.api_url}/__emulator__/provider", json=route)
        assert r.status_code < 300
    request_uuid = await place_test_call(
        client, from_="+14155550150", to="+14155550100", answer_url=f"{listener.local_url}/outbound"
    )
    assert request_uuid
    [ev] = listener.events
    assert ev.signature_valid and ev.verdict == "pass" and ev.to.endswith("14155550100")


def test_every_seed_row_has_a_scenario_or_callback_check():
    seed_rows = {
        k for k, r in TROUBLESHOOTING_ROWS.items() if r.source in ("troubleshooting", "security")
    }
    simulated = {s.row for s in SIMULATIONS.values()}
    # cgnat is reached through a callback in test_diagnose_emulator.py
    assert seed_rows - simulated == {"cgnat"}
