"""Step: verify with a test call. A live table of callbacks / SIP outcomes and a diagnosis."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from screens.widgets.base import StepScreen
from wizard.session import CallRow, row_from_event, row_from_simulation

FROM = "+14155550142"  # the demo caller
DEMO_CALLS = (
    ("1", "correct", "correct setup"),
    ("2", "number_in_uri", "number in URI"),
    ("3", "wrong_ip", "wrong IP"),
    ("4", "missing_credentials", "no creds (407)"),
    ("5", "wrong_password", "bad password (403)"),
    ("6", "lockout", "11 failures"),
    ("7", "invalid_xml", "bad XML"),
)
REAL_HELP = (
    "Plivo must reach this listener: run your own tunnel or server (e.g. a reverse proxy) "
    "that forwards a public https URL to the local port below, type that URL, and press "
    "ctrl+l. The application's answer_url points at the listener meanwhile and is "
    "restored when you leave this step; each callback is forwarded to your own answer_url."
)


# widths that fit 100 columns; long values are cut with an ellipsis (the diagnosis has them)
COLUMNS = (
    ("time", "time", 8),
    ("from", "from", 12),
    ("to", "to", 12),
    ("SIPAuthType", "type", 11),
    ("AuthUser", "user", 12),
    ("SIPSourceIP", "ip", 15),
    ("sig", "sig", 3),
    ("result", "result", 6),
)
WIDTH = {key: width for _label, key, width in COLUMNS}
SHORT_AUTH = {"ip_acl_and_credential": "ip_acl+cred"}


def fit(key: str, value: str) -> str:
    width = WIDTH[key]
    return value if len(value) <= width else value[: width - 1] + "…"


@dataclass
class CallObserved(Message):
    row: CallRow


class VerifyScreen(StepScreen):
    STEP = "verify"
    TITLE = "Verify · place a test call and watch what Plivo sends"
    CSS_PATH = "verify.tcss"
    BINDINGS = [
        *(Binding(k, f"simulate('{s}')", label, show=False) for k, s, label in DEMO_CALLS),
        Binding("ctrl+l", "listen", "Listen"),
        Binding("ctrl+y", "copy_uri", "Copy SIP URI"),
        Binding("ctrl+n", "next", "Done"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._restore: tuple[str, str] | None = None  # (app_id, original answer_url)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="status")
        yield DataTable(id="calls", cursor_type="row", zebra_stripes=True)
        yield Static("Diagnosis: no call yet.", id="diagnosis")
        with Vertical(id="demo"):
            yield Static("Simulate a call (demo, keys 1-7):", classes="hint")
            with Horizontal(classes="buttons"):
                for key, scenario, label in DEMO_CALLS:
                    yield Button(f"{key} {label}", id=f"sim-{scenario}", classes="sim")
        with Vertical(id="real"):
            yield Static(REAL_HELP, classes="hint")
            with Horizontal(classes="row"):
                yield Input(placeholder="https://your-tunnel.example.com", id="public-url")
                yield Input("127.0.0.1:8080", id="listen-on")
                yield Button("Listen (ctrl+l)", id="listen")

    def on_mount(self) -> None:
        table = self.query_one("#calls", DataTable)
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        demo = self.app.session.mode == "demo"
        self.query_one("#demo").display = demo
        self.query_one("#real").display = not demo

    def on_screen_resume(self) -> None:
        demo = self.app.session.mode == "demo"
        self._status("starting the listener…" if demo else "type your public URL to listen")
        self.query_one("#calls", DataTable).focus()
        if demo and self.app.session.listener is None:
            self.start_demo_listener()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        demo = self.app.session.mode == "demo"
        if action == "listen":  # a real account needs the user's own public URL
            return not demo
        if action == "simulate":
            return demo
        return super().check_action(action, parameters)

    def _target(self) -> str:
        plan = self.plan
        if plan.option == "did_forwarding" and plan.forwarding:
            return plan.forwarding.plivo_number
        return f"sip:{plan.application.app_id or '{app_id}'}@app.plivo.com"

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(
            f"waiting for a test call to {self._target()} · {text}"
        )

    # listener ------------------------------------------------------------------------
    def _expectation(self):
        from wizard.diagnose import Expectation

        return Expectation.from_plan(self.plan)

    def _on_event(self, event) -> None:
        if event.kind == "answer":
            self.post_message(CallObserved(row_from_event(event, self.app.clock())))

    async def _point_app_at(self, session, url: str) -> None:
        app_id = self.plan.application.app_id
        if not app_id or not session.online:
            return
        current = await session.client.get_application(app_id)
        if self._restore is None:
            self._restore = (app_id, current.answer_url)
        await session.client.update_application(app_id, answer_url=url)

    @work(exclusive=True, exit_on_error=False, group="listener")
    async def start_demo_listener(self) -> None:
        session = await self.app.wait_session()
        await session.start_listener(expectation=self._expectation(), on_event=self._on_event)
        await self._point_app_at(session, session.listener.answer_url)
        self._status("in-process listener ✓ ready")

    @on(Button.Pressed, "#listen")
    def action_listen(self) -> None:
        from wizard.validate import check_url

        url = self.query_one("#public-url", Input).value.strip()
        msg = check_url(url, "the public URL") if url else "type the public URL first"
        host, _, port = self.query_one("#listen-on", Input).value.strip().rpartition(":")
        if msg or not port.isdigit():
            self.show_error(f"Cannot listen: {msg or 'listen on HOST:PORT, e.g. 127.0.0.1:8080'}.")
            return
        self.clear_error()
        self.start_real_listener(url, host or "127.0.0.1", int(port))

    @work(exclusive=True, exit_on_error=False, group="listener")
    async def start_real_listener(self, public_url: str, host: str, port: int) -> None:
        session = await self.app.wait_session()
        await session.start_listener(
            expectation=self._expectation(),
            on_event=self._on_event,
            public_url=public_url,
            host=host,
            port=port,
        )
        await self._point_app_at(session, session.listener.answer_url)
        self._status(f"listener {session.listener.answer_url} ✓ listening")

    async def on_unmount(self) -> None:
        await self._leave()

    async def _leave(self) -> None:
        session = self.app.session
        restore, self._restore = self._restore, None
        if restore and session.online:
            try:
                await session.client.update_application(restore[0], answer_url=restore[1])
            except Exception as exc:  # leaving must not crash; say what to fix by hand
                self.app.notify(
                    f"Could not restore the answer_url of {restore[0]} to {restore[1]}: "
                    f"{self.app.describe_error(exc)}",
                    severity="error",
                )
        await session.stop_listener()

    def action_back(self) -> None:
        self.leave_then(self.app.back)

    @work(exclusive=True, exit_on_error=False, group="leave")
    async def leave_then(self, then) -> None:
        await self._leave()
        then()

    # demo calls ------------------------------------------------------------------------
    @on(Button.Pressed, ".sim")
    def _sim_button(self, event: Button.Pressed) -> None:
        self.action_simulate((event.button.id or "").removeprefix("sim-"))

    def action_simulate(self, scenario: str) -> None:
        if self.app.session.mode != "demo":
            self.show_error("Simulated calls exist only in the demo; place a real test call.")
            return
        self.simulate(scenario)

    @work(exclusive=True, exit_on_error=False, group="simulate")
    async def simulate(self, scenario: str) -> None:
        from wizard.emulator.seed import DEMO_NUMBER_FREE
        from wizard.verify import simulate

        session = await self.app.wait_session()
        if session.listener is None:
            await self.start_demo_listener().wait()
        self.clear_error()
        exp = self._expectation()
        number = None
        if scenario == "number_in_uri" and self.plan.option == "direct_sip":
            number = await self._demo_number(session, DEMO_NUMBER_FREE)
        result = await simulate(
            session.emulator,
            scenario,
            exp,
            password=session.sip_password or None,
            number=number,
            from_=FROM,
        )
        self._seq += 1
        row = row_from_simulation(
            result, f"sim-{self._seq}", self.app.clock(), FROM, self._target()
        )
        self.post_message(CallObserved(row))

    async def _demo_number(self, session, spare: str) -> str:
        """Route the demo's spare number to the app, so a call to it can be shown."""
        app_id = self.plan.application.app_id
        for n in await session.client.list_numbers():
            if n.app_id == app_id:
                return n.number
        await session.client.assign_number(spare, app_id)
        self.app.notify(f"Demo: routed +{spare} to your application to show this case.")
        return spare

    # the table ---------------------------------------------------------------------
    def on_call_observed(self, message: CallObserved) -> None:
        row = message.row
        table = self.query_one("#calls", DataTable)
        result = "✓ pass" if row.verdict == "pass" else "✗ fail"
        if row.sip_status != 200:
            result = f"✗ {row.sip_status}"
        sig = "—" if row.signature_valid is None else ("✓" if row.signature_valid else "✗")
        cells = {
            "time": row.time,
            "from": row.from_ or "—",
            "to": row.to or "—",
            "type": SHORT_AUTH.get(row.sip_auth_type, row.sip_auth_type) or "—",
            "user": row.sip_auth_user or "—",
            "ip": row.sip_source_ip or "—",
            "sig": sig,
            "result": result,
        }
        cells = {k: fit(k, v) for k, v in cells.items()}
        with self.app.batch_update():
            if row.key in table.rows:
                # the listener's callback and the simulation's outcome describe the same
                # call: keep whatever either one knew
                for col, value in cells.items():
                    if value != "—":
                        table.update_cell(row.key, col, value)
            else:
                table.add_row(*cells.values(), key=row.key)
        diag = self.query_one("#diagnosis", Static)
        if row.verdict == "pass":
            diag.update(
                f"Diagnosis ({row.time}): [$success]verified[/]: SIP authentication ran "
                f"({row.sip_auth_type or 'none expected'}) and the call reached your application."
            )
        else:
            diag.update(f"Diagnosis ({row.time}): [$error]{_escape(row.diagnosis)}[/]")

    def action_copy_uri(self) -> None:
        self.app.copy_to_clipboard(self._target())
        self.app.notify(f"Copied {self._target()}", title="Copied")

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        self.leave_then(lambda: self.app.next_step(self.STEP))


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
