"""The step indicator under the title: "Step 2 of 6 · Auth │ ✓ Route ● Auth ○ App …".

Done steps carry ✓ and are links back to that step, the current one ●, the rest ○:
the state reads without colour, and a click on a done step goes there (what was
typed is kept).
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

LABELS = {
    "option": "Route",
    "auth": "Auth",
    "application": "App",
    "number": "Number",
    "review": "Review",
    "provider": "Provider",
    "verify": "Verify",
}


def indicator_markup(steps: list[str], current: str, visited: list[str]) -> Content:
    """The indicator's line for ``current`` among ``steps`` (the route, "done" excluded)."""
    if current not in steps:  # the Done step: every step behind
        head = f"Done · all {len(steps)} steps"
        index = len(steps)
    else:
        index = steps.index(current)
        head = f"Step {index + 1} of {len(steps)} · {LABELS.get(current, current)}"
    parts: list[Content | str] = [Content.from_markup("[b]$head[/b] │ ", head=head)]
    for i, step in enumerate(steps):
        label = LABELS.get(step, step)
        if i < index:
            if step in visited:
                link = f"[@click=app.go_step('{step}')]✓ {label}[/]"
                parts.append(Content.from_markup(f"[$success]{link}[/]"))
            else:
                parts.append(Content.from_markup("[$success]✓ $label[/]", label=label))
        elif i == index:
            parts.append(Content.from_markup("[b $accent]● $label[/]", label=label))
        else:
            parts.append(Content.from_markup("[dim]○ $label[/]", label=label))
        if i < len(steps) - 1:
            parts.append(" ")  # single spaces: the DID route's line fits 80 columns
    return Content.assemble(*parts)


class StepIndicator(Static):
    """Where the user is in the route; done steps are clickable (see ``indicator_markup``)."""

    DEFAULT_CSS = """
    StepIndicator {
        height: 1;
        padding: 0 1;
        background: $boost;
        color: $text-muted;
    }
    """

    def __init__(self, step: str) -> None:
        super().__init__("", id="step-indicator")
        self.step = step

    def show_route(self, app: Any) -> None:
        """Redraw for the app's current route (the option step may have changed it)."""
        steps = app.route_steps()
        self.display = self.step in steps or self.step == "done"
        if self.display:
            self.update(indicator_markup(steps, self.step, app.visited_steps()))
