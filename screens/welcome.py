"""Step 0: the account. Credentials typed in (token masked), demo, or offline."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, LoadingIndicator, Static

from screens.widgets.base import StepScreen

INTRO = (
    "byon routes a phone number you keep at another carrier to a Plivo application, "
    "then checks it with a test call.\n"
    "Enter your Plivo auth id and token (Plivo console > Account > Overview), "
    "or try the demo, or plan offline and apply later with `byon apply`."
)


class WelcomeScreen(StepScreen):
    STEP = "welcome"
    TITLE = "Welcome · your Plivo account"
    CSS_PATH = "welcome.tcss"
    BINDINGS = [
        Binding("ctrl+t", "demo", "Try the demo"),
        Binding("ctrl+o", "offline", "Offline"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static(INTRO, classes="intro")
        yield Static("Auth ID", classes="field-label")
        yield Input(placeholder="e.g. MAXXXXXXXXXXXXXXXXXX", id="auth-id")
        yield Static("Auth token (hidden as you type; never saved)", classes="field-label")
        yield Input(placeholder="paste the auth token", password=True, id="token")
        with Horizontal(classes="buttons"):
            yield Button("Connect (enter)", id="connect", variant="primary")
            yield Button("Demo (ctrl+t)", id="demo")
            yield Button("Offline (ctrl+o)", id="offline")
        yield LoadingIndicator(id="checking")
        yield Static("", id="status", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#checking").display = False
        self.query_one("#auth-id", Input).focus()

    @on(Input.Submitted, "#auth-id")
    def _to_token(self) -> None:
        self.query_one("#token", Input).focus()

    @on(Input.Submitted, "#token")
    @on(Button.Pressed, "#connect")
    def action_connect(self) -> None:
        auth_id = self.query_one("#auth-id", Input).value.strip()
        token = self.query_one("#token", Input).value.strip()
        if not auth_id or not token:
            self.show_error("Enter both the auth id and the auth token, or choose Demo/Offline.")
            return
        self.clear_error()
        self._busy(True, "Checking the credentials with Plivo…")
        self.check(auth_id, token)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.query_one("#checking").display = busy
        self.query_one("#connect", Button).disabled = busy
        self.query_one("#status", Static).update(text)

    @work(exclusive=True, exit_on_error=False, group="account")
    async def check(self, auth_id: str, token: str) -> None:
        from wizard.errors import AuthError, NetworkError

        session = self.app.session
        try:
            account = await session.connect(auth_id, token)
        except AuthError:
            self._busy(False)
            self.show_error(
                "Plivo refused this auth id and token (401). Copy both again from the "
                "Plivo console (Account > Overview) and press enter."
            )
            return
        except NetworkError as exc:
            self._busy(False)
            self.show_error(f"{self.app.describe_error(exc)} Then press enter to retry.")
            return
        self._busy(False, f"Connected: {account.name or account.auth_id}")
        self.app.show_session_notices()
        self.plan.auth_id = auth_id
        self.app.next_step(self.STEP)

    def worker_failed(self, worker) -> None:
        self._busy(False)

    @on(Button.Pressed, "#demo")
    def action_demo(self) -> None:
        self.clear_error()
        self._busy(True, "Starting the demo account…")
        self.start_demo()

    @work(exclusive=True, exit_on_error=False, group="account")
    async def start_demo(self) -> None:
        await self.app.session.start_demo()
        self.plan.auth_id = self.app.session.auth_id
        self._busy(False)
        self.app.next_step(self.STEP)

    @on(Button.Pressed, "#offline")
    def action_offline(self) -> None:
        self.app.notify("Offline: build the plan now, apply it later with `byon apply`.")
        self.app.next_step(self.STEP)
