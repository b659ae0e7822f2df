"""The last step says where the plan is, whether it is saved, and commands that use it."""

from __future__ import annotations

from textual.widgets import Static

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
from wizard.plans.plan import load_plan


async def test_done_saves_the_plan_and_names_it_in_the_next_steps(tmp_path):
    path = tmp_path / "routing.toml"
    app = demo_app(plan_path=path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        await fill_auth(app, pilot, username="carrier_trunk")
        await create_application(app, pilot)
        await apply_all(app, pilot)
        app_id = app.plan.application.app_id
        for key in ("n", "ctrl+n", "ctrl+n"):  # provider settings, verify, done
            await pilot.press(key)
            await settle(app, pilot)
        assert screen_name(app) == "DoneScreen"
        assert app.screen.title == "Done · your number is routed to Plivo"  # applied

        def summary() -> str:
            return str(app.screen.query_one("#summary", Static).content)

        assert "not saved yet" in summary()
        assert f"byon settings {path}" in summary()
        assert f"--app {app_id}" in summary()
        assert not path.exists()

        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "(saved;" in summary()
        saved = load_plan(path)
        assert saved.application.app_id == app_id
        assert app.session.sip_password not in path.read_text()


async def test_done_says_routed_only_when_the_plan_is_applied(tmp_path):
    from wizard.app import ByonApp
    from wizard.session import OFFLINE

    app = ByonApp(mode=OFFLINE, plan_path=tmp_path / "plan.toml")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        app.show_step("done")  # as the offline route's last step
        await settle(app, pilot)
        assert "ready: `byon apply` routes the number" in app.screen.title
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        app.mark_dirty()  # the plan changed after the last apply
        app.show_step("done")
        await settle(app, pilot)
        assert app.screen.title.startswith("Done · not applied yet")
