"""The base of every step: title line, error line, Back/Save keys, worker errors."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from screens.widgets.steps import StepIndicator


class StepScreen(Screen):
    """A wizard step. Subclasses set STEP and TITLE and implement ``compose_body``."""

    STEP = ""
    TITLE = ""
    BINDINGS = [
        Binding("escape", "back", "Back"),
    ]

    @property
    def byon(self) -> Any:  # the ByonApp (typed loosely: screens never import wizard.app)
        return self.app

    @property
    def plan(self) -> Any:
        return self.app.plan

    def compose(self) -> ComposeResult:
        # the title is set before the header exists: setting it later repaints the header
        # (and costs the first screen its first paint); the step indicator carries "Step 2
        # of 6", so the header keeps the rest, whole, at 80 columns
        rest = self.TITLE.split(" · ", 1)[1] if self.TITLE.startswith("Step ") else self.TITLE
        self.title = rest[:1].upper() + rest[1:]
        yield Header()
        yield StepIndicator(self.STEP)
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        yield Static("", id="error", classes="error-line")
        # compact from the start below 100 columns: no second footer build before first paint
        # the palette's "^p" gives its room to the step's keys; `?` and the overlay list it
        yield Footer(compact=self.app.size.width < 100, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        # after the step's own on_mount has added its rows (e.g. the ACL entries)
        from screens.widgets.demo import fill_demo

        self.call_after_refresh(fill_demo, self)

    def on_screen_resume(self) -> None:
        # the two routes order the steps differently: number them by the chosen one
        self.query_one(StepIndicator).show_route(self.app)
        if self.app.show_activity:
            self.app.sync_activity(self)

    def action_back(self) -> None:
        self.app.back()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":  # the first step has nothing to go back to
            return len(self.app.screen_stack) > 1
        return True

    # one place turns a failed worker into an in-place message with Plivo's text
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.show_error(self.app.describe_error(event.worker.error))
            self.worker_failed(event.worker)

    def worker_failed(self, worker: Worker) -> None:
        """Hook: put the screen back in a state where the user can retry."""

    def on_input_changed(self) -> None:
        # the line under the form complained about a field: editing it takes the complaint
        # away (Next checks again), so a fixed field never keeps an old message
        if self.query_one("#error").has_class("-shown"):
            self.clear_error()

    def show_error(self, text: str) -> None:
        line = self.query_one("#error", Static)
        line.update(text)
        line.set_class(bool(text), "-shown")

    def clear_error(self) -> None:
        self.show_error("")
