"""Step 0: the account. Credentials typed in (token masked), demo, or offline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, LoadingIndicator, Static

from screens.widgets.base import StepScreen

INTRO = (
    "byon routes a phone number you keep at another carrier to a Plivo application, "
    "then checks it with a test call.\n"
    "Enter your Plivo auth id and token (Plivo console > Account > Overview), "
    "or try the demo, or plan offline and apply later with `byon apply`."
)


@dataclass
class AccountReady(Message):
    """A worker connected (``account``: the account record, None for the demo)."""

    auth_id: str
    account: Any = None


@dataclass
class AccountRefused(Message):
    """A worker could not connect; ``text`` says why and what to do."""

    text: str


class WelcomeScreen(StepScreen):
    """Connect with an auth id and token, or start the demo, or plan offline."""

    STEP = "welcome"
    TITLE = "Welcome · your Plivo account"
    CSS_PATH = "welcome.tcss"
    BINDINGS = [
        Binding("ctrl+t", "demo", "Try the demo"),
        Binding("ctrl+o", "offline", "Offline"),
    ]

    def compose_body(self) -> ComposeResult:
        """The intro, auth id (pre-filled when known), token, and the three ways on."""
        yield Static(INTRO, classes="intro")
        yield Static("Auth ID", classes="field-label")
        self.auth_id = Input(
            self.app.known_auth_id(), placeholder="MAXXXXXXXXXXXXXXXXXX", id="auth-id"
        )
        yield self.auth_id
        yield Static("Auth token (hidden as you type; never saved)", classes="field-label")
        self.token = Input(placeholder="auth token", password=True, id="token")
        yield self.token
        with Horizontal(classes="buttons"):
            self.connect = Button("Connect (enter)", id="connect", variant="primary")
            yield self.connect
            yield Button("Demo (ctrl+t)", id="demo")
            yield Button("Offline (ctrl+o)", id="offline")
        self.checking = LoadingIndicator(id="checking")
        yield self.checking
        self.status = Static("", id="status", classes="hint", markup=False)
        yield self.status

    def on_mount(self) -> None:
        """Focus the first empty field."""
        self.checking.display = False
        (self.token if self.auth_id.value else self.auth_id).focus()

    @on(Input.Submitted, "#auth-id")
    def _to_token(self) -> None:
        self.token.focus()

    @on(Input.Submitted, "#token")
    @on(Button.Pressed, "#connect")
    def action_connect(self) -> None:
        """Check the typed credentials with Plivo."""
        auth_id, token = self.auth_id.value.strip(), self.token.value.strip()
        if not auth_id or not token:
            self.show_error("Enter both the auth id and the auth token, or choose Demo/Offline.")
            return
        self.clear_error()
        self._busy(True, "Checking the credentials with Plivo…")
        self.check(auth_id, token)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.checking.display = busy
        self.connect.disabled = busy
        self.status.update(text)

    @work(exclusive=True, exit_on_error=False, group="account")
    async def check(self, auth_id: str, token: str) -> None:
        """Connect; a refusal or an unreachable API becomes a sentence, not a crash."""
        from wizard.errors import AuthError, NetworkError

        try:
            account = await self.app.session.connect(auth_id, token)
        except AuthError:
            self.post_message(
                AccountRefused(
                    "Plivo refused this auth id and token (401). Copy both again from the "
                    "Plivo console (Account > Overview) and press enter."
                )
            )
            return
        except NetworkError as exc:
            text = f"{self.app.describe_error(exc)} Then press enter to retry."
            self.post_message(AccountRefused(text))
            return
        self.post_message(AccountReady(auth_id, account))

    @work(exclusive=True, exit_on_error=False, group="account")
    async def start_demo(self) -> None:
        """Start the in-process demo account."""
        await self.app.session.start_demo()
        self.post_message(AccountReady(self.app.session.auth_id))

    def on_account_refused(self, message: AccountRefused) -> None:
        """Say why; the typed values stay for another try."""
        self._busy(False)
        self.show_error(message.text)

    def on_account_ready(self, message: AccountReady) -> None:
        """Connected: on to the next step."""
        account = message.account
        self._busy(False, f"Connected: {account.name or account.auth_id}" if account else "")
        self.app.show_session_notices()
        self.plan.auth_id = message.auth_id
        self.app.next_step(self.STEP)

    def worker_failed(self, worker) -> None:
        """Let the user try again."""
        self._busy(False)

    @on(Button.Pressed, "#demo")
    def action_demo(self) -> None:
        """Try the demo (ctrl+t)."""
        self.clear_error()
        self._busy(True, "Starting the demo account…")
        self.start_demo()

    @on(Button.Pressed, "#offline")
    def action_offline(self) -> None:
        """Plan without an account (ctrl+o)."""
        self.app.notify("Offline: build the plan now, apply it later with `byon apply`.")
        self.app.next_step(self.STEP)
