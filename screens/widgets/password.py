"""The SIP password shown once: masked until revealed, copied whole, never saved."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from screens.widgets.copyable import copy_value


class PasswordField(Static):
    """Draws a password the session holds: bullets until ``toggle()``, ``copy()`` copies it.

    Used by the auth step (a generated password) and review (the one apply set). The
    value stays in the session; this widget only draws it, so it never reaches a file."""

    DEFAULT_CSS = "PasswordField { height: auto; }"

    def __init__(self, note: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.note = note
        self.heading = "Password"
        self.password = ""
        self.revealed = False

    def show(self, password: str, heading: str = "Password", note: str | None = None) -> None:
        """Draw ``password`` under ``heading`` (masked unless revealed); "" draws a note only."""
        self.password, self.heading = password, heading
        self.note = self.note if note is None else note
        self._draw()

    def _draw(self) -> None:
        if not self.password:
            self.update(Text(self.note))
            return
        shown = self.password if self.revealed else "•" * len(self.password)
        self.update(Text.assemble(f"{self.heading}: ", shown, "\n", (self.note, "dim")))

    def toggle(self) -> None:
        """Show or hide the password."""
        self.revealed = not self.revealed
        self._draw()

    def copy(self) -> None:
        """Copy the password (never shown in the confirmation)."""
        missing = "no SIP password is set."
        copy_value(self.app, self.password, "the SIP password", secret=True, missing=missing)
