"""`byon emulator` as a subprocess: first line JSON, reachable, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.pipes import read_line
from tests.runner import BYON, start_byon

GUARD = 30  # seconds; only so a broken server fails the test instead of hanging it


def start(*args: str) -> subprocess.Popen:
    return start_byon(
        "emulator",
        "--port",
        "0",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def first_line(proc: subprocess.Popen) -> dict:
    return json.loads(read_line(proc, timeout=GUARD))


def stop(proc: subprocess.Popen, sig: int) -> tuple[int, str, str]:
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=GUARD)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_first_line_reachable_and_clean_exit(sig):
    proc = start()
    info = first_line(proc)
    assert set(info) == {"api_url", "auth_id", "auth_token", "sip"}
    assert info["api_url"].startswith("http://127.0.0.1:")
    r = httpx.get(
        f"{info['api_url']}/v1/Account/{info['auth_id']}/",
        auth=(info["auth_id"], info["auth_token"]),
    )
    assert r.status_code == 200 and r.json()["auth_id"] == info["auth_id"]
    code, out, err = stop(proc, sig)
    assert code == 0
    assert out == ""  # nothing but the first line on stdout
    assert "serving" in err and "loopback only" in err
    assert info["auth_token"] not in err


def test_demo_seed():
    proc = start("--seed", "demo")
    info = first_line(proc)
    r = httpx.get(
        f"{info['api_url']}/v1/Account/{info['auth_id']}/Application/",
        auth=(info["auth_id"], info["auth_token"]),
    )
    assert [a["app_name"] for a in r.json()["objects"]] == ["support-bot", "sales-agent"]
    assert stop(proc, signal.SIGTERM)[0] == 0


def test_state_file_persists_across_runs(tmp_path):
    state = tmp_path / "emu.json"
    proc = start("--state", str(state))
    info = first_line(proc)
    auth = (info["auth_id"], info["auth_token"])
    base = f"{info['api_url']}/v1/Account/{info['auth_id']}"
    r = httpx.post(f"{base}/Application/", json={"app_name": "kept"}, auth=auth)
    app_id = r.json()["app_id"]
    assert stop(proc, signal.SIGTERM)[0] == 0

    proc = start("--state", str(state))
    again = first_line(proc)
    assert (again["auth_id"], again["auth_token"]) == auth
    r = httpx.get(f"{again['api_url']}/v1/Account/{again['auth_id']}/Application/", auth=auth)
    assert [a["app_id"] for a in r.json()["objects"]] == [app_id]
    assert stop(proc, signal.SIGTERM)[0] == 0


def test_broken_state_file_exits_2_with_message(tmp_path):
    state = tmp_path / "broken.json"
    state.write_text("{nope")
    proc = start("--state", str(state))
    out, err = proc.communicate(timeout=GUARD)
    assert proc.returncode == 2 and out == ""
    assert str(state) in err and "Fix or remove it" in err
    assert state.read_text() == "{nope"  # left as it was


def test_port_in_use_exits_1():
    proc = start()
    info = first_line(proc)
    port = info["api_url"].rsplit(":", 1)[1]
    try:
        second = subprocess.run(
            [BYON, "emulator", "--port", port], capture_output=True, text=True, timeout=GUARD
        )
        assert second.returncode == 1 and "Pick another --port" in second.stderr
        assert second.stdout == ""
    finally:
        assert stop(proc, signal.SIGTERM)[0] == 0


def test_help_does_not_import_heavy_modules():
    code = (
        "import sys\n"
        "from wizard.cli import main\n"
        "try:\n    main(['emulator', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('aiohttp', 'plivo', 'textual', 'httpx') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--seed" in out.stdout and "HEAVY []" in out.stdout


def test_non_loopback_host_warns():
    proc = start("--host", "0.0.0.0")
    info = first_line(proc)
    assert info["api_url"].startswith("http://127.0.0.1:")  # the address to use from here
    r = httpx.get(
        f"{info['api_url']}/__emulator__/clock", auth=(info["auth_id"], info["auth_token"])
    )
    assert r.status_code == 200  # loopback peers still reach the control surface
    code, _, err = stop(proc, signal.SIGTERM)
    assert code == 0
    assert "warning: listening on 0.0.0.0" in err and "loopback only" in err


def test_request_log_shows_a_hostile_path_inert():
    proc = start()
    info = first_line(proc)
    base = f"{info['api_url']}/v1/Account/{info['auth_id']}/Application/"
    r = httpx.get(
        base + "%1b%5b31mX%0abyon emulator: FAKE/", auth=(info["auth_id"], info["auth_token"])
    )
    assert r.status_code == 404
    code, _out, err = stop(proc, signal.SIGTERM)
    assert code == 0
    assert "\x1b" not in err and "\\x1b[31mX\\nbyon emulator: FAKE" in err
    assert not any(line.startswith("byon emulator: FAKE") for line in err.splitlines())
