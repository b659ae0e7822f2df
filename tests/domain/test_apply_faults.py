"""Reliability: faults at each step of apply, Ctrl-C, failed rollbacks and the journal.

Every run must end with the account either fully matching the plan or exactly as it
was, with no orphaned and no duplicated resource.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.domain.test_apply_helpers import (
    BUY_PLAN,
    assert_matches_plan,
    count_named,
    run_apply,
    snapshot,
    write_plan,
)
from wizard.plans.apply import apply_changes, diff, read_account
from wizard.plans.journal import journal_path_for, resume
from wizard.plans.plan import load_plan
from wizard.plivo.client import PlivoClient

PASSWORD = "Carrier-Trunk-2024x"

# (step name, method, path regex) for each request apply can send.
SIP_STEPS = [
    ("read", "GET", r"/(Application|SipAuth/\w+)/$"),
    ("ip_acl", "POST", r"IPAccessControlList/$"),
    ("credential", "POST", r"Credential/$"),
    ("application", "POST", r"Application/$"),
]
BUY_STEPS = [
    ("search", "GET", r"/PhoneNumber/$"),
    ("application", "POST", r"Application/$"),
    ("buy", "POST", r"PhoneNumber/\d+/$"),
]
# Transient faults (one request) and lasting ones (every retry within the deadline).
FAULTS = {
    "429": {"status": 429, "retry_after": 0},
    "500-before": {"status": 500},
    "500-after": {"status": 500, "when": "after"},
    "timeout": {"latency_ms": 600, "when": "after"},  # past the client's 0.4 s
    "drop-before": {"drop": True, "when": "before"},
    "drop-after": {"drop": True, "when": "after"},
}
COUNTS = {"once": 1, "lasting": 50}


@pytest.fixture
async def fragile_client(emulator, request):
    """Short timeout and deadline, so lasting faults exhaust the retries quickly (in two or
    three attempts, which show what more would: a 1.5 s deadline made these cases the
    suite's longest wait); a single fault gets room for its retry even on a loaded machine."""
    params = getattr(request.node, "callspec", None)
    once = params is not None and params.params.get("count") == "once"
    async with PlivoClient(
        emulator.auth_id,
        emulator.auth_token,
        base_url=emulator.api_url,
        timeout=0.4,
        deadline=8.0 if once else 0.8,
    ) as c:
        yield c


async def until(condition, turns: int = 4000) -> None:
    """Let the event loop run until ``condition()`` holds (the emulator shares the loop)."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0.001)
    pytest.fail("the awaited state never came")


def only_named_once(emulator) -> None:
    assert all(n == 1 for n in count_named(emulator).values()), count_named(emulator)


async def check_outcome(client, emulator, path, before, result) -> str:
    """'applied', 'untouched', or 'untouched after the journal' (the fault also blocked the
    rollback, so the next run finished it); fails on anything in between."""
    only_named_once(emulator)
    if result is not None and result.ok:
        await assert_matches_plan(client, path)
        return "applied"
    journal = journal_path_for(path, emulator.auth_id)
    outcome = "untouched"
    if journal.exists():
        assert result is not None and result.remaining and result.journal == journal
        assert await resume(client, journal, auth_id=emulator.auth_id, plan=path)
        outcome = "untouched after the journal"
    assert not journal.exists()
    assert snapshot(emulator) == before
    return outcome


async def apply_under_fault(client, emulator, path, step, fault, count, *, label, read, **kw):
    """Inject the fault at the step, apply, and judge the account: fully applied or as it was.
    Only the ``read`` step may fail before apply starts (then nothing can have changed)."""
    before = snapshot(emulator)
    _name, method, regex = step
    emulator.add_fault({"method": method, "path": regex, "count": COUNTS[count], **FAULTS[fault]})
    try:
        result, _ = await run_apply(client, path, **kw)
    except Exception as exc:  # a read that fails never reaches apply: nothing may have changed
        assert step[0] == read, exc
        result = None
    emulator.faults.clear()
    outcome = await check_outcome(client, emulator, path, before, result)
    print(f"outcome {label} {step[0]} {fault} {count}: {outcome}")
    return outcome


@pytest.mark.parametrize("count", list(COUNTS), ids=list(COUNTS))
@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
@pytest.mark.parametrize("step", SIP_STEPS, ids=[s[0] for s in SIP_STEPS])
async def test_fault_at_each_direct_sip_step(
    fragile_client, emulator, tmp_path, step, fault, count
):
    path = write_plan(tmp_path)
    outcome = await apply_under_fault(
        fragile_client,
        emulator,
        path,
        step,
        fault,
        count,
        label="direct_sip",
        read="read",
        password=PASSWORD,
    )
    if count == "once":
        assert outcome == "applied"  # one transient fault is absorbed by the client's retries


@pytest.mark.parametrize("count", list(COUNTS), ids=list(COUNTS))
@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
@pytest.mark.parametrize("step", BUY_STEPS, ids=[s[0] for s in BUY_STEPS])
async def test_fault_at_each_forwarding_step(
    fragile_client, emulator, tmp_path, step, fault, count
):
    path = write_plan(tmp_path, BUY_PLAN)
    await apply_under_fault(
        fragile_client, emulator, path, step, fault, count, label="did_forwarding", read="search"
    )
    assert len(emulator.dump_state()["numbers"]) <= 1


ASSIGN_STEPS = [
    ("read-number", "GET", r"/Number/\d+/$"),
    ("application", "POST", r"Application/$"),
    ("assign", "POST", r"/Number/\d+/$"),
]


@pytest.mark.parametrize("count", list(COUNTS), ids=list(COUNTS))
@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
@pytest.mark.parametrize("step", ASSIGN_STEPS, ids=[s[0] for s in ASSIGN_STEPS])
async def test_fault_at_each_number_assign_step(
    fragile_client, emulator, tmp_path, step, fault, count
):
    (offer,) = await fragile_client.search_phone_numbers("US", type="local", limit=1)
    await fragile_client.buy_phone_number(offer.number)  # rented, routed nowhere yet
    text = BUY_PLAN.replace('plivo_number = "buy"', f'plivo_number = "+{offer.number}"')
    path = write_plan(tmp_path, text.split("[forwarding.search]")[0])
    await apply_under_fault(
        fragile_client,
        emulator,
        path,
        step,
        fault,
        count,
        label="did_forwarding",
        read="read-number",
    )


async def test_failure_rolls_back_in_reverse_and_reports_each_step(
    fragile_client, emulator, tmp_path
):
    path = write_plan(tmp_path)
    before = snapshot(emulator)
    emulator.add_fault({"method": "POST", "path": "Application/$", "status": 400, "count": 5})
    result, events = await run_apply(fragile_client, path, password=PASSWORD)
    assert not result.ok
    assert "400" in str(result.error) or "Application" in str(result.error) or result.error
    back = [e for e in events if e.state == "rolled_back"]
    assert sorted(e.step for e in back) == ["credential", "ip_acl"]
    assert all(e.rollback for e in back)
    assert len(result.rolled_back) == 2 and result.remaining == []
    assert snapshot(emulator) == before
    failed = [e for e in events if e.state == "failed"]
    assert failed and failed[0].step == "application"


async def test_failed_update_is_reverted_to_the_old_values(fragile_client, emulator, tmp_path):
    acl = await fragile_client.create_ip_acl("carrier-edge", ["203.0.113.99"])
    await fragile_client.create_credential("carrier_trunk", PASSWORD)
    app = await fragile_client.create_application(
        app_name="ai-agent-inbound", answer_url="https://old.example.com/answer"
    )
    before = snapshot(emulator)
    # The ACL update succeeds, the application update fails: the ACL must get its old entries.
    emulator.add_fault(
        {"method": "POST", "path": f"Application/{app.app_id}/$", "status": 400, "count": 5}
    )
    result, _ = await run_apply(fragile_client, write_plan(tmp_path), password=PASSWORD)
    assert not result.ok
    assert snapshot(emulator) == before
    assert (await fragile_client.get_ip_acl(acl.ip_acl_uuid)).ip_addresses == ("203.0.113.99",)


@pytest.mark.parametrize("when", ["ip_acl", "application"])
async def test_ctrl_c_mid_apply_rolls_back(client, emulator, tmp_path, when):
    path = write_plan(tmp_path)
    before = snapshot(emulator)
    # The request is handled at once but its answer is late: cancelling leaves it in flight.
    regex = "IPAccessControlList/$" if when == "ip_acl" else "Application/$"
    emulator.add_fault({"method": "POST", "path": regex, "latency_ms": 2000, "when": "after"})
    plan = load_plan(path)
    changes = diff(plan, await read_account(client, plan))
    events = []
    task: asyncio.Task | None = None

    def on_step(ev):
        events.append(ev)
        if ev.step == when and ev.state == "running":
            asyncio.get_running_loop().call_later(0.2, task.cancel)

    task = asyncio.ensure_future(
        apply_changes(client, plan, changes, on_step=on_step, password=PASSWORD)
    )
    with pytest.raises(asyncio.CancelledError):
        await task
    emulator.faults.clear()
    assert snapshot(emulator) == before
    assert any(e.state == "rolled_back" for e in events)
    assert not journal_path_for(path, emulator.auth_id).exists()


async def test_rollback_failure_leaves_a_journal_the_next_run_finishes(
    fragile_client, emulator, tmp_path
):
    path = write_plan(tmp_path)
    before = snapshot(emulator)
    emulator.add_fault({"method": "POST", "path": "Application/$", "status": 400, "count": 5})
    emulator.add_fault(
        {"method": "DELETE", "path": "IPAccessControlList/", "status": 400, "count": 5}
    )
    result, events = await run_apply(fragile_client, path, password=PASSWORD)
    assert not result.ok and result.remaining
    journal = journal_path_for(path, emulator.auth_id)
    assert result.journal == journal and journal.exists()
    doc = json.loads(journal.read_text())
    assert doc["auth_id"] == emulator.auth_id
    assert [u["kind"] for u in doc["undo"]] == ["ip_acl"]
    assert PASSWORD not in journal.read_text()
    assert any(e.state == "failed" and e.rollback for e in events)
    assert snapshot(emulator) != before  # the ACL is still there
    # Still failing: the journal stays, unchanged.
    assert not await resume(fragile_client, journal, auth_id=emulator.auth_id, plan=path)
    assert journal.exists()
    emulator.faults.clear()
    seen = []
    assert await resume(
        fragile_client, journal, auth_id=emulator.auth_id, plan=path, on_step=seen.append
    )
    assert not journal.exists()
    assert snapshot(emulator) == before
    assert "finishing the rollback" in seen[0].message


async def test_journal_of_another_account_is_not_replayed(client, emulator, tmp_path):
    from wizard.errors import ByonError
    from wizard.plans.journal import Undo, write_journal

    journal = tmp_path / "journal.json"
    write_journal(
        journal, [Undo("delete", "application", "1", "x")], auth_id="MAOTHER0000000000000"
    )
    with pytest.raises(ByonError) as exc:
        await resume(client, journal, auth_id=emulator.auth_id, plan=None)
    assert "MAOTHER0000000000000" in str(exc.value) and journal.exists()


async def test_unknown_create_outcome_found_by_name_is_rolled_back(client, emulator, tmp_path):
    """The credential create is answered late (Ctrl-C while waiting); the app create fails.
    The credential exists on the server but the run never learned its uuid."""
    path = write_plan(tmp_path)
    before = snapshot(emulator)
    emulator.add_fault(
        {"method": "POST", "path": "Credential/$", "latency_ms": 1500, "when": "after"}
    )
    plan = load_plan(path)
    changes = diff(plan, await read_account(client, plan))
    task = asyncio.ensure_future(apply_changes(client, plan, changes, password=PASSWORD))
    # the credential is made on the server, its answer held back: that is when Ctrl-C lands
    await until(lambda: count_named(emulator).get("credential:carrier_trunk") == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    emulator.faults.clear()
    assert snapshot(emulator) == before
    assert count_named(emulator) == {}


async def test_lost_create_and_failed_lookups_are_settled_by_the_next_run(
    fragile_client, emulator, tmp_path
):
    """The ACL create is handled but its answer is lost, and every lookup fails too, so
    nobody can tell whether it exists. The journal keeps a delete-by-name step."""
    path = write_plan(tmp_path)
    before = snapshot(emulator)
    plan = load_plan(path)
    changes = diff(plan, await read_account(fragile_client, plan))
    emulator.add_fault(
        {
            "method": "POST",
            "path": "IPAccessControlList/$",
            "drop": True,
            "when": "after",
            "count": 50,
        }
    )
    emulator.add_fault(
        {"method": "GET", "path": "IPAccessControlList/$", "status": 500, "count": 500}
    )
    journal = journal_path_for(path, emulator.auth_id)
    result = await apply_changes(fragile_client, plan, changes, password=PASSWORD, journal=journal)
    assert not result.ok
    doc = json.loads(journal.read_text())
    assert {"op": "delete_named", "kind": "ip_acl", "name": "carrier-edge"}.items() <= (
        doc["undo"][0].items()
    )
    assert any(a["name"] == "carrier-edge" for a in emulator.dump_state()["ip_acls"])
    emulator.faults.clear()
    assert await resume(fragile_client, journal, auth_id=emulator.auth_id, plan=path)
    assert snapshot(emulator) == before
