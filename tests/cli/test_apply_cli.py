"""`byon apply` and `byon export` as subprocesses against `byon emulator`.

The token travels in the environment only, never in argv.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.domain.test_apply_helpers import BUY_PLAN, SIP_PLAN

BYON = str(Path(sys.executable).with_name("byon"))
PASSWORD = "Carrier-Trunk-2024x"


class Served:
    """A `byon emulator` process and a way to talk to its control surface."""

    def __init__(self, seed: str | None = None) -> None:
        cmd = [BYON, "emulator", "--port", "0"] + (["--seed", seed] if seed else [])
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        info = json.loads(self.proc.stdout.readline())
        self.api_url = info["api_url"]
        self.auth_id = info["auth_id"]
        self.auth_token = info["auth_token"]

    def control(self, method: str, what: str, body: dict | None = None) -> dict:
        resp = httpx.request(
            method,
            f"{self.api_url}/__emulator__/{what}",
            json=body,
            auth=(self.auth_id, self.auth_token),
        )
        resp.raise_for_status()
        return resp.json()

    def log(self) -> list[dict]:
        return self.control("GET", "log")["requests"]

    def writes(self) -> list[dict]:
        return [r for r in self.log() if r["method"] != "GET"]

    def state(self) -> dict:
        return self.control("GET", "state")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PLIVO_", "BYON_"))}
        env.update(
            PLIVO_AUTH_ID=self.auth_id,
            PLIVO_AUTH_TOKEN=self.auth_token,
            PLIVO_API_URL=self.api_url,
        )
        env.update(extra)
        return env

    def byon(self, *args: str, stdin: int | None = subprocess.DEVNULL, **env: str):
        argv = [BYON, *args]
        assert self.auth_token not in " ".join(argv)
        return subprocess.run(
            argv, env=self.env(**env), capture_output=True, text=True, stdin=stdin, timeout=60
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def served():
    s = Served()
    yield s
    s.stop()


@pytest.fixture
def served_demo():
    s = Served("demo")
    yield s
    s.stop()


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


def test_generated_password_is_shown_once_on_stderr_only(served, tmp_path):
    path = plan_file(tmp_path)
    r = served.byon("apply", str(path), "--yes", "--json")
    assert r.returncode == 0, r.stderr
    marker = "(shown once; byon stores it nowhere):"
    assert r.stderr.count(marker) == 1
    pw = r.stderr.split(marker, 1)[1].split()[0]
    assert len(pw) >= 12
    assert pw not in r.stdout and pw not in path.read_text()
    for line in r.stdout.splitlines():
        json.loads(line)  # every stdout line is JSON
    r = served.byon("apply", str(path), "--yes")
    assert marker not in r.stderr


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
    assert r.returncode == 1 and ".byon-journal.json" in r.stderr
    assert (tmp_path / ".byon-journal.json").exists()
    served.control("DELETE", "faults")
    n = len(served.log())
    r = served.byon("apply", str(path), "--dry-run", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "finishes it first: delete credential carrier_trunk" in r.stderr
    assert (tmp_path / ".byon-journal.json").exists()
    assert all(x["method"] == "GET" for x in served.log()[n:])  # a dry run writes nothing
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "finishing it first" in r.stderr and "earlier rollback is complete" in r.stderr
    assert not (tmp_path / ".byon-journal.json").exists()
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


def test_ctrl_c_during_apply_rolls_back_and_exits_130(served, tmp_path):
    before = served.state()
    # The application is created at once but its answer is held back: Ctrl-C lands mid-flight.
    served.control(
        "POST",
        "faults",
        {"method": "POST", "path": "Application/$", "latency_ms": 5000, "when": "after"},
    )
    proc = subprocess.Popen(
        [BYON, "apply", str(plan_file(tmp_path)), "--yes"],
        env=served.env(BYON_TEST_SIP_PASSWORD=PASSWORD),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "[..] + create application" in line:
            break
    assert any("create application" in x for x in seen), seen
    for _ in range(50):  # until the emulator has made the application
        if served.state()["applications"]:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 130, rest
    assert "rolled back" in rest
    after = served.state()
    for key in ("applications", "credentials", "ip_acls", "numbers"):
        assert after[key] == before[key], key
    assert not (tmp_path / ".byon-journal.json").exists()


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
