"""Check boxes and radio buttons whose state reads without colour: [X]/[ ] and (●)/( ).

Textual draws every toggle with the same glyph and tells on from off by colour alone,
so a plain capture, a monochrome terminal or NO_COLOR shows no state at all.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Checkbox, RadioButton, Switch


class Tick(Checkbox):
    """A check box drawn "[X] label" when ticked and "[ ] label" when not."""

    BUTTON_LEFT = "["
    BUTTON_RIGHT = "]"

    @property
    def BUTTON_INNER(self) -> str:
        return "X" if self.value else " "


class Question(Tick, inherit_bindings=False):
    """A yes/no question: space toggles it, and enter is left to the screen (its Next)."""

    BINDINGS = [Binding("space", "toggle_button", "Toggle", show=False)]


class Choice(RadioButton):
    """A radio button drawn "(●) label" when chosen and "( ) label" when not."""

    BUTTON_LEFT = "("
    BUTTON_RIGHT = ")"

    @property
    def BUTTON_INNER(self) -> str:
        return "●" if self.value else " "


class OnOff(Switch):
    """A switch that says "on" or "off" (the slider alone tells them apart by colour)."""

    def render(self) -> Text:
        style = self.get_component_rich_style("switch--slider")
        return Text(" on " if self.value else "off ", style=style)
