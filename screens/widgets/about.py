"""`w`: when bringing your own number to Plivo makes sense, and what a 5-minute call costs
on each route (the seed's "When to use this" and its cost comparison)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from wizard.plans.costs import WHEN_TO_USE, Rates, cost_lines, rate_source


def when_text() -> Text:
    """The five situations as bullets."""
    return Text("\n".join(f"• {line}" for line in WHEN_TO_USE))


def cost_table(rates: Rates | None) -> Table:
    """The 5-minute call on each route: legs, then each cost part with the account's rates."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for part, figure in cost_lines(rates or Rates()):
        style = "" if part.startswith(" ") else "bold"
        table.add_row(Text(part, style=style), Text(figure, style=style))
    return table


class WhenToUse(ModalScreen[None]):
    """The option step's w overlay: when to bring a number, and a call's cost per route."""

    DEFAULT_CSS = """
    WhenToUse { align: center middle; }
    WhenToUse > VerticalScroll {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $accent; background: $surface;
    }
    WhenToUse .title { text-style: bold; color: $accent; margin-top: 1; }
    WhenToUse .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape,w,q,enter", "close", "Close", show=False)]

    def __init__(self, rates: Any = None) -> None:
        super().__init__()
        self._rates = rates if isinstance(rates, Rates) else Rates()

    def compose(self) -> ComposeResult:
        """The situations, the 5-minute call's costs, where the rates came from."""
        with VerticalScroll():
            yield Static("When to use this", classes="title")
            yield Static(when_text())
            yield Static("A typical 5-minute inbound call", classes="title")
            yield Static(cost_table(self._rates))
            yield Static(Text(rate_source(self._rates)), classes="hint")
            yield Static("escape closes this", classes="hint")

    def action_close(self) -> None:
        """The user pressed escape, w, q or enter: the overlay closes."""
        self.dismiss(None)
