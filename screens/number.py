"""Step (DID forwarding): the Plivo number your provider forwards to. Pick a rented one or buy.

Choosing a number to buy only records it in the plan: it is bought on the review step,
with its cost on the line, like every other change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Select, Static

from screens.widgets.base import StepScreen
from screens.widgets.fields import CheckValidator, problem
from screens.widgets.table import Table
from screens.widgets.words import money
from wizard.numbers import national_number, with_plus
from wizard.steps import NumberResult
from wizard.text import plain

COUNTRIES = [("US", "US"), ("GB", "GB"), ("IN", "IN"), ("AU", "AU"), ("CA", "CA")]
# (label, value): the value is what Plivo's search takes
TYPES = [("local", "local"), ("toll-free", "tollfree"), ("mobile", "mobile")]


@dataclass
class RentedLoaded(Message):
    """The account's voice numbers (``online`` False: offline, none listed)."""

    numbers: list[Any]
    online: bool = True


@dataclass
class SearchDone(Message):
    """Numbers for sale that match a search (country, type, pattern)."""

    country: str
    kind: str
    pattern: str
    found: list[Any]


class NumberScreen(StepScreen):
    """Pick a rented number, or choose one to buy (bought on review), or type one offline."""

    STEP = "number"
    TITLE = "the Plivo number your provider forwards calls to"
    CSS_PATH = "number.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+f", "search", "Search"),
        Binding("ctrl+b", "buy", "Buy selected"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._found: dict[str, Any] = {}
        self._search: tuple[str, str, str] = ("US", "local", "")  # of the results shown
        self._choice: NumberResult | None = None
        self._answered_by: dict[str, str] = {}  # rented number -> the app it answers with

    def compose_body(self) -> ComposeResult:
        """Rented numbers, the search and its results, the choice."""
        fwd = self.plan.forwarding
        search = fwd.search if fwd else None
        yield Static("Numbers you rent (enter to pick):", classes="section")
        self.rented = Table(id="rented", cursor_type="row")
        yield self.rented
        self.typed = Input(
            placeholder="e.g. +14155550199", id="typed", validators=[CheckValidator("check_e164")]
        )
        yield self.typed
        yield Static("Or search and buy one:", classes="section")
        with Horizontal(classes="row"):
            self.country = Select(
                COUNTRIES,
                value=search.country_iso if search else "US",
                id="country",
                allow_blank=False,
            )
            yield self.country
            kind = search.type if search and search.type in dict(TYPES).values() else "local"
            self.kind = Select(TYPES, value=kind, id="type", allow_blank=False)
            yield self.kind
            self.pattern = Input(placeholder="pattern, e.g. 415", id="pattern")
            yield self.pattern
            yield Button("Search (ctrl+f)", id="search")
        with Vertical(id="results-box") as self.results_box:
            self.results = Table(id="results", cursor_type="row")
            yield self.results
            yield Button("Buy selected (ctrl+b)", id="buy", variant="warning")
        self.chosen = Static("", id="chosen", classes="hint")
        yield self.chosen
        with Horizontal(classes="buttons"):
            yield Button("Next (ctrl+n)", id="next", variant="primary")

    def on_mount(self) -> None:
        """Columns, the plan's choice, then the account's numbers."""
        self.rented.add_columns("number", "type", "region", "app", "rent")
        self.results.add_columns("number", "type", "region", "setup", "monthly")
        self.results_box.display = False
        self.typed.display = False
        fwd = self.plan.forwarding
        if fwd and fwd.plivo_number:
            self._choose(NumberResult(fwd.plivo_number, fwd.search))
        self.load_rented()
        self.rented.focus()

    @work(exclusive=True, exit_on_error=False, group="load")
    async def load_rented(self) -> None:
        """Read the account's numbers (none offline)."""
        session = await self.app.wait_session()
        if not session.online:
            self.post_message(RentedLoaded([], online=False))
            return
        self.post_message(RentedLoaded(await session.client.list_numbers()))

    def on_rented_loaded(self, message: RentedLoaded) -> None:
        """List the voice numbers; offline, ask for the number instead."""
        if not message.online:
            self.rented.display = False
            self.typed.display = True
            self.typed.value = self._choice.plivo_number if self._choice else ""
            self.call_after_refresh(self.typed.focus)
            if self._choice is None:
                self.chosen.update(
                    "Offline: type the Plivo number you rent (E.164), or search and buy "
                    "once connected (`byon apply` buys what the plan names)."
                )
            return
        self.rented.clear()
        self._answered_by = {with_plus(n.number): n.app_id for n in message.numbers if n.app_id}
        for n in message.numbers:
            if n.voice_enabled:
                row = (with_plus(n.number), n.number_type, n.region, n.app_id or "—")
                cells = [plain(v) for v in row]  # the account's: bounded, one line each
                self.rented.add_row(*cells, money(n.monthly_rental_rate, "mo"), key=n.number)

    @on(DataTable.RowSelected, "#rented")
    def _pick(self, event: DataTable.RowSelected) -> None:
        self._choose(NumberResult(with_plus(event.row_key.value)))

    def _choose(self, choice: NumberResult, price: str = "") -> None:
        self._choice = choice
        if choice.plivo_number == "buy":
            number = self._wanted_number(choice)
            line = Text.assemble(
                "Buy ",
                (number, "bold"),
                f"{price}: bought on the review step when you apply, "
                "then assigned to the application.",
            )
        else:
            line = Text.assemble(
                "Forward to ",
                (choice.plivo_number, "bold"),
                "; it is assigned to the application when you apply.",
            )
            other = self._answered_by.get(choice.plivo_number, "")
            app = self.plan.application
            if other and other != (app.app_id if app else ""):
                # a number in use elsewhere: applying takes its calls from that application
                line.append(
                    f"\n⚠ It answers with application {plain(other, 40)} now: applying moves "
                    "it, and that application stops getting this number's calls.",
                    style="bold",
                )
        self.chosen.update(line)

    def _wanted_number(self, choice: NumberResult) -> str:
        s = choice.search
        found = [n for n in self._found.values() if s and national_number(n.number) == s.pattern]
        if found:
            return with_plus(found[0].number)
        return f"a {s.type} number in {s.country_iso} matching {s.pattern}" if s else "a number"

    @on(Button.Pressed, "#search")
    @on(Input.Submitted, "#pattern")
    def action_search(self) -> None:
        """Search the numbers for sale (ctrl+f); old results go at once."""
        from wizard.plans.validate import check_search_pattern

        pattern = self.pattern.value.strip()
        msg = problem(check_search_pattern, pattern) if pattern else ""
        if msg:
            self.show_error(f"Pattern: {msg}")
            return
        self.clear_error()
        self._found = {}
        self.results.clear()
        self.results_box.display = False
        self.search(str(self.country.value), str(self.kind.value), pattern)

    @work(exclusive=True, exit_on_error=False, group="search")
    async def search(self, country: str, kind: str, pattern: str) -> None:
        """Ask Plivo for numbers for sale (reading only: nothing is bought here)."""
        session = await self.app.wait_session()
        client = session.require_client()
        found = await client.search_phone_numbers(country, type=kind, pattern=pattern or None)
        self.post_message(SearchDone(country, kind, pattern, found))

    def on_search_done(self, message: SearchDone) -> None:
        """Show the matches (or say there are none)."""
        self._search = (message.country, message.kind, message.pattern)
        self._found = {n.number: n for n in message.found}
        for n in message.found:
            self.results.add_row(
                *(plain(v) for v in (with_plus(n.number), n.type, n.region)),
                money(n.setup_rate),
                money(n.monthly_rental_rate, "mo"),
                key=n.number,
            )
        self.results_box.display = bool(message.found)
        if message.found:
            self.results.focus()
            return
        label = dict((v, k) for k, v in TYPES).get(message.kind, message.kind)
        if message.pattern:
            what = f"for sale in {message.country} matching {message.pattern}"
            hint = "Try another pattern or type."
        else:  # no empty quotes: say that none is for sale at all
            what, hint = f"in {message.country} are for sale right now", "Try another type."
        self.show_error(f"No {label} numbers {what}. {hint}")

    @on(Button.Pressed, "#buy")
    @on(DataTable.RowSelected, "#results")
    def action_buy(self) -> None:
        """Choose the selected number to buy; review shows it with its cost, apply buys it."""
        from wizard.plans.plan import SearchPlan

        if not self._found or self.results.cursor_row < 0:
            self.show_error("Search first, then select the number to buy.")
            return
        key = self.results.coordinate_to_cell_key((self.results.cursor_row, 0)).row_key.value
        n = self._found[key]
        country, kind, _pattern = self._search
        # the search that finds exactly this number: its national digits as the pattern.
        # Guess: Plivo matches a pattern from the start or anywhere in the national number;
        # either way the whole national number matches this one number only.
        search = SearchPlan(country_iso=country, type=kind, pattern=national_number(n.number))
        self.clear_error()
        price = f" ({money(n.setup_rate)} setup, {money(n.monthly_rental_rate)} a month)"
        self._choose(NumberResult("buy", search), price)

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        """Hand the chosen (or typed) number to the plan."""
        if self.typed.display:
            typed = self.typed.value.strip()
            msg = problem(_check_e164, typed) if typed else "type the Plivo number you rent"
            if msg:
                self.show_error(f"Plivo number: {msg}")
                return
            self._choose(NumberResult(typed))
        if self._choice is None:
            self.show_error("Pick a rented number (enter) or choose one to buy.")
            return
        self.finish(self._choice)


def _check_e164(text: str) -> str | None:
    from wizard.plans.validate import check_e164

    return check_e164(text)
