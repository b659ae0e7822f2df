"""What well-loved TUIs have, in byon: the activity pane, save as, recent plans; and the
words a first-time user reads (prices, empty searches, provider settings)."""

from __future__ import annotations

import json

from textual.widgets import DataTable, Input, Select

from screens.widgets.activity import ActivityPane
from tests.screens.helpers import (
    SMALL,
    choose_direct_sip,
    create_application,
    demo_app,
    press_all,
    ready,
    screen_name,
    screen_text,
    settle,
)
from wizard.app import ByonApp
from wizard.emulator.server import DEMO_AUTH_TOKEN
from wizard.plans.recent import recent_plans, remember_plan
from wizard.session import OFFLINE


async def test_activity_pane_lists_each_request_without_bodies_or_secrets():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, "enter", "ctrl+n", "ctrl+n", "a", "f2")
        table = app.screen.query_one("#activity", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows == [
            ["10:42:07", r.method, r.path, f"{r.status} {'✓' if r.status < 300 else '✗'}", "3"]
            for r in app.session.activity
        ]
        assert ["POST", "/Application/"] in [row[1:3] for row in rows]  # the create
        text = screen_text(app)
        assert DEMO_AUTH_TOKEN not in text and app.session.sip_password not in text
        # kept across steps: the next step shows it too, with what happened meanwhile
        await press_all(app, pilot, "n")
        assert app.screen.query_one("#activity", DataTable).row_count == table.row_count
        await press_all(app, pilot, "f2")
        assert not app.screen.query_one(ActivityPane).display


async def test_save_as_asks_for_a_path_refuses_a_folder_and_remembers_the_plan(tmp_path):
    app = demo_app(plan_path=tmp_path / "default.toml")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        await press_all(app, pilot, "f3")
        assert screen_name(app) == "PathPrompt"
        field = app.screen.query_one("#path", Input)
        field.value = str(tmp_path)  # a folder: refused, nothing written
        await press_all(app, pilot, "enter")
        assert screen_name(app) == "PathPrompt"
        assert "is a folder" in screen_text(app)
        field.value = str(tmp_path / "mine.toml")
        await press_all(app, pilot, "enter")
        assert screen_name(app) == "AuthScreen"
    assert (tmp_path / "mine.toml").is_file() and not (tmp_path / "default.toml").exists()
    assert app.plan_path == tmp_path / "mine.toml"  # ctrl+s writes there from now on
    assert recent_plans()[0].path == (tmp_path / "mine.toml").resolve()


async def test_welcome_lists_recent_plans_and_opens_one(tmp_path):
    from wizard.plans.plan import Plan, save_plan

    path = save_plan(Plan(external_number="+14155550123"), tmp_path / "kept.toml")
    remember_plan(path)
    app = ByonApp(mode=OFFLINE)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(app, pilot)
        recent = app.screen.query_one("#recent", DataTable)
        assert "kept.toml" in screen_text(app)
        recent.focus()
        recent.move_cursor(row=0)
        await press_all(app, pilot, "enter")
        assert app.plan.external_number == "+14155550123" and app.plan_path == path.resolve()
        await press_all(app, pilot, "ctrl+o")
        assert app.screen.query_one("#external", Input).value == "+14155550123"


def test_a_damaged_recent_list_reads_as_empty(tmp_path):
    from wizard.files import state_dir

    (state_dir() / "recent-plans.json").write_text("{not json")
    assert recent_plans() == []
    (state_dir() / "recent-plans.json").write_text(json.dumps({"plans": [{"path": 3}, "x"]}))
    assert recent_plans() == []
    remember_plan(tmp_path / "a.toml")  # and it is rewritten whole
    assert [r.path.name for r in recent_plans()] == ["a.toml"]


def test_an_unusable_state_folder_costs_the_list_not_the_save(tmp_path, monkeypatch):
    """A state folder that is a file (or not this user's): no list, and no exception for
    the save that remembers a plan afterwards."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("BYON_STATE_DIR", str(blocker))
    assert recent_plans() == []
    remember_plan(tmp_path / "a.toml")  # must not raise


async def test_provider_table_keeps_its_width_whichever_provider_is_viewed():
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(app, pilot, "enter", "ctrl+n", "ctrl+n", "a", "n")
        table = app.screen.query_one("#fields", DataTable)
        select = app.screen.query_one("#provider", Select)
        widths = []
        for key, _title in [(v, t) for t, v in select._options if v != Select.NULL][:6]:
            select.value = key
            await settle(app, pilot)
            widths.append(table.virtual_size.width)
        assert max(widths) <= 118, widths  # never wider than the screen: the copy column stays


async def test_number_step_shows_prices_in_dollars_and_an_empty_search_without_quotes():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, "f")
        await create_application(app, pilot, name="forwarded-line")
        assert screen_name(app) == "NumberScreen"
        assert "$0.80/mo" in screen_text(app)
        assert "0.80000" not in screen_text(app)
        app.screen.query_one("#type", Select).value = "mobile"
        await press_all(app, pilot, "ctrl+f")
        error = str(app.screen.query_one("#error").content)
        assert "No mobile numbers in US are for sale right now" in error
        assert "''" not in error


async def test_the_stream_panel_opens_and_closes_from_its_title():
    """A plan without a <Stream> shows the panel closed; its title opens it (the URL field
    in view) and closes it again."""
    from tests.screens.helpers import fill_auth

    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=True)
        await fill_auth(app, pilot, entries=["203.0.113.10"], username="carrier_trunk")
        url = app.screen.query_one("#stream-url", Input)
        assert app.screen.query_one("#stream").collapsed and url.region.height == 0
        await pilot.click("#stream CollapsibleTitle")
        await settle(app, pilot)
        assert not app.screen.query_one("#stream").collapsed and url.region.height == 3
        assert "WebSocket" in screen_text(app)
        await pilot.click("#stream CollapsibleTitle")
        await settle(app, pilot)
        assert app.screen.query_one("#stream").collapsed and url.region.height == 0


async def test_the_provider_step_opens_with_no_toast_over_its_warnings():
    """An apply's success is said on the review step itself (its banner and a ✓ per
    change): no toast saying it again is left over the provider step that comes next,
    where the first thing at 80x24 is the warning about the Request-URI."""
    from textual.widgets._toast import Toast

    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, "enter", "ctrl+n", "ctrl+n", "a")
        assert "The account now matches the plan" in screen_text(app)
        assert not app.screen.query(Toast)
        await press_all(app, pilot, "n")
        assert screen_name(app) == "ProviderScreen"
        assert not app.screen.query(Toast)
        assert "Plivo routes by the Request-URI" in screen_text(app).replace("\n ", " ")
