"""Check boxes whose state reads without colour: [X]/[ ] (radio buttons and switches: choices.py).

Textual draws every toggle with the same glyph and tells on from off by colour alone,
so a plain capture, a monochrome terminal or NO_COLOR shows no state at all.
"""

from __future__ import annotations

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
