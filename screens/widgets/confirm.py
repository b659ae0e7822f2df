"""A yes/no modal: dismisses True (yes) or False (no, escape)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from screens.widgets.dialog import Dialog


class ConfirmScreen(Dialog[bool]):
    """Asks one risky question; the safe answer has the focus."""

    DEFAULT_CSS = "ConfirmScreen Button { margin-left: 2; }"
    BINDINGS = [
        Binding("escape", "no", "Cancel"),
        Binding("y", "yes", "Yes"),
        Binding("n", "no", "No"),
    ]

    def __init__(self, title: str, body: str, *, yes: str = "Yes", no: str = "Cancel") -> None:
        """``title`` is plain text; ``body`` is markup, with outside values escaped."""
        super().__init__(classes="-warning")
        self._title, self._body, self._yes, self._no = title, body, yes, no

    def compose(self) -> ComposeResult:
        """The title, the sentence, No and Yes."""
        with Vertical():
            yield Static(self._title, classes="title", markup=False)  # may name outside things
            yield Static(self._body, classes="body")
            with Horizontal():
                yield Button(f"{self._no} (n)", id="no")
                yield Button(f"{self._yes} (y)", id="yes", variant="warning")

    def on_mount(self) -> None:
        """Focus the safe choice."""
        self.query_one("#no", Button).focus()  # the safe choice is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Yes or No, by button."""
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        """Yes (y)."""
        self.dismiss(True)

    def action_no(self) -> None:
        """No (n, escape)."""
        self.dismiss(False)
