"""Check boxes whose state reads without colour: [X]/[ ] (radio buttons and switches: choices.py).

Textual draws every toggle with the same glyph and tells on from off by colour alone,
so a plain capture, a monochrome terminal or NO_COLOR shows no state at all.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Checkbox


class Marked:
    """For a toggle button: its MARK between the brackets when on, a space when off."""

    MARK = "X"

    @property
    def BUTTON_INNER(self) -> str:
        """What Textual draws between the brackets: MARK when on, a space when off."""
        return self.MARK if self.value else " "


class Tick(Marked, Checkbox):
    """A check box drawn "[X] label" when ticked and "[ ] label" when not."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"


class Question(Tick, inherit_bindings=False):
    """A yes/no question: space toggles it, and enter is left to the screen (its Next)."""

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]
