"""Paths that used to break: toll-free search, `--plan` without credentials, offline mode,
and the wizard started without a terminal."""

from __future__ import annotations

import os
import subprocess
import sys

from textual.widgets import DataTable, Input, Select, Static

from tests.screens.helpers import (
    SIZE,
    SMALL,
    choose_direct_sip,
    create_application,
    demo_app,
    fill_auth,
    ready,
    screen_name,
    settle,
)
from wizard.app import ByonApp
from wizard.plans.plan import load_plan
from wizard.session import OFFLINE

DRAFT = (
    'version = 1\n[route]\noption = "direct_sip"\nexternal_number = "+14155550100"\n'
    '[application]\nname = "from-file"\nanswer_url = "https://agent.example.com/answer"\n'
    '[auth]\ntype = "ip_acl"\n[auth.ip_acl]\nname = "edge"\nentries = ["203.0.113.10"]\n'
)


def text_of(app, selector: str) -> str:
    """What the widget shows, markup resolved."""
    return str(app.screen.query_one(selector, Static).render())


async def press(app, pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


async def test_toll_free_search_finds_toll_free_numbers_and_clears_old_results():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        await press(app, pilot, "f")
        await create_application(app, pilot, name="forwarded-line")
        app.screen.query_one("#type", Select).value = "tollfree"
        await press(app, pilot, "ctrl+f")
        assert not app.screen.query_one("#error").has_class("-shown"), text_of(app, "#error")
        results = app.screen.query_one("#results", DataTable)
        assert results.row_count > 0
        kinds = {str(results.get_row_at(i)[1]) for i in range(results.row_count)}
        assert kinds == {"tollfree"}
        # a search with no match leaves no old result on screen
        app.screen.query_one("#pattern", Input).value = "999999"
        await press(app, pilot, "ctrl+f")
        assert results.row_count == 0 and not app.screen.query_one("#results-box").display
        assert "No toll-free numbers for sale in US matching 999999" in text_of(app, "#error")


async def test_plan_without_credentials_asks_for_the_account_first(emulator, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(DRAFT.replace("[route]", f'[account]\nauth_id = "{emulator.auth_id}"\n[route]'))
    app = ByonApp(
        mode=OFFLINE,
        plan=load_plan(path),
        plan_path=path,
        api_url=emulator.api_url,
        jump_to_review=True,
    )
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        assert screen_name(app) == "WelcomeScreen"  # not an offline review
        assert app.screen.query_one("#auth-id", Input).value == emulator.auth_id
        assert app.focused is app.screen.query_one("#token", Input)
        await pilot.press(*emulator.auth_token, "enter")
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen" and app.session.online
        assert "create application from-file" in text_of(app, "#diff")
        await press(app, pilot, "escape")  # every earlier step is behind it
        assert screen_name(app) == "ApplicationScreen"


async def test_auth_id_from_the_environment_is_prefilled():
    app = ByonApp(mode=OFFLINE, env_auth_id="MAENV000000000000001")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one("#auth-id", Input).value == "MAENV000000000000001"


def run_byon(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("TEXTUAL_DRIVER", "PLIVO_AUTH_ID")}
    environ.pop("BYON_EXIT_AFTER_FIRST_PAINT", None)
    return subprocess.run(
        [sys.executable, "-m", "wizard", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**environ, **env},
    )


def test_an_invalid_plan_exits_2_before_the_ui(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(DRAFT.replace("203.0.113.10", "10.0.0.1"))  # private: never reaches Plivo
    for args in (("--plan", str(path)), ("demo", "--plan", str(path))):
        out = run_byon(*args)
        assert out.returncode == 2, out.stderr
        assert f"{path}:" in out.stderr and "auth.ip_acl.entries[0]" in out.stderr
        assert "needs a terminal" not in out.stderr  # refused for the plan itself


def test_without_a_terminal_the_wizard_exits_at_once():
    for args in ((), ("demo",)):
        out = run_byon(*args)
        assert out.returncode == 2
        assert "needs a terminal" in out.stderr and "byon apply" in out.stderr
        assert out.stdout == ""


async def test_offline_mode_never_pretends(tmp_path):
    app = ByonApp(mode=OFFLINE, plan_path=tmp_path / "plan.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press(app, pilot, "ctrl+o")
        app.screen.query_one("#external", Input).value = "+14155550100"
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        await fill_auth(app, pilot, username="carrier_trunk")
        await create_application(app, pilot)
        # review shows what apply will create, and offers no Apply
        diff = text_of(app, "#diff")
        assert "+ create credential carrier_trunk" in diff
        assert "+ create application ai-agent-inbound" in diff and "Offline" in diff
        assert not app.screen.query_one("#apply").display
        # provider settings: a placeholder reads as one and is not copied as real
        await press(app, pilot, "n")
        assert screen_name(app) == "ProviderScreen"
        table = app.screen.query_one("#fields", DataTable)
        row = table.get_row_at(0)
        assert "‹app_id›" in str(row[1]) and "{app_id}" not in str(row[1])
        assert str(row[2]) == "after apply"
        await press(app, pilot, "c")
        assert app.clipboard == ""
        assert "Nothing to copy" in list(app._notifications)[-1].message
        # verify says what to run once applied
        await press(app, pilot, "ctrl+n")
        assert screen_name(app) == "VerifyScreen"
        steps = text_of(app, "#diagnosis")
        assert f"byon apply {tmp_path / 'plan.toml'}" in steps and "byon verify" in steps
        # saved: quitting asks nothing (offline, nothing to apply here)
        await press(app, pilot, "ctrl+s", "ctrl+q")
    assert app.return_code == 0
    assert load_plan(tmp_path / "plan.toml").auth.credential.username == "carrier_trunk"


async def test_offline_did_forwarding_takes_a_typed_number():
    app = ByonApp(mode=OFFLINE)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await press(app, pilot, "ctrl+o")
        app.screen.query_one("#external", Input).value = "+14155550100"
        await press(app, pilot, "f")
        await create_application(app, pilot, name="forwarded-line")
        assert screen_name(app) == "NumberScreen"
        await press(app, pilot, "ctrl+n")
        assert "type the Plivo number" in text_of(app, "#error")
        app.screen.query_one("#typed", Input).value = "+14155550199"
        await press(app, pilot, "ctrl+n")
        assert screen_name(app) == "ReviewScreen"
        assert app.plan.forwarding.plivo_number == "+14155550199"
        assert "~ route number +14155550199 to the application" in text_of(app, "#diff")
