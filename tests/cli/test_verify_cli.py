"""`byon verify` as a subprocess against the emulator, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.domain.test_verify_support import PASSWORD, expectation, make_app
from tests.runner import run_byon, start_byon_async
from wizard.verify.listener import simulate
from wizard.verify.takeover import journal_path_for, mark_of

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "call_uuid",
    "from",
    "to",
    "sip_auth_type",
    "sip_auth_user",
    "sip_source_ip",
    "signature_valid",
    "verdict",
    "diagnosis",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(emulator, tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    env.update(
        PLIVO_AUTH_ID=emulator.auth_id,
        PLIVO_AUTH_TOKEN=emulator.auth_token,
        PLIVO_API_URL=emulator.api_url,
        BYON_STATE_DIR=str(tmp_path / "state"),
    )
    env.update(extra)
    return env


def run_sync(args, env, timeout=60) -> subprocess.CompletedProcess:
    return run_byon("verify", *args, env=env, cwd=ROOT, stdin=None, timeout=timeout)


class Verify:
    """A running `byon verify`; stderr is read line by line as it comes."""

    def __init__(self, proc):
        self.proc = proc
        self.err: list[str] = []

    @classmethod
    async def start(cls, args, env):
        return cls(await start_byon_async("verify", *args, cwd=ROOT, env=env))

    async def wait_for_err(self, pattern: str) -> re.Match:
        while True:
            for line in self.err:
                m = re.search(pattern, line)
                if m:
                    return m
            raw = await asyncio.wait_for(self.proc.stderr.readline(), 30)
            if not raw:
                raise AssertionError(f"byon verify ended before {pattern!r}: {self.err}")
            self.err.append(raw.decode())

    async def finish(self) -> tuple[int, list[dict], str]:
        out, err = await asyncio.wait_for(self.proc.communicate(), 60)
        self.err.append(err.decode())
        lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
        return self.proc.returncode, lines, "".join(self.err)


def test_app_without_public_url_is_bad_input(tmp_path):
    env = {**os.environ, "PLIVO_AUTH_ID": "MA0000000000000000AB", "PLIVO_AUTH_TOKEN": "tok12345"}
    r = run_sync(["--app", "123"], env)
    assert r.returncode == 2
    assert "--app needs --public-url" in r.stderr and "your own tunnel" in r.stderr
    assert r.stdout == ""


def test_missing_token_and_bad_listen_are_bad_input():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    r = run_sync(["--timeout", "1"], env)
    assert r.returncode == 2 and "PLIVO_AUTH_TOKEN is not set" in r.stderr
    env["PLIVO_AUTH_TOKEN"] = "tok12345"
    r = run_sync(["--listen", "nonsense"], env)
    assert r.returncode == 2 and "is not HOST:PORT" in r.stderr
    r = run_sync(["--call-from", "+14155550150"], env)
    assert r.returncode == 2 and "--call-to" in r.stderr


def test_token_is_not_a_flag():
    r = run_sync(["--auth-token", "x"], dict(os.environ))
    assert r.returncode == 2


async def test_json_lines_and_exit_on_pass(emulator, client, tmp_path):
    port = free_port()
    answer_url = f"http://127.0.0.1:{port}/answer"
    app_id = await make_app(client, answer_url, "credential")
    v = await Verify.start(
        [
            "--listen",
            f"127.0.0.1:{port}",
            "--json",
            "--exit-on-pass",
            "--expect",
            "credential",
            "--timeout",
            "60",
        ],
        env_for(emulator, tmp_path),
    )
    # the app already answering at the listener is found, so diagnoses name its URI
    await v.wait_for_err(rf"Judging calls to app {app_id}")
    await v.wait_for_err(r"Waiting for a call")
    exp = expectation("credential", app_id)
    num = (await client.search_phone_numbers("US"))[0].number
    await client.buy_phone_number(num, app_id=app_id)
    async with (
        aiohttp.ClientSession() as http,
        http.post(answer_url, data={"CallUUID": "forged"}) as resp,
    ):
        assert resp.status == 403
    await simulate(emulator, "number_in_uri", exp, password=PASSWORD)
    await simulate(emulator, "correct", exp, password=PASSWORD)
    rc, lines, err = await v.finish()
    assert rc == 0
    assert [(x["signature_valid"], x["verdict"]) for x in lines] == [
        (False, "fail"),
        (True, "fail"),
        (True, "pass"),
    ]
    for x in lines:
        assert set(x) >= KEYS
    assert lines[1]["sip_auth_type"] is None
    assert f"sip:{app_id}@app.plivo.com" in lines[1]["diagnosis"]
    assert lines[2]["sip_auth_type"] == "credential" and lines[2]["diagnosis"] == ""
    assert emulator.auth_token not in err and PASSWORD not in err


async def test_timeout_with_no_passing_call_exits_1(emulator, tmp_path):
    v = await Verify.start(
        ["--listen", "127.0.0.1:0", "--json", "--timeout", "1"], env_for(emulator, tmp_path)
    )
    rc, lines, err = await v.finish()
    assert rc == 1 and lines == []
    assert "no passing call within 1 s" in err


async def test_human_output_without_json(emulator, client, tmp_path):
    v = await Verify.start(
        ["--listen", "127.0.0.1:0", "--exit-on-pass", "--timeout", "60"],
        env_for(emulator, tmp_path),
    )
    m = await v.wait_for_err(r"Listening on (http://127\.0\.0\.1:\d+)")
    app_id = await make_app(client, f"{m.group(1)}/answer", "ip_acl")
    await simulate(emulator, "correct", expectation("ip_acl", app_id))
    out, _ = await asyncio.wait_for(v.proc.communicate(), 60)
    assert v.proc.returncode == 0
    text = out.decode()
    assert "PASS" in text and "SIPAuthType=ip_acl" in text and "signature=valid" in text


@pytest.fixture
async def agent():
    """The user's own answer server (what the app's answer_url pointed at before)."""
    got = []

    async def answer(request):
        got.append(dict(await request.post()))
        return web.Response(
            text="<Response><Speak>agent here</Speak></Response>", content_type="application/xml"
        )

    app = web.Application()
    app.router.add_post("/answer", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/answer", got
    finally:
        await runner.cleanup()


async def test_app_takeover_forwards_and_restores_on_sigterm(emulator, client, tmp_path, agent):
    agent_url, got = agent
    app_id = await make_app(client, agent_url, "credential")
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    v = await Verify.start(
        [
            "--listen",
            f"127.0.0.1:{port}",
            "--public-url",
            public,
            "--app",
            app_id,
            "--expect",
            "credential",
            "--json",
        ],
        env_for(emulator, tmp_path),
    )
    await v.wait_for_err(r"Reachable: a signed probe")
    await v.wait_for_err(r"Waiting for a call")
    taken = (await client.get_application(app_id)).answer_url
    assert taken.startswith(f"{public}/answer?byon_takeover=") and mark_of(taken)
    journal = journal_path_for(app_id, tmp_path / "state")
    assert journal.exists()
    res = await simulate(emulator, "correct", expectation("credential", app_id), password=PASSWORD)
    # the caller heard the agent: the listener returned the original answer_url's XML
    assert "agent here" in res.outcome["callback"]["body"]
    assert got and got[0]["CallUUID"] == res.outcome["call_uuid"]
    v.proc.send_signal(signal.SIGTERM)
    rc, lines, err = await v.finish()
    assert rc == 0
    assert [x["verdict"] for x in lines] == ["pass"]  # the probe is not a call
    assert (await client.get_application(app_id)).answer_url == agent_url
    assert not journal.exists()
    assert "Restored the answer_url" in err


async def test_two_takeovers_from_two_state_dirs_do_not_strand_the_app(
    emulator, client, tmp_path, agent
):
    """Attack (issue 10 #8): a second `byon verify --app` with its own state dir used to
    record the first's listener as the original and leave the app on a dead URL."""
    agent_url, _ = agent
    app_id = await make_app(client, agent_url, "credential")
    ports = free_port(), free_port()
    first = await Verify.start(
        [
            "--listen",
            f"127.0.0.1:{ports[0]}",
            "--public-url",
            f"http://127.0.0.1:{ports[0]}",
            "--app",
            app_id,
        ],
        env_for(emulator, tmp_path / "a"),
    )
    await first.wait_for_err(r"Waiting for a call")
    held = (await client.get_application(app_id)).answer_url
    second = await Verify.start(
        [
            "--listen",
            f"127.0.0.1:{ports[1]}",
            "--public-url",
            f"http://127.0.0.1:{ports[1]}",
            "--app",
            app_id,
            "--timeout",
            "5",
        ],
        env_for(emulator, tmp_path / "b"),
    )
    rc, _, err = await second.finish()  # the in-process emulator must keep answering
    assert rc == 1
    assert "already answers at a byon listener" in err
    assert f"byon process {first.proc.pid} on host" in err
    assert (await client.get_application(app_id)).answer_url == held
    assert not journal_path_for(app_id, tmp_path / "b" / "state").exists()
    first.proc.send_signal(signal.SIGTERM)
    await first.finish()
    assert (await client.get_application(app_id)).answer_url == agent_url


async def test_kill_9_then_the_next_byon_verify_restores(emulator, client, tmp_path, agent):
    agent_url, _ = agent
    app_id = await make_app(client, agent_url, "credential")
    port = free_port()
    env = env_for(emulator, tmp_path)
    v = await Verify.start(
        [
            "--listen",
            f"127.0.0.1:{port}",
            "--public-url",
            f"http://127.0.0.1:{port}",
            "--app",
            app_id,
        ],
        env,
    )
    await v.wait_for_err(r"Waiting for a call")
    v.proc.kill()
    await v.proc.wait()
    assert (await client.get_application(app_id)).answer_url != agent_url
    again = await Verify.start(["--listen", "127.0.0.1:0", "--timeout", "1"], env)
    rc, _, err = await again.finish()
    assert rc == 1
    assert f"Restored the answer_url of app {app_id}" in err
    assert (await client.get_application(app_id)).answer_url == agent_url


async def test_unreachable_public_url_is_reported_at_once(emulator, client, tmp_path):
    dead = free_port()
    app = await client.create_application(app_name="x", answer_url="https://a.example.com/a")
    v = await Verify.start(
        [
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            f"http://127.0.0.1:{dead}",
            "--app",
            app.app_id,
        ],
        env_for(emulator, tmp_path),
    )
    rc, lines, err = await v.finish()
    assert rc == 1 and lines == []
    assert "is not reachable" in err and "Nothing accepts connections" in err
    # the app was never touched
    assert (await client.get_application(app.app_id)).answer_url == "https://a.example.com/a"


async def test_plan_file_sets_the_expectation(emulator, client, tmp_path):
    port = free_port()
    app_id = await make_app(client, f"http://127.0.0.1:{port}/answer", "ip_acl")
    plan = tmp_path / "plan.toml"
    plan.write_text(f"""version = 1
[route]
option = "direct_sip"
external_number = "+14155550100"
[application]
name = "byon-verify-test"
app_id = "{app_id}"
answer_url = "https://agent.example.com/answer"
[auth]
type = "credential"
[auth.credential]
username = "carrier_trunk"
""")
    v = await Verify.start(
        [
            "--listen",
            f"127.0.0.1:{port}",
            "--plan",
            str(plan),
            "--json",
            "--timeout",
            "60",
            "--exit-on-pass",
        ],
        env_for(emulator, tmp_path),
    )
    await v.wait_for_err(r"Waiting for a call")
    await simulate(emulator, "correct", expectation("ip_acl", app_id))
    v.proc.send_signal(signal.SIGINT)
    rc, lines, _ = await v.finish()
    assert rc == 1
    [line] = lines
    assert line["verdict"] == "fail" and "credential" in line["diagnosis"]


def test_bad_plan_file_is_bad_input(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text("version = 1\nbogus = 1\n")
    env = {**os.environ, "PLIVO_AUTH_TOKEN": "tok12345"}
    r = run_sync(["--plan", str(plan), "--timeout", "1"], env)
    assert r.returncode == 2 and "plan.toml" in r.stderr
