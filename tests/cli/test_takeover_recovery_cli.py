"""An answer_url left pointing at a dead listener is restored by the next byon command
that has credentials, whichever it is, and the command says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runner import run_byon_async
from wizard.files import write_atomic
from wizard.verify.takeover import journal_path_for, marked_url

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "0123456789ab.1.somehost"
DEAD_LISTENER = marked_url("http://127.0.0.1:9/answer", TOKEN)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def _leave_takeover(client, app, state: Path) -> Path:
    """What a byon verify killed with SIGKILL leaves behind: journal written, app changed."""
    journal = journal_path_for(app.app_id, state)
    journal.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "app_id": app.app_id,
        "answer_url": app.answer_url,
        "answer_method": app.answer_method,
        "listener_url": DEAD_LISTENER,
        "token": TOKEN,
        "time": 0,
        "api_url": client.base_url,
        "auth_id": client.auth_id,
        "pid": _dead_pid(),
    }
    write_atomic(journal, json.dumps(data), mode=0o600)
    await client.update_application(app.app_id, answer_url=DEAD_LISTENER)
    return journal


@pytest.mark.parametrize(
    "argv",
    [
        ["audit"],
        ["export", "--app-name", "sales-agent"],
    ],
)
async def test_next_command_restores_the_answer_url(argv, demo_emulator, demo_client, tmp_path):
    state = tmp_path / "state"
    (app,) = await demo_client.list_applications(app_name="sales-agent")
    journal = await _leave_takeover(demo_client, app, state)
    assert (await demo_client.get_application(app.app_id)).answer_url == DEAD_LISTENER

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    env.update(
        PLIVO_AUTH_ID=demo_emulator.auth_id,
        PLIVO_AUTH_TOKEN=demo_emulator.auth_token,
        PLIVO_API_URL=demo_emulator.api_url,
        BYON_STATE_DIR=str(state),
    )
    done = await run_byon_async(*argv, cwd=ROOT, env=env)
    stderr = done.stderr

    assert (await demo_client.get_application(app.app_id)).answer_url == app.answer_url
    assert not journal.exists()
    assert f"Restored the answer_url of app {app.app_id}" in stderr
    assert demo_emulator.auth_token not in stderr + done.stdout
    if argv[0] == "export":
        assert app.answer_url in done.stdout
        assert DEAD_LISTENER not in done.stdout
