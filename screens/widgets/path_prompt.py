"""A typed modal that asks for a file path to write: dismisses the Path, or None."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Static


def path_problem(text: str) -> str:
    """Why ``text`` is not a file byon can write ("" when it is)."""
    if not text.strip():
        return "type a file name"
    path = Path(text.strip()).expanduser()
    if path.is_symlink():
        return f"{path} is a symbolic link; byon does not write through links"
    if path.is_dir():
        return f"{path} is a folder; add a file name"
    if not path.parent.is_dir():
        return f"the folder {path.parent} does not exist"
    return ""


class WritablePath(Validator):
    """A path whose folder exists and that is neither a folder nor a symlink."""

    def validate(self, value: str) -> ValidationResult:
        """Fail with the reason a write there would fail."""
        problem = path_problem(value)
        return self.failure(problem) if problem else self.success()


class PathPrompt(ModalScreen[Path | None]):
    """Where to write a file: an input checked as you type, enter to write, escape to cancel.

    Dismisses the chosen Path (the caller writes it) or None."""

    DEFAULT_CSS = """
    PathPrompt { align: center middle; }
    PathPrompt > Vertical {
        width: 72; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    PathPrompt .title { text-style: bold; margin-bottom: 1; }
    PathPrompt .problem { color: $error; height: auto; }
    PathPrompt .note { color: $text-muted; height: auto; }
    PathPrompt Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    PathPrompt Button { margin-left: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str) -> None:
        super().__init__()
        self.heading = title
        self.path_input = Input(default, id="path", validators=[WritablePath()])
        self.problem = Static("", classes="problem", markup=False)
        self.note = Static("", classes="note", markup=False)

    def compose(self) -> ComposeResult:
        """Title, the path, what is wrong with it (or that it replaces a file), buttons."""
        with Vertical():
            yield Static(self.heading, classes="title", markup=False)
            yield self.path_input
            yield self.problem
            yield self.note
            with Horizontal():
                yield Button("Cancel (escape)", id="cancel")
                yield Button("Write (enter)", id="write", variant="primary")

    def on_mount(self) -> None:
        """Start in the input with the default checked."""
        self.path_input.focus()
        self._show(self.path_input.value)

    @on(Input.Changed, "#path")
    def _changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def _show(self, text: str) -> None:
        self.problem.update(path_problem(text))
        exists = Path(text.strip()).expanduser().is_file() if text.strip() else False
        self.note.update("This file exists and will be replaced." if exists else "")

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#write")
    def action_write(self) -> None:
        """Dismiss with the path, once it is one byon can write."""
        text = self.path_input.value
        if path_problem(text):
            self._show(text)
            return
        self.dismiss(Path(text.strip()).expanduser())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Dismiss with None: nothing is written."""
        self.dismiss(None)
