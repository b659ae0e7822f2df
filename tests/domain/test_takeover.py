"""Answer URL takeover: journal first, restore on exit, recover after a crash."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wizard.errors import ByonError
from wizard.verify.takeover import Takeover, journal_path_for, recover_pending, state_dir

ORIGINAL = "https://agent.example.com/answer"
LISTENER = "https://tunnel.example.com/answer"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("BYON_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
async def app_id(client):
    app = await client.create_application(
        app_name="takeover-me", answer_url=ORIGINAL, answer_method="GET"
    )
    return app.app_id


async def test_begin_journals_then_points_the_app_at_the_listener(client, app_id, state, emulator):
    tk = Takeover(client, app_id, LISTENER)
    await tk.begin()
    journal = journal_path_for(app_id)
    assert journal.parent == state and journal.exists()
    assert stat.S_IMODE(journal.stat().st_mode) == 0o600
    data = json.loads(journal.read_text())
    assert data["answer_url"] == ORIGINAL and data["answer_method"] == "GET"
    assert data["app_id"] == app_id and data["auth_id"] == emulator.auth_id
    assert data["api_url"] == emulator.api_url and "time" in data
    assert emulator.auth_token not in journal.read_text()
    assert (await client.get_application(app_id)).answer_url == LISTENER
    assert await tk.restore() is True
    app = await client.get_application(app_id)
    assert (app.answer_url, app.answer_method) == (ORIGINAL, "GET")
    assert not journal.exists()
    assert await tk.restore() is False  # twice is harmless


async def test_context_manager_restores_on_error(client, app_id):
    with pytest.raises(RuntimeError):
        async with Takeover(client, app_id, LISTENER):
            assert (await client.get_application(app_id)).answer_url == LISTENER
            raise RuntimeError("boom")
    assert (await client.get_application(app_id)).answer_url == ORIGINAL
    assert list(state_dir().glob("*.json")) == []


async def test_a_second_takeover_of_the_same_app_is_refused(client, app_id):
    first = Takeover(client, app_id, LISTENER)
    await first.begin()
    with pytest.raises(ByonError, match="already taken over"):
        await Takeover(client, app_id, "https://other.example.com/answer").begin()
    assert (await client.get_application(app_id)).answer_url == LISTENER
    await first.restore()


async def test_a_failed_update_leaves_no_journal_and_no_change(client, app_id, emulator):
    emulator.add_fault(
        {"method": "POST", "path": f"Application/{app_id}", "status": 400, "count": 1}
    )
    with pytest.raises(ByonError):
        await Takeover(client, app_id, LISTENER).begin()
    assert (await client.get_application(app_id)).answer_url == ORIGINAL
    assert list(state_dir().glob("*.json")) == []


async def test_restore_does_not_clobber_a_change_made_meanwhile(client, app_id):
    tk = Takeover(client, app_id, LISTENER)
    await tk.begin()
    await client.update_application(app_id, answer_url="https://new.example.com/answer")
    assert await tk.restore() is False
    assert (await client.get_application(app_id)).answer_url == "https://new.example.com/answer"


CRASHER = """
import asyncio, os, sys, time
from wizard.plivo.client import PlivoClient
from wizard.verify.takeover import Takeover

async def main():
    c = PlivoClient(os.environ["T_ID"], os.environ["T_TOKEN"], base_url=os.environ["T_URL"])
    await Takeover(c, os.environ["T_APP"], os.environ["T_LISTENER"]).begin()
    print("taken", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def _crashing_takeover(emulator, app_id, sig):
    env = {
        **os.environ,
        "T_ID": emulator.auth_id,
        "T_TOKEN": emulator.auth_token,
        "T_URL": emulator.api_url,
        "T_APP": app_id,
        "T_LISTENER": LISTENER,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHER, cwd=ROOT, env=env, stdout=subprocess.PIPE
    )
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"taken"
    proc.send_signal(sig)
    return await proc.wait()


async def test_kill_9_during_takeover_then_the_next_run_restores(client, app_id, emulator):
    rc = await _crashing_takeover(emulator, app_id, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert (await client.get_application(app_id)).answer_url == LISTENER  # left behind
    messages = await recover_pending(client)
    assert len(messages) == 1
    assert messages[0].startswith(f"Restored the answer_url of app {app_id}")
    assert "did not exit cleanly" in messages[0]
    app = await client.get_application(app_id)
    assert (app.answer_url, app.answer_method) == (ORIGINAL, "GET")
    assert await recover_pending(client) == []


async def test_crash_between_journal_and_update_removes_the_journal_only(client, app_id):
    journal = journal_path_for(app_id)
    journal.parent.mkdir(parents=True)
    journal.write_text(
        json.dumps(
            {
                "app_id": app_id,
                "answer_url": "https://old.example.com",
                "answer_method": "POST",
                "listener_url": LISTENER,
                "auth_id": client.auth_id,
                "api_url": client.base_url,
                "pid": 0,
            }
        )
    )
    [msg] = await recover_pending(client)
    assert "stale" in msg and not journal.exists()
    assert (await client.get_application(app_id)).answer_url == ORIGINAL


async def test_journals_of_live_runs_and_other_accounts_are_left_alone(client, app_id):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        base = {
            "app_id": app_id,
            "answer_url": ORIGINAL,
            "listener_url": LISTENER,
            "auth_id": client.auth_id,
            "api_url": client.base_url,
        }
        folder = state_dir()
        folder.mkdir(parents=True)
        live = folder / "takeover-live.json"
        live.write_text(json.dumps({**base, "pid": sleeper.pid}))
        other = folder / "takeover-other.json"
        other.write_text(json.dumps({**base, "auth_id": "MAOTHER0000000000000", "pid": 0}))
        elsewhere = folder / "takeover-elsewhere.json"
        elsewhere.write_text(json.dumps({**base, "api_url": "https://api.plivo.com", "pid": 0}))
        assert await recover_pending(client) == []
        assert live.exists() and other.exists() and elsewhere.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


async def test_journal_of_a_deleted_app_and_an_unreadable_one(client, app_id):
    folder = state_dir()
    folder.mkdir(parents=True)
    (folder / "takeover-bad.json").write_text("{not json")
    gone = await client.create_application(app_name="gone", answer_url=ORIGINAL)
    await client.delete_application(gone.app_id)
    (folder / "takeover-gone.json").write_text(
        json.dumps(
            {
                "app_id": gone.app_id,
                "answer_url": ORIGINAL,
                "listener_url": LISTENER,
                "auth_id": client.auth_id,
                "api_url": client.base_url,
                "pid": 0,
            }
        )
    )
    messages = await recover_pending(client)
    assert any("unreadable" in m for m in messages)
    assert any("no longer exists" in m for m in messages)
    assert not (folder / "takeover-gone.json").exists()


def test_state_dir_defaults_under_the_home(monkeypatch, tmp_path):
    monkeypatch.delenv("BYON_STATE_DIR")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir() == tmp_path / ".local" / "state" / "byon"
