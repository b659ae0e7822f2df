"""Step: the Plivo application. Pick an existing one or create one; optional <Stream> XML."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import (
    Button,
    Collapsible,
    DataTable,
    Input,
    ProgressBar,
    RadioSet,
    Select,
    Static,
)

from screens.widgets.apptable import AppFilter, add_columns, fit_columns
from screens.widgets.base import StepScreen
from screens.widgets.block import CopyableBlock
from screens.widgets.choices import Choice as RadioButton  # (●)/( ) reads without colour
from screens.widgets.choices import OnOff  # says on/off, not only by colour
from screens.widgets.fields import CheckValidator, problem
from screens.widgets.table import Table
from wizard.plans.plan import StreamPlan
from wizard.plans.validate import AUDIO_TRACKS
from wizard.plans.validate import CONTENT_TYPES as _CONTENT_TYPES
from wizard.steps import ApplicationResult

# the choices Plivo accepts, from the rules plan files are checked against
METHODS = [(m, m) for m in ("POST", "GET")]
TRACKS = [(t, t) for t in AUDIO_TRACKS]
CONTENT_TYPES = [(c, c) for c in sorted(_CONTENT_TYPES, key=lambda c: "mulaw" not in c)]
NO_XML = "Type the agent's WebSocket URL to see the answer XML."


@dataclass
class AppsProgress(Message):
    """How many of the account's applications a worker has read so far."""

    done: int
    total: int


@dataclass
class AppsLoaded(Message):
    """The account's applications (``online`` False: offline, none to pick)."""

    apps: list[Any]
    online: bool = True


class ApplicationScreen(StepScreen):
    """Pick the application that answers the calls, or fill in a new one; <Stream> XML."""

    STEP = "application"
    TITLE = "the Plivo application that answers the calls"
    CSS_PATH = "application.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+f", "focus_filter", "Filter"),
        Binding("ctrl+y", "copy_xml", "Copy XML"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = AppFilter()
        self._picked = ""  # the app last selected in the table

    def compose_body(self) -> ComposeResult:
        """Pick or create, the table, the form, the <Stream> panel."""
        app_plan = self.plan.application
        create = not app_plan.app_id
        with RadioSet(id="mode"):
            self.pick_mode = RadioButton(
                "Use an existing application", value=not create, id="mode-pick"
            )
            yield self.pick_mode
            self.create_mode = RadioButton("Create a new one", value=create, id="mode-create")
            yield self.create_mode
        with Vertical(id="pick") as self.pick_box:
            self.filter_input = Input(
                placeholder="type to filter by name, app_id or URL", id="filter"
            )
            yield self.filter_input
            self.progress_bar = ProgressBar(id="loading", show_eta=False)
            yield self.progress_bar
            self.table = Table(id="apps", cursor_type="row")
            yield self.table
            self.matches = Static("", id="matches", classes="hint")
            yield self.matches
            self.picked = Static("", id="picked", classes="hint")
            yield self.picked
        with Vertical(id="create") as self.create_box:
            yield from self._compose_form(app_plan)
        yield from self._compose_stream(self.plan.stream)
        with Horizontal(classes="buttons"):
            yield Button("Next (ctrl+n)", id="next", variant="primary")

    def _compose_form(self, app_plan: Any) -> ComposeResult:
        self.name_input = Input(
            app_plan.name,
            id="name",
            placeholder="e.g. ai-agent-inbound",
            validators=[CheckValidator("check_app_name")],
        )
        self.answer_url = Input(
            app_plan.answer_url,
            id="answer-url",
            placeholder="e.g. https://agent.example.com/answer",
            validators=[CheckValidator("check_url")],
        )
        self.method = Select(
            METHODS, value=app_plan.answer_method or "POST", id="method", allow_blank=False
        )
        self.hangup_url = Input(
            app_plan.hangup_url,
            id="hangup-url",
            placeholder="optional, e.g. https://agent.example.com/hangup",
        )
        for label, field in (
            ("Name", self.name_input),
            ("Answer URL", self.answer_url),
            ("Method", self.method),
            ("Hangup URL", self.hangup_url),
        ):
            with Horizontal(classes="row"):
                yield Static(label, classes="label")
                yield field

    def _compose_stream(self, stream: StreamPlan | None) -> ComposeResult:
        s = stream or StreamPlan()
        with Collapsible(
            title="<Stream> answer XML (optional)",
            collapsed=stream is None,
            id="stream",
            # the class Collapsible sets on mount, given up front: setting it then restyles
            # every widget inside, on each visit to this step
            classes="-collapsed" if stream is None else "",
        ):
            with Horizontal(classes="row"):
                yield Static("WebSocket", classes="label")
                self.stream_url = Input(
                    stream.url if stream else "",
                    id="stream-url",
                    placeholder="e.g. wss://agent.example.com/media",
                    validators=[CheckValidator("check_stream_url")],
                )
                yield self.stream_url
            with Horizontal(classes="row"):
                yield Static("Two-way", classes="label")
                self.bidirectional = OnOff(s.bidirectional, id="bidirectional")
                yield self.bidirectional
                yield Static("Keep call alive", classes="label wide")
                self.keep_alive = OnOff(s.keep_call_alive, id="keep-alive")
                yield self.keep_alive
            with Horizontal(classes="row"):
                yield Static("Track", classes="label")
                self.track = Select(TRACKS, value=s.audio_track, id="track", allow_blank=False)
                yield self.track
                self.content_type = Select(
                    CONTENT_TYPES, value=s.content_type, id="content-type", allow_blank=False
                )
                yield self.content_type
            self.xml = CopyableBlock(
                what="the answer XML", filename="answer.xml", language="xml", empty=NO_XML, id="xml"
            )
            yield self.xml

    _read_at: int | None = None  # the session's write count when the list was read

    def on_mount(self) -> None:
        """Columns, the mode's panel, the XML, then the account's applications."""
        add_columns(self.table, self.app.size.width)
        self._show_mode()
        self._update_xml()
        self.load_apps()
        first = self.filter_input if self.pick_mode.value else self.name_input
        self.call_after_refresh(first.focus)

    def on_resize(self, event: events.Resize) -> None:
        """The terminal was resized while this step shows."""
        self._fit_table(event.size.width)

    def on_screen_resume(self) -> None:
        """Back to this step: the terminal may have been resized, and an apply may have
        changed the applications the table lists (read again, then)."""
        self._fit_table(self.app.size.width)
        if self._read_at is not None and self.app.session.writes != self._read_at:
            self.load_apps()

    def _fit_table(self, width: int) -> None:
        # across 100 columns the table changes shape (two lines per app below)
        if fit_columns(self.table, width):
            self.filter.refill(self.table, self.filter_input.value)

    # modes -----------------------------------------------------------------------
    @on(RadioSet.Changed, "#mode")
    def _show_mode(self) -> None:
        pick = self.pick_mode.value
        self.pick_box.display = pick
        self.create_box.display = not pick

    # existing apps -------------------------------------------------------------------
    @work(exclusive=True, exit_on_error=False, group="load")
    async def load_apps(self) -> None:
        """Read the account's applications, with progress (none offline)."""
        session = await self.app.wait_session()
        self._read_at = session.writes
        if not session.online:
            self.post_message(AppsLoaded([], online=False))
            return

        def progress(done: int, total: int) -> None:
            self.post_message(AppsProgress(done, total))

        apps = await session.client.list_applications(progress=progress)
        self.post_message(AppsLoaded(apps))

    def on_apps_progress(self, message: AppsProgress) -> None:
        """Move the progress bar."""
        self.progress_bar.update(total=max(message.total, 1), progress=message.done)

    def on_apps_loaded(self, message: AppsLoaded) -> None:
        """Fill the table and select the plan's application; offline, offer the form."""
        self.progress_bar.display = False
        if not message.online:
            self.table.display = False
            self.picked.update("Offline: create a new application.")
            self.create_mode.value = True
            return
        self.filter.set_apps(message.apps)
        self._refill()
        # in pick mode the plan's app is the one picked; in create mode the form is the
        # plan's own app (its id kept after apply), never a pick from the table
        if self.plan.application.app_id and self.pick_mode.value:
            self._select(self.plan.application.app_id)

    @on(Input.Changed, "#filter")
    def _refill(self) -> None:
        found = self.filter.fill(self.table, self.filter_input.value)
        self.matches.update(self.filter.summary(found))

    def action_focus_filter(self) -> None:
        """Jump to the filter (ctrl+f)."""
        self.pick_mode.value = True
        self.filter_input.focus()

    @on(DataTable.RowSelected, "#apps")
    def _row(self, event: DataTable.RowSelected) -> None:
        self._select(event.row_key.value)

    def _select(self, app_id: str) -> None:
        app = self.filter.by_id.get(app_id)
        if app is None:
            return
        self._picked = app_id
        line = Text(f"Selected {app.app_name} ({app.app_id}) → {app.answer_url}")
        if not app.sip_auth_type:
            line.append("  open SIP URI: no authentication yet", style="bold")
        self.picked.update(line)

    # stream XML --------------------------------------------------------------------
    def _stream_plan(self) -> StreamPlan | None:
        url = self.stream_url.value.strip()
        if not url:
            return None
        return StreamPlan(
            url=url,
            bidirectional=self.bidirectional.value,
            keep_call_alive=self.keep_alive.value,
            content_type=str(self.content_type.value),
            audio_track=str(self.track.value),
        )

    @on(Input.Changed, "#stream-url")
    @on(OnOff.Changed)
    @on(Select.Changed)
    def _update_xml(self) -> None:
        stream = self._stream_plan()
        if stream is None:
            self.xml.show("")
            return
        from wizard.stream.xml import stream_xml

        try:
            self.xml.show(stream_xml(stream))
        except Exception as exc:
            self.xml.show("")
            self.xml.update(Text(self.app.describe_error(exc)))

    def action_copy_xml(self) -> None:
        """Copy the answer XML (ctrl+y)."""
        self.xml.action_copy()

    # next ------------------------------------------------------------------------
    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        """Check the form (or the pick) and the stream URL, then hand the result on."""
        result, errors = self.result()
        if errors:
            self.show_error(" · ".join(errors))
            return
        self.finish(result)

    def result(self) -> tuple[ApplicationResult | None, list[str]]:
        """The typed result of this step, and what is wrong with it."""
        from wizard.plans import validate

        stream = self._stream_plan()
        stream_errors: list[str] = []
        if stream is not None:
            msg = problem(validate.check_stream_url, stream.url)
            if msg:
                stream_errors.append(f"Stream URL: {msg}")
        if self.pick_mode.value:
            app = self.filter.by_id.get(self._picked)
            if app is None:
                return None, ["Pick an application in the table (enter), or create a new one."]
            picked = ApplicationResult(
                name=app.app_name,
                answer_url=app.answer_url,
                answer_method=app.answer_method or "POST",
                hangup_url=app.hangup_url,
                app_id=app.app_id,
                existing=True,
                stream=stream,
            )
            return picked, stream_errors
        name, url = self.name_input.value.strip(), self.answer_url.value.strip()
        hangup = self.hangup_url.value.strip()
        errors = [
            f"{label}: {msg}"
            for label, msg in (
                ("Name", problem(validate.check_app_name, name)),
                ("Answer URL", problem(validate.check_url, url)),
                ("Hangup URL", problem(validate.check_url, hangup) if hangup else ""),
            )
            if msg
        ]
        # the form edits the plan's own application (its id stays, e.g. after apply);
        # one picked from the table and then left for "create" is not the form's
        own = self.plan.application.app_id
        created = ApplicationResult(
            name=name,
            answer_url=url,
            answer_method=str(self.method.value),
            hangup_url=hangup,
            app_id="" if own and own == self._picked else own,
            stream=stream,
        )
        return created, errors + stream_errors
