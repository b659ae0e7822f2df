"""A typed modal that asks for a file path to write: dismisses the Path, or None.

It refuses, in place and with a sentence, a path that is a symbolic link, a folder, or in a
folder that does not exist (checked as you type); an existing file is replaced only after
a second enter. Save plan as, and writing a snippet or block to a file, all use it.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Static

from screens.widgets.dialog import Dialog


def path_problem(text: str, suffix: str = "") -> str:
    """Why ``text`` is not a file byon can write ("" when it is); ``suffix`` the file must
    end in (".toml" for a plan), if any."""
    if not text.strip():
        return f"Type a file name, e.g. my-number{suffix or '.txt'}."
    path = Path(text.strip()).expanduser()
    try:
        if path.is_symlink():
            return f"{path} is a symbolic link; byon does not write through links."
        if path.is_dir():
            return f"{path} is a folder; add a file name."
        if not path.parent.is_dir():
            return f"The folder {path.parent} does not exist."
    except OSError as exc:  # e.g. a name longer than the file system allows
        return f"byon cannot use this name: {exc.strerror or exc}."
    if suffix and path.suffix.lower() != suffix:
        return f"The file name must end in {suffix}."
    return ""


class WritablePath(Validator):
    """A path whose folder exists and that is neither a folder nor a symlink."""

    def __init__(self, suffix: str = "") -> None:
        super().__init__()
        self.suffix = suffix

    def validate(self, value: str) -> ValidationResult:
        """Fail with the reason a write there would fail."""
        problem = path_problem(value, self.suffix)
        return self.failure(problem) if problem else self.success()


class PathPrompt(Dialog[Path | None]):
    """Where to write a file: an input checked as you type, enter to write, escape to cancel.

    Dismisses the chosen Path (the caller writes it) or None."""

    DEFAULT_CSS = """
    PathPrompt > Vertical { width: 76; }
    PathPrompt #path-problem { color: $error; height: auto; }
    PathPrompt .note { color: $text-muted; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, title: str, default: str, note: str = "", *, suffix: str = "", verb: str = "Write"
    ) -> None:
        super().__init__()
        self.heading, self.suffix, self.verb = title, suffix, verb
        placeholder = f"e.g. my-number{suffix}" if suffix else "e.g. a file name"
        self.path_input = Input(
            default, id="path", placeholder=placeholder, validators=[WritablePath(suffix)]
        )
        self.problem = Static("", id="path-problem", markup=False)
        self.note = Static(Text(note), classes="note")
        self._confirm_replace: Path | None = None

    def compose(self) -> ComposeResult:
        """Title, the path, what is wrong with it (or that it replaces a file), buttons."""
        with Vertical():
            yield Static(self.heading, classes="title", markup=False)
            yield self.path_input
            yield self.problem
            yield self.note
            with Horizontal():
                yield Button("Cancel (escape)", id="cancel")
                yield Button(f"{self.verb} (enter)", id="write", variant="primary")

    def on_mount(self) -> None:
        """Start in the input with the default checked."""
        self.path_input.focus()
        self.problem.update(path_problem(self.path_input.value, self.suffix))

    @on(Input.Changed, "#path")
    def _changed(self, event: Input.Changed) -> None:
        self._confirm_replace = None
        self.problem.update(path_problem(event.value, self.suffix))

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#write")
    def action_write(self) -> None:
        """Dismiss with the path, once it is one byon can write (a second enter replaces
        an existing file)."""
        text = self.path_input.value
        problem = path_problem(text, self.suffix)
        if problem:
            self.problem.update(problem)
            return
        path = Path(text.strip()).expanduser()
        if path.exists() and self._confirm_replace != path:
            self._confirm_replace = path
            self.problem.update(f"{path} exists: press enter again to replace it.")
            return
        self.dismiss(path)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Dismiss with None: nothing is written."""
        self.dismiss(None)
