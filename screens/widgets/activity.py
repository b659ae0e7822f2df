"""The activity pane (f2): every REST request this wizard made to Plivo, newest last.

Method, path, status and time only: no bodies, no headers, no secrets, so a
reviewer can be shown exactly what the wizard did to the account.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from screens.widgets.calls import verdict_colours
from screens.widgets.table import Table
from wizard.text import plain

# the path wraps onto a second line rather than lose an id (80 columns hold 44 of it)
COLUMNS = (("time", 8), ("method", 6), ("path", 44), ("status", 6), ("ms", 4))


def status_text(status: int | str, theme: dict[str, str] | None = None) -> Text:
    """The status cell: "200 ✓" / "404 ✗" / "ConnectError ✗", readable without colour,
    coloured with the theme's success and error colours when ``theme`` is given."""
    ok = isinstance(status, int) and 200 <= status < 300
    style = verdict_colours(theme or {})["pass" if ok else "fail"]
    return Text(f"{plain(status, 14)} {'✓' if ok else '✗'}", style=style)


class ActivityPane(Vertical):
    """Docked at the bottom of a step; the app feeds it ``add(record)``."""

    DEFAULT_CSS = """
    ActivityPane {
        height: 9;
        border-top: solid $accent;
        background: $surface;
    }
    ActivityPane .pane-title { height: 1; padding: 0 1; color: $accent; text-style: bold; }
    ActivityPane DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown = 0  # records of session.activity already in the table

    def compose(self) -> ComposeResult:
        """A title line over the (still column-less) request table."""
        yield Static("Activity · REST requests to Plivo (f2 hides)", classes="pane-title")
        yield Table(id="activity", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Set the columns, then show the requests made before the pane was opened."""
        table = self.query_one(DataTable)
        for label, width in COLUMNS:
            table.add_column(label, width=width)
        self.refill()

    def refill(self) -> None:
        """Show the requests not in the table yet (made while hidden, or just now)."""
        tables = self.query(DataTable)
        if not tables or not tables.first().columns:
            return  # not built yet: on_mount catches up
        for record in self.app.session.activity[self._shown :]:
            self._add(record)

    def _add(self, record: Any) -> None:
        self._shown += 1
        app = self.app
        clock = getattr(app, "frozen_time", None) or time.strftime(
            "%H:%M:%S", time.localtime(record.at)
        )
        ms = getattr(app, "frozen_ms", None) or f"{record.seconds * 1000:.0f}"
        table = self.query_one(DataTable)
        table.add_row(
            clock,
            record.method,
            Text(plain(record.path, 120), overflow="fold"),
            status_text(record.status, app.theme_variables),
            ms,
            height=None,
        )
        table.move_cursor(row=table.row_count - 1, animate=False)
