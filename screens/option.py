"""Step 1: DID forwarding or Direct SIP, side by side, the provider, and a recommendation
that fits what that provider can do."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Static

from screens.widgets.base import StepScreen
from screens.widgets.fields import CheckValidator, problem
from wizard.providers.words import AUTH_WORDS
from wizard.session import recommend

DID = (
    "[b]DID forwarding[/b]\n"
    "Legs: 3 (caller → provider → Plivo number)\n"
    "Cost: provider forward rate + Plivo inbound rate\n"
    "Latency: an extra forwarding hop\n"
    "Provider must: forward calls to a number\n"
    "Needs: a Plivo number (rent or buy)"
)
SIP = (
    "[b]Direct SIP[/b]  [reverse] Recommended [/reverse]\n"
    "Legs: 1 (caller → Plivo via SIP)\n"
    "Cost: Plivo SIP termination only\n"
    "Latency: lowest, no extra hop\n"
    "Provider must: send SIP to a URI\n"
    "Needs: SIP auth (IP ACL / credentials)"
)
DEMO_EXTERNAL = "+14155550100"  # the demo's "number at another provider" (fictional 555-01xx)
QUESTIONS = (
    ("q-sip", "Can your provider send calls over SIP to a URI?", True),
    ("q-stable", "Does it send from stable, known outbound IPs?", False),
    ("q-shared", "Are those IPs shared (platform-wide, CGNAT)?", False),
)


class OptionScreen(StepScreen):
    """DID forwarding or Direct SIP, with three questions that recommend one."""

    STEP = "option"
    TITLE = "choose how calls reach Plivo"
    NUMBERED = True
    CSS_PATH = "option.tcss"
    BINDINGS = [
        Binding("enter", "use_recommended", "Use recommendation", priority=False),
        Binding("s", "choose('direct_sip')", "Direct SIP"),
        Binding("f", "choose('did_forwarding')", "DID forwarding"),
    ]

    def compose_body(self) -> ComposeResult:
        """Your number, the two options side by side, the questions."""
        with Horizontal(id="ext-row"):
            yield Static("Your number at the other provider", classes="ext-label")
            yield Input(
                placeholder="+14155550100",
                id="external",
            )
        # the provider list is mounted after the first paint (its data and the Select cost)
        with Horizontal(id="provider-row"):
            yield Static("Your provider", classes="ext-label")
        with Horizontal(id="options"):
            yield Static(DID, id="did", classes="option")
            yield Static(SIP, id="sip", classes="option -recommended")
        # one widget per question and a single button: this is the first screen of
        # `byon demo`, and every extra widget delays the first paint
        for qid, text, default in QUESTIONS:
            yield Checkbox(text, value=default, id=qid, classes="question")
        yield Static("", id="recommendation")
        yield Button("Use recommendation (enter)", id="use", variant="primary")

    def on_mount(self) -> None:
        """Recommend from the default answers; the number's validator loads after paint."""
        # the recommendation replaces a chosen (or loaded) auth type only when these change
        self._answered = self._answers()
        # after the first paint: the plan module and the phonenumbers data load then
        self.call_after_refresh(self._attach_validator)
        self.call_after_refresh(self._attach_providers)
        self._update()
        self.query_one("#use", Button).focus()

    def _attach_validator(self) -> None:
        if self.app.exit_after_first_paint:  # exiting now: this work is for a user
            return
        external = self.query_one("#external", Input)
        if not external.value:
            demo = self.app.session.mode == "demo"
            external.value = self.plan.external_number or (DEMO_EXTERNAL if demo else "")
        external.validators = [CheckValidator("check_e164")]

    async def _attach_providers(self) -> None:
        from textual.widgets import Select

        from wizard.providers.facts import providers

        if self.app.exit_after_first_paint:  # exiting now: this work is for a user
            return
        known = providers()
        value = self.plan.provider if self.plan.provider in known else "generic"
        options = [(p.name, key) for key, p in known.items()]
        select = Select(options, value=value, id="provider", allow_blank=False, compact=True)
        await self.query_one("#provider-row", Horizontal).mount(select)
        self._update()

    def provider(self) -> str:
        """The provider chosen on this step (the plan's until the list is mounted)."""
        from textual.widgets import Select

        found = self.query("#provider").results(Select)
        select = next(iter(found), None)
        if select is not None and isinstance(select.value, str):
            return select.value
        return self.plan.provider or "generic"

    def on_select_changed(self, event) -> None:
        if event.select.id == "provider":
            self._update()

    @on(Checkbox.Changed)
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
        self.query_one("#recommendation", Static).update(text)

    def current(self):
        """The seed's recommendation for the three answers, fitted to the chosen provider."""
        base = recommend(
            sip=self.query_one("#q-sip", Checkbox).value,
            stable_ips=self.query_one("#q-stable", Checkbox).value,
            shared_ips=self.query_one("#q-shared", Checkbox).value,
        )
        if self.provider() == "generic":
            return base  # nothing to fit: no provider data is needed before the first paint
        from wizard.providers.advice import advise

        return advise(self.provider(), base)

    def _answers(self) -> tuple[bool, ...]:
        return tuple(self.query_one(f"#{qid}", Checkbox).value for qid, _t, _d in QUESTIONS)

    @on(Button.Pressed, "#use")
    def action_use_recommended(self) -> None:
        """Take the recommended route (and auth type)."""
        self._finish(self.current().option)

    def action_choose(self, option: str) -> None:
        """Take the route the user named (s / f)."""
        self._finish(option)

    def _finish(self, option: str) -> None:
        from wizard.plans.validate import check_e164
        from wizard.steps import OptionResult

        external = self.query_one("#external", Input).value.strip()
        msg = problem(check_e164, external)
        if msg:
            self.show_error(f"Your number: {msg}")
            self.query_one("#external", Input).focus()
            return
        answers = self._answers()
        # a chosen (or loaded) auth type stays unless the answers changed since
        fresh = self.plan.auth is None or answers != self._answered
        self._answered = answers
        auth_type = self.current().auth_type if option == "direct_sip" and fresh else ""
        self.finish(OptionResult(option, external, auth_type, self.provider()))
