"""Plan files written back: dump order, atomic saves that keep comments and modes, ids
written into an existing file."""

from __future__ import annotations

import os
import stat
import tomllib

import pytest

from tests.domain.plan_samples import EXAMPLE, FORWARDING
from wizard.errors import PlanError
from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    Plan,
    StreamPlan,
    dump_plan,
    load_plan,
    loads_plan,
    save_plan,
    write_back_ids,
)

# --- dumping ------------------------------------------------------------------------------------


def full_plan() -> Plan:
    return Plan(
        option="direct_sip",
        external_number="+14155550100",
        provider="asterisk",
        auth_id="MAXXXXXXXXXXXXXXXXXX",
        application=ApplicationPlan(
            name="agent",
            app_id="123",
            answer_url="https://a.example.com/answer",
            hangup_url="https://a.example.com/hangup",
        ),
        auth=AuthPlan(
            type="ip_acl_and_credential",
            ip_acl=AclPlan(name="edge", entries=["203.0.113.10"], ip_acl_uuid="acl-1"),
            credential=CredentialPlan(username="trunk_1", credential_uuid="cred-1"),
        ),
        stream=StreamPlan(url="wss://a.example.com/ws", bidirectional=False, audio_track="both"),
    )


def test_dump_round_trips_and_keeps_contract_order():
    plan = full_plan()
    text = dump_plan(plan)
    assert loads_plan(text) == plan
    order = [ln for ln in text.splitlines() if ln.startswith("[")]
    assert order == [
        "[account]",
        "[route]",
        "[application]",
        "[auth]",
        "[auth.ip_acl]",
        "[auth.credential]",
        "[stream]",
    ]
    route = text.split("[route]")[1]
    assert route.index("option") < route.index("external_number") < route.index("provider")


def test_dump_omits_empty_sections_and_never_a_secret(monkeypatch):
    monkeypatch.setenv("BYON_SIP_PASSWORD", "Sup3rSecretPassw0rd")
    plan = loads_plan(FORWARDING)
    text = dump_plan(plan)
    assert "[auth" not in text and "[stream]" not in text and "[account]" not in text
    assert "Sup3rSecretPassw0rd" not in text and "password =" not in text
    assert loads_plan(text) == plan
    data = tomllib.loads(dump_plan(full_plan()))
    assert data["auth"]["credential"] == {
        "username": "trunk_1",
        "credential_uuid": "cred-1",
        "password_env": "BYON_SIP_PASSWORD",
    }


# --- atomic writes ------------------------------------------------------------------------------


def test_save_plan_new_file_is_atomic_and_loadable(tmp_path):
    path = save_plan(full_plan(), tmp_path / "new.toml")
    assert load_plan(path) == full_plan()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.toml"]


def test_save_plan_keeps_mode_and_comments(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    os.chmod(path, 0o640)
    plan = loads_plan(EXAMPLE)
    plan.application.answer_url = "https://agent.example.com/v2/answer"
    plan.auth.ip_acl.entries.append("192.0.2.7")
    save_plan(plan, path)
    text = path.read_text()
    assert "# filled in by apply/export" in text and "# optional" in text
    assert 'answer_url = "https://agent.example.com/v2/answer"' in text
    assert load_plan(path) == plan
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_save_plan_structural_change_rewrites_whole(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    plan = loads_plan(EXAMPLE)
    plan.stream = None
    save_plan(plan, path)
    assert load_plan(path) == plan and "[stream]" not in path.read_text()


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    plan = loads_plan(EXAMPLE)
    plan.application.name = "changed"
    with pytest.raises(PlanError, match="cannot be written \\(disk full\\)"):
        save_plan(plan, path)
    assert path.read_text() == EXAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_write_back_ids_keeps_comments_and_layout(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    changed = write_back_ids(
        path,
        {
            "application": "20468599130939380",
            "ip_acl": "acl-uuid-1",
            "credential": "cred-uuid-1",
        },
    )
    assert sorted(changed) == [
        "application.app_id",
        "auth.credential.credential_uuid",
        "auth.ip_acl.ip_acl_uuid",
    ]
    text = path.read_text()
    before, after = EXAMPLE.splitlines(), text.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (
            'app_id = ""                               # filled in by apply/export',
            'app_id = "20468599130939380"              # filled in by apply/export',
        ),
        ('ip_acl_uuid = ""', 'ip_acl_uuid = "acl-uuid-1"'),
        ('credential_uuid = ""', 'credential_uuid = "cred-uuid-1"'),
    ]
    plan = load_plan(path)
    assert plan.application.app_id == "20468599130939380"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_write_back_inserts_a_missing_key_in_its_table(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(FORWARDING)
    write_back_ids(path, {"application": "42", "number": "+14155550199"})
    text = path.read_text()
    assert 'app_id = "42"' in text.split("[application]")[1].split("[")[0]
    assert 'plivo_number = "+14155550199"' in text
    assert "[forwarding.search]" in text  # kept: it says how the number was chosen
    plan = load_plan(path)
    assert plan.forwarding.plivo_number == "+14155550199" and plan.application.app_id == "42"


def test_write_back_to_an_inline_table_falls_back_to_a_full_dump(tmp_path):
    path = tmp_path / "inline.toml"
    text = EXAMPLE.split("[auth]")[0] + (
        '[auth]\ntype = "credential"\n'
        'credential = { username = "carrier_trunk", password_env = "PW" }\n'
    )
    path.write_text(text)
    write_back_ids(path, {"credential": "cred-9"})
    assert load_plan(path).auth.credential.credential_uuid == "cred-9"


def test_write_back_refuses_an_id_for_a_missing_table(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(FORWARDING)
    with pytest.raises(PlanError) as info:
        write_back_ids(path, {"ip_acl": "x"})
    assert info.value.key == "auth.ip_acl.ip_acl_uuid" and str(path) in str(info.value)
    assert "no [auth.ip_acl] table" in str(info.value)
    with pytest.raises(PlanError, match="not an id apply learns"):
        write_back_ids(path, {"application.name": "x"})
    assert path.read_text() == FORWARDING


def test_write_back_keeps_crlf_line_endings(tmp_path):
    path = tmp_path / "crlf.toml"
    path.write_bytes(FORWARDING.replace("\n", "\r\n").encode())
    write_back_ids(path, {"application": "7"})
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert load_plan(path).application.app_id == "7"


def test_unwritable_directory_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError, match="cannot be written") as info:
        save_plan(full_plan(), tmp_path / "no" / "such" / "dir.toml")
    assert "dir.toml" in str(info.value)


def test_writing_through_a_symlink_is_refused_and_the_target_kept(tmp_path):
    target = tmp_path / "real.toml"
    target.write_text(EXAMPLE)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    with pytest.raises(PlanError, match="symbolic link") as info:
        write_back_ids(link, {"application": "5"})
    assert "link.toml" in str(info.value)
    with pytest.raises(PlanError, match="symbolic link"):
        save_plan(full_plan(), link)
    assert link.is_symlink() and target.read_text() == EXAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.toml", "real.toml"]
