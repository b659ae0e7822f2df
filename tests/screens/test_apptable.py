"""Filtering a large account's applications: matches, the cap, and the line that says so."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from screens.widgets.apptable import SHOWN, AppFilter, add_columns
from wizard.plivo.client import Application


def _apps(n: int) -> list[Application]:
    return [
        Application(
            app_id=str(10**16 + i),
            app_name=f"agent-{i:04d}",
            answer_url=f"https://a{i}.example.com/answer",
            sip_auth_type="credential" if i % 2 else "",
        )
        for i in range(n)
    ]


class TableApp(App):
    def compose(self) -> ComposeResult:
        yield DataTable()


async def test_filter_caps_rows_and_says_how_many_match():
    f = AppFilter()
    f.set_apps(_apps(1000))
    app = TableApp()
    async with app.run_test():
        table = app.query_one(DataTable)
        add_columns(table)

        found = f.fill(table, "")
        assert found == 1000 and table.row_count == SHOWN
        assert f.summary(found) == f"showing {SHOWN} of 1000 matching applications: type to narrow"

        found = f.fill(table, "AGENT-099")  # case-insensitive, by name
        assert found == 10 and table.row_count == 10
        assert f.summary(found) == "10 of 1000 applications match"

        found = f.fill(table, "a512.example")  # by answer URL
        assert [str(table.get_row_at(0)[0])] == ["agent-0512"]
        assert str(table.get_row_at(0)[3]) == "open (none)"

        assert f.fill(table, "no-such-app") == 0 and table.row_count == 0
        assert f.summary(0) == "0 of 1000 applications match"


async def test_the_table_is_read_again_after_an_apply_changed_the_account():
    """Back on the application step after apply: the table shows the account as it is
    now (the picked app's SIP auth as applied), not as it was first read."""
    from textual.widgets import DataTable, RadioButton

    from tests.screens.helpers import (
        apply_all,
        choose_direct_sip,
        demo_app,
        fill_auth,
        ready,
        screen_name,
        settle,
    )

    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        await fill_auth(app, pilot, entries=["203.0.113.10"])
        scr = app.screen
        scr.query_one("#mode-pick", RadioButton).value = True
        await settle(app, pilot)
        sales = next(a for a in scr.filter.by_id.values() if a.app_name == "sales-agent")
        table = scr.query_one("#apps", DataTable)

        def auth_shown() -> str:
            return str(table.get_row(sales.app_id)[3])

        assert auth_shown() == "credential"
        scr._select(sales.app_id)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen"
        await apply_all(app, pilot)
        assert app.screen.applied
        await pilot.press("escape")
        await settle(app, pilot)
        assert screen_name(app) == "ApplicationScreen"
        assert auth_shown() == "ip_acl"  # 120 columns: the table has a SIP auth column
