"""Attacks on `byon apply`, `byon export` and the plan input, each run as a subprocess
against `byon emulator` (issue 10 #1, #11, #12, #13, #17, #18). Each must fail to get in:
nothing changes in the account that the user did not see and accept."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.cli.served import Served
from tests.cli.test_apply_cli import PASSWORD, plan_file
from tests.pipes import read_until
from tests.runner import BYON, run_byon, start_byon
from wizard.files import write_atomic
from wizard.plans.journal import STRAY_NAME, Undo, journal_path_for, write_journal
from wizard.plivo.http import plain_http_context

AGENT = "https://agent.example.com/answer"
EVIL = "https://attacker.example.com/answer"


def rest(served: Served, method: str, path: str, body: dict | None = None) -> dict:
    """A request to the emulator's Plivo API with the account's own credentials."""
    url = f"{served.api_url}/v1/Account/{served.auth_id}/{path}"
    auth = (served.auth_id, served.auth_token)
    resp = httpx.request(method, url, json=body, auth=auth, verify=plain_http_context())
    resp.raise_for_status()
    return resp.json() if resp.content else {}


def victim_app(served: Served) -> dict:
    made = rest(served, "POST", "Application/", {"app_name": "victim", "answer_url": AGENT})
    return rest(served, "GET", f"Application/{made['app_id']}/")


def planted_steps(app_id: str) -> list[dict]:
    """What the hostile journal of issue 10 #1 did: re-point, open SIP auth, delete."""
    return [
        {
            "op": "update",
            "kind": "application",
            "id": app_id,
            "fields": {"answer_url": EVIL},
            "expect": {"answer_url": AGENT},
        },
        {"op": "update", "kind": "application", "id": app_id, "fields": {"sip_auth_type": ""}},
        {"op": "delete", "kind": "application", "id": app_id, "name": "victim"},
    ]


# ---------------------------------------------------------------- issue 10 #1: journals


@pytest.mark.parametrize("args", [["--dry-run"], ["--yes"], []])
def test_a_journal_beside_the_plan_is_never_acted_on(served, tmp_path, args):
    app = victim_app(served)
    path = plan_file(tmp_path)
    doc = {
        "version": 2,
        "auth_id": served.auth_id,
        "plan": str(path.resolve()),
        "undo": planted_steps(app["app_id"]),
    }
    (tmp_path / STRAY_NAME).write_text(json.dumps(doc))
    os.chmod(tmp_path / STRAY_NAME, 0o600)
    r = served.byon("apply", str(path), *args, BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == (2 if not args else 0), r.stderr
    assert r.stderr.count(f"ignoring {tmp_path / STRAY_NAME}") == 1
    now = rest(served, "GET", f"Application/{app['app_id']}/")
    assert (now["answer_url"], now["app_name"]) == (AGENT, "victim")
    if args != ["--yes"]:
        assert served.writes()[-1]["path"].endswith("Application/")  # only the setup


@pytest.mark.parametrize("how", ["mode-0644", "symlink"])
def test_a_state_dir_journal_this_user_did_not_write_is_refused(served, tmp_path, how):
    app = victim_app(served)
    path = plan_file(tmp_path)
    journal = journal_path_for(path, served.auth_id)
    doc = {
        "version": 2,
        "auth_id": served.auth_id,
        "plan": str(path.resolve()),
        "undo": planted_steps(app["app_id"]),
    }
    if how == "mode-0644":
        write_atomic(journal, json.dumps(doc), mode=0o644)
    else:
        write_atomic(tmp_path / "planted.json", json.dumps(doc), mode=0o600)
        journal.symlink_to(tmp_path / "planted.json")
    n = len(served.writes())
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 1 and "was not used" in r.stderr and str(journal) in r.stderr
    assert len(served.writes()) == n
    assert rest(served, "GET", f"Application/{app['app_id']}/")["answer_url"] == AGENT
    journal.unlink()


def test_a_journal_of_another_plan_is_refused(served, tmp_path):
    app = victim_app(served)
    path = plan_file(tmp_path)
    undo = [Undo("delete", "application", app["app_id"], "victim")]
    write_journal(
        journal_path_for(path, served.auth_id),
        undo,
        auth_id=served.auth_id,
        plan=str(tmp_path / "other.toml"),
    )
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 1 and "other.toml" in r.stderr
    assert rest(served, "GET", f"Application/{app['app_id']}/")["app_name"] == "victim"
    journal_path_for(path, served.auth_id).unlink()


def test_journal_steps_are_shown_and_undo_only_what_byon_set(served, tmp_path):
    app = victim_app(served)
    path = plan_file(tmp_path)
    journal = journal_path_for(path, served.auth_id)
    # byon once set answer_url to BYON_SET; the user has since put AGENT back by hand
    step = Undo(
        "update",
        "application",
        app["app_id"],
        "victim",
        {"answer_url": EVIL},
        {"answer_url": "https://byon-set.example.com/answer"},
    )
    write_journal(journal, [step], auth_id=served.auth_id, plan=str(path))
    r = served.byon("apply", str(path), "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    (shown,) = [json.loads(x) for x in r.stdout.splitlines() if '"undo"' in x]
    assert shown["kind"] == "application" and shown["id"] == app["app_id"]
    assert journal.exists()
    r = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 0, r.stderr
    assert "- undo restore application victim" in r.stderr
    assert "changed since byon set it" in r.stderr and "left as it is" in r.stderr
    assert rest(served, "GET", f"Application/{app['app_id']}/")["answer_url"] == AGENT
    assert not journal.exists()


# ---------------------------------------------------------------- issue 10 #12: the lock


def test_a_second_concurrent_apply_is_refused_and_names_the_first(served, tmp_path):
    path = plan_file(tmp_path)
    # the first run holds the lock while its ACL create is answered late
    served.control(
        "POST",
        "faults",
        {"method": "POST", "path": "IPAccessControlList/$", "latency_ms": 3000, "when": "after"},
    )
    first = start_byon(
        "apply",
        str(path),
        "--yes",
        env=served.env(BYON_TEST_SIP_PASSWORD=PASSWORD),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = read_until(first, lambda line: "+ create ip_acl" in line and "[..]" in line)
    second = served.byon("apply", str(path), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert second.returncode == 1, second.stderr
    assert "another byon apply of" in second.stderr
    assert f"process {first.pid} holds" in second.stderr
    rest_of_first = first.stderr.read()
    assert first.wait(timeout=60) == 0, "".join(seen) + rest_of_first
    state = served.state()
    assert [len(state[k]) for k in ("applications", "credentials", "ip_acls")] == [1, 1, 1]


def test_two_applies_started_together_make_no_duplicates(served, tmp_path):
    path = plan_file(tmp_path)
    procs = [
        start_byon(
            "apply",
            str(path),
            "--yes",
            env=served.env(BYON_TEST_SIP_PASSWORD=PASSWORD),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    for rc, err in results:
        assert rc == 0 or (rc == 1 and "another byon apply of" in err), err
    state = served.state()
    assert [len(state[k]) for k in ("applications", "credentials", "ip_acls")] == [1, 1, 1]


# ---------------------------------------------------------------- issue 10 #13 and #17: input


@pytest.mark.parametrize(
    "command", [["apply", "PLAN", "--dry-run"], ["audit"], ["export", "--app", "1"]]
)
def test_credentials_in_the_api_url_are_refused_unechoed(served, tmp_path, command):
    url = f"http://{served.auth_id}:{served.auth_token}@127.0.0.1:1"
    argv = [str(plan_file(tmp_path)) if a == "PLAN" else a for a in command]
    for r in (
        served.byon(*argv, "--api-url", url.replace(served.auth_token, "tok-in-flag")),
        served.byon(*argv, PLIVO_API_URL=url),
    ):
        assert r.returncode == 2
        assert "user name or password" in r.stderr
        assert served.auth_token not in r.stderr + r.stdout and "tok-in-flag" not in r.stderr
    assert served.log() == []


@pytest.mark.parametrize(
    "command", [["apply", "PLAN", "--dry-run"], ["audit"], ["export", "--app-name", "x"]]
)
def test_api_url_given_before_the_command_is_used_and_checked(served, tmp_path, command):
    """`byon --api-url URL CMD` is the form cli.md shows: it must not fall back to the
    environment's (or Plivo's) URL, and the token check must hold there too."""
    argv = [str(plan_file(tmp_path)) if a == "PLAN" else a for a in command]
    closed = "http://127.0.0.1:1"  # where the request would go if the flag were lost
    r = served.byon("--api-url", served.api_url, *argv, PLIVO_API_URL=closed)
    assert "Could not reach" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert served.log(), "no request reached the URL given with --api-url"
    url = f"http://{served.auth_id}:tok-in-flag@127.0.0.1:1"
    r = served.byon("--api-url", url, *argv)
    assert r.returncode == 2 and "user name or password" in r.stderr
    assert "tok-in-flag" not in r.stderr


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999", "ftp://x", "nonsense"])
@pytest.mark.parametrize("command", [["apply", "PLAN", "--dry-run"], ["verify"], []])
def test_an_invalid_api_url_exits_2_with_a_message(tmp_path, url, command):
    argv = [str(plan_file(tmp_path)) if a == "PLAN" else a for a in command]
    r = byon_offline(*argv, "--api-url", url)
    assert r.returncode == 2, r.stderr
    assert "--api-url is not usable" in r.stderr and "Traceback" not in r.stderr


def _nested(path: Path) -> Path:
    path.write_text("version = 1\nx = " + "[" * 20000 + "]" * 20000 + "\n")
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)  # nobody writes to it: reading it naively hangs for ever
    return path


def _huge(path: Path) -> Path:
    path.write_text("# padding\n" * 40000 + "version = 1\n")
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (_nested, "nested far too deeply"),
        (_fifo, "not a regular file"),
        (lambda _p: Path("/dev/zero"), "not a regular file"),
        (_huge, "larger than"),
    ],
    ids=["nested", "fifo", "dev-zero", "huge"],
)
@pytest.mark.parametrize("command", ["apply", "settings", "wizard"])
def test_hostile_plan_files_exit_2_with_a_message(tmp_path, make, words, command):
    plan = make(tmp_path / "plan.toml")
    argv = {"apply": ["apply", str(plan)], "settings": ["settings", str(plan)]}.get(
        command, ["--plan", str(plan)]
    )
    r = byon_offline(*argv)
    assert r.returncode == 2, r.stderr
    assert words in r.stderr and str(plan) in r.stderr and "Traceback" not in r.stderr


def byon_offline(*args: str) -> subprocess.CompletedProcess:
    """byon with credentials but an API nobody listens on: any request would fail loudly.
    The timeout turns a hang into a failure instead of a stalled suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    env.update(
        PLIVO_AUTH_ID="MAOFFLINE00000000000",
        PLIVO_AUTH_TOKEN="offline-token-0000",
        PLIVO_API_URL="http://127.0.0.1:9",
    )
    return run_byon(*args, env=env)


# ---------------------------------------------------------------- issue 10 #18


@pytest.mark.parametrize("name", ["PLIVO_AUTH_TOKEN", "PLIVO_AUTH_ID", "BYON_API_TOKEN"])
def test_password_env_naming_a_credential_is_refused(served, tmp_path, name):
    text = plan_file(tmp_path).read_text().replace("BYON_TEST_SIP_PASSWORD", name)
    r = served.byon("apply", str(plan_file(tmp_path, text)), "--yes", BYON_API_TOKEN="x" * 20)
    assert r.returncode == 2
    assert "auth.credential.password_env" in r.stderr and name in r.stderr
    assert served.auth_token not in r.stderr
    assert served.log() == []


# ---------------------------------------------------------------- issue 10 #11: writes


def test_export_never_writes_through_a_planted_temp_file(served, tmp_path):
    victim_app(served)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out.toml"
    (tmp_path / ".out.toml.tmp").symlink_to(victim)
    r = served.byon("export", "--app-name", "victim", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious\n" and 'name = "victim"' in out.read_text()


def test_export_to_a_symlink_is_refused(served, tmp_path):
    victim_app(served)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "out.toml"
    link.symlink_to(victim)
    r = served.byon("export", "--app-name", "victim", "-o", str(link))
    assert r.returncode == 2 and "symbolic link" in r.stderr
    assert victim.read_text() == "precious\n" and link.is_symlink()


def test_apply_of_a_symlinked_plan_is_refused_before_any_change(served, tmp_path):
    real = plan_file(tmp_path)
    before = real.read_text()
    link = tmp_path / "byon-plan.toml"
    link.symlink_to(real)
    r = served.byon("apply", str(link), "--yes", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert r.returncode == 2, r.stderr
    assert "is a symbolic link" in r.stderr and "nothing was applied" in r.stderr
    assert served.writes() == [] and served.state()["applications"] == []
    assert real.read_text() == before and link.is_symlink()
    dry = served.byon("apply", str(link), "--dry-run", BYON_TEST_SIP_PASSWORD=PASSWORD)
    assert dry.returncode == 0, dry.stderr
    assert served.writes() == []


def test_emulator_state_file_that_is_a_symlink_is_refused(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "state.json"
    link.symlink_to(victim)
    r = subprocess.run(
        [BYON, "emulator", "--state", str(link)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 2 and "symbolic link" in r.stderr
    assert victim.read_text() == "precious\n"


def test_apply_without_a_usable_state_dir_changes_nothing(served, tmp_path):
    """No private place for the journal and the lock: byon does not start changing things."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    r = served.byon(
        "apply",
        str(plan_file(tmp_path)),
        "--yes",
        BYON_TEST_SIP_PASSWORD=PASSWORD,
        BYON_STATE_DIR=str(blocker),
    )
    assert r.returncode == 1 and "state folder" in r.stderr and "Traceback" not in r.stderr
    assert served.writes() == []
