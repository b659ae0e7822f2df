"""Filtering a large application list into a DataTable, fast enough per keystroke."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

SHOWN = 30  # more rows than anyone scrolls through; keeps each keystroke cheap on 1,000+ apps
# fixed widths: the table then never measures cells, the main cost of refilling it
COLUMNS = (("name", 24), ("app_id", 17), ("answer URL", 34), ("SIP auth", 12))


def auth_label(sip_auth_type: str) -> str:
    """An application's SIP auth as the table shows it (empty: open)."""
    return sip_auth_type or "open (none)"


def add_columns(table: DataTable) -> None:
    """The table's fixed-width columns."""
    for label, width in COLUMNS:
        table.add_column(label, width=width)


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

    def fill(self, table: DataTable, text: str) -> int:
        """Show the matches (the first SHOWN of them); returns how many matched."""
        found = self.matches(text)
        shown = [a.app_id for a in found[:SHOWN]]
        if shown == self._shown:  # same rows as now (e.g. a keystroke that changed nothing)
            return len(found)
        self._shown = shown
        table.clear()
        for a in found[:SHOWN]:
            table.add_row(
                a.app_name, a.app_id, a.answer_url, auth_label(a.sip_auth_type), key=a.app_id
            )
        return len(found)
