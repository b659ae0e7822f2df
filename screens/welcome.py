"""Step 0: the account. Credentials typed in (token masked), demo, or offline; when byon
is worth it, what a call costs each way, and the plans saved lately."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, DataTable, Input, LoadingIndicator, Static

from screens.widgets.base import StepScreen
from screens.widgets.table import Table
from wizard.text import plain

INTRO = "byon routes a number kept elsewhere to a Plivo app and tests it. Use it for:"
COSTS = (
    "A 5-min call: DID forwarding = provider forward + Plivo inbound (3 legs); "
    "Direct SIP = Plivo SIP termination only (1 leg). Details: w on the next step."
)
WHERE = "Your auth ID and token: Plivo console > Account > Overview."


def short_path(path: Path, limit: int = 52) -> str:
    """A plan path for the list: home as ~, and the folder's start elided when long (the
    file name stays whole)."""
    text = str(path)
    home = str(Path.home())
    if text.startswith(home + "/"):
        text = "~" + text[len(home) :]
    text = plain(text, 400)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


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
        """The intro, when byon is worth it, costs, the account fields, the ways on, and
        the plans saved lately."""
        from screens.widgets.about import when_text

        yield Static(INTRO, classes="intro")
        yield Static(when_text(), id="when")
        yield Static(COSTS, id="costs", classes="hint")
        yield Static(WHERE, classes="where")
        with Horizontal(classes="field-row"):
            yield Static("Auth ID", classes="label")
            self.auth_id = Input(
                self.app.known_auth_id(),
                placeholder="e.g. MAXXXXXXXXXXXXXXXXXX",
                id="auth-id",
                compact=True,
            )
            yield self.auth_id
        with Horizontal(classes="field-row"):
            yield Static("Auth token", classes="label")
            self.token = Input(
                placeholder="hidden as you type; never saved",
                password=True,
                id="token",
                compact=True,
            )
            yield self.token
        with Horizontal(classes="buttons"):
            self.connect = Button("Connect (enter)", id="connect", variant="primary", compact=True)
            yield self.connect
            yield Button("Demo (ctrl+t)", id="demo", compact=True)
            yield Button("Offline (ctrl+o)", id="offline", compact=True)
        self.checking = LoadingIndicator(id="checking")
        yield self.checking
        self.status = Static("", id="status", classes="hint", markup=False)
        yield self.status
        yield Static("Recent plans (enter opens one):", id="recent-title", classes="section")
        yield Table(id="recent", cursor_type="row", show_header=False)

    def on_mount(self) -> None:
        """Focus the first empty field; list the recent plans."""
        self.checking.display = False
        self.status.display = False
        (self.token if self.auth_id.value else self.auth_id).focus()
        self._show_recent()

    def _show_recent(self) -> None:
        import time

        from wizard.plans.recent import recent_plans

        plans = [r for r in recent_plans() if r.exists][:4]
        table = self.query_one("#recent", DataTable)
        table.clear(columns=True)
        table.add_columns("plan", "saved")
        for r in plans:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.used_at))
            table.add_row(Text(short_path(r.path)), when, key=str(r.path))
        self.query_one("#recent-title").display = bool(plans)
        table.display = bool(plans)

    @on(DataTable.RowSelected, "#recent")
    def _open_recent(self, event: DataTable.RowSelected) -> None:
        from wizard.plans.plan import load_plan

        path = Path(str(event.row_key.value))
        try:
            plan = load_plan(path, check=False)
        except Exception as exc:
            self.show_error(f"Cannot open {plain(path)}: {self.app.describe_error(exc)}")
            return
        self.clear_error()
        self.app.use_plan(plan, path)
        if plan.auth_id and not self.auth_id.value:
            self.auth_id.value = plan.auth_id
        self._say(f"Opened {plain(path)}: connect, demo or offline to continue it.")

    @on(Input.Submitted, "#auth-id")
    def _to_token(self) -> None:
        self.token.focus()

    @on(Input.Submitted, "#token")
    @on(Button.Pressed, "#connect")
    def action_connect(self) -> None:
        """Check the typed credentials with Plivo."""
        if self.busy:  # enter in the token field while a start runs
            return
        auth_id, token = self.auth_id.value.strip(), self.token.value.strip()
        if not auth_id or not token:
            self.show_error("Enter both the auth id and the auth token, or choose Demo/Offline.")
            return
        self.clear_error()
        self._busy(True, "Checking the credentials with Plivo…")
        self.check(auth_id, token)
        self.refresh_bindings()

    @property
    def busy(self) -> bool:
        """A connect or the demo is starting: one at a time."""
        return self.working("account")

    def _busy(self, busy: bool, text: str = "") -> None:
        """The spinner, the Connect button and the status line for a start (or its end)."""
        self.checking.display = busy
        self.connect.disabled = busy
        self._say(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Demo, Connect and Offline wait while a start runs (a second would cancel it
        halfway, with an emulator or a client left behind)."""
        if action in ("demo", "connect", "offline") and self.busy:
            return False
        return super().check_action(action, parameters)

    def _say(self, text: str) -> None:
        self.status.update(text)
        self.status.display = bool(text)

    @work(exit_on_error=False, group="account")
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

    @work(exit_on_error=False, group="account")
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
        name = plain(account.name or account.auth_id, 80) if account else ""
        self._busy(False, f"Connected: {name}" if account else "")
        self.app.show_session_notices()
        self.plan.auth_id = message.auth_id
        self.app.next_step(self.STEP)

    def worker_failed(self, worker) -> None:
        """Let the user try again."""
        self._busy(False)

    @on(Button.Pressed, "#demo")
    def action_demo(self) -> None:
        """Try the demo (ctrl+t)."""
        if self.busy:
            return
        self.clear_error()
        self._busy(True, "Starting the demo account…")
        self.start_demo()
        self.refresh_bindings()

    @on(Button.Pressed, "#offline")
    def action_offline(self) -> None:
        """Plan without an account (ctrl+o)."""
        if self.busy:
            return
        self.app.notify("Offline: build the plan now, apply it later with `byon apply`.")
        self.app.next_step(self.STEP)
