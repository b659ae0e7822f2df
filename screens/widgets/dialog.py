"""The wizard's dialogs share one look: a box in the middle of the step, a bold title,
the body, the buttons on the right. A risky question has the warning colour (``-warning``)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """The box, the title and the button row of every wizard dialog."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical {
        width: 72; max-width: 100%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    Dialog.-warning > Vertical { border: thick $warning; }
    Dialog .title { text-style: bold; margin-bottom: 1; }
    Dialog.-warning .title { color: $warning; }
    Dialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    Dialog Button { margin-left: 1; }
    """
