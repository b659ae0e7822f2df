"""Step: the Plivo application. Pick an existing one or create one; optional <Stream> XML."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    Collapsible,
    DataTable,
    Input,
    ProgressBar,
    RadioSet,
    Select,
    Static,
    Switch,
)

from screens.widgets.apptable import AppFilter, add_columns
from screens.widgets.base import StepScreen
from screens.widgets.fields import CheckValidator, problem
from screens.widgets.toggles import Choice as RadioButton  # (●)/( ) reads without colour
from screens.widgets.toggles import OnOff  # says on/off, not only by colour
from wizard.plans.plan import ApplicationPlan, StreamPlan
from wizard.plans.validate import AUDIO_TRACKS
from wizard.plans.validate import CONTENT_TYPES as _CONTENT_TYPES

# the choices Plivo accepts, from the rules plan files are checked against
METHODS = [(m, m) for m in ("POST", "GET")]
TRACKS = [(t, t) for t in AUDIO_TRACKS]
CONTENT_TYPES = [(c, c) for c in sorted(_CONTENT_TYPES, key=lambda c: "mulaw" not in c)]


class ApplicationScreen(StepScreen):
    STEP = "application"
    TITLE = "Step 3 · the Plivo application that answers the calls"
    CSS_PATH = "application.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+f", "focus_filter", "Filter"),
        Binding("ctrl+y", "copy_xml", "Copy XML"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = AppFilter()
        self._picked = ""

    def compose_body(self) -> ComposeResult:
        app_plan = self.plan.application
        create = not app_plan.app_id
        with RadioSet(id="mode"):
            yield RadioButton("Use an existing application", value=not create, id="mode-pick")
            yield RadioButton("Create a new one", value=create, id="mode-create")
        with Vertical(id="pick"):
            yield Input(placeholder="type to filter by name, app_id or URL", id="filter")
            yield ProgressBar(id="loading", show_eta=False)
            yield DataTable(id="apps", cursor_type="row")
            yield Static("", id="matches", classes="hint")
            yield Static("", id="picked", classes="hint")
        with Vertical(id="create"):
            with Horizontal(classes="row"):
                yield Static("Name", classes="label")
                yield Input(
                    app_plan.name,
                    id="name",
                    placeholder="e.g. ai-agent-inbound",
                    validators=[CheckValidator("check_app_name")],
                )
            with Horizontal(classes="row"):
                yield Static("Answer URL", classes="label")
                yield Input(
                    app_plan.answer_url,
                    id="answer-url",
                    placeholder="e.g. https://agent.example.com/answer",
                    validators=[CheckValidator("check_url")],
                )
            with Horizontal(classes="row"):
                yield Static("Method", classes="label")
                yield Select(
                    METHODS, value=app_plan.answer_method or "POST", id="method", allow_blank=False
                )
            with Horizontal(classes="row"):
                yield Static("Hangup URL", classes="label")
                yield Input(
                    app_plan.hangup_url,
                    id="hangup-url",
                    placeholder="optional, e.g. https://agent.example.com/hangup",
                )
        stream = self.plan.stream
        with Collapsible(
            title="<Stream> answer XML (optional)", collapsed=stream is None, id="stream"
        ):
            with Horizontal(classes="row"):
                yield Static("WebSocket", classes="label")
                yield Input(
                    stream.url if stream else "",
                    id="stream-url",
                    placeholder="e.g. wss://agent.example.com/media",
                    validators=[CheckValidator("check_stream_url")],
                )
            s = stream or StreamPlan()
            with Horizontal(classes="row"):
                yield Static("Two-way", classes="label")
                yield OnOff(s.bidirectional, id="bidirectional")
                yield Static("Keep call alive", classes="label wide")
                yield OnOff(s.keep_call_alive, id="keep-alive")
            with Horizontal(classes="row"):
                yield Static("Track", classes="label")
                yield Select(TRACKS, value=s.audio_track, id="track", allow_blank=False)
                yield Select(
                    CONTENT_TYPES, value=s.content_type, id="content-type", allow_blank=False
                )
            yield Static("", id="xml")
        with Horizontal(classes="buttons"):
            yield Button("Next (ctrl+n)", id="next", variant="primary")

    def on_mount(self) -> None:
        add_columns(self.query_one("#apps", DataTable), self.app.size.width)
        self._show_mode()
        self._update_xml()
        self.load_apps()
        pick = self.query_one("#mode-pick", RadioButton).value
        self.call_after_refresh(self.query_one("#filter" if pick else "#name", Input).focus)

    # modes -----------------------------------------------------------------------
    @on(RadioSet.Changed, "#mode")
    def _show_mode(self) -> None:
        pick = self.query_one("#mode-pick", RadioButton).value
        self.query_one("#pick").display = pick
        self.query_one("#create").display = not pick

    # existing apps -------------------------------------------------------------------
    @work(exclusive=True, exit_on_error=False, group="load")
    async def load_apps(self) -> None:
        bar = self.query_one("#loading", ProgressBar)
        session = await self.app.wait_session()
        if not session.online:
            bar.display = False
            self.query_one("#apps").display = False
            self.query_one("#picked", Static).update("Offline: create a new application.")
            self.query_one("#mode-create", RadioButton).value = True
            return

        def progress(done: int, total: int) -> None:
            bar.update(total=max(total, 1), progress=done)

        apps = await session.client.list_applications(progress=progress)
        bar.display = False
        self.filter.set_apps(apps)
        self._refill()
        if self.plan.application.app_id:
            self._select(self.plan.application.app_id)

    @on(Input.Changed, "#filter")
    def _refill(self) -> None:
        found = self.filter.fill(
            self.query_one("#apps", DataTable), self.query_one("#filter", Input).value
        )
        self.query_one("#matches", Static).update(self.filter.summary(found))

    def action_focus_filter(self) -> None:
        self.query_one("#mode-pick", RadioButton).value = True
        self.query_one("#filter", Input).focus()

    @on(DataTable.RowSelected, "#apps")
    def _row(self, event: DataTable.RowSelected) -> None:
        self._select(event.row_key.value)

    def _select(self, app_id: str) -> None:
        app = self.filter.by_id.get(app_id)
        if app is None:
            return
        self._picked = app_id
        warn = "" if app.sip_auth_type else "  [b]open SIP URI: no authentication yet[/b]"
        self.query_one("#picked", Static).update(
            f"Selected {app.app_name} ({app.app_id}) → {app.answer_url}{warn}"
        )

    # stream XML --------------------------------------------------------------------
    def _stream_plan(self) -> StreamPlan | None:
        url = self.query_one("#stream-url", Input).value.strip()
        if not url:
            return None
        return StreamPlan(
            url=url,
            bidirectional=self.query_one("#bidirectional", Switch).value,
            keep_call_alive=self.query_one("#keep-alive", Switch).value,
            content_type=str(self.query_one("#content-type", Select).value),
            audio_track=str(self.query_one("#track", Select).value),
        )

    @on(Input.Changed, "#stream-url")
    @on(Switch.Changed)
    @on(Select.Changed)
    def _update_xml(self) -> None:
        from rich.syntax import Syntax

        stream = self._stream_plan()
        view = self.query_one("#xml", Static)
        if stream is None:
            view.update("[dim]Type the agent's WebSocket URL to see the answer XML.[/dim]")
            return
        try:
            from wizard.stream.xml import stream_xml

            self._xml = stream_xml(stream)
        except Exception as exc:
            self._xml = ""
            view.update(self.app.describe_error(exc))
            return
        view.update(Syntax(self._xml, "xml", theme="ansi_dark", word_wrap=True))

    def action_copy_xml(self) -> None:
        xml = getattr(self, "_xml", "")
        if xml:
            self.app.copy_to_clipboard(xml)
            self.app.notify("Answer XML copied to the clipboard.", title="Copied")
        else:
            self.app.notify("No XML yet: type a WebSocket URL in the Stream panel.")

    # next ------------------------------------------------------------------------
    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        from wizard.plans import validate

        errors: list[str] = []
        pick = self.query_one("#mode-pick", RadioButton).value
        if pick:
            app = self.filter.by_id.get(self._picked)
            if app is None:
                errors.append("Pick an application in the table (enter), or create a new one.")
            else:
                new = ApplicationPlan(
                    name=app.app_name,
                    app_id=app.app_id,
                    answer_url=app.answer_url,
                    answer_method=app.answer_method or "POST",
                    hangup_url=app.hangup_url,
                )
        else:
            name = self.query_one("#name", Input).value.strip()
            url = self.query_one("#answer-url", Input).value.strip()
            hangup = self.query_one("#hangup-url", Input).value.strip()
            for label, msg in (
                ("Name", problem(validate.check_app_name, name)),
                ("Answer URL", problem(validate.check_url, url)),
                ("Hangup URL", problem(validate.check_url, hangup) if hangup else ""),
            ):
                if msg:
                    errors.append(f"{label}: {msg}")
            new = ApplicationPlan(
                name=name,
                answer_url=url,
                answer_method=str(self.query_one("#method", Select).value),
                hangup_url=hangup,
            )
        stream = self._stream_plan()
        if stream is not None:
            msg = problem(validate.check_stream_url, stream.url)
            if msg:
                errors.append(f"Stream URL: {msg}")
        if errors:
            self.show_error(" · ".join(errors))
            return
        self.clear_error()
        self.plan.application = new
        self.plan.stream = stream
        self.app.mark_dirty()
        self.app.next_step(self.STEP)
