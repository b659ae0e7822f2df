"""Radio buttons and switches whose state reads without colour: (●)/( ) and on/off.

Textual draws every toggle with the same glyph and tells on from off by colour alone,
so a plain capture, a monochrome terminal or NO_COLOR shows no state at all. (The first
step's yes/no questions are their own small widget, question.py, drawn "[X]"/"[ ]".)
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RadioButton, Switch


class Marked:
    """For a toggle button: its MARK between the brackets when on, a space when off."""

    MARK = "X"

    @property
    def BUTTON_INNER(self) -> str:
        """What Textual draws between the brackets: MARK when on, a space when off."""
        return self.MARK if self.value else " "


class Choice(Marked, RadioButton):
    """A radio button drawn "(●) label" when chosen and "( ) label" when not."""

    BUTTON_LEFT = "("
    BUTTON_RIGHT = ")"
    MARK = "●"


class OnOff(Switch):
    """A switch that says "on" or "off" (the slider alone tells them apart by colour)."""

    def render(self) -> Text:
        """The word on or off in the slider's style, so the state reads without colour."""
        style = self.get_component_rich_style("switch--slider")
        return Text(" on " if self.value else "off ", style=style)
