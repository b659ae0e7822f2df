"""Step 0: the account. Credentials typed in (token masked), demo, or offline; when byon
is worth it, what a call costs each way, and the plans saved lately."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Input, LoadingIndicator, Static

from screens.widgets.base import StepScreen
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


class WelcomeScreen(StepScreen):
    STEP = "welcome"
    TITLE = "Welcome · your Plivo account"
    CSS_PATH = "welcome.tcss"
    BINDINGS = [
        Binding("ctrl+t", "demo", "Try the demo"),
        Binding("ctrl+o", "offline", "Offline"),
    ]

    def compose_body(self) -> ComposeResult:
        from screens.widgets.about import when_text

        yield Static(INTRO, classes="intro")
        yield Static(when_text(), id="when")
        yield Static(COSTS, id="costs", classes="hint")
        yield Static(WHERE, classes="where")
        with Horizontal(classes="field-row"):
            yield Static("Auth ID", classes="label")
            yield Input(placeholder="e.g. MAXXXXXXXXXXXXXXXXXX", id="auth-id", compact=True)
        with Horizontal(classes="field-row"):
            yield Static("Auth token", classes="label")
            yield Input(
                placeholder="hidden as you type; never saved",
                password=True,
                id="token",
                compact=True,
            )
        with Horizontal(classes="buttons"):
            yield Button("Connect (enter)", id="connect", variant="primary", compact=True)
            yield Button("Demo (ctrl+t)", id="demo", compact=True)
            yield Button("Offline (ctrl+o)", id="offline", compact=True)
        yield LoadingIndicator(id="checking")
        yield Static("", id="status", classes="hint")
        yield Static("Recent plans (enter opens one):", id="recent-title", classes="section")
        yield DataTable(id="recent", cursor_type="row", show_header=False)

    def on_mount(self) -> None:
        self.query_one("#checking").display = False
        self.query_one("#status").display = False
        self.query_one("#auth-id", Input).focus()
        self._show_recent()

    def _show_recent(self) -> None:
        from wizard.plans.recent import recent_plans

        plans = [r for r in recent_plans() if r.exists][:4]
        table = self.query_one("#recent", DataTable)
        table.clear(columns=True)
        table.add_columns("plan", "saved")
        for r in plans:
            import time

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
        self._say(Text(f"Opened {plain(path)}: connect, demo or offline to continue it."))

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
        self._say(text)

    def _say(self, text: str | Text) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.display = bool(str(text))

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
        self._busy(False, f"Connected: {plain(account.name or account.auth_id, 80)}")
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
