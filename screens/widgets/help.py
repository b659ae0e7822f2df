"""The `?` overlay: every key of the current screen, grouped, including the ones the
footer has no room for (lazygit's and k9s's `?`)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# keys every screen has that no binding lists (Textual handles them in widgets)
MOVING = (
    ("tab / shift+tab", "next / previous field"),
    ("enter", "press the focused button, or submit the field"),
    ("space", "tick a box or choose an option"),
    ("↑ ↓ / page up, down", "move in a table or list"),
    ("mouse", "click anything; nothing needs it"),
)


# Textual's own plumbing, covered by MOVING or not worth a line
SKIP = ("focus_next", "focus_previous", "copy_text", "help_quit")
SKIP_PREFIX = ("scroll_", "page_")


def key_groups(screen: Screen) -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """(group title, [(key, what it does, usable now)]) for ``screen``: its own keys, the
    focused field's, and the app's; a key a step hides (check_action False) is left out."""
    app = screen.app
    focused = screen.focused
    # the step's own keys first, the focused field's (many, all alike) last
    titles = {"step": "This step", "app": "Everywhere", "field": "In the focused field"}
    groups: dict[str, dict[str, tuple[list[str], bool]]] = {k: {} for k in titles}
    taken: set[tuple[str, str]] = set()
    for node, bindings in screen._modal_binding_chain:
        group = "app" if node is app else "step" if node is screen else "field"
        if group == "field" and node is not focused:
            continue  # the scroll containers around the field
        for key, binding in bindings:
            action = binding.action.removeprefix("app.").removeprefix("screen.")
            if binding.system or action in SKIP or action.startswith(SKIP_PREFIX):
                continue
            name = action.split("(", 1)[0]
            state = node.check_action(name, ()) if hasattr(node, "check_action") else True
            if state is False or (group, key) in taken:
                continue
            taken.add((group, key))
            what = binding.description or binding.tooltip or name.replace("_", " ")
            if binding.tooltip and binding.tooltip != what:
                what = f"{what}: {binding.tooltip}"
            # one line per command: "^q, q  Quit"
            keys, usable = groups[group].get(what, ([], True))
            keys.append(app.get_key_display(binding))
            groups[group][what] = (keys, usable and state is not None)
    out = [
        (titles[k], [(", ".join(keys), what, ok) for what, (keys, ok) in rows.items()])
        for k, rows in groups.items()
        if rows
    ]
    out.append(("Moving around", [(k, w, True) for k, w in MOVING]))
    return out


def keys_table(groups: list[tuple[str, list[tuple[str, str, bool]]]]) -> Table:
    """key_groups laid out: bold titles, then key and action; keys unusable now dimmed."""
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column()
    for i, (title, rows) in enumerate(groups):
        if i:
            table.add_row("", "")
        table.add_row(Text(title, style="bold"), "")
        for key, what, usable in rows:
            note = "" if usable else "  (not now)"
            table.add_row(Text(key, style="bold" if usable else "dim"), Text(what + note))
    return table


class HelpOverlay(ModalScreen[None]):
    """Every key of the screen underneath, grouped; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpOverlay { align: center middle; }
    HelpOverlay > VerticalScroll {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $accent; background: $surface;
    }
    HelpOverlay .title { text-style: bold; color: $accent; }
    HelpOverlay .hint { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", show=False),
    ]

    def __init__(self, screen: Screen, step_title: str = "") -> None:
        super().__init__()
        self._groups = key_groups(screen)
        self._title = step_title

    def compose(self) -> ComposeResult:
        """A title naming the step, the keys table, and how to close or find a command."""
        with VerticalScroll():
            yield Static(f"Keys · {self._title}" if self._title else "Keys", classes="title")
            yield Static(keys_table(self._groups), id="keys")
            yield Static("escape closes this · ctrl+p finds any command by name", classes="hint")

    def key_text(self) -> str:
        """The overlay's content as plain lines (what a screen reader or a test reads)."""
        lines: list[str] = []
        for title, rows in self._groups:
            lines.append(title)
            lines += [f"  {key}  {what}{'' if ok else ' (not now)'}" for key, what, ok in rows]
        return "\n".join(lines)

    def action_close(self) -> None:
        """The user pressed escape, q, ? or f1: the overlay closes."""
        self.dismiss(None)


def open_help(app: Any) -> None:
    """Push the overlay for the current screen (ignored when it is already open)."""
    if isinstance(app.screen, HelpOverlay):
        app.screen.dismiss(None)
        return
    app.push_screen(HelpOverlay(app.screen, str(getattr(app.screen, "title", "") or "")))
