"""Answer URL takeover: journal first, restore on exit, recover after a crash; two runs
never fight over one app, and a journal can only undo what byon itself set."""

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
from wizard.files import write_atomic
from wizard.verify.takeover import (
    Takeover,
    journal_path_for,
    mark_of,
    marked_url,
    recover_pending,
    state_dir,
)

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


def write_journal(path: Path, mode: int = 0o600, **data) -> Path:
    """A takeover journal as byon writes it (or as an attacker would)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(data), mode=mode)
    return path


def left_behind(client, app_id: str, **extra) -> dict:
    """What a takeover by a run that died leaves: a marked URL and its journal fields."""
    token = "abcdef012345.0.nohost"
    base = {
        "app_id": app_id,
        "answer_url": ORIGINAL,
        "answer_method": "GET",
        "listener_url": marked_url(LISTENER, token),
        "token": token,
        "auth_id": client.auth_id,
        "api_url": client.base_url,
        "pid": 0,
    }
    return {**base, **extra}


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
    assert data["pid"] == os.getpid() and data["host"] and data["listener_url"] == tk.url
    assert emulator.auth_token not in journal.read_text()
    assert tk.url.startswith(LISTENER + "?byon_takeover=") and mark_of(tk.url) == tk.token
    assert (await client.get_application(app_id)).answer_url == tk.url
    assert await tk.restore() is True
    app = await client.get_application(app_id)
    assert (app.answer_url, app.answer_method) == (ORIGINAL, "GET")
    assert not journal.exists()
    assert await tk.restore() is False  # twice is harmless


async def test_context_manager_restores_on_error(client, app_id):
    with pytest.raises(RuntimeError):
        async with Takeover(client, app_id, LISTENER) as tk:
            assert (await client.get_application(app_id)).answer_url == tk.url
            raise RuntimeError("boom")
    assert (await client.get_application(app_id)).answer_url == ORIGINAL
    assert list(state_dir().glob("*.json")) == []


async def test_a_second_takeover_of_the_same_app_is_refused(client, app_id):
    first = Takeover(client, app_id, LISTENER)
    await first.begin()
    with pytest.raises(ByonError, match=f"already taken over by byon process {os.getpid()}"):
        await Takeover(client, app_id, "https://other.example.com/answer").begin()
    assert (await client.get_application(app_id)).answer_url == first.url
    await first.restore()
    assert (await client.get_application(app_id)).answer_url == ORIGINAL


async def test_takeovers_from_two_state_dirs_cannot_strand_the_app(client, app_id, tmp_path):
    """Attack (issue 10 #8): a second run with its own state dir would record the first's
    listener as "the original"; the mark in the URL lets it see the app is held."""
    first = Takeover(client, app_id, LISTENER, tmp_path / "a" / "takeover.json")
    await first.begin()
    second = Takeover(client, app_id, "https://other.example.com/answer", tmp_path / "b" / "t.json")
    with pytest.raises(ByonError) as info:
        await second.begin()
    msg = str(info.value)
    assert "already answers at a byon listener" in msg
    assert f"byon process {os.getpid()} on host" in msg  # who holds it
    assert not (tmp_path / "b" / "t.json").exists()
    assert (await client.get_application(app_id)).answer_url == first.url
    assert await first.restore() is True
    assert (await client.get_application(app_id)).answer_url == ORIGINAL


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
    assert mark_of((await client.get_application(app_id)).answer_url)  # left behind
    messages = await recover_pending(client)
    assert len(messages) == 1
    assert messages[0].startswith(f"Restored the answer_url of app {app_id}")
    assert "did not exit cleanly" in messages[0]
    app = await client.get_application(app_id)
    assert (app.answer_url, app.answer_method) == (ORIGINAL, "GET")
    assert await recover_pending(client) == []


async def test_a_takeover_left_by_a_dead_run_is_cleared_by_the_next_takeover(client, app_id):
    data = left_behind(client, app_id)
    write_journal(journal_path_for(app_id), **data)
    await client.update_application(app_id, answer_url=data["listener_url"])
    tk = Takeover(client, app_id, "https://tunnel2.example.com/answer")
    original = await tk.begin()
    assert original["answer_url"] == ORIGINAL  # not the dead listener
    await tk.restore()
    assert (await client.get_application(app_id)).answer_url == ORIGINAL


async def test_crash_between_journal_and_update_removes_the_journal_only(client, app_id):
    journal = write_journal(
        journal_path_for(app_id), **left_behind(client, app_id, answer_url="https://old.example")
    )
    [msg] = await recover_pending(client)
    assert "stale" in msg and not journal.exists()
    assert (await client.get_application(app_id)).answer_url == ORIGINAL


async def test_journals_of_live_runs_and_other_accounts_are_left_alone(client, app_id):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        base = left_behind(client, app_id)
        folder = state_dir()
        live = write_journal(folder / "takeover-live.json", **{**base, "pid": sleeper.pid})
        other = write_journal(
            folder / "takeover-other.json", **{**base, "auth_id": "MAOTHER0000000000000"}
        )
        elsewhere = write_journal(
            folder / "takeover-elsewhere.json", **{**base, "api_url": "https://api.plivo.com"}
        )
        remote = write_journal(folder / "takeover-remote.json", **{**base, "host": "elsewhere"})
        assert await recover_pending(client) == []
        assert live.exists() and other.exists() and elsewhere.exists() and remote.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


async def test_journal_of_a_deleted_app_and_an_unreadable_one(client, app_id):
    folder = state_dir()
    write_atomic(folder / "takeover-bad.json", "{not json", mode=0o600)
    gone = await client.create_application(app_name="gone", answer_url=ORIGINAL)
    await client.delete_application(gone.app_id)
    write_journal(folder / "takeover-gone.json", **left_behind(client, gone.app_id))
    messages = await recover_pending(client)
    assert any("unreadable" in m for m in messages)
    assert any("no longer exists" in m for m in messages)
    assert not (folder / "takeover-gone.json").exists()


async def test_a_tampered_journal_cannot_repoint_an_app(client, app_id):
    """Attack (issue 10 #15): a journal naming an app that is not under takeover, with
    the app's current answer_url as "the listener", must not re-point it anywhere."""
    evil = "https://attacker.example.com/answer"
    path = journal_path_for(app_id)
    forged = left_behind(client, app_id, answer_url=evil, listener_url=ORIGINAL)
    write_journal(path, **forged)
    [msg] = await recover_pending(client)
    assert "not one byon set" in msg and "remove it by hand" in msg
    assert (await client.get_application(app_id)).answer_url == ORIGINAL
    # a marked URL with another token than the journal's: not this journal's to undo
    write_journal(path, **{**forged, "listener_url": marked_url(ORIGINAL, "other.1.h")})
    await recover_pending(client)
    assert (await client.get_application(app_id)).answer_url == ORIGINAL


@pytest.mark.parametrize("how", ["group-readable", "symlink", "other-owner"])
async def test_a_journal_this_user_did_not_write_is_not_used(client, app_id, tmp_path, how):
    data = left_behind(client, app_id, answer_url="https://attacker.example.com/answer")
    await client.update_application(app_id, answer_url=data["listener_url"])
    path = journal_path_for(app_id)
    if how == "group-readable":
        write_journal(path, mode=0o644, **data)
    elif how == "symlink":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(write_journal(tmp_path / "elsewhere.json", **data))
    else:
        if os.getuid() != 0:
            pytest.skip("only root can give a file to another user")
        os.chown(write_journal(path, **data), 4242, 4242)
    [msg] = await recover_pending(client)
    assert "was not used" in msg
    assert (await client.get_application(app_id)).answer_url == data["listener_url"]


async def test_callbacks_reach_the_listener_through_the_marked_url(emulator, client, app_id):
    """The mark is a query parameter: Plivo signs the whole URL, the listener checks it."""
    from wizard.verify.listener import Listener

    async with Listener(emulator.auth_token) as listener:
        await listener.start("127.0.0.1", 0)
        async with Takeover(client, app_id, listener.answer_url) as tk:
            assert (await client.get_application(app_id)).answer_url == tk.url
            out = await emulator.inbound(
                request_uri=f"sip:{app_id}@app.plivo.com",
                source_ip="203.0.113.10",
                from_="14155550100",
            )
    assert out["sip_status"] == 200, out
    assert listener.events and listener.events[0].signature_valid


def test_state_dir_defaults_under_the_home(monkeypatch, tmp_path):
    monkeypatch.delenv("BYON_STATE_DIR")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir() == tmp_path / ".local" / "state" / "byon"


async def test_a_hostile_mark_in_the_answer_url_is_shown_as_plain_text(client, app_id):
    hostile = marked_url(LISTENER, "x.1.\x1b]0;pwned\x07\nPASS")
    await client.update_application(app_id, answer_url=hostile)
    with pytest.raises(ByonError) as info:
        await Takeover(client, app_id, "https://other.example.com/answer").begin()
    msg = str(info.value)
    assert "byon process 1 on host" in msg and "\\x1b" in msg
    assert not any(c in msg for c in "\x1b\x07\n")
    assert (await client.get_application(app_id)).answer_url == hostile
