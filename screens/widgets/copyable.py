"""Copying values to the clipboard: one place that copies, confirms, and refuses placeholders.

Every copy in the wizard (SIP URI, number, password, XML, provider fields) goes through
`copy_value`, so each one confirms the same way and none copies a value that is not
real yet (offline, or before apply the app id is only a placeholder).
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widget import Widget

# the provider templates' stand-ins for what apply learns or the plan does not say yet
PLACEHOLDER = re.compile(r"(?<!\$)\{(app_id|plivo_number|external_number)\}")
NOT_YET = "known once the plan is applied"


def is_placeholder(value: str) -> bool:
    """True for a value that still holds a stand-in such as ``{app_id}``."""
    return bool(PLACEHOLDER.search(value))


def copy_value(app: Any, value: str, what: str, *, secret: bool = False, missing: str = "") -> bool:
    """Copy ``value`` (OSC 52) and confirm it; refuse an empty or placeholder value.

    ``what`` names it in the confirmation ("the SIP URI"); a ``secret`` is never shown, nor
    a block of lines (it is counted); ``missing`` is the sentence for when there is nothing
    real to copy yet."""
    if not value or is_placeholder(value):
        app.notify(f"Nothing to copy: {missing or f'{what} is {NOT_YET}.'}")
        return False
    app.copy_to_clipboard(value)
    lines = len(value.strip().splitlines())
    shown = f"whole ({lines} lines)" if lines > 1 else "(not shown)" if secret else value
    app.notify(f"Copied {what} {shown}", title="Copied")
    return True


class CopyableValue(Widget, can_focus=True):
    """A labelled value the user types elsewhere (the SIP URI, a number), with its copy key.

    ``c`` or a click copies it. A value not known yet is drawn as such, never as
    something that looks real, and cannot be copied."""

    DEFAULT_CSS = """
    CopyableValue { height: 1; width: auto; padding: 0 1 0 0; }
    CopyableValue:focus { background: $boost; }
    """
    BINDINGS = [Binding("c", "copy", "Copy")]

    def __init__(
        self, label: str, value: str = "", *, what: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.label, self.value = label, value
        self.what = what or f"the {label}"

    def set_value(self, value: str) -> None:
        """Show another value (e.g. once apply has learned the app id)."""
        self.value = value
        self.refresh()

    def render(self) -> Text:
        """``Label  value  c copy``, or the label and what the value waits for."""
        line = Text(f"{self.label:<13}", style="bold")
        if not self.value or is_placeholder(self.value):
            line.append(f"‹{NOT_YET}›", style="dim italic")
            return line
        line.append(self.value)
        line.append("  ⧉ c copy", style="dim")
        return line

    def action_copy(self) -> None:
        """Copy the value (refused while it is not known)."""
        copy_value(self.app, self.value, self.what)

    def on_click(self) -> None:
        """A click copies too."""
        self.action_copy()
