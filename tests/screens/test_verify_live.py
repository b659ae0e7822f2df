"""Verify with a real account (here: the emulator over loopback, as a live account).

The listener is reached through the user's public URL; before the application is
pointed at it, a signed probe must arrive. The takeover is journaled (a crash is
undone by the next byon run), callbacks are forwarded to the user's own answer_url,
and leaving the step puts the answer_url back."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

from aiohttp import web
from textual.widgets import Input

from tests.screens.helpers import SIZE, screen_name, settle
from wizard.app import ByonApp
from wizard.files import write_atomic
from wizard.plans.plan import ApplicationPlan, AuthPlan, CredentialPlan, Plan
from wizard.session import LIVE
from wizard.verify.takeover import journal_path_for, marked_url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _agent_answer_server():
    """The user's own answer server: what proxy mode must forward to."""
    seen: list[dict] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(dict(await request.post()))
        return web.Response(
            text="<Response><Speak>agent</Speak></Response>", content_type="text/xml"
        )

    app = web.Application()
    app.router.add_post("/answer", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}/answer", seen


async def _live_app_at_verify(emulator, client, answer_url):
    acl = None
    cred = await client.create_credential("carrier_trunk", "Str0ngPassw0rd-x")
    app_obj = await client.create_application(
        app_name="ai-agent-inbound",
        answer_url=answer_url,
        sip_auth_type="credential",
        credential_uuid=cred.credential_uuid,
    )
    plan = Plan(
        external_number="+14155550100",
        application=ApplicationPlan(
            name="ai-agent-inbound", app_id=app_obj.app_id, answer_url=answer_url
        ),
        auth=AuthPlan(
            type="credential",
            ip_acl=acl,
            credential=CredentialPlan(
                username="carrier_trunk", credential_uuid=cred.credential_uuid
            ),
        ),
    )
    wizard = ByonApp(
        mode=LIVE,
        plan=plan,
        env_credentials=(emulator.auth_id, emulator.auth_token),
        api_url=emulator.api_url,
    )
    return wizard, app_obj


async def listen_on_loopback(app, pilot) -> None:
    """On the verify step, listen with the listener's own loopback address standing in for
    the user's tunnel (ctrl+l), as a user with a public URL would."""
    await app.wait_session()
    app.show_step("verify")
    await settle(app, pilot)
    port = _free_port()
    app.screen.query_one("#public-url", Input).value = f"http://127.0.0.1:{port}"
    app.screen.query_one("#listen-on", Input).value = f"127.0.0.1:{port}"
    await pilot.press("ctrl+l")
    await settle(app, pilot)


async def test_unreachable_public_url_leaves_the_app_alone(emulator, client):
    runner, answer_url, _seen = await _agent_answer_server()
    try:
        app, app_obj = await _live_app_at_verify(emulator, client, answer_url)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await app.wait_session()
            app.show_step("verify")
            await settle(app, pilot)
            assert screen_name(app) == "VerifyScreen"
            dead = f"http://127.0.0.1:{_free_port()}"
            app.screen.query_one("#public-url", Input).value = dead
            app.screen.query_one("#listen-on", Input).value = f"127.0.0.1:{_free_port()}"
            await pilot.press("ctrl+l")
            await settle(app, pilot)
            error = str(app.screen.query_one("#error").content)
            assert dead in error
            assert app.session.listener is None
            assert (await client.get_application(app_obj.app_id)).answer_url == answer_url
    finally:
        await runner.cleanup()


async def test_listening_forwards_to_the_agent_and_restores_on_leaving(emulator, client, tmp_path):
    runner, answer_url, seen = await _agent_answer_server()
    try:
        app, app_obj = await _live_app_at_verify(emulator, client, answer_url)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await listen_on_loopback(app, pilot)
            assert "reachable" in str(app.screen.query_one("#status").content)
            listener_url = app.session.takeover.url  # the listener's, marked as byon's
            assert listener_url.startswith(app.session.listener.answer_url + "?byon_takeover=")
            assert (await client.get_application(app_obj.app_id)).answer_url == listener_url
            journal = journal_path_for(app_obj.app_id)
            assert json.loads(journal.read_text())["answer_url"] == answer_url

            out = await emulator.inbound(
                request_uri=f"sip:{app_obj.app_id}@app.plivo.com",
                source_ip="203.0.113.10",
                from_="+14155550142",
                username="carrier_trunk",
                password="Str0ngPassw0rd-x",
            )
            await settle(app, pilot)
            assert out["sip_status"] == 200 and out["callback"]["xml_valid"]
            assert "agent" in out["callback"]["body"]  # the user's agent answered
            assert seen and seen[0]["SIPAuthType"] == "credential"

            await pilot.press("escape")
            await settle(app, pilot)
            assert (await client.get_application(app_obj.app_id)).answer_url == answer_url
            assert not journal.exists()
    finally:
        await runner.cleanup()


async def test_connecting_restores_an_answer_url_left_by_a_crash(emulator, client):
    app_obj = await client.create_application(
        app_name="crashed", answer_url="https://agent.example.com/answer"
    )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    journal = journal_path_for(app_obj.app_id)
    journal.parent.mkdir(parents=True, exist_ok=True)
    token = "0123456789ab.1.somehost"
    left = marked_url("http://127.0.0.1:9/answer", token)
    data = {
        "app_id": app_obj.app_id,
        "answer_url": "https://agent.example.com/answer",
        "answer_method": "POST",
        "listener_url": left,
        "token": token,
        "api_url": emulator.api_url,
        "auth_id": emulator.auth_id,
        "pid": dead.pid,
    }
    write_atomic(journal, json.dumps(data), mode=0o600)
    await client.update_application(app_obj.app_id, answer_url=left)
    app = ByonApp(
        mode=LIVE, env_credentials=(emulator.auth_id, emulator.auth_token), api_url=emulator.api_url
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.wait_session()
        await settle(app, pilot)
        restored = (await client.get_application(app_obj.app_id)).answer_url
        assert restored == "https://agent.example.com/answer"
        assert not journal.exists()
        notes = [n.message for n in app._notifications]
        assert any(f"Restored the answer_url of app {app_obj.app_id}" in n for n in notes)


async def test_quitting_while_listening_says_it_puts_the_answer_url_back(emulator, client):
    """ctrl+q on a taken-over application: the wizard says so while it restores the
    answer_url, then quits (no silent wait on the way out)."""
    runner, answer_url, _seen = await _agent_answer_server()
    try:
        app, app_obj = await _live_app_at_verify(emulator, client, answer_url)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await listen_on_loopback(app, pilot)
            assert app.session.takeover is not None
            await pilot.press("ctrl+q")
            await pilot.pause()
            if screen_name(app) == "QuitScreen":  # the plan has no file yet
                await pilot.press("q")
                await pilot.pause()
            said = [str(n.message) for n in app._notifications]
            assert any("answer_url back before quitting" in m for m in said), said
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert app.return_code == 0
        assert (await client.get_application(app_obj.app_id)).answer_url == answer_url
    finally:
        await runner.cleanup()
