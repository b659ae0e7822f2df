"""Step 1: DID forwarding or Direct SIP, side by side, the provider, and a recommendation
that fits what that provider can do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from screens.widgets.base import StepScreen
from screens.widgets.question import Question
from wizard.providers.words import AUTH_WORDS
from wizard.session import recommend

# (aspect, DID forwarding, Direct SIP): the seed's comparison, short enough for 80 columns
ROWS = (
    ("Legs", "3: caller → provider → Plivo", "1: caller → Plivo via SIP"),
    ("5-min call", "provider forward × 5 min", "Plivo SIP termination × 5 min"),
    ("", "+ Plivo inbound × 5 min", "only: no forward, no inbound"),
    ("Latency", "an extra forwarding hop", "lowest, no extra hop"),
    ("Provider must", "forward calls to a number", "send SIP to a URI"),
    ("Needs", "a Plivo number (rent or buy)", "SIP auth: IP ACL / credentials"),
)
USE = (
    "[@click=screen.use_recommended][b reverse] Use recommendation (enter) [/][/]   "
    "[dim]space ticks · w when to use this · s/f choose[/]"
)
DEMO_EXTERNAL = "+14155550100"  # the demo's "number at another provider" (fictional 555-01xx)
QUESTIONS = (
    ("q-sip", "Can your provider send calls over SIP to a URI?", True),
    ("q-stable", "Does it send from stable, known outbound IPs?", False),
    ("q-shared", "Are those IPs shared (platform-wide, CGNAT)?", False),
)


def comparison(inbound: str = "") -> Content:
    """The two routes side by side; ``inbound`` is the 5-minute Plivo inbound cost, if known.

    Fixed columns (13 + 31 + 31) fit 80 columns; plain padded lines rather than a table,
    because this is the first screen of `byon demo` and a table costs its first paint."""
    head = f"{'':15}{'DID forwarding':32}Direct SIP ★ recommended"
    lines = [Content.styled(head, "bold")]
    for aspect, did, sip in ROWS:
        if inbound and did.startswith("+ Plivo inbound"):
            did = f"+ Plivo inbound {inbound}"
        lines.append(Content.assemble(Content.styled(f"{aspect:15}", "bold"), f"{did:32}{sip}"))
    return Content("\n").join(lines)


@dataclass
class RatesLoaded(Message):
    """The account's own rates (wizard.plans.costs.Rates), read once the step is shown."""

    rates: Any


class OptionScreen(StepScreen):
    """DID forwarding or Direct SIP, with three questions that recommend one."""

    STEP = "option"
    TITLE = "choose how calls reach Plivo"
    CSS_PATH = "option.tcss"
    # focus restyles the screen: it is given after the first paint (see on_mount), and
    # enter (use the recommendation) is a screen key that works before it
    AUTO_FOCUS = ""
    BINDINGS = [
        # the link on the screen names enter: the footer keeps its room for Save and Keys
        Binding("enter", "use_recommended", "Use recommendation", show=False),
        Binding("s", "choose('direct_sip')", "Direct SIP"),
        Binding("f", "choose('did_forwarding')", "DID forwarding"),
        Binding("w", "when_to_use", "When to use", tooltip="the five situations and the costs"),
    ]
    rates = None  # the account's own rates (wizard.plans.costs.Rates), once read

    def compose_body(self) -> ComposeResult:
        """Your number, the two options side by side, the questions (the widgets that
        change later are kept, not queried again)."""
        # the number's field is mounted after the first paint too (an Input's styles and
        # set-up cost it), in the row already laid out for it
        self.ext_row = Horizontal(id="ext-row")
        with self.ext_row:
            yield Static("Your number at the other provider", classes="ext-label")
        self.external = Input(placeholder="e.g. +14155550100", id="external", compact=True)
        # the provider list is mounted after the first paint (its data and the Select cost)
        self.provider_row = Horizontal(id="provider-row")
        with self.provider_row:
            yield Static("Your provider", classes="ext-label")
        self.compare = Static(comparison(), id="compare")
        yield self.compare
        # one widget per question and a single button: this is the first screen of
        # `byon demo`, and every extra widget delays the first paint
        self.questions = {
            qid: Question(text, value=default, id=qid, classes="question")
            for qid, text, default in QUESTIONS
        }
        yield from self.questions.values()
        self.recommendation = Static("", id="recommendation")
        yield self.recommendation
        # a link, not a Button: the first screen paints sooner with one widget less
        yield Static(USE, id="use")

    def on_mount(self) -> None:
        """Recommend from the default answers; the number's field loads after paint."""
        # the recommendation replaces a chosen (or loaded) auth type only when these change
        self._answered = self._answers()
        # after the first paint: the plan module and the phonenumbers data load then
        self.call_after_refresh(self._attach_validator)
        self.call_after_refresh(self._attach_providers)
        self._update()

    async def _attach_validator(self) -> None:
        if self.app.exit_after_first_paint:  # exiting now: this work is for a user
            return
        await self.ext_row.mount(self.external)
        # the demo's number is filled in, so the questions are what a presenter needs:
        # focused without scrolling, the number field stays in view at 80x24
        self.questions["q-sip"].focus(scroll_visible=False)
        from screens.widgets.fields import CheckValidator

        external = self.external
        if not external.value:
            demo = self.app.session.is_demo
            external.value = self.plan.external_number or (DEMO_EXTERNAL if demo else "")
        external.validators = [CheckValidator("check_e164")]
        self.load_rates()

    @work(exclusive=True, exit_on_error=False, group="rates")
    async def load_rates(self) -> None:
        """Read the account's own rates (one list request); they come back as RatesLoaded."""
        from wizard.plans.costs import account_rates

        session = await self.app.wait_session()
        if not session.online:
            return
        self.post_message(RatesLoaded(await account_rates(session.client)))

    def on_rates_loaded(self, message: RatesLoaded) -> None:
        """Keep the rates (w shows them) and put the inbound rate into the comparison."""
        from wizard.plans.costs import inbound_part

        self.rates = message.rates
        if self.rates.inbound_per_min:
            cost = inbound_part(self.rates).rsplit("= ", 1)[-1]
            self.compare.update(comparison(cost))

    def worker_failed(self, worker) -> None:
        """Unread rates are no error: the line clears; the comparison keeps its words."""
        if worker.group == "rates":  # the comparison keeps its words; nothing to retry
            self.clear_error()

    async def _attach_providers(self) -> None:
        if self.app.exit_after_first_paint:  # exiting now: this work is for a user
            return
        from textual.widgets import Select

        from wizard.providers.facts import providers

        known = providers()
        value = self.plan.provider if self.plan.provider in known else "generic"
        options = [(p.name, key) for key, p in known.items()]
        select = Select(options, value=value, id="provider", allow_blank=False, compact=True)
        await self.provider_row.mount(select)
        self._update()

    def provider(self) -> str:
        """The provider chosen on this step (the plan's until the list is mounted)."""
        from textual.widgets import Select

        found = self.query("#provider").results(Select)
        select = next(iter(found), None)
        if select is not None and isinstance(select.value, str):
            return select.value
        # no Plan before the first paint: making one loads the plan module (tens of ms)
        return (self.plan.provider if self.app.plan_loaded else "") or "generic"

    def on_select_changed(self, event) -> None:
        """The user picked another provider: the recommendation is fitted to it."""
        if event.select.id == "provider":
            self._update()

    @on(Question.Changed)
    def _update(self) -> None:
        rec = self.current()
        text = Text("→ ")
        if rec.option == "direct_sip":
            text.append(f"Direct SIP with {AUTH_WORDS[rec.auth_type]}", style="bold")
        else:
            text.append("DID forwarding", style="bold")
        text.append(f". {rec.reason}")
        for alt in getattr(rec, "alternatives", ()):
            text.append(f" ({alt[0].upper()}{alt[1:]}.)")
        if getattr(rec, "warning", ""):
            text.append(f"\n⚠ {rec.warning}", style="bold")
        self.recommendation.update(text)

    def current(self):
        """The seed's recommendation for the three answers, fitted to the chosen provider."""
        base = recommend(
            sip=self.questions["q-sip"].value,
            stable_ips=self.questions["q-stable"].value,
            shared_ips=self.questions["q-shared"].value,
        )
        if self.provider() == "generic":
            return base  # nothing to fit: no provider data is needed before the first paint
        from wizard.providers.advice import advise

        return advise(self.provider(), base)

    def _answers(self) -> tuple[bool, ...]:
        return tuple(self.questions[qid].value for qid, _t, _d in QUESTIONS)

    def action_when_to_use(self) -> None:
        """w: the five situations for bringing a number, and the cost example."""
        from screens.widgets.about import WhenToUse

        self.app.push_screen(WhenToUse(getattr(self, "rates", None)))

    def action_use_recommended(self) -> None:
        """Take the recommended route (and auth type)."""
        self._finish(self.current().option)

    def action_choose(self, option: str) -> None:
        """Take the route the user named (s / f)."""
        self._finish(option)

    def _finish(self, option: str) -> None:
        from screens.widgets.fields import problem
        from wizard.plans.validate import check_e164
        from wizard.steps import OptionResult

        if not self.external.is_mounted:  # a key within the first frame: the field comes next
            return
        external = self.external.value.strip()
        msg = problem(check_e164, external)
        if msg:
            self.show_error(f"Your number: {msg}")
            self.external.focus()
            return
        answers = self._answers()
        # a chosen (or loaded) auth type stays unless the answers changed since
        fresh = self.plan.auth is None or answers != self._answered
        self._answered = answers
        auth_type = self.current().auth_type if option == "direct_sip" and fresh else ""
        self.finish(OptionResult(option, external, auth_type, self.provider()))
