"""The one apply engine: one change at a time or all, one undo list, ids into the plan
through set_id, one journal for both faces, and a purchase as a change with its cost."""

from __future__ import annotations

from tests.domain.test_apply_helpers import BUY_PLAN, snapshot, write_plan, writes
from wizard.plans.apply import Applier
from wizard.plans.diff import plan_purchase, render_change
from wizard.plans.journal import Undo, journal_path_for, write_journal
from wizard.plans.plan import load_plan
from wizard.session import LIVE, Session

PASSWORD = "Carrier-Trunk-2024x"


async def test_one_change_at_a_time_reads_once_and_keeps_one_undo_list(client, emulator, tmp_path):
    plan = load_plan(write_plan(tmp_path))
    applier = Applier(client, plan, password=PASSWORD)
    before = snapshot(emulator)
    changes = await applier.read()
    read_requests = len(emulator.log)
    for change in applier.pending():
        result = await applier.run([change])
        assert result.ok, result.error
    # the application's create used the ids the earlier runs made: no re-read between steps
    assert all(e["method"] != "GET" for e in emulator.log[read_requests:])
    assert [u.kind for u in applier.undo] == ["ip_acl", "credential", "application"]
    state = emulator.dump_state()
    assert plan.application.app_id == state["applications"][0]["app_id"]
    assert plan.auth.ip_acl.ip_acl_uuid == state["ip_acls"][0]["ip_acl_uuid"]
    assert plan.auth.credential.credential_uuid == state["credentials"][0]["credential_uuid"]
    assert applier.pending() == [] and len(changes) == 3
    assert await applier.undo_all() == []
    assert applier.undo == [] and snapshot(emulator) == before


async def test_a_failed_step_keeps_the_earlier_ones_and_retry_finishes(client, emulator, tmp_path):
    plan = load_plan(write_plan(tmp_path))
    applier = Applier(client, plan, password=PASSWORD)
    await applier.read()
    emulator.add_fault({"method": "POST", "path": r"/Application/$", "status": 400, "count": 1})
    results = [await applier.run([c]) for c in applier.pending()]
    assert [r.ok for r in results] == [True, True, False]
    assert [u.kind for u in applier.undo] == ["ip_acl", "credential"]  # the failed one: none
    (left,) = applier.pending()
    # the remaining change names the ids made before it, not "(new)"
    assert plan.auth.ip_acl.ip_acl_uuid in render_change(left)
    assert (await applier.run()).ok
    assert len(emulator.dump_state()["applications"]) == 1


async def test_the_wizard_finishes_the_journal_the_cli_left(emulator, tmp_path):
    """One journal: a rollback `byon apply` could not finish is finished from the wizard."""
    path = write_plan(tmp_path)
    session = Session(mode=LIVE, api_url=emulator.api_url, plan_path=path)
    await session.connect(emulator.auth_id, emulator.auth_token)
    try:
        acl = await session.client.create_ip_acl("left-over", ["203.0.113.10"])
        journal = journal_path_for(path, emulator.auth_id)  # in the state dir, as the CLI's
        write_journal(
            journal,
            [Undo("delete", "ip_acl", acl.ip_acl_uuid, "left-over")],
            auth_id=emulator.auth_id,
            plan=str(path),
        )
        plan = load_plan(path)
        assert session.journal_steps(plan) == ["delete ip_acl left-over"]
        seen = []
        assert await session.finish_journal(plan, seen.append)
        assert not journal.exists() and emulator.dump_state()["ip_acls"] == []
        assert seen[-1].state == "rolled_back"
    finally:
        await session.close()


async def test_the_session_applies_from_one_read_and_learns_ids(emulator, tmp_path):
    session = Session(mode=LIVE, api_url=emulator.api_url)
    await session.connect(emulator.auth_id, emulator.auth_token)
    try:
        session.sip_password = PASSWORD
        plan = load_plan(write_plan(tmp_path))
        changes = await session.pending_changes(plan)
        n = len(emulator.log)
        for change in [c for c in changes if c.action != "unchanged"]:
            assert (await session.apply_one(plan, change, lambda _e: None)).ok
        assert all(e["method"] == "POST" for e in emulator.log[n:])
        assert plan.application.app_id and len(session.undo) == 3
        assert await session.undo_applied(lambda _e: None) == []
        assert session.undo == []
    finally:
        await session.close()


async def test_a_purchase_is_a_change_with_its_cost_and_no_undo(client, emulator, tmp_path):
    plan = load_plan(write_plan(tmp_path, BUY_PLAN))
    (pick,) = (await client.search_phone_numbers("US", type="local", pattern="212"))[:1]
    plan_purchase(plan, pick, "US")
    assert plan.forwarding.plivo_number == "buy"
    applier = Applier(client, plan)
    changes = await applier.read()
    (buy,) = [c for c in changes if c.kind == "number"]
    assert buy.action == "create" and buy.name == f"+{pick.number}" and buy.irreversible
    line = render_change(buy)
    assert f"{float(pick.monthly_rental_rate):.2f} USD a month" in line
    assert "setup" in line and "cannot be undone" in line
    assert writes(emulator) == []  # reading and showing it bought nothing
    assert (await applier.run()).ok
    assert plan.forwarding.plivo_number == f"+{pick.number}"
    owned = {n["number"]: n for n in emulator.dump_state()["numbers"]}
    assert owned[pick.number]["app_id"] == plan.application.app_id
    assert [u.kind for u in applier.undo] == ["application"]  # the purchase has no way back
    await applier.undo_all()
    assert pick.number in {n["number"] for n in emulator.dump_state()["numbers"]}


async def test_a_rotate_choice_holds_only_for_the_credential_it_was_made_for(emulator, tmp_path):
    """Yes to "set the password of existing credential A" must not carry over to a
    username typed afterwards: that one is asked about again."""
    session = Session(mode=LIVE, api_url=emulator.api_url)
    await session.connect(emulator.auth_id, emulator.auth_token)
    try:
        plan = load_plan(write_plan(tmp_path))
        username = plan.auth.credential.username
        session.rotate_password = username
        assert session._applier_for(plan).rotate_password is True
        plan.auth.credential.username = "another_trunk"
        assert session._applier_for(plan).rotate_password is False
    finally:
        await session.close()
