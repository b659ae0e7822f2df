"""Step: verify with a test call. A live table of callbacks / SIP outcomes, and the
selected call whole: its diagnosis, parameters, headers and SIP ladder."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, ProgressBar, Static

from screens.widgets.base import StepScreen
from screens.widgets.calldetail import CallDetail, diagnosis_text
from screens.widgets.calls import (
    Layout,
    cell_values,
    cells,
    layout_for,
    merge,
    merged,
    verdict_colours,
)
from screens.widgets.table import Table
from screens.widgets.verifytools import COPY_NUMBER_TIP, COPY_URI_TIP, VerifyTools
from wizard.plivo.facts import sip_uri
from wizard.text import plain
from wizard.verify.rows import (
    CallRow,
    audio_cell,
    row_from_event,
    rows_from_simulation,
)

FROM = "+14155550142"  # the demo caller


def demo_calls(plan) -> list[tuple[str, str, str]]:
    """The demo's call buttons ``(key, scenario, label)`` for the plan's route and auth:
    each one produces exactly the failure it names (wizard/verify/simulate.py)."""
    from wizard.verify.simulate import scenarios_for

    auth = getattr(getattr(plan, "auth", None), "type", None)
    return scenarios_for(plan.option, auth)


REAL_HELP = (
    "Plivo must reach this listener: run your own tunnel or reverse proxy from a public "
    "https URL to the local address below, type that URL, press ctrl+l. Meanwhile the "
    "app's answer_url points here (restored when you leave) and each callback is "
    "forwarded to your own answer_url."
)
NO_CALL_AFTER = 60.0  # seconds of silence before saying what it probably means
NO_CALL_HINT = (
    "No call has reached the listener for a minute. If you placed a test call, Plivo "
    "probably refused it before asking your answer_url, so nothing arrives here: 403 (the "
    "source IP is not in the IP ACL, or the credentials do not match), 407 (the provider "
    "does not answer the digest challenge), 404 (the Request-URI is not {uri}), or a "
    "lockout after 10 failures in 60 s. Press p to run `byon sip-probe --app {app_id}` "
    "against Plivo's side from this machine, and look the call up in Plivo's call logs "
    "(console: Voice > Logs)."
)
DID_NO_CALL_HINT = (
    "No call has reached the listener for a minute. If you dialled {number}, check that "
    "your provider forwards it to your Plivo number {plivo} (and that the number is on "
    "this application), then look the call up in Plivo's call logs (console: Voice > Logs)."
)
REJECTED_ROWS_KEPT = 20  # refused callbacks shown; older ones leave the table


@dataclass
class CallObserved(Message):
    """One call seen (a callback, or a simulated call's outcome), for the table."""

    row: CallRow


@dataclass
class StatusChanged(Message):
    """The listener's state in words, for the status line (after what to call)."""

    text: str
    wait_for_calls: bool = False  # a real listener is reachable: say what silence means


@dataclass
class EdgeFailed(Message):
    """The demo's SIP edge could not start (``error`` says why): calls take HTTP."""

    error: str


@dataclass
class LadderFetched(Message):
    """Demo: the SIP ladder the emulator recorded for call ``key`` (maybe none yet)."""

    key: str
    ladder: list


class VerifyScreen(VerifyTools, StepScreen):
    """Listen for test calls (or simulate them in the demo) and diagnose each one."""

    STEP = "verify"
    TITLE = "Verify · place a test call and watch what Plivo sends"
    CSS_PATH = "verify.tcss"
    # the call keys 1..n are bound per plan (_bind_keys): one per scenario, named; ctrl+y
    # is renamed there for the route, and listed here for its place in the footer
    BINDINGS = [
        Binding("p", "probe", "SIP probe", tooltip="byon sip-probe against the app's SIP URI"),
        Binding("ctrl+l", "listen", "Listen"),
        # not ctrl+k: a focused Input takes that key (delete to the end of the line)
        Binding("ctrl+g", "check_stream", "Stream", tooltip="Check the agent stream"),
        Binding("ctrl+y", "copy_uri", "Copy URI", tooltip=COPY_URI_TIP),
        Binding("ctrl+n", "next", "Done"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._cells: dict[str, dict[str, str]] = {}  # row key -> every column's text
        self._rows: dict[str, CallRow] = {}  # row key -> the call, merged
        self._layout: Layout | None = None
        self._calls: list[tuple[str, str, str]] = []  # the demo buttons on show
        self._ladder_asked: set[str] = set()  # calls whose ladder was fetched (or tried)
        self._no_call_timer = None
        self._status_text = ""  # the status line's words after what to call

    def compose_body(self) -> ComposeResult:
        """Status, the calls, the selected call (or the probe's rows), the call buttons;
        the ones handlers change are kept, not queried again."""
        self.status_line = Static("", id="status")
        self.calls_table = Table(id="calls", cursor_type="row", zebra_stripes=True)
        self.detail = CallDetail(id="details")
        yield from (self.status_line, self.calls_table, self.detail)
        self.stream_box = Vertical(id="stream-check")
        with self.stream_box:
            self.stream_report = Static("", id="stream-report")
            self.stream_progress = ProgressBar(id="stream-progress", total=None, show_eta=False)
            yield from (self.stream_report, self.stream_progress)
        self.demo_box = Vertical(id="demo")
        with self.demo_box:
            self.sim_hint = Static(
                "Simulate a call (demo, real SIP over loopback):", classes="hint", id="sim-hint"
            )
            self.sim_buttons = Horizontal(classes="buttons", id="sim-buttons")
            yield self.sim_hint
            with self.sim_buttons:
                yield from self._buttons()
        self.real_box = Vertical(id="real")
        with self.real_box:
            yield Static(REAL_HELP, classes="hint")
            with Horizontal(classes="row"):
                self.public_url = Input(
                    placeholder="public URL, e.g. https://your-tunnel.example.com",
                    id="public-url",
                    compact=True,
                )
                self.listen_on = Input("127.0.0.1:8080", id="listen-on", compact=True)
                yield from (self.public_url, self.listen_on)
                yield Button("Listen (ctrl+l)", id="listen", compact=True)

    def _buttons(self) -> list[Button]:
        self._calls = demo_calls(self.plan)
        self._bind_keys()
        return [
            Button(f"{key} {label}", id=f"sim-{scenario}", classes="sim", compact=True)
            for key, scenario, label in self._calls
        ]

    def _bind_keys(self) -> None:
        """One key per call button, named by its scenario (the f1 overlay lists exactly
        these), and ctrl+y named by what it copies on this route."""
        keys = self._bindings.key_to_bindings
        for key in [k for k in keys if k.isdigit()]:
            del keys[key]
        for key, _scenario, label in self._calls:
            keys[key] = [Binding(key, f"simulate_key('{key}')", f"call: {label}", show=False)]
        did = self.plan.option == "did_forwarding"
        keys["ctrl+y"] = [
            Binding(
                "ctrl+y",
                "copy_uri",
                "Copy number" if did else "Copy URI",
                tooltip=COPY_NUMBER_TIP if did else COPY_URI_TIP,
            )
        ]
        self.refresh_bindings()

    async def _refresh_buttons(self) -> None:
        """The plan's route or auth may have changed on an earlier step: new buttons (the
        old ones are gone before the new ones mount: they share ids)."""
        if [c[1] for c in demo_calls(self.plan)] == [c[1] for c in self._calls]:
            self._bind_keys()  # the route may have changed with the same scenarios
            return
        await self.sim_buttons.remove_children()
        await self.sim_buttons.mount_all(self._buttons())

    def on_mount(self) -> None:
        """Columns for the width; the demo's buttons or the real listener's fields."""
        self._layout_table()
        self.stream_box.display = False
        demo = self.app.session.is_demo
        self.demo_box.display = demo
        self.real_box.display = not demo

    async def on_screen_resume(self) -> None:
        """Start the demo's listener, or say what a real account needs (offline: nothing).
        Back from an overlay with the listener running, the status stays as it was."""
        self._layout_table()  # the terminal may have been resized on another step
        if not self.app.session.online:
            self._offline()
            return
        demo = self.app.session.is_demo
        self.calls_table.focus()
        if demo:
            await self._refresh_buttons()
        if self.app.session.listener is not None:
            self._status(self._status_text)  # the target may have changed meanwhile
            return
        self._status("starting the listener…" if demo else "type your public URL to listen")
        if demo:
            self.start_demo_listener()

    def _offline(self) -> None:
        """Offline nothing exists to call yet: say what to run once the plan is applied."""
        from wizard.steps import offline_verify_steps

        self.real_box.display = False
        self.status_line.update("Offline: no application to call yet.")
        steps = offline_verify_steps(self.plan, str(self.app.plan_path))
        self.detail.show_text(Text(steps))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Listen only with a real account; the call keys only in the demo; the SIP probe
        only where a SIP URI is what the provider calls (not DID forwarding)."""
        demo = self.app.session.is_demo
        if action == "listen":  # a real account needs the user's own public URL
            return self.app.session.online and not demo
        if action in ("simulate", "simulate_key"):
            return demo
        if action == "probe":
            return self.app.session.online and self.plan.option != "did_forwarding"
        return super().check_action(action, parameters)

    def on_resize(self) -> None:
        """Two lines per call below WIDE_FROM columns, one above."""
        self._layout_table()

    def _layout_table(self) -> None:
        """(Re)build the columns for the width; the rows are kept in ``_cells``."""
        layout = layout_for(self.app.size.width)
        if layout == self._layout:
            return
        self._layout = layout
        self.set_class(not layout.wide, "-compact")
        table = self.calls_table
        table.clear(columns=True)
        table.header_height = layout.height
        for key, label, width in layout.columns():
            table.add_column(label, key=key, width=width)
        for row_key, values in self._cells.items():
            table.add_row(*self._row_cells(values), key=row_key, height=layout.height)

    def call_values(self, key: str) -> dict[str, str]:
        """Every column's text of one call, whatever the layout shows (for tests, copy)."""
        return dict(self._cells[key])

    def _colours(self) -> dict[str, str]:
        return verdict_colours(self.app.theme_variables)

    def _row_cells(self, values: dict[str, str]) -> list[Text]:
        return cells(self._layout or layout_for(self.app.size.width), values, self._colours())

    def _target(self) -> str:
        plan = self.plan
        if plan.option == "did_forwarding" and plan.forwarding:
            return plan.forwarding.plivo_number
        return sip_uri(plan.application.app_id or "{app_id}")

    def _status(self, text: str) -> None:
        self._status_text = text
        self.status_line.update(Text(f"{self._calls_to()} · {text}"))

    def _calls_to(self) -> str:
        """What to call: the app's SIP URI, or under DID forwarding the user's own number
        (the provider forwards it to the Plivo number)."""
        plan = self.plan
        if plan.option == "did_forwarding":
            plivo = plan.forwarding.plivo_number if plan.forwarding else ""
            via = f" (forwarded to {plivo})" if plivo and plivo != "buy" else ""
            return f"Test calls: dial {plain(plan.external_number, 40) or 'your number'}{via}"
        return f"Test calls to {self._target()}"

    # listener ------------------------------------------------------------------------
    def _expectation(self):
        from wizard.verify.diagnose import Expectation

        return Expectation.from_plan(self.plan)

    def _on_event(self, event) -> None:
        # Plivo sends the hangup callback to the answer_url when no hangup_url is set
        if event.kind == "answer" and "Hangup" not in str(event.params.get("Event", "")):
            if self._no_call_timer is not None:
                self._no_call_timer.stop()
                self._no_call_timer = None
            self.post_message(CallObserved(row_from_event(event, self.app.clock())))

    @work(exclusive=True, exit_on_error=False, group="listener")
    async def start_demo_listener(self) -> None:
        """The demo's listener and SIP edge, pointed at by the demo application."""
        session = await self.app.wait_session()
        # the SIP edge starts here, long after the first paint; without it the calls take
        # the HTTP route and the hint says so
        if await session.start_sip_edge() is None:
            self.post_message(EdgeFailed(session.sip_edge_error))
        # the demo answers with a <Stream> to the echo agent, so each call also tests audio
        await session.start_listener(
            expectation=self._expectation(),
            on_event=self._on_event,
            answer_xml=session.demo_answer_xml(self.plan),
        )
        await session.point_app_at_listener(self.plan.application.app_id)
        self.post_message(StatusChanged("in-process listener ✓ ready"))

    def on_edge_failed(self, message: EdgeFailed) -> None:
        """Say under the call buttons that calls take the HTTP route, and why."""
        self.sim_hint.update(
            "Simulate a call (demo): the SIP edge could not start "
            f"({plain(message.error, 80)}), so calls take the HTTP route."
        )

    def on_status_changed(self, message: StatusChanged) -> None:
        """The listener's progress on the status line; once a real one is reachable, the
        wait for its first call starts."""
        self._status(message.text)
        if message.wait_for_calls:
            self._wait_for_calls()

    @on(Button.Pressed, "#listen")
    def action_listen(self) -> None:
        """ctrl+l: listen at the public URL the user typed (real account)."""
        from wizard.plans.validate import check_url

        url = self.public_url.value.strip()
        msg = check_url(url, "the public URL") if url else "type the public URL first"
        host, _, port = self.listen_on.value.strip().rpartition(":")
        if msg or not port.isdigit():
            self.show_error(f"Cannot listen: {msg or 'listen on HOST:PORT, e.g. 127.0.0.1:8080'}.")
            return
        self.clear_error()
        self.start_real_listener(url, host or "127.0.0.1", int(port))

    @work(exclusive=True, exit_on_error=False, group="listener")
    async def start_real_listener(self, public_url: str, host: str, port: int) -> None:
        """Listen, prove Plivo can reach us, then point the application here."""
        session = await self.app.wait_session()
        await session.start_listener(
            expectation=self._expectation(),
            on_event=self._on_event,
            public_url=public_url,
            host=host,
            port=port,
        )
        self.post_message(StatusChanged(f"checking that {public_url} reaches the listener…"))
        try:
            # never point the app at a listener Plivo cannot reach
            await session.listener.preflight(public_url)
        except Exception:
            await session.stop_listener()
            self.post_message(StatusChanged("type your public URL to listen"))
            raise
        await session.point_app_at_listener(self.plan.application.app_id)
        ready = f"listener {session.listener.answer_url} ✓ reachable, listening"
        self.post_message(StatusChanged(ready, wait_for_calls=True))

    def _wait_for_calls(self) -> None:
        """Say what silence means if no call arrives within NO_CALL_AFTER seconds."""
        if self._no_call_timer is not None:
            self._no_call_timer.stop()
        self._no_call_timer = self.set_timer(NO_CALL_AFTER, self.no_call_hint)

    def no_call_hint(self) -> None:
        """Real mode, nothing arrived: Plivo refused the call before the answer_url."""
        self._no_call_timer = None
        if self._rows:
            return
        plan = self.plan
        if plan.option == "did_forwarding":
            number = plain(plan.external_number, 40) or "your number"
            hint = DID_NO_CALL_HINT.format(number=number, plivo=plain(self._target(), 40))
        else:
            app_id = plan.application.app_id or "APP_ID"
            hint = NO_CALL_HINT.format(uri=self._target(), app_id=app_id)
        self.detail.show_text(Text(hint))

    async def on_unmount(self) -> None:
        """Leaving the wizard: restore the answer_url and stop listening."""
        await self._leave()

    async def _leave(self) -> None:
        if self._no_call_timer is not None:  # a suspended screen says nothing about silence
            self._no_call_timer.stop()
            self._no_call_timer = None
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
        """Escape: close the probe's panel if open, else back once the answer_url is
        restored."""
        if self.detail.probe_open:
            self._close_probe()
            return
        self.leave_then(self.app.back)

    @work(exclusive=True, exit_on_error=False, group="leave")
    async def leave_then(self, then) -> None:
        """Restore and stop, then ``then()``."""
        await self._leave()
        then()

    # demo calls ------------------------------------------------------------------------
    @on(Button.Pressed, ".sim")
    def _sim_button(self, event: Button.Pressed) -> None:
        self.action_simulate((event.button.id or "").removeprefix("sim-"))

    def action_simulate_key(self, key: str) -> None:
        """1-8: the demo call on that button."""
        for k, scenario, _label in self._calls or demo_calls(self.plan):
            if k == key:
                self.action_simulate(scenario)
                return

    def action_simulate(self, scenario: str) -> None:
        """Place the demo's call for ``scenario``; one call at a time (a second key while a
        call is being placed is refused, never cancels the first mid-dialog)."""
        if not self.app.session.is_demo:
            self.show_error("Simulated calls exist only in the demo; place a real test call.")
            return
        if self.working("simulate"):
            self.show_error(
                "A call is being placed: wait for its result, then press the key again."
            )
            return
        self._close_probe()  # the new call's diagnosis takes the room
        self.clear_error()
        self.simulate(scenario)

    @work(exit_on_error=False, group="simulate")
    async def simulate(self, scenario: str) -> None:
        """Place the scenario's call(s) on real SIP (or the HTTP route) and show each."""
        from wizard.emulator.seed import DEMO_NUMBER_FREE
        from wizard.verify.listener import simulate

        session = await self.app.wait_session()
        if session.listener is None:
            await self.start_demo_listener().wait()
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
        key, clock = f"sim-{self._seq}", self.app.clock()
        rows = rows_from_simulation(result, key, clock, FROM, self._target(), session.token)
        for row in rows:
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
        """Add the call (or complete a call already shown), select it and show it whole."""
        row = message.row
        known = self._rows.get(row.key)
        if known is not None:
            row = merged(known, row)
        self._rows[row.key] = row
        frozen_ms = getattr(self.app, "frozen_ms", None)
        values = cell_values(row, audio_cell(row.stream, frozen_ms))
        table = self.calls_table
        layout = self._layout or Layout(True)
        with self.app.batch_update():
            if row.key in self._cells:
                # the listener's callback and the simulation's outcome describe the same
                # call: keep whatever either one knew
                values = merge(self._cells[row.key], values)
                keys = [key for key, _label, _w in layout.columns()]
                for key, cell in zip(keys, self._row_cells(values), strict=True):
                    table.update_cell(row.key, key, cell)
            else:
                self._cells[row.key] = values
                table.add_row(*self._row_cells(values), key=row.key, height=layout.height)
                if row.rejected:
                    self._forget_rejected(table)
        if self.detail.probe_open:
            return  # the probe's view stays until p, escape or a call chosen
        # the newest call is the one just placed: select it, scrolled into view
        table.move_cursor(row=table.get_row_index(row.key), animate=False)
        self._show_details(row.key)

    def _forget_rejected(self, table: DataTable) -> None:
        """Keep the newest REJECTED_ROWS_KEPT refused rows: a flood must not grow the table."""
        rejected = [k for k in self._cells if k.startswith("rejected-")]
        for key in rejected[:-REJECTED_ROWS_KEPT]:
            del self._cells[key]
            self._rows.pop(key, None)
            table.remove_row(key)

    @on(DataTable.RowHighlighted, "#calls")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.detail.probe_open:
            if self.working("probe"):
                return  # the probe's own call arriving: its rows stay in view
            self.app.workers.cancel_group(self, "probe")
        if event.row_key is not None and event.row_key.value in self._rows:
            self._show_details(event.row_key.value)

    def _show_details(self, key: str) -> None:
        """The call whole under the table; its SIP ladder fetched when the demo has one."""
        row = self._rows[key]
        keys = list(self._rows)
        self.detail.show(row, keys.index(key) + 1, len(keys), self._diagnosis(row))
        demo = self.app.session.is_demo
        if demo and not row.ladder and not row.rejected and key not in self._ladder_asked:
            self._ladder_asked.add(key)
            self.fetch_ladder(key)

    # one worker per call (never exclusive: a newer call's fetch must not cancel this one)
    @work(exit_on_error=False, group="ladder")
    async def fetch_ladder(self, key: str) -> None:
        """Demo: the call's SIP ladder from GET /__emulator__/calls (kept once found)."""
        session = await self.app.wait_session()
        try:
            ladder = await session.call_ladder(key)
        except BaseException:
            self._ladder_asked.discard(key)  # cancelled or failed: selecting it asks again
            raise
        self.post_message(LadderFetched(key, ladder))

    def on_ladder_fetched(self, message: LadderFetched) -> None:
        """Keep a call's ladder once found; draw it if that call is the one selected."""
        row = self._rows.get(message.key)
        if not message.ladder or row is None or row.ladder:
            # the call's own outcome brought its whole ladder meanwhile; this answer may
            # have been taken mid-call, before the BYE
            return
        self._rows[message.key] = replace(row, ladder=message.ladder)
        if self._selected() == message.key:
            self.detail.show_ladder(message.ladder)

    def _selected(self) -> str | None:
        """The key of the call the table's cursor is on (None: no call yet)."""
        table = self.calls_table
        if not self._rows or not table.is_valid_row_index(table.cursor_row):
            return None
        return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value

    def _diagnosis(self, row: CallRow) -> Text:
        frozen_ms = getattr(self.app, "frozen_ms", None)
        did = self.plan.option == "did_forwarding"
        return diagnosis_text(row, self._colours(), did, frozen_ms)

    def action_next(self) -> None:
        """ctrl+n: Done, once the answer_url is restored."""
        self.leave_then(lambda: self.app.next_step(self.STEP))
