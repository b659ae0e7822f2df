"""`byon apply` refuses risky settings without a flag naming the risk, shows the plan's
warnings before its question, says when an existing credential's password is unknown,
and never writes with --dry-run. Subprocesses against `byon emulator`."""

from __future__ import annotations

import json

import pytest

from tests.cli.served import Served
from tests.cli.test_apply_cli import PASSWORD, plan_file
from tests.domain.test_apply_helpers import BUY_PLAN, SIP_PLAN

RESOURCES = ("applications", "credentials", "ip_acls", "numbers")
ENTRIES = 'entries = ["203.0.113.10", "198.51.100.0/28"]'


def resources(served: Served) -> dict:
    state = served.state()
    return {k: state[k] for k in RESOURCES}


@pytest.mark.parametrize("entry", ["1.0.0.0/8", "2000::/3"])
def test_a_wide_acl_is_refused_before_any_request(served, tmp_path, entry):
    path = plan_file(tmp_path, SIP_PLAN.replace(ENTRIES, f'entries = ["{entry}"]'))
    before, text = resources(served), path.read_bytes()
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 2, r.stderr
    assert f"auth.ip_acl.entries[0]: refused: {entry} covers" in r.stderr
    assert "--allow-wide-acl" in r.stderr and "Nothing was changed" in r.stderr
    assert "Traceback" not in r.stderr
    assert served.log() == []  # not even a read
    assert resources(served) == before and path.read_bytes() == text


def test_a_wide_acl_is_applied_with_its_flag_and_still_warned(served, tmp_path):
    path = plan_file(tmp_path, SIP_PLAN.replace(ENTRIES, 'entries = ["1.0.0.0/8"]'))
    r = served.byon(
        "apply", str(path), "--yes", "--allow-wide-acl", BYON_TEST_SIP_PASSWORD=PASSWORD
    )
    assert r.returncode == 0, r.stderr
    assert "warning: 1.0.0.0/8 covers 16,777,216 addresses (wider than /16)" in r.stderr
    assert "accepted with --allow-wide-acl" in r.stderr
    assert [a["ip_addresses"] for a in served.state()["ip_acls"]] == [["1.0.0.0/8"]]


def test_a_dry_run_of_a_wide_acl_shows_the_changes_and_the_refusal(served, tmp_path):
    path = plan_file(tmp_path, SIP_PLAN.replace(ENTRIES, 'entries = ["2000::/3"]'))
    r = served.byon("apply", str(path), "--dry-run", "--json")
    assert r.returncode == 2, r.stderr
    objs = [json.loads(x) for x in r.stdout.splitlines()]
    assert objs[0]["event"] == "warning" and objs[0]["key"] == "auth.ip_acl.entries[0]"
    (acl,) = [o for o in objs if o.get("kind") == "ip_acl"]
    assert acl["line"] == "+ create ip_acl carrier-edge (1 entry)"
    result = objs[-1]
    assert result["ok"] is False and result["refused"][0]["flag"] == "--allow-wide-acl"
    assert served.writes() == []


def test_an_open_sip_uri_is_refused_and_the_account_left_untouched(served, tmp_path):
    path = plan_file(tmp_path, BUY_PLAN)
    before, text = resources(served), path.read_bytes()
    r = served.byon("apply", str(path), "--yes")
    assert r.returncode == 2, r.stderr
    line = text.decode().splitlines().index("[application]") + 1
    assert f"{path}:{line}: application: refused: application forwarded-agent: its SIP URI" in (
        r.stderr
    )
    assert "toll-fraud" in r.stderr and "--allow-open-sip" in r.stderr
    assert served.writes() == []
    assert resources(served) == before and path.read_bytes() == text
    r = served.byon("apply", str(path), "--yes", "--allow-open-sip")
    assert r.returncode == 0, r.stderr
    assert len(served.state()["numbers"]) == 1
    # the application is open already: applying the plan again (or one `byon export`
    # wrote) is not refused; it warns, and changes nothing
    writes = len(served.writes())
    r = served.byon("apply", str(path), "--yes")
    assert r.returncode == 0, r.stderr
    assert "application: warning: application forwarded-agent: sip:" in r.stderr
    assert "such application (already so in the account)" in r.stderr
    assert len(served.writes()) == writes


def test_the_plans_warnings_come_before_the_question_as_settings_prints_them(served, tmp_path):
    text = SIP_PLAN.replace("https://agent.example.com/answer", "http://agent.example.com/answer")
    text += '\n[stream]\nurl = "ws://agent.example.com/media"\n'
    path = plan_file(tmp_path, text)
    settings = served.byon("settings", str(path))
    shown = [ln for ln in settings.stderr.splitlines() if ": warning: " in ln]
    assert any("answer_url uses http://" in ln for ln in shown)
    assert any("stream.url uses ws://" in ln for ln in shown)
    r = served.byon("apply", str(path), BYON_TEST_SIP_PASSWORD=PASSWORD)  # no TTY: it stops
    assert r.returncode == 2 and "--yes" in r.stderr
    lines = r.stderr.splitlines()
    for warning in shown:
        assert warning in lines
        assert lines.index(warning) < next(i for i, ln in enumerate(lines) if "--yes" in ln)
    assert served.writes() == []


def offline_planned(served: Served, tmp_path) -> tuple:
    """The credential exists in the account (made by an earlier apply), and a plan that
    never learned its id, as one planned offline would be."""
    made = plan_file(tmp_path, SIP_PLAN)
    assert served.byon("apply", str(made), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD).returncode == 0
    fresh = tmp_path / "offline.toml"
    fresh.write_text(SIP_PLAN.replace('name = "ai-agent-inbound"', 'name = "other-agent"'))
    return fresh, served.state()["credentials"][0]["credential_uuid"]


def test_an_existing_credential_the_plan_did_not_make_is_said_on_its_line(served, tmp_path):
    path, uuid = offline_planned(served, tmp_path)
    r = served.byon("apply", str(path), "--dry-run", BYON_TEST_SIP_PASSWORD="Typed-At-Provider-9")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("= unchanged credential"))
    assert "was not made from this plan" in line and "403" in line
    assert "--rotate-password" in r.stderr and "stop here" in r.stderr
    assert "Typed-At-Provider-9" not in r.stderr + r.stdout
    n = len(served.log())
    r = served.byon(
        "apply",
        str(path),
        "--yes",
        "--rotate-password",
        BYON_TEST_SIP_PASSWORD="Typed-At-Provider-9",
    )
    assert r.returncode == 0, r.stderr
    assert "~ update credential carrier_trunk: password *** -> (new)" in r.stderr
    posts = [x for x in served.log()[n:] if x["method"] == "POST"]
    assert any(x["path"].endswith(f"/Credential/{uuid}/") for x in posts)
    assert f'credential_uuid = "{uuid}"' in path.read_text()


def test_an_existing_credential_in_json_is_marked_adopted(served, tmp_path):
    path, _uuid = offline_planned(served, tmp_path)
    r = served.byon("apply", str(path), "--dry-run", "--json")
    objs = [json.loads(x) for x in r.stdout.splitlines()]
    (cred,) = [o for o in objs if o.get("kind") == "credential"]
    assert cred["action"] == "unchanged" and cred["adopted"] is True


def test_a_dry_run_never_writes_the_plan_file(served, tmp_path):
    """Everything exists and the ids would be learned: a dry run still leaves the bytes."""
    made = plan_file(tmp_path, SIP_PLAN)
    assert served.byon("apply", str(made), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD).returncode == 0
    path = tmp_path / "no-ids.toml"
    path.write_text(SIP_PLAN, encoding="utf-8")
    before = path.read_bytes()
    r = served.byon("apply", str(path), "--dry-run", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "Nothing to change" in r.stderr and "Wrote" not in r.stderr
    assert path.read_bytes() == before
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    wrote = next(ln for ln in r.stderr.splitlines() if ln.startswith("Wrote "))
    assert "application.app_id" in wrote and "auth.credential.credential_uuid" in wrote
    assert path.read_bytes() != before
