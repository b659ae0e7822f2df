"""Step: verify with a test call. A live table of callbacks / SIP outcomes and a diagnosis."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, ProgressBar, Static

from screens.widgets.base import StepScreen
from screens.widgets.ladder import LadderView
from wizard.plivo.facts import sip_uri
from wizard.session import (
    CallRow,
    audio_cell,
    audio_sentence,
    row_from_event,
    rows_from_simulation,
)
from wizard.text import plain

FROM = "+14155550142"  # the demo caller


def demo_calls(plan) -> list[tuple[str, str, str]]:
    """The demo's call buttons ``(key, scenario, label)`` for the plan's route and auth:
    each one produces exactly the failure it names (wizard/verify/simulate.py)."""
    from wizard.verify.simulate import scenarios_for

    auth = getattr(getattr(plan, "auth", None), "type", None)
    return scenarios_for(plan.option, auth)


PROBE_ROWS = ("dns", "reach", "unauthenticated", "authenticated")
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
    ("to", "to", 10),
    ("SIPAuthType", "type", 11),
    ("AuthUser", "user", 9),
    ("SIPSourceIP", "ip", 14),
    ("sig", "sig", 3),
    ("result", "result", 6),
    ("audio", "audio", 8),
)
# below 100 columns (80x24): the caller and the signature column give way, the rest narrows
COMPACT = (
    ("time", "time", 8),
    ("to", "to", 9),
    ("SIPAuthType", "type", 11),
    ("AuthUser", "user", 8),
    ("SIPSourceIP", "ip", 13),
    ("result", "result", 6),
    ("audio", "audio", 8),
)
COMPACT_BELOW = 100
WIDTH = {key: width for _label, key, width in COLUMNS}
SHORT_AUTH = {"ip_acl_and_credential": "ip_acl+cred"}
REJECTED_ROWS_KEPT = 20  # refused callbacks shown; older ones leave the table


def fit(key: str, value: str, width: int | None = None) -> str:
    width = width or WIDTH[key]
    return value if len(value) <= width else value[: width - 1] + "…"


@dataclass
class CallObserved(Message):
    row: CallRow


class VerifyScreen(StepScreen):
    STEP = "verify"
    TITLE = "Verify · place a test call and watch what Plivo sends"
    CSS_PATH = "verify.tcss"
    BINDINGS = [
        *(Binding(str(k), f"simulate_key('{k}')", f"call {k}", show=False) for k in range(1, 9)),
        Binding("p", "probe", "SIP probe", tooltip="byon sip-probe against the app's SIP URI"),
        Binding("ctrl+l", "listen", "Listen"),
        Binding("ctrl+k", "check_stream", "Check stream", tooltip="Check the agent stream"),
        Binding(
            "ctrl+y",
            "copy_uri",
            "Copy URI",
            tooltip="Copy the SIP URI (or number) to give the provider",
        ),
        Binding("ctrl+n", "next", "Done"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._cells: dict[str, dict[str, str]] = {}  # row key -> every column's text
        self._compact: bool | None = None
        self._ladders: dict[str, list] = {}  # row key -> the call's SIP ladder
        self._calls: list[tuple[str, str, str]] = []  # the demo buttons on show

    def compose_body(self) -> ComposeResult:
        yield Static("", id="status")
        yield DataTable(id="calls", cursor_type="row", zebra_stripes=True)
        yield Static("", id="probe")
        yield Static("Diagnosis: no call yet.", id="diagnosis")
        yield LadderView(id="ladder")
        with Vertical(id="stream-check"):
            yield Static("", id="stream-report")
            yield ProgressBar(id="stream-progress", total=None, show_eta=False)
        with Vertical(id="demo"):
            yield Static(
                "Simulate a call (demo, real SIP over loopback):", classes="hint", id="sim-hint"
            )
            with Horizontal(classes="buttons", id="sim-buttons"):
                for key, scenario, label in self._demo_buttons():
                    yield Button(f"{key} {label}", id=f"sim-{scenario}", classes="sim")
        with Vertical(id="real"):
            yield Static(REAL_HELP, classes="hint")
            with Horizontal(classes="row"):
                yield Input(placeholder="https://your-tunnel.example.com", id="public-url")
                yield Input("127.0.0.1:8080", id="listen-on")
                yield Button("Listen (ctrl+l)", id="listen")

    def _demo_buttons(self) -> list[tuple[str, str, str]]:
        self._calls = demo_calls(self.plan)
        return self._calls

    def _refresh_buttons(self) -> None:
        """The plan's route or auth may have changed on an earlier step: new buttons."""
        if [c[1] for c in demo_calls(self.plan)] == [c[1] for c in self._calls]:
            return
        box = self.query_one("#sim-buttons")
        box.remove_children()
        box.mount_all(
            Button(f"{key} {label}", id=f"sim-{scenario}", classes="sim")
            for key, scenario, label in self._demo_buttons()
        )

    def on_mount(self) -> None:
        self._layout_table()
        self.query_one("#probe").display = False
        self.query_one("#ladder").display = False
        self.query_one("#stream-check").display = False
        demo = self.app.session.mode == "demo"
        self.query_one("#demo").display = demo
        self.query_one("#real").display = not demo

    def on_screen_resume(self) -> None:
        self._layout_table()  # the terminal may have been resized on another step
        if not self.app.session.online:
            self._offline()
            return
        demo = self.app.session.mode == "demo"
        self._status("starting the listener…" if demo else "type your public URL to listen")
        self.query_one("#calls", DataTable).focus()
        if demo:
            self._refresh_buttons()
        if demo and self.app.session.listener is None:
            self.start_demo_listener()

    def _offline(self) -> None:
        """Offline nothing exists to call yet: say what to run once the plan is applied."""
        from wizard.steps import offline_verify_steps

        self.query_one("#real").display = False
        self.query_one("#status", Static).update("Offline: no application to call yet.")
        self.query_one("#diagnosis", Static).update(
            Text(offline_verify_steps(self.plan, str(self.app.plan_path)))
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        demo = self.app.session.mode == "demo"
        if action == "listen":  # a real account needs the user's own public URL
            return self.app.session.online and not demo
        if action in ("simulate", "simulate_key"):
            return demo
        return super().check_action(action, parameters)

    def on_resize(self) -> None:
        self._layout_table()

    def _columns(self) -> tuple[tuple[str, str, int], ...]:
        return COMPACT if self._compact else COLUMNS

    def _layout_table(self) -> None:
        """(Re)build the columns for the width; the rows are kept in ``_cells``."""
        compact = self.app.size.width < COMPACT_BELOW
        if compact == self._compact:
            return
        self._compact = compact
        self.set_class(compact, "-compact")
        table = self.query_one("#calls", DataTable)
        table.clear(columns=True)
        for label, key, width in self._columns():
            table.add_column(label, key=key, width=width)
        for row_key, cells in self._cells.items():
            table.add_row(*self._fitted(cells).values(), key=row_key)

    def _fitted(self, cells: dict[str, str]) -> dict[str, Text]:
        # callback values come from anyone who can reach the listener: plain text, never markup
        return {
            key: Text(fit(key, plain(cells.get(key, "—")), width))
            for _l, key, width in self._columns()
        }

    def _target(self) -> str:
        plan = self.plan
        if plan.option == "did_forwarding" and plan.forwarding:
            return plan.forwarding.plivo_number
        return sip_uri(plan.application.app_id or "{app_id}")

    def _status(self, text: str) -> None:
        self.query_one("#status", Static).update(
            f"waiting for a test call to {self._target()} · {text}"
        )

    # listener ------------------------------------------------------------------------
    def _expectation(self):
        from wizard.verify.diagnose import Expectation

        return Expectation.from_plan(self.plan)

    def _on_event(self, event) -> None:
        # Plivo sends the hangup callback to the answer_url when no hangup_url is set
        if event.kind == "answer" and "Hangup" not in str(event.params.get("Event", "")):
            self.post_message(CallObserved(row_from_event(event, self.app.clock())))

    @work(exclusive=True, exit_on_error=False, group="listener")
    async def start_demo_listener(self) -> None:
        session = await self.app.wait_session()
        # the SIP edge starts here, long after the first paint; without it the calls take
        # the HTTP route and the hint says so
        if await session.start_sip_edge() is None:
            self.query_one("#sim-hint", Static).update(
                "Simulate a call (demo): the SIP edge could not start "
                f"({plain(session.sip_edge_error, 80)}), so calls take the HTTP route."
            )
        # the demo answers with a <Stream> to the echo agent, so each call also tests audio
        await session.start_listener(
            expectation=self._expectation(),
            on_event=self._on_event,
            answer_xml=session.demo_answer_xml(self.plan),
        )
        await session.point_app_at_listener(self.plan.application.app_id)
        self._status("in-process listener ✓ ready")

    @on(Button.Pressed, "#listen")
    def action_listen(self) -> None:
        from wizard.plans.validate import check_url

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
        self._status(f"checking that {public_url} reaches the listener…")
        try:
            # never point the app at a listener Plivo cannot reach
            await session.listener.preflight(public_url)
        except Exception:
            await session.stop_listener()
            self._status("type your public URL to listen")
            raise
        await session.point_app_at_listener(self.plan.application.app_id)
        self._status(f"listener {session.listener.answer_url} ✓ reachable, listening")

    async def on_unmount(self) -> None:
        await self._leave()

    async def _leave(self) -> None:
        session = self.app.session
        try:
            await session.release_app()
        except Exception as exc:  # leaving must not crash; the journal restores it next run
            self.app.notify(
                f"Could not restore the application's answer_url: "
                f"{self.app.describe_error(exc)} The next byon run restores it.",
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

    def action_simulate_key(self, key: str) -> None:
        for k, scenario, _label in self._calls or self._demo_buttons():
            if k == key:
                self.action_simulate(scenario)
                return

    def action_simulate(self, scenario: str) -> None:
        if self.app.session.mode != "demo":
            self.show_error("Simulated calls exist only in the demo; place a real test call.")
            return
        self.simulate(scenario)

    @work(exclusive=True, exit_on_error=False, group="simulate")
    async def simulate(self, scenario: str) -> None:
        from wizard.emulator.seed import DEMO_NUMBER_FREE
        from wizard.verify.listener import simulate

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
        for row in rows_from_simulation(
            result, f"sim-{self._seq}", self.app.clock(), FROM, self._target()
        ):
            self._ladders[row.key] = row.ladder
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
        result = {"pass": "✓ pass", "unconfirmed": "? conf"}.get(row.verdict, "✗ fail")
        if row.sip_status != 200:
            result = f"✗ {row.sip_status}"
        if row.rejected:
            result = "✗ rej"
        sig = "—" if row.signature_valid is None else ("✓" if row.signature_valid else "✗")
        frozen_ms = getattr(self.app, "frozen_ms", None)
        cells = {
            "time": row.time,
            "from": row.from_ or "—",
            "to": row.to or "—",
            "type": SHORT_AUTH.get(row.sip_auth_type, row.sip_auth_type) or "—",
            "user": row.sip_auth_user or "—",
            "ip": row.sip_source_ip or "—",
            "sig": sig,
            "result": result,
            "audio": audio_cell(row.stream, frozen_ms) or "—",
        }
        with self.app.batch_update():
            known = self._cells.get(row.key)
            if known is not None:
                # the listener's callback and the simulation's outcome describe the same
                # call: keep whatever either one knew
                known.update({k: v for k, v in cells.items() if v != "—"})
                for col, value in self._fitted(known).items():
                    table.update_cell(row.key, col, value)
            else:
                self._cells[row.key] = cells
                table.add_row(*self._fitted(cells).values(), key=row.key)
                if row.rejected:
                    self._forget_rejected(table)
        diag = self.query_one("#diagnosis", Static)
        audio_text = plain(audio_sentence(row.stream, frozen_ms), 400)
        audio = ""
        if audio_text:
            audio = f"\n[{'$success' if row.stream.get('ok') else '$error'}]$audio[/]"
        # outside values go in as variables: Content inserts them as plain text, never markup
        values = {
            "time": row.time,
            "audio": audio_text,
            "auth": plain(row.sip_auth_type, 60) or "none expected",
            "diagnosis": plain(row.diagnosis, 800),
        }
        if row.verdict == "pass":
            template = (
                "Diagnosis ($time): [$success]verified[/]: SIP authentication ran ($auth) and "
                f"the call reached your application.{audio}"
            )
        else:
            template = f"Diagnosis ($time): [$error]$diagnosis[/]{audio}"
        diag.update(Content.from_markup(template, **values))

    def _forget_rejected(self, table: DataTable) -> None:
        """Keep the newest REJECTED_ROWS_KEPT refused rows: a flood must not grow the table."""
        rejected = [k for k in self._cells if k.startswith("rejected-")]
        for key in rejected[:-REJECTED_ROWS_KEPT]:
            del self._cells[key]
            table.remove_row(key)

    # the SIP ladder of the selected call ---------------------------------------------
    @on(DataTable.RowSelected, "#calls")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = str(event.row_key.value)
        ladder = self._ladders.get(key)
        view = self.query_one("#ladder", LadderView)
        view.display = True
        if ladder:
            view.show(ladder)
        elif self.app.session.mode == "demo":
            self.fetch_ladder(key)
        else:
            view.show(None)  # Plivo keeps no ladder a callback could show

    @work(exclusive=True, exit_on_error=False, group="ladder")
    async def fetch_ladder(self, key: str) -> None:
        session = await self.app.wait_session()
        ladder = await session.call_ladder(key)
        self._ladders[key] = ladder
        self.query_one("#ladder", LadderView).show(ladder)
        self.query_one("#ladder").scroll_visible(animate=False)

    # byon sip-probe -------------------------------------------------------------------
    def action_probe(self) -> None:
        if not self.plan.application.app_id:
            self.show_error("The probe needs the application's app_id: apply the plan first.")
            return
        self.clear_error()
        panel = self.query_one("#probe", Static)
        panel.display = True
        panel.update("sip-probe · running (dns, reach, unauthenticated, authenticated)…")
        self.run_probe()

    @work(exclusive=True, exit_on_error=False, group="probe")
    async def run_probe(self) -> None:
        from wizard.verify.probe_wizard import probe_diagnosis

        session = await self.app.wait_session()
        rows: list = []

        def emit(result) -> None:
            rows.append(result)
            self.query_one("#probe", Static).update(probe_panel(rows, done=False))

        results = await session.run_probe(self.plan, emit)
        self.query_one("#probe", Static).update(probe_panel(results, done=True))
        verdict, sentence = probe_diagnosis(results)
        colour = "$success" if verdict == "pass" else "$error"
        diag = self.query_one("#diagnosis", Static)
        diag.update(f"Diagnosis (sip-probe): [{colour}]{_escape(sentence)}[/]")

    # the agent's stream ---------------------------------------------------------------
    def action_check_stream(self) -> None:
        session = self.app.session
        stream = session.stream_settings(self.plan)
        if not stream.url:
            self.show_error(
                "No agent stream to check: type the agent's WebSocket URL in the application "
                "step's <Stream> panel (or run `byon stream-check URL`)."
            )
            return
        self.clear_error()
        self.query_one("#stream-check").display = True
        self.query_one("#stream-progress").display = True
        self.query_one("#stream-report", Static).update(
            f"Agent stream check · {_escape(stream.url)} ({stream.content_type}): connecting, "
            "then streaming 1 s of test audio as Plivo would…"
        )
        self.check_stream(stream.url, stream.content_type)

    @work(exclusive=True, exit_on_error=False, group="stream-check")
    async def check_stream(self, url: str, content_type: str) -> None:
        session = await self.app.wait_session()
        try:
            report = await session.check_stream(url, content_type)
        finally:
            self.query_one("#stream-progress").display = False
        self.query_one("#stream-report", Static).update(stream_panel(report))
        self.query_one("#stream-check").scroll_visible(animate=False)

    def worker_failed(self, worker) -> None:
        if worker.group == "probe":
            self.query_one("#probe", Static).update("[$error]sip-probe failed[/]: see below.")
        if worker.group == "stream-check":
            self.query_one("#stream-progress").display = False
            self.query_one("#stream-report", Static).update(
                "[$error]Agent stream check failed[/]: see the message below."
            )

    def action_copy_uri(self) -> None:
        from screens.widgets.copyable import copy_value

        target = self._target()
        what = "the SIP URI" if target.startswith("sip:") else "the Plivo number"
        copy_value(self.app, "" if target == "buy" else target, what)

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        self.leave_then(lambda: self.app.next_step(self.STEP))


def probe_panel(results, *, done: bool) -> str:
    """The probe's rows, one line each: check, ✓/✗, result token, detail (plain text)."""
    lines = ["sip-probe" + ("" if done else " · running…")]
    for r in results:
        name = r.check + (f" {r.transport.lower()}" if r.check == "reach" and r.transport else "")
        mark = "[$success]✓[/]" if r.ok else "[$error]✗[/]"
        detail = _escape(plain(r.detail, 110))
        lines.append(f"  {name:<15} {mark} {_escape(r.result):<14} {detail}")
    return "\n".join(lines)


def stream_panel(report) -> str:
    """A StreamReport as the panel's lines: handshake, audio back, format, timing, verdict."""
    hs = report.handshake
    lines = [f"Agent stream check · {_escape(report.url)} ({report.content_type})"]
    if hs.ok:
        tls = f"TLS {hs.tls_version or 'yes'}" if hs.tls else "no TLS"
        lines.append(
            f"  handshake   ✓ HTTP {hs.status}, {tls}, subprotocol {hs.subprotocol or 'none'}"
        )
    else:
        status = f" (HTTP {hs.status})" if hs.status else ""
        lines.append(f"  handshake   ✗ failed{status}")
    if report.audio_received:
        lines.append(
            f"  audio back  ✓ {report.frames_received} messages, "
            f"{report.audio_ms_received / 1000:.2f} s of audio for {report.frames_sent} frames sent"
        )
        lines.append(f"  first audio {report.first_audio_ms:.1f} ms after the first frame sent")
        mark = "✓" if report.format_ok else "✗"
        lines.append(f"  format      {mark} expected {report.content_type}")
    elif hs.ok:
        lines.append(f"  audio back  ✗ none for {report.frames_sent} frames sent")
    for warning in report.warnings:
        lines.append(f"  [$warning]note: {_escape(warning)}[/]")
    colour = "$success" if report.ok else "$error"
    word = "PASS" if report.ok else "FAIL"
    lines.append(f"[{colour}]{word}: {_escape(report.verdict)}[/]")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
