"""apply against the emulator over real HTTP: create, idempotence, updates, ids, passwords."""

from __future__ import annotations

import pytest

from tests.domain.test_apply_helpers import (
    BUY_PLAN,
    SIP_PLAN,
    assert_matches_plan,
    count_named,
    ha1,
    run_apply,
    snapshot,
    write_plan,
    writes,
)
from wizard.errors import ByonError
from wizard.plans.apply import diff, read_account, render_change
from wizard.plans.passwords import generate_password
from wizard.plans.plan import load_plan, set_id, write_back_ids
from wizard.plans.validate import check_password

PASSWORD = "Carrier-Trunk-2024x"


async def test_first_run_creates_all_with_auth(client, emulator, tmp_path):
    path = write_plan(tmp_path)
    result, events = await run_apply(client, path, password=PASSWORD)
    assert result.ok, result.error
    state = emulator.dump_state(secrets=True)
    (app,) = state["applications"]
    (acl,) = state["ip_acls"]
    (cred,) = state["credentials"]
    assert app["sip_auth_type"] == "ip_acl_and_credential"
    assert app["ip_acl_uuid"] == acl["ip_acl_uuid"] == result.ids["ip_acl"]
    assert app["credential_uuid"] == cred["credential_uuid"] == result.ids["credential"]
    assert cred["ha1"] == ha1("carrier_trunk", PASSWORD)
    assert result.generated_password is None
    done = [e.step for e in events if e.state == "done"]
    assert sorted(done) == ["application", "credential", "ip_acl"]
    assert done[-1] == "application"  # it needs both uuids
    assert not any(PASSWORD in e.message for e in events)


async def test_acl_and_credential_are_created_concurrently(client, emulator, tmp_path):
    # With latency on both creates, both must be running before either finishes.
    for p in ("IPAccessControlList/$", "Credential/$"):
        emulator.add_fault({"method": "POST", "path": p, "latency_ms": 300, "count": 1})
    result, events = await run_apply(client, write_plan(tmp_path), password=PASSWORD)
    assert result.ok
    order = [(e.step, e.state) for e in events]
    first_done = min(order.index(("ip_acl", "done")), order.index(("credential", "done")))
    assert order.index(("ip_acl", "running")) < first_done
    assert order.index(("credential", "running")) < first_done


async def test_second_run_is_unchanged_and_sends_no_write(client, emulator, tmp_path):
    path = write_plan(tmp_path)
    result, _ = await run_apply(client, path, password=PASSWORD)
    write_back_ids(path, result.ids)
    before = snapshot(emulator)
    emulator.log.clear()
    plan = load_plan(path)
    changes = diff(plan, await read_account(client, plan))
    assert [render_change(c) for c in changes] == [
        "= unchanged ip_acl carrier-edge",
        "= unchanged credential carrier_trunk",
        "= unchanged application ai-agent-inbound",
    ]
    again, events = await run_apply(client, path, password=PASSWORD)
    assert again.ok and events == []
    assert emulator.log and writes(emulator) == []
    assert snapshot(emulator) == before


async def test_ids_written_back_keep_comments(client, tmp_path):
    path = write_plan(tmp_path)
    result, _ = await run_apply(client, path, password=PASSWORD)
    write_back_ids(path, result.ids)
    text = path.read_text()
    assert "# Routing for the support line; reviewed in PR 12." in text
    plan = load_plan(path)
    assert plan.application.app_id == result.ids["application"]
    assert plan.auth.ip_acl.ip_acl_uuid == result.ids["ip_acl"]
    assert plan.auth.credential.credential_uuid == result.ids["credential"]
    assert PASSWORD not in text


async def test_found_by_name_when_the_plan_has_no_ids(client, emulator, tmp_path):
    await run_apply(client, write_plan(tmp_path), password=PASSWORD)
    other = write_plan(tmp_path, name="copy.toml")  # same names, no ids
    emulator.log.clear()
    result, events = await run_apply(client, other, password=PASSWORD)
    assert result.ok and events == [] and writes(emulator) == []


async def test_stale_id_falls_back_to_the_name(client, emulator, tmp_path):
    path = write_plan(tmp_path)
    await run_apply(client, path, password=PASSWORD)
    stale = write_plan(
        tmp_path, SIP_PLAN.replace('app_id = ""', 'app_id = "12345678901234567"'), "stale.toml"
    )
    plan = load_plan(stale)
    view = await read_account(client, plan)
    assert any("12345678901234567 no longer exists" in n for n in view.notes)
    assert view.application is not None
    assert all(c.action == "unchanged" for c in diff(plan, view))
    real = emulator.dump_state()["applications"][0]["app_id"]
    assert set_id(plan, "application", real) and plan.application.app_id == real


async def test_two_apps_with_the_plans_name_is_refused_with_the_fix(client, tmp_path):
    for _ in range(2):
        await client.create_application(
            app_name="ai-agent-inbound", answer_url="https://agent.example.com/answer"
        )
    plan = load_plan(write_plan(tmp_path))
    with pytest.raises(ByonError) as exc:
        await read_account(client, plan)
    assert "2 applications are named 'ai-agent-inbound'" in str(exc.value)
    assert "Set app_id in the plan" in str(exc.value)


async def test_generated_password_is_returned_once_and_valid(client, emulator, tmp_path):
    path = write_plan(tmp_path)
    result, events = await run_apply(client, path, password=None)
    pw = result.generated_password
    assert pw and check_password(pw) is None
    (cred,) = emulator.dump_state(secrets=True)["credentials"]
    assert cred["ha1"] == ha1("carrier_trunk", pw)
    assert not any(pw in e.message for e in events)
    write_back_ids(path, result.ids)
    assert pw not in path.read_text()
    assert pw not in repr(result)
    # A second run neither generates nor changes anything.
    again, _ = await run_apply(client, path, password=None)
    assert again.ok and again.generated_password is None


async def test_rotate_password_only_when_asked(client, emulator, tmp_path):
    path = write_plan(tmp_path)
    await run_apply(client, path, password=PASSWORD)
    new = generate_password()
    result, _ = await run_apply(client, path, password=new)
    assert result.ok
    (cred,) = emulator.dump_state(secrets=True)["credentials"]
    assert cred["ha1"] == ha1("carrier_trunk", PASSWORD)  # not rotated without the flag
    result, _ = await run_apply(client, path, password=new, rotate_password=True)
    assert result.ok
    (cred,) = emulator.dump_state(secrets=True)["credentials"]
    assert cred["ha1"] == ha1("carrier_trunk", new)


async def test_update_answer_url_and_open_app_gets_auth(client, emulator, tmp_path):
    acl = await client.create_ip_acl("carrier-edge", ["203.0.113.10", "198.51.100.0/28"])
    cred = await client.create_credential("carrier_trunk", PASSWORD)
    app = await client.create_application(
        app_name="ai-agent-inbound", answer_url="https://old.example.com/answer"
    )
    assert app.sip_auth_type == ""
    result, events = await run_apply(client, write_plan(tmp_path), password=PASSWORD)
    assert result.ok
    (got,) = emulator.dump_state()["applications"]
    assert got["answer_url"] == "https://agent.example.com/answer"
    assert got["sip_auth_type"] == "ip_acl_and_credential"
    assert got["ip_acl_uuid"] == acl.ip_acl_uuid and got["credential_uuid"] == cred.credential_uuid
    assert [e.step for e in events if e.state == "done"] == ["application"]


async def test_did_forwarding_buys_once_and_writes_the_number_back(client, emulator, tmp_path):
    path = write_plan(tmp_path, BUY_PLAN)
    result, _ = await run_apply(client, path)
    assert result.ok, result.error
    state = emulator.dump_state()
    (app,) = state["applications"]
    (num,) = state["numbers"]
    assert num["app_id"] == app["app_id"]
    assert result.ids["number"] == "+" + num["number"]
    write_back_ids(path, result.ids)
    assert load_plan(path).forwarding.plivo_number == "+" + num["number"]
    assert "# bought on the first run" in path.read_text()
    emulator.log.clear()
    again, _ = await run_apply(client, path)
    assert again.ok and writes(emulator) == []


async def test_buy_plan_without_written_back_number_does_not_buy_twice(client, emulator, tmp_path):
    path = write_plan(tmp_path, BUY_PLAN)
    await run_apply(client, path)
    emulator.log.clear()
    again, _ = await run_apply(client, path)  # plivo_number is still "buy"
    assert again.ok and writes(emulator) == []
    assert len(emulator.dump_state()["numbers"]) == 1


async def test_forwarding_reassigns_a_rented_number(demo_client, demo_emulator, tmp_path):
    text = BUY_PLAN.replace('plivo_number = "buy"', 'plivo_number = "+14155550150"')
    text = text.split("[forwarding.search]")[0]
    path = write_plan(tmp_path, text)
    before = {n["number"]: n["app_id"] for n in demo_emulator.dump_state()["numbers"]}
    result, events = await run_apply(demo_client, path)
    assert result.ok
    nums = {n["number"]: n["app_id"] for n in demo_emulator.dump_state()["numbers"]}
    assert nums["14155550150"] == result.ids["application"] != before["14155550150"]
    said = {e.step: e.message for e in events if e.state == "done"}
    # each says what it made once: a number is its own id, an application's id follows it
    assert said["number"] == "updated number +14155550150"
    assert said["application"].endswith(f"({result.ids['application']})")
    await assert_matches_plan(demo_client, path)


async def test_number_not_rented_is_a_clear_error_and_nothing_is_sent(client, emulator, tmp_path):
    text = BUY_PLAN.replace('plivo_number = "buy"', 'plivo_number = "+14155550177"')
    path = write_plan(tmp_path, text.split("[forwarding.search]")[0])
    with pytest.raises(ByonError) as exc:
        await read_account(client, load_plan(path))
    assert "+14155550177 is not a number this Plivo account rents" in str(exc.value)
    assert writes(emulator) == []


async def test_acl_entries_update_and_no_duplicates(client, emulator, tmp_path):
    path = write_plan(tmp_path)
    await run_apply(client, path, password=PASSWORD)
    changed = write_plan(
        tmp_path, SIP_PLAN.replace('"203.0.113.10", ', '"203.0.113.11", '), "changed.toml"
    )
    plan = load_plan(changed)
    (acl,) = [c for c in diff(plan, await read_account(client, plan)) if c.kind == "ip_acl"]
    assert acl.action == "update"
    result, _ = await run_apply(client, changed, password=PASSWORD)
    assert result.ok
    (got,) = emulator.dump_state()["ip_acls"]
    assert sorted(got["ip_addresses"])[1].startswith("203.0.113.11")
    assert count_named(emulator) == {
        "application:ai-agent-inbound": 1,
        "ip_acl:carrier-edge": 1,
        "credential:carrier_trunk": 1,
    }
