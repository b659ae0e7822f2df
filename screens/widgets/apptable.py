"""Filtering a large application list into a DataTable, fast enough per keystroke."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from wizard.text import plain

SHOWN = 30  # more rows than anyone scrolls through; keeps each keystroke cheap on 1,000+ apps
# fixed widths: the table then never measures columns, the main cost of refilling it
COLUMNS = (("name", 24), ("app_id", 17), ("answer URL", 34), ("SIP auth", 12))
STACK_BELOW = 100  # narrower: two lines per app, name over app_id, URL over SIP auth


def auth_label(sip_auth_type: str) -> str:
    """An application's SIP auth as the table shows it (empty: open)."""
    return plain(sip_auth_type, 40) or "open (none)"  # from the account


def stacked(table: DataTable) -> bool:
    """Whether the table has the narrow shape: two lines per app, two columns."""
    return len(table.columns) == 2


def fit_columns(table: DataTable, width: int) -> bool:
    """Rebuild the columns when ``width`` calls for the other shape (rows go with them:
    fill the table again); False when the shape already fits."""
    if (width < STACK_BELOW) == stacked(table):
        return False  # the same shape keeps its columns
    table.clear(columns=True)
    add_columns(table, width)
    return True


def add_columns(table: DataTable, width: int = STACK_BELOW) -> None:
    """Columns for a terminal ``width`` columns wide: the answer URL takes what is left, and
    a long one wraps (whole, never cut)."""
    if width < STACK_BELOW:
        table.header_height = 2
        table.add_column("name\napp_id", width=24)
        table.add_column("answer URL\nSIP auth", width=max(30, width - 24 - 9))
        return
    url = max(34, width - sum(w for _l, w in COLUMNS) + 34 - 13)
    for label, w in COLUMNS:
        table.add_column(label, width=url if label == "answer URL" else w)


class AppFilter:
    """Holds the full list once (lower-cased haystacks), refills the table with matches."""

    def __init__(self) -> None:
        self.apps: list[Any] = []
        self.by_id: dict[str, Any] = {}
        self._hay: list[str] = []
        self._shown: list[str] | None = None

    def set_apps(self, apps: list[Any]) -> None:
        """Keep the account's applications (once), with their search text."""
        self.apps = list(apps)
        self.by_id = {a.app_id: a for a in self.apps}
        self._hay = [f"{a.app_name}\0{a.app_id}\0{a.answer_url}".lower() for a in self.apps]
        self._shown = None

    def matches(self, text: str) -> list[Any]:
        """The applications whose name, app_id or URL contain ``text``."""
        needle = text.strip().lower()
        if not needle:
            return self.apps
        return [a for a, h in zip(self.apps, self._hay, strict=True) if needle in h]

    def summary(self, found: int) -> str:
        """One line under the table, so a cut-off list never looks like the whole account."""
        total = len(self.apps)
        if found > SHOWN:
            return f"showing {SHOWN} of {found} matching applications: type to narrow"
        if found < total:
            return f"{found} of {total} applications match"
        return ""

    def refill(self, table: DataTable, text: str) -> int:
        """Fill the table again even if the same apps match (its columns were rebuilt)."""
        self._shown = None
        return self.fill(table, text)

    def fill(self, table: DataTable, text: str) -> int:
        """Show the matches (the first SHOWN of them); returns how many matched."""
        found = self.matches(text)
        shown = [a.app_id for a in found[:SHOWN]]
        if shown == self._shown:  # same rows as now (e.g. a keystroke that changed nothing)
            return len(found)
        self._shown = shown
        table.clear()
        two_lines = stacked(table)
        for a in found[:SHOWN]:
            # names and URLs come from the account: plain text, never markup
            name, url = plain(a.app_name, 100), Text(plain(a.answer_url, 300), overflow="fold")
            app_id = plain(a.app_id, 100)
            auth = auth_label(a.sip_auth_type)
            if two_lines:
                url.append(f"\n{auth}")
                table.add_row(Text(f"{name}\n{app_id}"), url, key=a.app_id, height=None)
            else:
                table.add_row(name, app_id, url, auth, key=a.app_id, height=None)
        return len(found)
