"""The plan never lies: ids survive Back/Next, apply rewrites the file, quitting asks first."""

from __future__ import annotations

import tomllib

from textual.widgets import DataTable, Input, RadioButton, Static

from tests.screens.helpers import (
    SIZE,
    apply_all,
    choose_direct_sip,
    create_application,
    demo_app,
    fill_auth,
    ready,
    screen_name,
    settle,
)
from tests.screens.test_flows import _to_review
from wizard.emulator import Emulator
from wizard.emulator.seed import DEMO_AUTH_ID, DEMO_CREDENTIAL_USERNAME
from wizard.plans.plan import load_plan


def plan_ids(plan) -> dict[str, str]:
    auth = plan.auth
    return {
        "app": plan.application.app_id,
        "acl": auth.ip_acl.ip_acl_uuid if auth and auth.ip_acl else "",
        "cred": auth.credential.credential_uuid if auth and auth.credential else "",
    }


def account(app, kind: str, key: str, value: str) -> dict:
    return next(x for x in app.session.emulator.dump_state()[kind] if x[key] == value)


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def diff_text(app) -> str:
    return str(app.screen.query_one("#diff", Static).content)


async def test_back_then_next_on_auth_and_application_keeps_the_ids():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "ip_acl_and_credential")
        await apply_all(app, pilot)
        ids = plan_ids(app.plan)
        assert all(ids.values()), ids
        await press(app, pilot, "escape", "escape")  # review -> application -> auth
        assert screen_name(app) == "AuthScreen"
        await press(app, pilot, "ctrl+n")
        assert screen_name(app) == "ApplicationScreen"
        await press(app, pilot, "ctrl+n")
        assert screen_name(app) == "ReviewScreen"
        assert plan_ids(app.plan) == ids
        assert not app.dirty  # nothing changed: nothing to apply
        assert "create" not in diff_text(app) and diff_text(app).count("unchanged") == 3


async def test_apply_rewrites_the_plan_file_and_done_tells_the_truth(tmp_path):
    path = tmp_path / "routing.toml"
    path.write_text(
        "# our routing, reviewed by the team\n"
        f'version = 1\n[account]\nauth_id = "{DEMO_AUTH_ID}"\n'
        '[route]\noption = "direct_sip"\nexternal_number = "+14155550100"\n'
        '[application]\nname = "from-file"  # keep this name\n'
        'answer_url = "https://agent.example.com/answer"\n'
        '[auth]\ntype = "ip_acl"\n[auth.ip_acl]\nname = "edge"\nentries = ["203.0.113.10"]\n'
    )
    app = demo_app(plan=load_plan(path), plan_path=path, jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await apply_all(app, pilot)
        assert app.screen.applied
        text = path.read_text()  # no ctrl+s: apply itself wrote the ids back
        data = tomllib.loads(text)
        created = account(app, "applications", "app_name", "from-file")
        assert data["application"]["app_id"] == created["app_id"]
        assert data["auth"]["ip_acl"]["ip_acl_uuid"] == created["ip_acl_uuid"]
        assert "# our routing, reviewed by the team" in text and "# keep this name" in text
        assert not app.unsaved
        await press(app, pilot, "n", "ctrl+n", "ctrl+n")
        assert screen_name(app) == "DoneScreen"
        assert "(saved;" in str(app.screen.query_one("#summary", Static).content)
        app.plan.provider = "twilio"  # any later edit: Done no longer says saved
        app.screen.on_screen_resume()
        assert "not saved yet" in str(app.screen.query_one("#summary", Static).content)


async def demo_app_id(name: str) -> str:
    """The id the demo gives a seeded application (the demo's ids are the same every run)."""
    emu = Emulator(seed="demo")
    await emu.start("127.0.0.1", 0)
    try:
        return next(a["app_id"] for a in emu.dump_state()["applications"] if a["app_name"] == name)
    finally:
        await emu.stop()


async def test_a_loaded_answer_url_change_survives_back_and_next(tmp_path):
    app_id = await demo_app_id("support-bot")
    path = tmp_path / "plan.toml"
    path.write_text(
        'version = 1\n[route]\noption = "direct_sip"\nexternal_number = "+14155550100"\n'
        f'[application]\nname = "support-bot"\napp_id = "{app_id}"\n'
        'answer_url = "https://new-agent.example.com/answer"\n'
        '[auth]\ntype = "ip_acl"\n[auth.ip_acl]\nname = "edge"\nentries = ["203.0.113.10"]\n'
    )
    app = demo_app(plan=load_plan(path), plan_path=path, jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        change = "answer_url https://support-bot.example.com/answer -> https://new-agent"
        assert change in diff_text(app)
        await press(app, pilot, "escape")  # the application step: support-bot picked
        assert app.screen.query_one("#mode-pick", RadioButton).value
        await press(app, pilot, "ctrl+n")
        assert screen_name(app) == "ReviewScreen" and change in diff_text(app)
        await apply_all(app, pilot)
        assert account(app, "applications", "app_id", app_id)["answer_url"] == (
            "https://new-agent.example.com/answer"
        )
        assert tomllib.loads(path.read_text())["application"]["answer_url"] == (
            "https://new-agent.example.com/answer"
        )


async def test_reusing_a_credential_then_typing_another_username(tmp_path):
    app = demo_app(plan_path=tmp_path / "plan.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        legacy = account(app, "credentials", "username", DEMO_CREDENTIAL_USERNAME)
        app.screen.query_one("#creds", DataTable).focus()
        await press(app, pilot, "enter")  # reuse legacy_trunk
        assert app.screen.query_one("#username", Input).value == DEMO_CREDENTIAL_USERNAME
        app.screen.query_one("#username", Input).value = "trunk01"
        await settle(app, pilot)
        assert app.session.sip_password  # a new credential gets a new password
        await press(app, pilot, "ctrl+n")
        cred = app.plan.auth.credential
        assert (cred.username, cred.credential_uuid) == ("trunk01", "")
        await create_application(app, pilot)
        assert "create credential trunk01" in diff_text(app)
        await apply_all(app, pilot)
        made = account(app, "credentials", "username", "trunk01")
        assert app.plan.auth.credential.credential_uuid == made["credential_uuid"]
        assert made["credential_uuid"] != legacy["credential_uuid"]


async def test_switching_auth_after_apply_learns_the_credential_id():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "ip_acl")
        await apply_all(app, pilot)
        await press(app, pilot, "escape", "escape")
        app.screen.query_one("#type-ip_acl_and_credential", RadioButton).value = True
        await settle(app, pilot)
        # an existing credential: unchanged by apply, and its id must still be learned
        await fill_auth(app, pilot, username=DEMO_CREDENTIAL_USERNAME)
        await press(app, pilot, "ctrl+n")
        assert "unchanged credential legacy_trunk" in diff_text(app)
        await apply_all(app, pilot)
        # typed, not picked from the account's list: Review asks before using it (its
        # password is Plivo's, not the wizard's), and rotating it applies the rest
        assert screen_name(app) == "ConfirmScreen"
        await press(app, pilot, "y")
        assert screen_name(app) == "ReviewScreen" and app.screen.applied
        legacy = account(app, "credentials", "username", DEMO_CREDENTIAL_USERNAME)
        assert app.plan.auth.credential.credential_uuid == legacy["credential_uuid"]
        assert app.plan.auth.ip_acl.ip_acl_uuid


async def test_choosing_direct_sip_again_keeps_a_loaded_auth_type(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(
        'version = 1\n[route]\noption = "direct_sip"\nexternal_number = "+14155550100"\n'
        '[application]\nname = "agent"\nanswer_url = "https://agent.example.com/answer"\n'
        '[auth]\ntype = "ip_acl_and_credential"\n'
        '[auth.ip_acl]\nname = "edge"\nentries = ["203.0.113.10"]\n'
        '[auth.credential]\nusername = "pbx_trunk"\n'
    )
    app = demo_app(plan=load_plan(path), plan_path=path, jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await press(app, pilot, "escape", "escape", "escape")
        assert screen_name(app) == "OptionScreen"
        await press(app, pilot, "s")
        assert screen_name(app) == "AuthScreen"
        assert app.plan.auth.type == "ip_acl_and_credential"
        assert app.screen.query_one("#type-ip_acl_and_credential", RadioButton).value
        await press(app, pilot, "escape", "enter")  # the recommendation, answers unchanged
        assert app.plan.auth.type == "ip_acl_and_credential"
        await press(app, pilot, "escape")
        await choose_direct_sip(app, pilot, stable=True, shared=False)  # new answers count
        assert app.plan.auth.type == "ip_acl"


async def test_quit_offers_save_and_quit(tmp_path):
    path = tmp_path / "plan.toml"
    app = demo_app(plan_path=path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        await press(app, pilot, "ctrl+q")
        assert screen_name(app) == "QuitScreen"
        assert "not in" in str(app.screen.query_one(".body", Static).content)
        await pilot.press("ctrl+s")  # the key the dialog names works inside it
        await pilot.pause()
    assert app.return_code == 0
    assert tomllib.loads(path.read_text())["auth"]["type"] == "ip_acl"


async def test_the_palettes_own_quit_asks_too():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        # byon's Quit stands in for Textual's, once: no second "Quit" or "Keys" to confuse
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Quit" not in titles and "Keys" not in titles and "Theme" in titles
        await press(app, pilot, "ctrl+p")
        await pilot.press(*"quit")
        await settle(app, pilot)
        await press(app, pilot, "enter")
        assert screen_name(app) == "QuitScreen"
    assert app.return_code is None  # still running until the user answers


async def test_a_saved_plan_quits_without_talk_of_saving(tmp_path):
    app = demo_app(plan_path=tmp_path / "plan.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        await press(app, pilot, "ctrl+s", "ctrl+q")
        assert screen_name(app) == "QuitScreen"  # online: the account lacks the changes
        words = " ".join(str(s.content) for s in app.screen.query(Static)).lower()
        assert "quit before applying" in words and "save it" not in words
        assert not app.screen.query("#save")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_save_as_asks_for_a_path_and_keeps_it(tmp_path):
    from tests.screens.test_palette import run_command

    app = demo_app(plan_path=tmp_path / "first.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        await run_command(app, pilot, "save plan as")
        assert screen_name(app) == "PathPrompt"
        prompt = app.screen.query_one("#path", Input)
        prompt.value = str(tmp_path / "missing-folder" / "plan.toml")
        await press(app, pilot, "enter")
        assert screen_name(app) == "PathPrompt"  # no such folder: nothing written
        prompt.value = str(tmp_path / "routing.toml")
        await press(app, pilot, "enter")
        assert screen_name(app) == "AuthScreen"
        assert app.plan_path == tmp_path / "routing.toml" and not app.unsaved
    assert tomllib.loads((tmp_path / "routing.toml").read_text())["auth"]["type"] == "ip_acl"
    assert not (tmp_path / "first.toml").exists()


async def _on_the_application_form(app, pilot) -> None:
    await ready(app, pilot)
    await choose_direct_sip(app, pilot, stable=True, shared=False)
    await fill_auth(app, pilot, entries=["203.0.113.10"])
    assert screen_name(app) == "ApplicationScreen"
    scr = app.screen
    scr.query_one("#mode-create", RadioButton).value = True
    scr.query_one("#name", Input).value = "typed-not-next"
    scr.query_one("#answer-url", Input).value = "https://agent.example.com/typed"
    await pilot.pause()


async def test_saving_takes_what_the_shown_step_holds(tmp_path):
    """ctrl+s on a step with a form saves the form as typed, as Next would take it."""
    path = tmp_path / "plan.toml"
    app = demo_app(plan_path=path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _on_the_application_form(app, pilot)
        await press(app, pilot, "ctrl+s")
        assert screen_name(app) == "ApplicationScreen"  # saving does not move on
        # a wrong value is not written: the save says what it left out
        app.screen.query_one("#answer-url", Input).value = "ftp://nope"
        await press(app, pilot, "ctrl+s")
        toasts = " ".join(str(n.message) for n in app._notifications)
        assert "without this step's form: " in toasts and "answer" in toasts.lower()
    saved = tomllib.loads(path.read_text())["application"]
    assert saved["name"] == "typed-not-next"
    assert saved["answer_url"] == "https://agent.example.com/typed"


async def test_quitting_with_an_edit_still_in_the_form_asks(tmp_path):
    path = tmp_path / "plan.toml"
    app = demo_app(plan_path=path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _on_the_application_form(app, pilot)
        await press(app, pilot, "ctrl+s")  # saved as typed: nothing unsaved now
        app.screen.query_one("#answer-url", Input).value = "https://agent.example.com/edited"
        await press(app, pilot, "ctrl+q")
        assert screen_name(app) == "QuitScreen"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.return_code == 0
    saved = tomllib.loads(path.read_text())["application"]
    assert saved["answer_url"] == "https://agent.example.com/edited"
