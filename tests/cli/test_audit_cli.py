"""`byon audit` as a subprocess against `byon emulator`."""

from __future__ import annotations

import json

from tests.cli.test_apply_cli import PASSWORD, plan_file


def test_demo_seed_has_an_open_app_and_exits_1(served_demo):
    r = served_demo.byon("audit")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert any("support-bot" in x and "toll-fraud" in x and "Fix:" in x for x in lines)
    assert "finding" in r.stderr


def test_json_one_object_per_finding(served_demo):
    r = served_demo.byon("audit", "--json")
    assert r.returncode == 1
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    assert objs and all(
        set(o) == {"kind", "resource", "id", "name", "message", "fix"} for o in objs
    )
    assert "open_sip_uri" in {o["kind"] for o in objs}
    assert r.stderr == ""


def test_clean_account_exits_0(served):
    r = served.byon("audit")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "" and "No findings" in r.stderr


def test_account_set_up_by_apply_is_clean(served, tmp_path):
    r = served.byon("apply", str(plan_file(tmp_path)), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    r = served.byon("audit", "--json")
    assert r.returncode == 0 and r.stdout == ""


def test_api_failure_exits_1_with_a_message(served):
    r = served.byon("audit", PLIVO_AUTH_TOKEN="not-the-token-at-all")
    assert r.returncode == 1
    assert "audit could not read the account" in r.stderr
    assert "not-the-token-at-all" not in r.stderr and "Traceback" not in r.stderr
