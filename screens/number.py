"""Step (DID forwarding): the Plivo number your provider forwards to. Pick a rented one or buy."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Select, Static

from screens.widgets.base import StepScreen
from screens.widgets.confirm import ConfirmScreen
from screens.widgets.fields import problem
from screens.widgets.words import money
from wizard.plans.plan import ForwardingPlan

COUNTRIES = [("US", "US"), ("GB", "GB"), ("IN", "IN"), ("AU", "AU"), ("CA", "CA")]
TYPES = [("local", "local"), ("tollfree", "toll-free"), ("mobile", "mobile")]


def e164(number: str) -> str:
    return number if number.startswith("+") else f"+{number}"


class NumberScreen(StepScreen):
    STEP = "number"
    TITLE = "Step 4 · the Plivo number your provider forwards calls to"
    CSS_PATH = "number.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+f", "search", "Search"),
        Binding("ctrl+b", "buy", "Buy selected"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rented: dict[str, object] = {}
        self._found: dict[str, object] = {}
        self._chosen = ""

    def compose_body(self) -> ComposeResult:
        fwd = self.plan.forwarding
        yield Static("Numbers you rent (enter to pick):", classes="section")
        yield DataTable(id="rented", cursor_type="row")
        yield Static("Or search and buy one:", classes="section")
        with Horizontal(classes="row"):
            yield Select(
                COUNTRIES,
                value=fwd.search.country_iso if fwd and fwd.search else "US",
                id="country",
                allow_blank=False,
            )
            yield Select(TYPES, value="local", id="type", allow_blank=False)
            yield Input(placeholder="pattern, e.g. 415", id="pattern")
            yield Button("Search (ctrl+f)", id="search")
        with Vertical(id="results-box"):
            yield DataTable(id="results", cursor_type="row")
            yield Button("Buy selected (ctrl+b)", id="buy", variant="warning")
        yield Static("", id="chosen", classes="hint")
        with Horizontal(classes="buttons"):
            yield Button("Next (ctrl+n)", id="next", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#rented", DataTable).add_columns("number", "type", "region", "app", "rent")
        self.query_one("#results", DataTable).add_columns(
            "number", "type", "region", "setup", "monthly"
        )
        self.query_one("#results-box").display = False
        fwd = self.plan.forwarding
        if fwd and fwd.plivo_number and fwd.plivo_number != "buy":
            self._choose(fwd.plivo_number)
        self.load_rented()
        self.query_one("#rented", DataTable).focus()

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load_rented(self) -> None:
        session = await self.app.wait_session()
        if not session.online:
            self.query_one("#chosen", Static).update(
                "Offline: type the Plivo number to forward to in the plan later."
            )
            return
        numbers = await session.client.list_numbers()
        table = self.query_one("#rented", DataTable)
        table.clear()
        self._rented = {}
        for n in numbers:
            if not n.voice_enabled:
                continue
            self._rented[n.number] = n
            table.add_row(
                e164(n.number),
                n.number_type,
                n.region,
                n.app_id or "—",
                money(n.monthly_rental_rate, "mo"),
                key=n.number,
            )

    @on(DataTable.RowSelected, "#rented")
    def _pick(self, event: DataTable.RowSelected) -> None:
        self._choose(e164(event.row_key.value))

    def _choose(self, number: str) -> None:
        self._chosen = number
        self.query_one("#chosen", Static).update(
            f"Forward to [b]{number}[/b]; it is assigned to the application when you apply."
        )

    @on(Button.Pressed, "#search")
    @on(Input.Submitted, "#pattern")
    def action_search(self) -> None:
        from wizard.plans.validate import check_search_pattern

        pattern = self.query_one("#pattern", Input).value.strip()
        msg = problem(check_search_pattern, pattern) if pattern else ""
        if msg:
            self.show_error(f"Pattern: {msg}")
            return
        self.clear_error()
        self.search(
            str(self.query_one("#country", Select).value),
            str(self.query_one("#type", Select).value),
            pattern,
        )

    @work(exclusive=True, exit_on_error=False, group="search")
    async def search(self, country: str, kind: str, pattern: str) -> None:
        session = await self.app.wait_session()
        client = session.require_client()
        found = await client.search_phone_numbers(country, type=kind, pattern=pattern or None)
        table = self.query_one("#results", DataTable)
        table.clear()
        self._found = {}
        for n in found:
            self._found[n.number] = n
            table.add_row(
                e164(n.number),
                n.type,
                n.region,
                money(n.setup_rate),
                money(n.monthly_rental_rate, "mo"),
                key=n.number,
            )
        self.query_one("#results-box").display = True
        if not found:
            what = f"match {pattern}" if pattern else "are for sale right now"
            hint = "Try another pattern." if pattern else "Try another type or country."
            self.show_error(f"No {kind} numbers in {country} {what}. {hint}")
        else:
            table.focus()

    @on(Button.Pressed, "#buy")
    @on(DataTable.RowSelected, "#results")
    def action_buy(self) -> None:
        table = self.query_one("#results", DataTable)
        if not self._found or table.cursor_row < 0:
            self.show_error("Search first, then select the number to buy.")
            return
        key = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        n = self._found[key]
        self.app.push_screen(
            ConfirmScreen(
                f"Buy {e164(n.number)}?",
                f"Plivo charges a one-time setup fee of {money(n.setup_rate)} and "
                f"{money(n.monthly_rental_rate)} a month for this {n.type} number "
                f"({n.region or n.country}). The rental continues until you release it.",
                yes="Buy",
                no="Cancel",
            ),
            lambda yes: self.buy(n.number) if yes else None,
        )

    @work(exclusive=True, exit_on_error=False, group="buy")
    async def buy(self, number: str) -> None:
        session = await self.app.wait_session()
        client = session.require_client()
        bought = await client.buy_phone_number(number)
        self.app.notify(f"Bought {e164(bought.number)}.", title="Number bought")
        self._found.pop(number, None)
        self.query_one("#results-box").display = False
        self._choose(e164(bought.number))
        await self.load_rented().wait()

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        errors = []
        if not self._chosen:
            errors.append("Pick a rented number (enter) or buy one.")
        if errors:
            self.show_error(" · ".join(errors))
            return
        self.clear_error()
        self.plan.forwarding = ForwardingPlan(plivo_number=self._chosen)
        self.plan.auth = None
        self.app.mark_dirty()
        self.app.next_step(self.STEP)
