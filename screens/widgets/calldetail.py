"""The selected call, whole: what happened, the fix, its audio, the parameters and
headers it carried (plain text), and its SIP ladder."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.widgets.calls import result_word
from screens.widgets.ladder import LadderView
from wizard.text import plain

HIDDEN_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")
# the connection's own plumbing: nothing about the call, and the listener's port changes
TRANSPORT_HEADERS = ("host", "content-length", "connection", "accept", "accept-encoding")
SHOWN_PAIRS = 40  # parameters or headers listed per call


NO_REQUEST = "none: Plivo refused the call in SIP, before any answer_url request"


def pairs_table(title: str, pairs: dict[str, Any], empty: str = "none") -> Group | Text:
    """ "name  value" lines, every value plain and bounded; credentials' headers hidden."""
    if not pairs:
        return Text(f"{title}: {empty}", style="dim")
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    for name, value in list(pairs.items())[:SHOWN_PAIRS]:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        low = str(name).lower()
        if low in TRANSPORT_HEADERS:
            continue
        if low in HIDDEN_HEADERS:
            shown = "(hidden)"
        elif low.startswith("x-plivo-signature"):  # checked above (sig); noise to a person
            shown = f"(present, {len(str(value))} characters)"
        else:
            shown = plain(value, 200)
        table.add_row(Text(plain(name, 40)), Text(shown))
    if len(pairs) > SHOWN_PAIRS:
        table.add_row(Text(f"… {len(pairs) - SHOWN_PAIRS} more", style="dim"), "")
    return Group(Text(title, style="bold"), table)


def heading(row: Any, index: int, total: int) -> Text:
    """ "▶ Call 2 of 5 · 10:42:07 · ✗ 403": which row the details are for, without colour."""
    text = Text(f"▶ Call {index} of {total} · {row.time} · ", style="bold")
    word = result_word(row)
    text.append(word, style="bold")
    return text  # Plivo's reason phrase is in the diagnosis, not repeated here


class CallDetail(VerticalScroll):
    """Below the calls table; ``show(row, ...)`` fills it for the selected call."""

    DEFAULT_CSS = """
    CallDetail { height: 1fr; min-height: 5; padding: 0 1; border-left: thick $accent; }
    CallDetail #detail-head { height: auto; }
    CallDetail #diagnosis { height: auto; }
    CallDetail .raw { height: auto; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-head")
        yield Static("Diagnosis: no call yet.", id="diagnosis")
        yield Static("", id="params", classes="raw")
        yield Static("", id="headers", classes="raw")
        yield LadderView(id="ladder")

    def on_mount(self) -> None:
        for sel in ("#detail-head", "#params", "#headers", "#ladder"):
            self.query_one(sel).display = False

    def show_text(self, text: Any) -> None:
        """A message in place of a call (no call yet, or why none arrived)."""
        self.query_one("#diagnosis", Static).update(text)

    def show(self, row: Any, index: int, total: int, diagnosis: Any) -> None:
        """Fill in ``row`` (a CallRow); ``diagnosis`` is the screen's coloured sentence."""
        self.query_one("#detail-head", Static).update(heading(row, index, total))
        self.query_one("#diagnosis", Static).update(diagnosis)
        refused = row.sip_status not in (200, 0, None)
        empty = NO_REQUEST if refused else "none"
        self.query_one("#params", Static).update(
            pairs_table("Parameters (as sent to the answer_url)", row.params, empty)
        )
        self.query_one("#headers", Static).update(pairs_table("Headers", row.headers, empty))
        self.query_one("#ladder", LadderView).show(row.ladder)
        for sel in ("#detail-head", "#params", "#headers", "#ladder"):
            self.query_one(sel).display = True
        self.scroll_home(animate=False)

    def show_ladder(self, ladder: Any) -> None:
        """Only the ladder changes (it arrived later): the rest, e.g. a probe's sentence in
        the diagnosis, stays."""
        self.query_one("#ladder", LadderView).show(ladder)
        self.query_one("#ladder").display = True
