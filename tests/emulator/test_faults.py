"""Injected faults (status, latency, dropped connection; before/after) and the request log."""

from __future__ import annotations

import httpx
import pytest

from tests.emulator.helpers import make_app, rest_client


async def total_apps(api) -> int:
    return (await api.get("Application/")).json()["meta"]["total_count"]


async def test_status_fault_answers_instead_of_handling(api, emulator):
    emulator.add_fault({"method": "POST", "path": r"/Application/$", "status": 500})
    r = await api.post("Application/", json={"app_name": "a"})
    assert r.status_code == 500 and set(r.json()) == {"api_id", "error"}
    assert await total_apps(api) == 0
    assert (await api.post("Application/", json={"app_name": "a"})).status_code == 201  # used up


async def test_status_fault_after_handling(api, emulator):
    emulator.add_fault({"method": "POST", "path": "Application", "status": 503, "when": "after"})
    r = await api.post("Application/", json={"app_name": "a"})
    assert r.status_code == 503
    assert await total_apps(api) == 1  # the server acted, then failed to say so


async def test_status_fault_can_carry_its_own_error_text(api, ctl):
    text = "[/] odd \x1b[31m text"
    r = await ctl.post("faults", json={"path": "Application", "status": 400, "message": text})
    assert r.status_code == 201 and r.json()["faults"][0]["message"] == text
    assert (await api.get("Application/")).json()["error"] == text


@pytest.mark.parametrize(
    "fault",
    [{"path": "x", "status": 400, "message": 3}, {"path": "x", "latency_ms": 5, "message": "m"}],
)
async def test_a_message_needs_a_status_and_must_be_text(ctl, fault):
    r = await ctl.post("faults", json=fault)
    assert r.status_code == 400 and "message" in r.json()["error"]


async def test_429_with_retry_after(api, ctl):
    r = await ctl.post(
        "faults", json={"path": "Application", "status": 429, "retry_after": 2, "count": 2}
    )
    assert r.status_code == 201
    for _ in range(2):
        r = await api.get("Application/")
        assert r.status_code == 429 and r.headers["Retry-After"] == "2"
        assert "api_id" in r.json()
    assert (await api.get("Application/")).status_code == 200


async def test_429_says_retry_after_even_when_the_fault_names_no_wait(api, ctl):
    r = await ctl.post("faults", json={"path": "Application", "status": 429})
    assert r.status_code == 201
    r = await api.get("Application/")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    r = await ctl.post("faults", json={"path": "Application", "status": 503})
    r = await api.get("Application/")
    assert r.status_code == 503 and "Retry-After" not in r.headers  # only 429 has a default


async def test_latency_after_handling_causes_client_timeout(emulator, api):
    emulator.add_fault({"method": "POST", "path": "Application", "latency_ms": 500})
    async with rest_client(emulator) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post("Application/", json={"app_name": "slow"}, timeout=0.1)
    assert await total_apps(api) == 1  # created although the client gave up


async def test_latency_before_handling(emulator, api):
    emulator.add_fault({"path": "Application", "latency_ms": 500, "when": "before"})
    async with rest_client(emulator) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post("Application/", json={"app_name": "slow"}, timeout=0.1)
    # the handler runs once the delay ends; this request waits behind nothing
    assert (await api.get("Nothing/")).status_code == 404


async def test_latency_fault_still_answers(api, emulator):
    emulator.add_fault({"path": "Application", "latency_ms": 30})
    r = await api.post("Application/", json={"app_name": "a"})
    assert r.status_code == 201


async def test_drop_after_handling(api, emulator):
    emulator.add_fault({"method": "POST", "path": "Application", "drop": True})
    with pytest.raises(httpx.TransportError):
        await api.post("Application/", json={"app_name": "dropped"})
    assert await total_apps(api) == 1


async def test_drop_before_handling(api, emulator):
    emulator.add_fault({"method": "POST", "path": "Application", "drop": True, "when": "before"})
    with pytest.raises(httpx.TransportError):
        await api.post("Application/", json={"app_name": "dropped"})
    assert await total_apps(api) == 0


async def test_faults_match_method_and_path_in_order(api, emulator, ctl):
    await ctl.post(
        "faults",
        json=[
            {"method": "GET", "path": "Number", "status": 502},
            {"method": "GET", "path": "Application", "status": 500},
            {"method": "GET", "path": "Application", "status": 503},
        ],
    )
    assert (await api.post("Application/", json={"app_name": "a"})).status_code == 201
    assert (await api.get("Application/")).status_code == 500
    assert (await api.get("Application/")).status_code == 503
    assert (await api.get("Application/")).status_code == 200
    pending = (await ctl.get("faults")).json()["faults"]
    assert [f["path"] for f in pending] == ["Number"]
    await ctl.delete("faults")
    assert (await api.get("Number/")).status_code == 200


async def test_fault_validation(ctl):
    cases = [
        ({"path": "x"}, "exactly one"),
        ({"path": "x", "status": 500, "drop": True}, "exactly one"),
        ({"path": "(", "status": 500}, "regular expression"),
        ({"path": "x", "status": 200}, "400-599"),
        ({"path": "x", "status": "500"}, "400-599"),
        ({"path": "x", "latency_ms": -1}, "latency_ms"),
        ({"path": "x", "status": 500, "count": 0}, "count"),
        ({"path": "x", "status": 429, "retry_after": "soon"}, "retry_after"),
        ({"path": "x", "status": 500, "when": "during"}, "when"),
        ("just a string", "JSON object"),
    ]
    for body, message in cases:
        r = await ctl.post("faults", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"], (body, r.json())
    r = await ctl.post("faults", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert (await ctl.get("faults")).json()["faults"] == []


async def test_control_surface_is_never_faulted(emulator, ctl):
    emulator.add_fault({"path": ".*", "status": 500})
    assert (await ctl.get("state")).status_code == 200
    assert (await ctl.get("faults")).json()["faults"][0]["status"] == 500


async def test_log_records_every_rest_request(api, emulator, ctl):
    await make_app(api)
    emulator.add_fault({"method": "GET", "path": "Application", "status": 429})
    await api.get("Application/")
    emulator.add_fault({"method": "GET", "path": "Number", "drop": True})
    with pytest.raises(httpx.TransportError):
        await api.get("Number/")
    async with httpx.AsyncClient(auth=(emulator.auth_id, "bad")) as bad:
        await bad.get(f"{emulator.api_url}/v1/Account/{emulator.auth_id}/")
    await ctl.get("state")  # control requests are not REST requests
    log = (await ctl.get("log")).json()["requests"]
    prefix = f"/v1/Account/{emulator.auth_id}"
    assert log == [
        {"method": "POST", "path": f"{prefix}/Application/", "status": 201},
        {"method": "GET", "path": f"{prefix}/Application/", "status": 429},
        {"method": "GET", "path": f"{prefix}/Number/", "status": 0},
        {"method": "GET", "path": f"{prefix}/", "status": 401},
    ]
    await ctl.delete("log")
    assert (await ctl.get("log")).json()["requests"] == []


async def test_rate_limit_is_off_by_default(api):
    for _ in range(40):
        assert (await api.get("Number/")).status_code == 200


async def test_rate_limit_uses_the_clock():
    from wizard.emulator import Emulator

    async with Emulator(rate_limit=5) as emu, rest_client(emu) as api:
        for _ in range(5):
            assert (await api.get("Number/")).status_code == 200
        r = await api.get("Number/")
        assert r.status_code == 429 and "300 requests per 5 s" in r.json()["error"]
        # calls are not counted against the API limit
        call = {"from": "1", "to": "14155550123", "answer_url": "https://x.test/"}
        assert (await api.post("Call/", json=call)).status_code == 201
        emu.advance(5)
        assert (await api.get("Number/")).status_code == 200
        assert [e["status"] for e in emu.log].count(429) == 1


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_request_delayed_across_a_reset_leaves_the_new_account_untouched(
    emulator, api, ctl, when
):
    """A slow request is still in flight when the account is reset (a new test, a new
    run): when its delay ends, it neither changes nor logs into the new account."""
    import asyncio

    emulator.add_fault({"method": "POST", "path": "Application", "latency_ms": 300, "when": when})
    slow = asyncio.create_task(api.post("Application/", json={"app_name": "slow"}))
    while emulator.dump_state()["faults"]:  # taken: the request is in the emulator
        await asyncio.sleep(0.005)
    assert (await ctl.post("reset")).status_code == 200
    try:
        await slow  # ends after its delay: answered (after) or dropped (before)
    except httpx.TransportError:
        assert when == "before"
    assert (await ctl.get("log")).json()["requests"] == []
    assert emulator.dump_state()["applications"] == []


async def test_an_empty_list_of_faults_is_refused(ctl):
    r = await ctl.post("faults", json=[])
    assert r.status_code == 400 and "no fault given" in r.json()["error"]


async def test_the_request_log_keeps_the_newest_requests_only(api, ctl, monkeypatch):
    from wizard.emulator import server

    monkeypatch.setattr(server, "LOG_KEPT", 5)
    for i in range(8):
        await api.get(f"Application/?offset={i}")
    log = (await ctl.get("log")).json()["requests"]
    assert len(log) == 5
    assert all(e["path"].endswith("/Application/") for e in log)
