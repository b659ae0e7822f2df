"""Retries, deadlines, and creates that never duplicate, with faults injected in the emulator."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.helpers import emulator_log
from wizard.errors import NetworkError, RateLimited, ServerError
from wizard.plivo.client import PlivoClient

GOOD_PASSWORD = "Str0ngEnoughPass"


def requests_to(log: list[dict], method: str, suffix: str) -> list[dict]:
    return [r for r in log if r["method"] == method and r["path"].split("?")[0].endswith(suffix)]


async def logged_eventually(emulator, method: str, suffix: str) -> list[dict]:
    """The emulator logs a request once it has answered; a delayed answer lands a bit later."""
    for _ in range(200):
        found = requests_to(await emulator_log(emulator), method, suffix)
        if found:
            return found
        await asyncio.sleep(0.02)
    return []


@pytest.fixture
async def quick(emulator):
    """A client with a short timeout and deadline, recording every backoff it sleeps."""
    c = PlivoClient(
        emulator.auth_id, emulator.auth_token, base_url=emulator.api_url, timeout=0.2, deadline=3.0
    )
    c.slept = []

    async def record(delay: float) -> None:
        c.slept.append(delay)
        await asyncio.sleep(0)  # no real waiting: the deadline arithmetic still applies

    c._sleep = record
    async with c:
        yield c


# ---------------------------------------------------------------- idempotent requests


async def test_a_500_is_retried(quick, emulator):
    await quick.create_application(app_name="a", answer_url="https://a.example/a")
    emulator.add_fault({"method": "GET", "path": "Application/$", "status": 500, "count": 1})
    assert [a.app_name for a in await quick.list_applications()] == ["a"]
    gets = requests_to(await emulator_log(emulator), "GET", "/Application/")
    assert [r["status"] for r in gets] == [500, 200]
    assert len(quick.slept) == 1


async def test_a_429_waits_as_long_as_retry_after_says(quick, emulator):
    emulator.add_fault(
        {"method": "GET", "path": "Application/$", "status": 429, "retry_after": 1, "count": 1}
    )
    assert await quick.list_applications() == []
    assert len(quick.slept) == 1 and quick.slept[0] >= 1.0
    gets = requests_to(await emulator_log(emulator), "GET", "/Application/")
    assert [r["status"] for r in gets] == [429, 200]


async def test_a_retry_after_beyond_the_deadline_gives_up_at_once(quick, emulator):
    emulator.add_fault(
        {"method": "GET", "path": "Application/$", "status": 429, "retry_after": 60, "count": 1}
    )
    with pytest.raises(RateLimited) as info:
        await quick.list_applications()
    assert "asked to wait 60 s" in str(info.value)
    assert quick.slept == []
    assert len(requests_to(await emulator_log(emulator), "GET", "/Application/")) == 1


async def test_a_dropped_connection_is_retried(quick, emulator):
    emulator.add_fault(
        {"method": "GET", "path": "/Number/$", "drop": True, "when": "before", "count": 2}
    )
    assert await quick.list_numbers() == []
    assert len(quick.slept) == 2


async def test_backoff_grows(quick, emulator):
    emulator.add_fault({"method": "GET", "path": "/Number/$", "status": 503, "count": 4})
    assert await quick.list_numbers() == []
    assert len(quick.slept) == 4
    # Jitter keeps each delay within [ceiling/2, ceiling] of a doubling ceiling.
    assert quick.slept[3] > quick.slept[0]


async def test_the_deadline_ends_server_errors(emulator):
    async with PlivoClient(
        emulator.auth_id, emulator.auth_token, base_url=emulator.api_url, deadline=0.5
    ) as c:
        emulator.add_fault({"method": "GET", "path": "Application/$", "status": 500, "count": 1000})
        with pytest.raises(ServerError) as info:
            await c.list_applications()
    assert info.value.status == 500
    assert "server error" in str(info.value)


async def test_the_deadline_ends_rate_limiting(emulator):
    async with PlivoClient(
        emulator.auth_id, emulator.auth_token, base_url=emulator.api_url, deadline=0.5
    ) as c:
        emulator.add_fault({"method": "GET", "path": "/Number/$", "status": 429, "count": 1000})
        with pytest.raises(RateLimited) as info:
            await c.list_numbers()
    assert info.value.status == 429


async def test_the_deadline_ends_timeouts(emulator):
    async with PlivoClient(
        emulator.auth_id,
        emulator.auth_token,
        base_url=emulator.api_url,
        timeout=0.2,
        deadline=0.7,
    ) as c:
        emulator.add_fault(
            {"method": "GET", "path": "Application/$", "latency_ms": 500, "count": 1000}
        )
        with pytest.raises(NetworkError) as info:
            await c.list_applications()
    assert "no answer within 0.2 s" in str(info.value)
    assert str(info.value).endswith("Check the network or --api-url.")


async def test_a_delete_whose_answer_was_lost_still_succeeds(quick, emulator):
    app = await quick.create_application(app_name="a", answer_url="https://a.example/a")
    emulator.add_fault(
        {"method": "DELETE", "path": "Application/", "drop": True, "when": "after", "count": 1}
    )
    await quick.delete_application(app.app_id)  # the retry's 404 means "already gone"
    assert emulator.dump_state()["applications"] == []
    deletes = requests_to(await emulator_log(emulator), "DELETE", f"/Application/{app.app_id}/")
    assert len(deletes) == 2


async def test_an_update_is_retried(quick, emulator):
    app = await quick.create_application(app_name="a", answer_url="https://a.example/a")
    emulator.add_fault(
        {"method": "POST", "path": f"Application/{app.app_id}/$", "status": 502, "count": 1}
    )
    await quick.update_application(app.app_id, answer_url="https://b.example/b")
    assert (await quick.get_application(app.app_id)).answer_url == "https://b.example/b"


# ---------------------------------------------------------------- creates never duplicate

CREATE_FAULTS = [
    pytest.param({"status": 500}, id="500-before"),
    pytest.param({"status": 500, "when": "after"}, id="500-after"),
    pytest.param({"status": 429, "retry_after": 1}, id="429"),
    pytest.param({"latency_ms": 400, "when": "after"}, id="timeout-after"),
    pytest.param({"drop": True, "when": "after"}, id="drop-after"),
    pytest.param({"drop": True, "when": "before"}, id="drop-before"),
]


@pytest.mark.parametrize("fault", CREATE_FAULTS)
async def test_application_create_never_duplicates(quick, emulator, fault):
    emulator.add_fault({"method": "POST", "path": "Application/$", "count": 1, **fault})
    app = await quick.create_application(app_name="sales", answer_url="https://a.example/a")
    apps = emulator.dump_state()["applications"]
    assert [a["app_id"] for a in apps] == [app.app_id]
    assert app.app_name == "sales" and app.answer_url == "https://a.example/a"


@pytest.mark.parametrize("fault", CREATE_FAULTS)
async def test_credential_create_never_duplicates(quick, emulator, fault):
    emulator.add_fault({"method": "POST", "path": "Credential/$", "count": 1, **fault})
    cred = await quick.create_credential("trunk-user", GOOD_PASSWORD)
    creds = emulator.dump_state()["credentials"]
    assert [c["credential_uuid"] for c in creds] == [cred.credential_uuid]
    assert cred.username == "trunk-user"


@pytest.mark.parametrize("fault", CREATE_FAULTS)
async def test_ip_acl_create_never_duplicates(quick, emulator, fault):
    emulator.add_fault({"method": "POST", "path": "IPAccessControlList/$", "count": 1, **fault})
    acl = await quick.create_ip_acl("carrier", ["203.0.113.0/24"])
    acls = emulator.dump_state()["ip_acls"]
    assert [a["ip_acl_uuid"] for a in acls] == [acl.ip_acl_uuid]


@pytest.mark.parametrize("fault", CREATE_FAULTS)
async def test_buy_never_double_buys(quick, emulator, fault):
    choice = (await quick.search_phone_numbers("US", limit=1))[0]
    emulator.add_fault({"method": "POST", "path": r"PhoneNumber/\d+/$", "count": 1, **fault})
    bought = await quick.buy_phone_number(choice.number)
    assert bought.number == choice.number
    numbers = emulator.dump_state()["numbers"]
    assert [n["number"] for n in numbers] == [choice.number]


async def test_a_lost_create_is_found_not_repeated(quick, emulator):
    emulator.add_fault(
        {"method": "POST", "path": "Application/$", "drop": True, "when": "after", "count": 1}
    )
    app = await quick.create_application(app_name="sales", answer_url="https://a.example/a")
    log = await emulator_log(emulator)
    assert len(requests_to(log, "POST", "/Application/")) == 1  # looked up, not re-sent
    assert requests_to(log, "GET", "/Application/")
    assert app.app_id == emulator.dump_state()["applications"][0]["app_id"]


async def test_a_same_named_app_of_someone_else_is_not_taken_for_ours(quick, emulator):
    other = await quick.create_application(app_name="sales", answer_url="https://old.example/a")
    emulator.add_fault(
        {"method": "POST", "path": "Application/$", "drop": True, "when": "before", "count": 1}
    )
    app = await quick.create_application(app_name="sales", answer_url="https://new.example/a")
    assert app.app_id != other.app_id
    assert app.answer_url == "https://new.example/a"
    assert len(emulator.dump_state()["applications"]) == 2


async def test_create_gives_up_at_the_deadline_without_duplicates(emulator):
    async with PlivoClient(
        emulator.auth_id, emulator.auth_token, base_url=emulator.api_url, deadline=0.6
    ) as c:
        emulator.add_fault(
            {"method": "POST", "path": "Application/$", "status": 500, "count": 1000}
        )
        with pytest.raises(ServerError):
            await c.create_application(app_name="sales", answer_url="https://a.example/a")
    assert emulator.dump_state()["applications"] == []


# ---------------------------------------------------------------- calls are never repeated


async def _bought_number(client) -> str:
    choice = (await client.search_phone_numbers("US", limit=1))[0]
    await client.buy_phone_number(choice.number)
    return choice.number


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"drop": True, "when": "after"}, id="drop-after"),
        pytest.param({"latency_ms": 400, "when": "after"}, id="timeout-after"),
        pytest.param({"status": 500, "when": "after"}, id="500-after"),
    ],
)
async def test_an_ambiguous_call_failure_is_raised_not_repeated(quick, emulator, fault):
    number = await _bought_number(quick)
    emulator.add_fault({"method": "POST", "path": "Call/$", "count": 1, **fault})
    with pytest.raises((NetworkError, ServerError)) as info:
        await quick.create_call(
            from_=number, to="14155550100", answer_url="http://127.0.0.1:9/answer"
        )
    assert "did not repeat" in str(info.value)
    posts = await logged_eventually(emulator, "POST", "/Call/")
    assert len(posts) == 1
    assert len(emulator.dump_state()["calls"]) == 1  # placed once, never twice


async def test_a_rate_limited_call_is_retried(quick, emulator):
    number = await _bought_number(quick)
    emulator.add_fault(
        {"method": "POST", "path": "Call/$", "status": 429, "retry_after": 1, "count": 1}
    )
    assert await quick.create_call(
        from_=number, to="14155550100", answer_url="http://127.0.0.1:9/answer"
    )
    assert len(emulator.dump_state()["calls"]) == 1


async def test_a_lost_create_is_recognised_despite_plivo_normalising_the_method(quick, emulator):
    emulator.add_fault(
        {"method": "POST", "path": "Application/$", "drop": True, "when": "after", "count": 1}
    )
    app = await quick.create_application(
        app_name="sales", answer_url="https://a.example/a", answer_method="get"
    )
    assert [a["app_id"] for a in emulator.dump_state()["applications"]] == [app.app_id]
    assert app.answer_method == "GET"
