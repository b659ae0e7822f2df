"""tests/runner.py: a `byon` command forked from the preloaded server says and does what the
installed script does when run as a plain subprocess."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.runner import BYON, run_byon

PLAN = """\
version = 1
option = "did_forwarding"
external_number = "+14155550100"

[application]
name = "ai-agent-inbound"
answer_url = "https://agent.example.com/answer"
"""


def _plain(*args: str, env: dict[str, str], cwd: str | None = None):
    return subprocess.run(
        [BYON, *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLIVO_", "BYON_"))}
    env.update(extra)
    return env


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("no-such-command",),  # argparse: usage on stderr, status 2
        ("settings", "--list-providers", "--json", "--as-of", "2026-11-29"),
        ("settings", "plan.toml"),  # relative: read from the command's directory
        ("settings", "missing.toml"),
        ("audit",),  # no credentials in its environment, whatever the server had
    ],
    ids=lambda a: " ".join(a),
)
def test_a_forked_command_says_and_exits_as_the_script_does(args, tmp_path):
    (tmp_path / "plan.toml").write_text(PLAN)
    env = _env(PLIVO_API_URL="http://127.0.0.1:9", BYON_STATE_DIR=str(tmp_path / "state"))
    forked = run_byon(*args, env=env, cwd=tmp_path)
    plain = _plain(*args, env=env, cwd=str(tmp_path))
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


def test_the_environment_given_is_the_whole_environment(tmp_path, monkeypatch):
    """What the test process has but did not give the command is not there, and what it
    gave is."""
    monkeypatch.setenv("PLIVO_API_URL", "ftp://example.com")
    given = run_byon("audit", cwd=tmp_path)  # this process's environment
    assert given.returncode == 2 and "PLIVO_API_URL is not usable" in given.stderr
    without = run_byon("audit", env=_env(), cwd=tmp_path)
    assert "PLIVO_API_URL" not in without.stderr
    assert "PLIVO_AUTH_ID" in without.stderr  # what it says with no credentials at all


def test_a_command_past_its_time_is_killed_and_the_next_one_runs(tmp_path):
    with pytest.raises(subprocess.TimeoutExpired):
        run_byon("emulator", "--port", "0", env=_env(), cwd=tmp_path, timeout=1.5)
    assert run_byon("--version", env=_env(), cwd=tmp_path).returncode == 0


def test_a_server_that_died_is_started_again(tmp_path):
    from tests.runner import _server

    first = _server()
    if first is None:
        pytest.skip("commands run as plain subprocesses here (no fork, or BYON_TEST_SUBPROCESS)")
    first.proc.kill()
    first.proc.wait()
    assert run_byon("--version", env=_env(), cwd=tmp_path).returncode == 0
    assert _server() is not first
