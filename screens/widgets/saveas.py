"""Save the plan as…: a path prompt. Dismisses the chosen Path, or None on escape."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


def path_problem(text: str) -> str:
    """Why ``text`` cannot be where the plan is written ("" when it can)."""
    if not text.strip():
        return "Type a file name, e.g. my-number.toml."
    path = Path(text.strip()).expanduser()
    if path.is_dir():
        return f"{path} is a folder: add a file name, e.g. {path / 'byon-plan.toml'}."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    if path.suffix.lower() != ".toml":
        return "A plan file ends in .toml."
    return ""


class SaveAsScreen(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    SaveAsScreen { align: center middle; }
    SaveAsScreen > Vertical {
        width: 76; max-width: 100%; height: auto; padding: 1 2;
        border: thick $accent; background: $surface;
    }
    SaveAsScreen .title { text-style: bold; color: $accent; }
    SaveAsScreen #problem { color: $error; height: auto; }
    SaveAsScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    SaveAsScreen Button { margin-left: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: Path) -> None:
        super().__init__()
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Save the plan as", classes="title")
            yield Static("A TOML file; it never holds the auth token or a SIP password.")
            yield Input(str(self._current), id="path", placeholder="e.g. my-number.toml")
            yield Static("", id="problem")
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Save (enter)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Changed, "#path")
    def _changed(self) -> None:
        self.query_one("#problem", Static).update("")

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        text = self.query_one("#path", Input).value
        problem = path_problem(text)
        if problem:
            self.query_one("#problem", Static).update(Text(problem))
            return
        self.dismiss(Path(text.strip()).expanduser())

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
