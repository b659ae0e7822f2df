"""The command palette offers the wizard's actions and runs them."""

from __future__ import annotations

import tomllib

from textual.widgets import DataTable

from tests.screens.helpers import SIZE, choose_direct_sip, demo_app, ready, screen_name, settle
from tests.screens.test_audio import to_verify
from tests.screens.test_flows import cell


async def run_command(app, pilot, query: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert screen_name(app) == "CommandPalette"
    await pilot.press(*query)
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_palette_finds_and_runs_save_plan(tmp_path):
    plan_file = tmp_path / "plan.toml"
    app = demo_app(plan_path=plan_file)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        assert not plan_file.exists()
        await run_command(app, pilot, "save plan")
        assert screen_name(app) == "AuthScreen"
        assert plan_file.exists()
        # a plan in progress: saved as it is, to finish later
        saved = tomllib.loads(plan_file.read_text())
        assert saved["auth"]["type"] == "ip_acl"


async def test_palette_goes_back_to_a_visited_step_only():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        from screens.commands import wizard_commands

        names = [c.name for c in wizard_commands(app, app.screen)]
        assert not any(n.startswith("Go to step") for n in names)  # nothing behind the first
        assert "Copy SIP URI" not in names  # no application yet
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        names = [c.name for c in wizard_commands(app, app.screen)]
        assert "Go to step: route (DID forwarding or Direct SIP)" in names
        assert "Go to step: review and apply" not in names
        # with the palette open above the step, the step itself is not "behind" it
        step = app.screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        names = [c.name for c in wizard_commands(app, step)]
        assert "Go to step: SIP authentication" not in names
        assert "Go to step: route (DID forwarding or Direct SIP)" in names
        await pilot.press("escape")
        await pilot.pause()
        await run_command(app, pilot, "go to step: route")
        assert screen_name(app) == "OptionScreen"


async def test_palette_simulates_a_call_and_copies_the_uri_on_verify():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        await run_command(app, pilot, "simulate call: correct")
        table = app.screen.query_one("#calls", DataTable)
        assert table.row_count == 1 and cell(table, 0, "result") == "✓ pass"
        await run_command(app, pilot, "copy sip uri")
        assert app.clipboard == f"sip:{app.plan.application.app_id}@app.plivo.com"
        from screens.commands import wizard_commands

        assert "Run SIP probe" in [c.name for c in wizard_commands(app, app.screen)]


async def test_palette_going_back_from_verify_restores_the_answer_url():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        app_id = app.plan.application.app_id
        emu_apps = {a["app_id"]: a for a in app.session.emulator.dump_state()["applications"]}
        assert emu_apps[app_id]["answer_url"] == app.session.takeover.url  # the listener's
        await run_command(app, pilot, "go to step: review")
        assert screen_name(app) == "ReviewScreen"
        emu_apps = {a["app_id"]: a for a in app.session.emulator.dump_state()["applications"]}
        assert emu_apps[app_id]["answer_url"] == "https://agent.example.com/answer"
        assert app.session.listener is None
