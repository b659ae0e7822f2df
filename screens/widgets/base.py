"""The base of every step: header, step indicator, error line, Back key, worker errors,
typed results."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.widgets._footer import FooterKey
from textual.worker import Worker, WorkerState

from screens.widgets.steps import StepIndicator


def heading(title: str) -> str:
    """The header's title for a step's TITLE: capitalised, whole at 80 columns (the step
    indicator under it says "Step 2 of 6", numbered by the route chosen now)."""
    return title[:1].upper() + title[1:]


class StepFooter(Footer):
    """Textual's footer, rebuilt once per burst of binding changes.

    Showing a step changes the bindings several times in one go (the screen, its focus,
    each reactive declared with bindings=True), and the stock footer rebuilds all its keys
    for each change. One rebuild after the burst shows the same keys."""

    PACKED_BELOW = 100  # columns: packed keys keep Save and Quit in view on a narrow terminal
    _rebuild_pending = False
    _built: tuple | None = None  # the keys of the last rebuild

    @classmethod
    def packed(cls, width: int) -> bool:
        """Whether the footer packs its keys (compact) at ``width`` columns."""
        return width < cls.PACKED_BELOW

    def compose(self) -> ComposeResult:
        """The stock keys, made compact or not before they mount.

        A stock key starts compact and then learns the footer's setting: two restyles per
        key on every rebuild."""
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        """Schedule one rebuild, however many changes arrive before it runs."""
        self._bindings_ready = True
        if not screen.app.app_focus or self._rebuild_pending:
            return
        if self.is_attached and screen is self.screen:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    def _shown(self) -> tuple:
        """What the keys would show: a rebuild that would draw the same keys is skipped."""
        return tuple(
            (b.key, b.action, b.description, b.group, enabled, tooltip, b.key_display)
            for (_node, b, enabled, tooltip) in self.screen.active_bindings.values()
            if b.show
        )

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        shown = self._shown()
        if shown != self._built:
            self._built = shown
            await self.recompose()


class StepScreen(Screen):
    """A wizard step. Subclasses set STEP and TITLE (the heading) and write ``compose_body``.

    A step ends with ``finish(result)``: the App merges the typed result into the one Plan."""

    STEP = ""
    TITLE = ""
    # Each step focuses its own first field. Textual's default would first focus the body
    # (the first focusable widget), restyling all of it, and restyle it again on the move.
    AUTO_FOCUS = ""
    BINDINGS = [
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown_once = False  # resumed at least once (see on_screen_resume)
        self.error_line = Static("", id="error", classes="error-line", markup=False)

    @property
    def plan(self) -> Any:
        """The App's one Plan (typed loosely: screens never import wizard.app)."""
        return self.app.plan

    def compose(self) -> ComposeResult:
        """Header, step indicator, the step's body (scrolls), the error line, the footer."""
        # the title is set before the header exists: setting it later repaints the header
        # (and costs the first screen its first paint)
        self.title = heading(self.TITLE)
        yield Header()
        yield StepIndicator(self.STEP)
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        yield self.error_line
        # packed from the start on a narrow terminal: no second footer build before first paint
        # the palette's "^p" gives its room to the step's keys; `?` and the overlay list it
        packed = StepFooter.packed(self.app.size.width)
        yield StepFooter(compact=packed, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        """The demo's values go into the fields once the step's own rows exist."""
        self.call_after_refresh(self._fill_demo)

    def _fill_demo(self) -> None:
        from screens.widgets.demo import fill_demo  # after the first paint, not before

        fill_demo(self)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Number the step by the route chosen now (it may have changed meanwhile)."""
        if not self._shown_once:
            # Just mounted: each widget was styled as it mounted. Textual restyles a whole
            # screen on each resume, for changes made while it was away; the first time
            # there are none, and it would cost the first paint and each Next a second pass.
            # (This handler runs before Screen's own, which reads the flag.)
            self._shown_once = True
            event.refresh_styles = False
        self.query_one(StepIndicator).show_route(self.app)
        if self.app.show_activity:
            self.app.sync_activity(self)

    def finish(self, result: Any) -> None:
        """Hand this step's typed result to the App, which merges it and moves on."""
        self.clear_error()
        self.app.finish_step(self.STEP, result)

    def action_back(self) -> None:
        """Back to the previous step; what was typed here stays."""
        self.app.back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Back only where there is a step behind this one."""
        if action == "back":  # the first step has nothing to go back to
            return len(self.app.screen_stack) > 1
        return True

    # one place turns a failed worker into an in-place message with Plivo's text
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker failed: say why on the error line, then let the step recover. Any
        worker that ends may turn keys back on (``working`` gates them)."""
        if event.state == WorkerState.ERROR:
            self.show_error(self.app.describe_error(event.worker.error))
            self.worker_failed(event.worker)
        if event.worker.is_finished:
            self.refresh_bindings()

    def worker_failed(self, worker: Worker) -> None:
        """Hook: put the screen back in a state where the user can retry."""

    def working(self, group: str) -> bool:
        """A worker of ``group`` that this step started is still at work (it is listed
        from the moment it is started, so a second key press sees it at once)."""
        return any(
            w.node is self and w.group == group and not w.is_finished for w in self.app.workers
        )

    def on_input_changed(self) -> None:
        """Editing a field takes the line's complaint away (Next checks again), so a fixed
        field never keeps an old message."""
        if self.error_line.has_class("-shown"):
            self.clear_error()

    def show_error(self, text: str) -> None:
        """Show ``text`` on the error line ("" hides it)."""
        self.error_line.update(text)
        self.error_line.set_class(bool(text), "-shown")

    def clear_error(self) -> None:
        """Hide the error line."""
        self.show_error("")
