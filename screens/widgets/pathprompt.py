"""Ask for a file path to write to: dismisses the Path, or None on escape.

It refuses, in place and with a sentence, a path that is a symbolic link, a folder, or in a
folder that does not exist; an existing file is replaced only after a second enter.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


def path_problem(text: str) -> str | None:
    """Why ``text`` cannot be written to, or None when it can."""
    if not text.strip():
        return "Type a file name or path."
    path = Path(text.strip()).expanduser()
    if path.is_symlink():
        return f"{path} is a symbolic link; byon does not write through links."
    if path.is_dir():
        return f"{path} is a folder; add a file name."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    return None


class PathPrompt(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    PathPrompt { align: center middle; }
    PathPrompt > Vertical {
        width: 76; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    PathPrompt .title { text-style: bold; margin-bottom: 1; }
    PathPrompt #path-problem { color: $error; height: auto; }
    PathPrompt .hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default: str, note: str = "") -> None:
        super().__init__()
        self._title, self._default, self._note = title, default, note
        self._confirm_replace: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title), classes="title")
            yield Input(value=self._default, id="path")
            yield Static("", id="path-problem")
            if self._note:
                yield Static(Text(self._note), classes="hint")
            yield Static("enter: write · escape: cancel", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._confirm_replace = None
        self.query_one("#path-problem", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        problem = path_problem(event.value)
        line = self.query_one("#path-problem", Static)
        if problem:
            line.update(Text(problem))
            return
        path = Path(event.value.strip()).expanduser()
        if path.exists() and self._confirm_replace != path:
            self._confirm_replace = path
            line.update(Text(f"{path} exists: press enter again to replace it."))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
