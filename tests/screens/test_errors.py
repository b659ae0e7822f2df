"""Error states: refused credentials, no network, a failing apply, bad input, risky choices."""

from __future__ import annotations

import tomllib

from textual.widgets import Input, RadioButton, Static

from tests.screens.helpers import (
    SIZE,
    apply_all,
    choose_direct_sip,
    create_application,
    demo_app,
    error_text,
    fill_auth,
    ready,
    screen_name,
    settle,
)
from wizard.app import ByonApp
from wizard.plans.plan import load_plan
from wizard.session import LIVE, OFFLINE


async def _type_credentials(app, pilot, auth_id: str, token: str) -> None:
    await pilot.click("#auth-id")
    await pilot.press(*auth_id)
    await pilot.press("enter")
    await pilot.press(*token)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_welcome_refused_token_says_401_and_keeps_input(emulator):
    app = ByonApp(mode=OFFLINE, api_url=emulator.api_url)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert screen_name(app) == "WelcomeScreen"
        assert app.screen.query_one("#token", Input).password
        await _type_credentials(app, pilot, emulator.auth_id, "wrong-token-123")
        assert screen_name(app) == "WelcomeScreen"
        assert "401" in error_text(app) and "Account > Overview" in error_text(app)
        assert "wrong-token-123" not in error_text(app)
        assert app.screen.query_one("#auth-id", Input).value == emulator.auth_id
        assert not app.session.online
        # the right token then gets through to the option step
        app.screen.query_one("#token", Input).value = emulator.auth_token
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen_name(app) == "OptionScreen"
        assert app.plan.auth_id == emulator.auth_id


async def test_welcome_network_failure_says_what_to_do():
    app = ByonApp(mode=OFFLINE, api_url="http://127.0.0.1:9")  # discard port: nothing listens
    app.session.deadline = 1.0
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await _type_credentials(app, pilot, "MAXXXXXXXXXXXXXXXXXX", "some-token-456")
        assert screen_name(app) == "WelcomeScreen"
        assert "Could not reach Plivo" in error_text(app)
        assert "some-token-456" not in error_text(app)
        assert not app.session.online


async def test_welcome_empty_fields_are_refused():
    app = ByonApp(mode=OFFLINE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert "Enter both" in error_text(app)


async def test_offline_flow_builds_a_plan_without_an_account(tmp_path):
    app = ByonApp(mode=OFFLINE, plan_path=tmp_path / "plan.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+o")
        await settle(app, pilot)
        app.screen.query_one("#external", Input).value = "+14155550100"
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        await fill_auth(app, pilot, username="carrier_trunk")
        await create_application(app, pilot)
        assert screen_name(app) == "ReviewScreen"
        assert "Offline" in str(app.screen.query_one("#diff", Static).content)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    plan = load_plan(tmp_path / "plan.toml")
    assert plan.auth.credential.username == "carrier_trunk"
    text = (tmp_path / "plan.toml").read_text()
    assert app.session.sip_password and app.session.sip_password not in text


async def apply_with_failing_application_create(app, pilot) -> None:
    """An ACL-only plan applied while Plivo refuses the application create (400)."""
    await ready(app, pilot)
    await choose_direct_sip(app, pilot, stable=True, shared=False)
    await fill_auth(app, pilot, entries=["203.0.113.10"])
    await create_application(app, pilot)
    app.session.emulator.add_fault(
        {"method": "POST", "path": r"/Application/$", "status": 400, "count": 1}
    )
    await apply_all(app, pilot)


async def test_apply_failure_keeps_done_steps_then_retry():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await apply_with_failing_application_create(app, pilot)
        scr = app.screen
        assert scr.failed and not scr.applied
        assert "earlier step(s) are kept" in error_text(app)
        state = app.session.emulator.dump_state()
        assert [a["name"] for a in state["ip_acls"]] == ["carrier-edge"]  # kept
        assert not any(a["app_name"] == "ai-agent-inbound" for a in state["applications"])
        assert scr.query_one("#retry").display and scr.query_one("#undo").display
        await pilot.press("r")
        await settle(app, pilot)
        assert scr.applied and not scr.failed
        state = app.session.emulator.dump_state()
        created = next(a for a in state["applications"] if a["app_name"] == "ai-agent-inbound")
        assert created["ip_acl_uuid"] == state["ip_acls"][0]["ip_acl_uuid"]


async def test_apply_failure_then_undo_removes_what_was_made():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await apply_with_failing_application_create(app, pilot)
        assert app.screen.failed
        await pilot.press("u")
        await settle(app, pilot)
        state = app.session.emulator.dump_state()
        assert state["ip_acls"] == []
        assert not app.screen.failed
        assert "+ create ip_acl carrier-edge" in str(app.screen.query_one("#diff").content).replace(
            "[$success]+[/]", "+"
        )


async def test_invalid_acl_entry_is_red_and_blocks_next():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        entry = app.screen.query(".entry").results(Input).__next__()
        assert not entry.has_class("-invalid")  # not red before the user typed
        entry.focus()
        await pilot.press(*"10.0.0.1")
        await pilot.pause()
        assert entry.has_class("-invalid")
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "AuthScreen"
        assert "10.0.0.1" in error_text(app) and "private" in error_text(app).lower()
        assert app.plan.auth.ip_acl is None  # nothing half-written into the plan


async def test_cgnat_needs_combined_auth():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        await fill_auth(app, pilot, entries=["100.64.1.1"])
        assert screen_name(app) == "AuthScreen"
        assert "100.64.1.1" in error_text(app)
        app.screen.query_one("#type-ip_acl_and_credential", RadioButton).value = True
        app.screen.query_one("#username", Input).value = "carrier_trunk"
        await pilot.pause()
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "ApplicationScreen"


async def test_bad_username_and_weak_typed_password():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        scr = app.screen
        scr.query_one("#pw-typed", RadioButton).value = True
        await pilot.pause()
        scr.query_one("#password", Input).value = "short"
        await fill_auth(app, pilot, username="a b")
        assert screen_name(app) == "AuthScreen"
        assert "Username" in error_text(app) and "Password" in error_text(app)
        assert "Strength" in str(scr.query_one("#pw-rule", Static).content)


async def test_no_auth_needs_an_explicit_warned_choice():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        assert not app.screen.query_one("#type-none", RadioButton).value  # never the default
        app.screen.query_one("#type-none", RadioButton).value = True
        await settle(app, pilot)
        assert screen_name(app) == "ConfirmScreen"
        await pilot.press("escape")  # declining keeps authentication
        await settle(app, pilot)
        assert screen_name(app) == "AuthScreen"
        assert app.screen.query_one("#type-credential", RadioButton).value
        assert not app.session.open_sip_confirmed
        app.screen.query_one("#type-none", RadioButton).value = True
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.session.open_sip_confirmed
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "ApplicationScreen"
        assert app.plan.auth is None


async def test_escape_goes_back_and_keeps_what_was_typed():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        app.screen.query_one("#username", Input).value = "kept_name"
        await pilot.press("escape")
        await settle(app, pilot)
        assert screen_name(app) == "OptionScreen"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one("#username", Input).value == "kept_name"


async def test_quit_asks_when_changes_are_unapplied():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        assert app.dirty
        await pilot.press("ctrl+q")
        await settle(app, pilot)
        assert screen_name(app) == "QuitScreen"
        await pilot.press("n")
        await settle(app, pilot)
        assert screen_name(app) == "AuthScreen"
        await pilot.press("ctrl+q")
        await settle(app, pilot)
        await pilot.press("q")  # quit without saving
        await pilot.pause()
    assert app.return_code == 0


async def test_plan_file_prefills_and_jumps_to_review(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(
        'version = 1\n[route]\noption = "direct_sip"\nexternal_number = "+14155550100"\n'
        '[application]\nname = "from-file"\nanswer_url = "https://agent.example.com/answer"\n'
        '[auth]\ntype = "ip_acl"\n[auth.ip_acl]\nname = "edge"\nentries = ["203.0.113.10"]\n'
    )
    app = demo_app(plan=load_plan(path), plan_path=path, jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        assert screen_name(app) == "ReviewScreen"
        assert "create application from-file" in str(app.screen.query_one("#diff").content)
        await apply_all(app, pilot)
        assert app.screen.applied
        await pilot.press("ctrl+s")
        await settle(app, pilot)
    data = tomllib.loads(path.read_text())
    assert data["application"]["app_id"]
    assert "demo-token" not in path.read_text()


async def test_environment_credentials_start_at_the_option_step(emulator):
    creds = (emulator.auth_id, emulator.auth_token)
    app = ByonApp(mode=LIVE, env_credentials=creds, api_url=emulator.api_url)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        assert screen_name(app) == "OptionScreen"
        assert app.session.online and app.plan.auth_id == emulator.auth_id


async def test_refused_environment_credentials_say_so(emulator):
    app = ByonApp(
        mode=LIVE, env_credentials=(emulator.auth_id, "bad-token-789"), api_url=emulator.api_url
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any("401" in m or "refused" in m.lower() for m in messages), messages
        assert not any("bad-token-789" in m for m in messages)
        assert not app.session.online
        assert screen_name(app) == "WelcomeScreen"  # type working credentials instead
        # once connected, the wizard is back on its first step, not on a second copy
        app.screen.query_one("#auth-id", Input).value = emulator.auth_id
        app.screen.query_one("#token", Input).value = emulator.auth_token
        app.screen.action_connect()
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert [type(s).__name__ for s in app.screen_stack] == ["OptionScreen"]
        assert app.session.online


async def test_welcome_starts_one_account_at_a_time():
    """ctrl+t twice, then enter in the token field, while the demo starts: one demo,
    no second emulator left running, and the session is the demo's."""
    app = ByonApp(mode=OFFLINE)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        scr = app.screen
        scr.query_one("#auth-id", Input).value = "MAREAL0000000000000"
        scr.query_one("#token", Input).value = "real-looking-token-1234"
        # as keys arriving together: nothing runs in between
        scr.action_demo()  # ctrl+t
        assert scr.busy and not scr.check_action("demo", ())
        scr.action_demo()  # ctrl+t again
        scr.action_connect()  # enter in the token field
        scr.action_offline()  # ctrl+o
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        session = app.session
        assert session.is_demo and session.emulator is not None
        assert session.api_url == session.emulator.api_url
        assert screen_name(app) == "OptionScreen"


def test_a_crashed_wizard_exits_1_not_0():
    """Textual shows the traceback and its run returns None: the shell must see a failure."""
    from textual.app import App

    from wizard.launch import exit_code

    class Headless(App):
        def run(self, **kwargs):  # no terminal in a test
            return super().run(headless=True, **kwargs)

    class Crashing(Headless):
        def on_mount(self) -> None:
            raise RuntimeError("a bug")

    class Quitting(Headless):
        def on_mount(self) -> None:
            self.exit(0)

    assert exit_code(Crashing()) == 1
    assert exit_code(Quitting()) == 0
