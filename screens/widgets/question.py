"""A yes/no question for the first step: "[X] text" when yes, "[ ] text" when no.

It reads and behaves as the step's check boxes did (space or a click toggles it, enter is
left to the screen, the mark tells yes from no without colour), but it is one small
widget rather than a Checkbox: the first screen of `byon demo` asks three of these, and
Textual's toggle buttons (their styles parsed, three widgets set up) cost that screen's
first paint about a twentieth of its time.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget


class Question(Widget, can_focus=True):
    """One yes/no question; ``value`` is the answer, and each change posts ``Changed``."""

    COMPONENT_CLASSES = {"question--mark", "question--text"}
    DEFAULT_CSS = """
    Question {
        width: 100%;
        height: 1;
        pointer: pointer;
        & > .question--mark { color: $panel-darken-2; background: $panel; }
        &.-on > .question--mark { color: $text-success; background: $panel; }
        &:focus > .question--text {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        &:blur:hover > .question--text { background: $block-hover-background; }
    }
    """
    BINDINGS = [Binding("space", "toggle", "Toggle", show=False)]

    value: reactive[bool] = reactive(False, init=False)

    class Changed(Message):
        """The answer changed (``value``); ``control`` is the question."""

        def __init__(self, question: Question, value: bool) -> None:
            super().__init__()
            self.question = question
            self.value = value

        @property
        def control(self) -> Question:
            """The question that changed (what ``@on(..., selector)`` matches)."""
            return self.question

    def __init__(
        self, text: str, value: bool = False, *, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.text = text
        self.set_reactive(Question.value, value)
        self.set_class(value, "-on")

    def render(self) -> Content:
        """The mark in brackets, then the question (plain text, never markup)."""
        mark = self.get_visual_style("question--mark")
        # the brackets as a toggle button draws its sides: the mark's background, on ours
        side = Style(foreground=mark.background, background=self.background_colors[1])
        text = self.get_visual_style("question--text")
        return Content.assemble(
            ("[", side), ("X" if self.value else " ", mark), ("]", side), (f" {self.text} ", text)
        )

    def watch_value(self, value: bool) -> None:
        """Mark it, and tell the screen."""
        self.set_class(value, "-on")
        self.post_message(self.Changed(self, value))

    def action_toggle(self) -> None:
        """Yes becomes no, and no yes."""
        self.value = not self.value

    def _on_click(self, event: Click) -> None:
        event.stop()
        self.action_toggle()
