"""The apply journal is acted on only when this user's byon wrote it for this account and
plan, and each step undoes only what byon set (issue 10 #1)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from tests.domain.test_apply_helpers import write_plan
from wizard.errors import ByonError
from wizard.files import state_dir, write_atomic
from wizard.plans.journal import (
    STRAY_NAME,
    StepEvent,
    Undo,
    apply_lock,
    journal_path_for,
    read_journal,
    resume,
    roll_back,
    stray_journal,
    write_journal,
)
from wizard.session import Session

AGENT = "https://agent.example.com/answer"
BYON_SET = "https://byon-set.example.com/answer"


@pytest.fixture
def plan_path(tmp_path):
    return write_plan(tmp_path)


def test_journals_live_in_the_state_dir_one_per_account_and_plan(tmp_path, plan_path):
    path = journal_path_for(plan_path, "MAONE000000000000000")
    assert path.parent == state_dir()
    assert STRAY_NAME not in path.name
    other_plan = write_plan(tmp_path, name="other.toml")
    assert journal_path_for(other_plan, "MAONE000000000000000") != path
    assert journal_path_for(plan_path, "MATWO000000000000000") != path
    # the same plan through another spelling of its path: the same journal
    relative = os.path.relpath(plan_path)
    assert journal_path_for(relative, "MAONE000000000000000") == path


def test_the_wizard_and_the_cli_share_one_journal(plan_path):
    session = Session(mode="live", auth_id="MAONE000000000000000", plan_path=plan_path)
    assert session.journal_path() == journal_path_for(plan_path, "MAONE000000000000000")


def test_written_0600_and_read_back_bound_to_account_and_plan(plan_path, tmp_path):
    path = journal_path_for(plan_path, "MAONE000000000000000")
    undo = Undo("update", "application", "1", "x", {"answer_url": AGENT}, {"answer_url": BYON_SET})
    write_journal(path, [undo], auth_id="MAONE000000000000000", plan=str(plan_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_journal(path, auth_id="MAONE000000000000000", plan=plan_path) == [undo]
    with pytest.raises(ByonError, match="not account MATWO"):
        read_journal(path, auth_id="MATWO000000000000000", plan=plan_path)
    other = write_plan(tmp_path, name="other.toml")
    with pytest.raises(ByonError, match=r"other\.toml"):
        read_journal(path, auth_id="MAONE000000000000000", plan=other)
    write_journal(path, [], auth_id="MAONE000000000000000")
    assert not path.exists()


@pytest.mark.parametrize("how", ["mode-0644", "symlink", "bad-step", "old-version"])
def test_a_journal_byon_did_not_write_is_refused(plan_path, tmp_path, how):
    path = journal_path_for(plan_path, "MAONE000000000000000")
    doc = {
        "version": 2,
        "auth_id": "MAONE000000000000000",
        "plan": str(plan_path.resolve()),
        "undo": [{"op": "delete", "kind": "application", "id": "1", "name": "x"}],
    }
    if how == "mode-0644":
        write_atomic(path, json.dumps(doc), mode=0o644)
    elif how == "symlink":
        target = tmp_path / "planted.json"
        write_atomic(target, json.dumps(doc), mode=0o600)
        path.symlink_to(target)
    elif how == "bad-step":
        doc["undo"] = [{"op": "exec", "kind": "application"}]
        write_atomic(path, json.dumps(doc), mode=0o600)
    else:
        doc["version"] = 1
        write_atomic(path, json.dumps(doc), mode=0o600)
    with pytest.raises(ByonError) as info:
        read_journal(path, auth_id="MAONE000000000000000", plan=plan_path)
    assert str(path) in str(info.value)
    path.unlink()


def test_a_journal_beside_the_plan_is_only_reported(plan_path):
    assert stray_journal(plan_path) is None
    (plan_path.parent / STRAY_NAME).write_text("{}")
    assert stray_journal(plan_path) == plan_path.parent / STRAY_NAME
    assert (
        read_journal(
            journal_path_for(plan_path, "MAONE000000000000000"),
            auth_id="MAONE000000000000000",
            plan=plan_path,
        )
        == []
    )


async def _app(client, url=BYON_SET):
    return await client.create_application(app_name="journal-app", answer_url=url)


async def _run(client, undos, tmp_path):
    events: list[StepEvent] = []
    left = await roll_back(
        client, undos, journal=tmp_path / "j.json", auth_id=client.auth_id, on_step=events.append
    )
    return left, events


async def test_update_runs_only_while_the_app_holds_what_byon_set(client, tmp_path):
    app = await _app(client)
    undo = Undo(
        "update",
        "application",
        app.app_id,
        "journal-app",
        {"answer_url": AGENT},
        {"answer_url": BYON_SET},
    )
    left, _ = await _run(client, [undo], tmp_path)
    assert left == [] and (await client.get_application(app.app_id)).answer_url == AGENT
    # someone changed it since: left as it is, said, and dropped from the journal
    await client.update_application(app.app_id, answer_url="https://theirs.example.com/a")
    left, events = await _run(client, [undo], tmp_path)
    assert left == [] and not (tmp_path / "j.json").exists()
    (failed,) = [e for e in events if e.state == "failed"]
    assert "changed since byon set it" in failed.message and "left as it is" in failed.message
    assert (await client.get_application(app.app_id)).answer_url == "https://theirs.example.com/a"


async def test_an_update_already_back_is_done_without_a_write(client, emulator, tmp_path):
    app = await _app(client, AGENT)
    undo = Undo(
        "update",
        "application",
        app.app_id,
        "journal-app",
        {"answer_url": AGENT},
        {"answer_url": BYON_SET},
    )
    n = len(emulator.log)
    left, events = await _run(client, [undo], tmp_path)
    assert left == [] and [e.state for e in events] == ["rolled_back"]
    assert all(e["method"] == "GET" for e in emulator.log[n:])


async def test_an_update_without_what_byon_set_is_refused(client, tmp_path):
    app = await _app(client)
    undo = Undo("update", "application", app.app_id, "journal-app", {"answer_url": AGENT})
    _left, events = await _run(client, [undo], tmp_path)
    assert "did not record what it set" in events[0].message
    assert (await client.get_application(app.app_id)).answer_url == BYON_SET


async def test_delete_runs_only_while_the_resource_keeps_byons_name(client, tmp_path):
    app = await _app(client)
    renamed = Undo("delete", "application", app.app_id, "other-name")
    _left, events = await _run(client, [renamed], tmp_path)
    assert "changed since byon set it" in events[0].message
    assert (await client.get_application(app.app_id)).app_name == "journal-app"
    _left, events = await _run(
        client, [Undo("delete", "application", app.app_id, "journal-app")], tmp_path
    )
    assert [e.state for e in events] == ["rolled_back"]
    assert [a.app_id for a in await client.list_applications()] == []


async def test_acl_update_compares_entries_as_networks(client, tmp_path):
    acl = await client.create_ip_acl("edge", ["203.0.113.10/32", "198.51.100.0/28"])
    undo = Undo(
        "update",
        "ip_acl",
        acl.ip_acl_uuid,
        "edge",
        {"ip_addresses": ["192.0.2.1"]},
        {"ip_addresses": ["198.51.100.0/28", "203.0.113.10"]},
    )
    left, _ = await _run(client, [undo], tmp_path)
    assert left == []
    assert (await client.get_ip_acl(acl.ip_acl_uuid)).ip_addresses == ("192.0.2.1",)


async def test_resume_refuses_another_plans_journal(client, plan_path, tmp_path):
    path = journal_path_for(plan_path, client.auth_id)
    write_journal(
        path,
        [Undo("delete", "application", "1", "x")],
        auth_id=client.auth_id,
        plan=str(tmp_path / "elsewhere.toml"),
    )
    with pytest.raises(ByonError, match=r"elsewhere\.toml"):
        await resume(client, path, auth_id=client.auth_id, plan=plan_path)
    assert path.exists()
    path.unlink()


def test_apply_lock_is_per_account_and_plan(plan_path, tmp_path):
    from wizard.files import Busy

    with apply_lock(plan_path, "MAONE000000000000000"):
        with (
            pytest.raises(Busy, match="another byon apply of"),
            apply_lock(plan_path, "MAONE000000000000000"),
        ):
            pass
        with apply_lock(plan_path, "MATWO000000000000000"):
            pass
        with apply_lock(write_plan(tmp_path, name="b.toml"), "MAONE000000000000000"):
            pass


def test_an_undo_step_reads_as_one_inert_line():
    """Names in a journal came from the account: a newline or an escape in one cannot
    forge a line of byon's own or move the cursor when the step is listed."""
    evil = "edge\n- undo delete everything\x1b[2J" + "x" * 1000
    for undo in (
        Undo("delete", "ip_acl", id="a1", name=evil),
        Undo("delete_named", "application", name=evil),
        Undo("update", "application", id="1", fields={"answer_url": evil}),
    ):
        line = undo.describe()
        assert "\n" not in line and "\x1b" not in line and len(line) <= 400
        assert "edge\\n- undo" in line
