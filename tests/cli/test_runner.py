"""tests/runner.py: a `byon` command forked from the preloaded server says and does what the
installed script does when run as a plain subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.pipes import read_line
from tests.runner import BYON, _server, run_byon, start_byon, start_byon_async

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


def _forked_server():
    server = _server()
    if server is None:
        pytest.skip("commands run as plain subprocesses here (no fork, or BYON_TEST_SUBPROCESS)")
    return server


def test_a_server_that_died_is_started_again(tmp_path):
    first = _forked_server()
    first.proc.kill()
    first.proc.wait()
    assert run_byon("--version", env=_env(), cwd=tmp_path).returncode == 0
    assert _server() is not first


def _plain_popen(*args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([BYON, *args], **popen)


def _emulator(starter, tmp_path):
    proc = starter(
        "emulator", "--port", "0", "--no-sip", env=_env(), cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return proc, json.loads(read_line(proc))


def test_a_started_command_runs_beside_others_and_stops_as_the_script_does(tmp_path):
    """Two forked emulators at once and a plain one: each answers its first line, is still
    running, and ends on SIGTERM with the same status and last words."""
    _forked_server()
    runs = [_emulator(start_byon, tmp_path), _emulator(start_byon, tmp_path)]
    runs.append(_emulator(_plain_popen, tmp_path))
    assert len({info["api_url"] for _proc, info in runs}) == 3
    assert [sorted(info) for _proc, info in runs[:2]] == [sorted(runs[2][1])] * 2
    ended = []
    for proc, _info in runs:
        assert proc.poll() is None
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.2)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        ended.append((proc.returncode, err.strip().splitlines()[-1]))
    assert ended == [(0, "byon emulator: stopped")] * 3


async def test_a_command_started_from_the_event_loop_reads_as_create_subprocess_exec(tmp_path):
    _forked_server()
    env = _env(BYON_STATE_DIR=str(tmp_path / "state"))
    forked = await start_byon_async("--version", env=env, cwd=tmp_path)
    plain = await asyncio.create_subprocess_exec(
        BYON, "--version", env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert await forked.communicate() == await plain.communicate()
    assert forked.returncode == plain.returncode == 0
    running = await start_byon_async("emulator", "--port", "0", "--no-sip", env=env)
    assert "api_url" in json.loads(await asyncio.wait_for(running.stdout.readline(), 30))
    running.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(running.wait(), 30) == 0


@pytest.mark.skipif(sys.platform != "linux", reason="the server's commands die with it on Linux")
def test_commands_still_running_end_with_their_server(tmp_path):
    """A test process that dies takes its server along (see _serve), and the server each
    command it started: none is left running."""
    server = _forked_server()
    proc, _info = _emulator(start_byon, tmp_path)
    server.proc.kill()
    assert proc.wait(timeout=30) == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while _running(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(proc.pid)


def _running(pid: int) -> bool:
    """The process exists and has not ended (an ended one may wait a while to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_an_asker_gone_mid_request_leaves_the_server_serving(tmp_path):
    server = _forked_server()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as half:
        half.connect(server.path)
        half.sendall(b"\x00\x00")  # two bytes of a four-byte header, then gone
    assert run_byon("--version", env=_env(), cwd=tmp_path).returncode == 0
    assert server.proc.poll() is None
