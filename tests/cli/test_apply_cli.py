"""`byon apply` and `byon export` as subprocesses against `byon emulator`.

The token travels in the environment only, never in argv.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.domain.test_apply_helpers import BUY_PLAN, SIP_PLAN
from tests.pipes import read_until
from tests.runner import BYON
from wizard.plans.journal import journal_path_for

PASSWORD = "Carrier-Trunk-2024x"


def plan_file(tmp_path: Path, text: str = SIP_PLAN) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_plan_exits_2_and_sends_nothing(served, tmp_path):
    path = plan_file(tmp_path, SIP_PLAN.replace('type = "ip_acl_and_credential"', 'tpye = "x"'))
    r = served.byon("apply", str(path), "--yes")
    assert r.returncode == 2
    assert "plan.toml" in r.stderr and "tpye" in r.stderr
    assert "Traceback" not in r.stderr
    assert served.log() == []


def test_unreadable_plan_exits_2(served, tmp_path):
    r = served.byon("apply", str(tmp_path / "missing.toml"), "--yes")
    assert r.returncode == 2 and "missing.toml" in r.stderr
    assert served.log() == []


def test_weak_password_in_env_exits_2_without_echoing_it(served, tmp_path):
    r = served.byon("apply", str(plan_file(tmp_path)), "--yes", BYON_TEST_SIP_PASSWORD="Zq9wk")
    assert r.returncode == 2
    assert "$BYON_TEST_SIP_PASSWORD" in r.stderr and "12-128" in r.stderr
    assert "Zq9wk" not in r.stderr
    assert served.log() == []


def test_missing_token_exits_2(served, tmp_path):
    r = served.byon("apply", str(plan_file(tmp_path)), "--yes", PLIVO_AUTH_TOKEN="")
    assert r.returncode == 2 and "PLIVO_AUTH_TOKEN" in r.stderr
    assert served.log() == []


def test_dry_run_prints_the_diff_and_changes_nothing(served, tmp_path):
    r = served.byon("apply", str(plan_file(tmp_path)), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "+ create ip_acl carrier-edge (2 entries)" in r.stderr
    assert "+ create credential carrier_trunk" in r.stderr
    assert "+ create application ai-agent-inbound" in r.stderr
    assert served.writes() == []


def test_no_tty_without_yes_exits_2_and_says_pass_yes(served, tmp_path):
    r = served.byon("apply", str(plan_file(tmp_path)))
    assert r.returncode == 2
    assert "--yes" in r.stderr
    assert served.writes() == []


def test_yes_applies_writes_ids_back_and_second_run_is_a_no_op(served, tmp_path):
    path = plan_file(tmp_path)
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "Done: 3 change(s) applied." in r.stderr
    assert PASSWORD not in r.stderr + r.stdout
    state = served.state()
    app_id = state["applications"][0]["app_id"]
    text = path.read_text()
    assert f'app_id = "{app_id}"' in text
    assert "# Routing for the support line; reviewed in PR 12." in text
    n = len(served.log())
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0
    assert "= unchanged application ai-agent-inbound" in r.stderr
    assert "Nothing to change" in r.stderr
    assert [x["method"] for x in served.log()[n:]] and all(
        x["method"] == "GET" for x in served.log()[n:]
    )


def test_no_generated_password_outside_a_terminal(served, tmp_path):
    """Attack (issue 10 #14): a generated password printed in a CI run lands in its log."""
    path = plan_file(tmp_path)
    for extra in ((), ("--json",)):
        r = served.byon("apply", str(path), "--yes", *extra)
        assert r.returncode == 2, r.stderr
        assert "$BYON_TEST_SIP_PASSWORD" in r.stderr and "--password-file" in r.stderr
        assert "shown once" not in r.stderr + r.stdout
    assert served.writes() == []
    r = served.byon("apply", str(path), "--dry-run")
    assert r.returncode == 0 and "a real run would stop here" in r.stderr


def test_password_file_gets_the_generated_password_0600(served, tmp_path):
    path = plan_file(tmp_path)
    secret = tmp_path / "sip-password"
    r = served.byon("apply", str(path), "--yes", "--json", "--password-file", str(secret))
    assert r.returncode == 0, r.stderr
    pw = secret.read_text().strip()
    assert len(pw) >= 12 and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert pw not in r.stderr + r.stdout and pw not in path.read_text()
    assert f"written to {secret}" in r.stderr
    for line in r.stdout.splitlines():
        json.loads(line)  # every stdout line is JSON
    (cred,) = served.state()["credentials"]
    assert cred["username"] == "carrier_trunk"


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_password_file_is_never_overwritten_or_followed(served, tmp_path, planted):
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    secret = tmp_path / "sip-password"
    if planted == "file":
        secret.write_text("old\n")
    else:
        secret.symlink_to(victim)
    r = served.byon("apply", str(plan_file(tmp_path)), "--yes", "--password-file", str(secret))
    assert r.returncode == 2 and "already exists" in r.stderr
    assert victim.read_text() == "keep me\n"
    assert served.writes() == []


def test_password_file_is_removed_when_the_credential_is_rolled_back(served, tmp_path):
    served.control(
        "POST", "faults", {"method": "POST", "path": "Application/$", "status": 400, "count": 9}
    )
    secret = tmp_path / "sip-password"
    r = served.byon("apply", str(plan_file(tmp_path)), "--yes", "--password-file", str(secret))
    assert r.returncode == 1 and "rolled back" in r.stderr
    assert not secret.exists() and "was not put in use" in r.stderr


def test_generated_password_is_shown_once_on_a_terminal(served, tmp_path):
    path = plan_file(tmp_path)
    out = run_on_a_terminal(served, "apply", str(path), "--yes")
    marker = "(shown once; byon stores it nowhere):"
    assert out.count(marker) == 1, out
    pw = out.split(marker, 1)[1].split()[0]
    assert len(pw) >= 12 and pw not in path.read_text()
    assert marker not in run_on_a_terminal(served, "apply", str(path), "--yes")


def run_on_a_terminal(served, *args: str) -> str:
    """byon with a pseudo-terminal as stdin and stderr, as a person would run it."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [BYON, *args],
        env=served.env(),
        stdin=follower,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closes with the process
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    assert proc.wait(timeout=60) == 0, b"".join(chunks)
    return b"".join(chunks).decode("utf-8", "replace")


def test_json_lines(served, tmp_path):
    r = served.byon(
        "apply", str(plan_file(tmp_path)), "--yes", "--json", BYON_TEST_SIP_PASSWORD=PASSWORD
    )
    assert r.returncode == 0, r.stderr
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    changes = [o for o in objs if o["event"] == "change"]
    assert [(c["action"], c["kind"]) for c in changes] == [
        ("create", "ip_acl"),
        ("create", "credential"),
        ("create", "application"),
    ]
    assert changes[2]["depends_on"] == ["ip_acl", "credential"]
    steps = [o for o in objs if o["event"] == "step" and o["state"] == "done"]
    assert len(steps) == 3
    assert objs[-1]["event"] == "result" and objs[-1]["ok"] is True


def test_api_failure_rolls_back_and_exits_1(served, tmp_path):
    before = served.state()
    served.control(
        "POST", "faults", {"method": "POST", "path": "Application/$", "status": 400, "count": 9}
    )
    r = served.byon("apply", str(plan_file(tmp_path)), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 1
    assert "apply failed" in r.stderr and "rolled back" in r.stderr
    after = served.state()
    for key in ("applications", "credentials", "ip_acls", "numbers"):
        assert after[key] == before[key]


def test_unfinished_rollback_is_finished_by_the_next_run(served, tmp_path):
    path = plan_file(tmp_path)
    for fault in (
        {"method": "POST", "path": "Application/$", "status": 400, "count": 9},
        {"method": "DELETE", "path": "Credential/", "status": 400, "count": 9},
    ):
        served.control("POST", "faults", fault)
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    journal = journal_path_for(path, served.auth_id)
    assert r.returncode == 1 and str(journal) in r.stderr
    assert journal.exists() and stat.S_IMODE(journal.stat().st_mode) == 0o600
    assert not (tmp_path / ".byon-journal.json").exists()
    served.control("DELETE", "faults")
    n = len(served.log())
    r = served.byon("apply", str(path), "--dry-run", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "- undo delete credential carrier_trunk" in r.stderr
    # the ACL and the credential are made concurrently: the rollback stops at the
    # credential, with the ACL still to undo after it only when the ACL came first
    left = len(json.loads(journal.read_text())["undo"])
    assert left in (1, 2) and f"Dry run: {left} undo step(s) and" in r.stderr
    assert journal.exists()
    assert all(x["method"] == "GET" for x in served.log()[n:])  # a dry run writes nothing
    r = served.byon("apply", str(path), BYON_TEST_SIP_PASSWORD=PASSWORD)  # no terminal
    assert r.returncode == 2 and "--yes" in r.stderr and journal.exists()
    assert all(x["method"] == "GET" for x in served.log()[n:])
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "- undo delete credential carrier_trunk" in r.stderr
    assert "finishing the rollback" in r.stderr and "earlier rollback is complete" in r.stderr
    assert not journal.exists()
    state = served.state()
    assert [c["username"] for c in state["credentials"]] == ["carrier_trunk"]
    assert [a["name"] for a in state["ip_acls"]] == ["carrier-edge"]
    assert state["applications"][0]["credential_uuid"] == state["credentials"][0]["credential_uuid"]


def test_plan_for_another_account_exits_2(served, tmp_path):
    text = SIP_PLAN.replace("[route]", '[account]\nauth_id = "MAOTHER0000000000000"\n\n[route]')
    r = served.byon("apply", str(plan_file(tmp_path, text)), "--yes")
    assert r.returncode == 2
    assert "MAOTHER0000000000000" in r.stderr and served.auth_id in r.stderr
    assert served.log() == []


def test_env_password_for_an_existing_credential_is_not_applied_silently(served, tmp_path):
    path = plan_file(tmp_path)
    assert served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD).returncode == 0
    r = served.byon("apply", str(path), "--dry-run", BYON_TEST_SIP_PASSWORD="Other-Passw0rd-123")
    assert "pass --rotate-password to set it" in r.stderr
    r = served.byon(
        "apply",
        str(path),
        "--yes",
        "--rotate-password",
        BYON_TEST_SIP_PASSWORD="Other-Passw0rd-123",
    )
    assert r.returncode == 0, r.stderr
    assert "~ update credential carrier_trunk: password *** -> (new)" in r.stderr
    assert "Other-Passw0rd-123" not in r.stderr


def test_buy_plan_writes_the_number_back(served, tmp_path):
    path = plan_file(tmp_path, BUY_PLAN)
    r = served.byon("apply", str(path), "--yes", "--allow-open-sip")
    assert r.returncode == 0, r.stderr
    (num,) = served.state()["numbers"]
    assert f'plivo_number = "+{num["number"]}"' in path.read_text()


def test_export_then_apply_is_a_no_op(served, tmp_path):
    assert (
        served.byon(
            "apply", str(plan_file(tmp_path)), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD
        ).returncode
        == 0
    )
    out = tmp_path / "exported.toml"
    r = served.byon(
        "export",
        "--app-name",
        "ai-agent-inbound",
        "--external-number",
        "+14155550100",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert 'option = "direct_sip"' in text and 'username = "carrier_trunk"' in text
    assert PASSWORD not in text and served.auth_token not in text
    n = len(served.log())
    r = served.byon("apply", str(out), "--yes")
    assert r.returncode == 0, r.stderr
    assert "Nothing to change" in r.stderr
    assert all(x["method"] == "GET" for x in served.log()[n:])


def test_export_to_stdout_by_app_id(served_demo):
    app = next(a for a in served_demo.state()["applications"] if a["app_name"] == "support-bot")
    r = served_demo.byon("export", "--app", app["app_id"])
    assert r.returncode == 0, r.stderr
    assert 'name = "support-bot"' in r.stdout
    assert 'option = "did_forwarding"' in r.stdout  # no SIP auth, a number points at it


def test_export_unknown_app_exits_1_with_the_fix(served):
    r = served.byon("export", "--app-name", "nope")
    assert r.returncode == 1
    assert "no application named 'nope'" in r.stderr and "--app APP_ID" in r.stderr


# Run from a terminal, byon starts with SIGINT at its default. A test run started in the
# background of a shell script inherits SIGINT ignored (POSIX), and so would this byon: it
# would never see the Ctrl-C. The command is started as from a terminal.
AS_FROM_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def test_ctrl_c_during_apply_rolls_back_and_exits_130(served, tmp_path):
    before = served.state()
    # The application is created at once but its answer is held back: Ctrl-C lands mid-flight.
    # The hold is long so that even a starved test process signals well inside it; when the
    # interrupt works, the test ends a moment after it, whatever the hold.
    served.control(
        "POST",
        "faults",
        {"method": "POST", "path": "Application/$", "latency_ms": 20000, "when": "after"},
    )
    launched = time.monotonic()
    argv = [BYON, "apply", str(plan_file(tmp_path)), "--yes"]
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_FROM_A_TERMINAL, *argv],
        env=served.env(BYON_TEST_SIP_PASSWORD=PASSWORD),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    read_until(proc, lambda line: "[..] + create application" in line)
    started = time.monotonic()
    since_start = started - launched
    # Ctrl-C only once the emulator has made the application: sent earlier (a loaded
    # machine), the request could still land after byon looked for what to roll back
    deadline = time.monotonic() + 30
    while not (made := served.state()["applications"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert made, "the emulator never made the application"
    late = time.monotonic() - started
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    if proc.wait(timeout=30) != 130:
        # all of it, untruncated: a rare failure has to explain itself the first time
        pytest.fail(
            f"exit status {proc.returncode}, signalled {late:.2f} s into the create, which"
            f" began {since_start:.2f} s after the start"
            f"\n--- stderr after the create began:\n{rest}"
            f"\n--- the emulator's writes:\n{json.dumps(served.writes(), indent=1)}"
            f"\n--- faults left:\n{served.control('GET', 'faults')}"
        )
    assert "rolled back" in rest
    after = served.state()
    for key in ("applications", "credentials", "ip_acls", "numbers"):
        assert after[key] == before[key], key
    assert not journal_path_for(tmp_path / "plan.toml", served.auth_id).exists()


def test_forwarding_plan_warns_about_the_open_sip_uri(served, tmp_path):
    r = served.byon("apply", str(plan_file(tmp_path, BUY_PLAN)), "--dry-run", "--allow-open-sip")
    assert r.returncode == 0, r.stderr
    assert "no SIP authentication (toll-fraud risk)" in r.stderr
    assert "accepted with --allow-open-sip" in r.stderr


def test_kill_9_mid_apply_then_apply_again_converges_without_duplicates(served, tmp_path):
    """A hard kill gets no chance to roll back: what it made carries the plan's names, so
    the next run adopts it instead of making it twice."""
    served.control(
        "POST",
        "faults",
        {"method": "POST", "path": "Application/$", "latency_ms": 5000, "when": "after"},
    )
    path = plan_file(tmp_path)
    proc = subprocess.Popen(
        [BYON, "apply", str(path), "--yes"],
        env=served.env(BYON_TEST_SIP_PASSWORD=PASSWORD),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):  # until the application exists and its answer is held back
        if served.state()["applications"]:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait(timeout=10)
    half = served.state()
    assert len(half["applications"]) == 1 and len(half["credentials"]) == 1

    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    after = served.state()
    assert [a["app_name"] for a in after["applications"]] == ["ai-agent-inbound"]
    assert [c["username"] for c in after["credentials"]] == ["carrier_trunk"]
    assert [a["name"] for a in after["ip_acls"]] == ["carrier-edge"]
    app = after["applications"][0]
    assert app["sip_auth_type"] == "ip_acl_and_credential"
    assert app["credential_uuid"] == after["credentials"][0]["credential_uuid"]
    assert app["ip_acl_uuid"] == after["ip_acls"][0]["ip_acl_uuid"]
    assert app["app_id"] in path.read_text()  # learned ids written back
