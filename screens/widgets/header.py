"""The step's header: its place in the chosen route comes from the flow, not from its title."""

from __future__ import annotations

from textual.widgets import Header


class StepHeader(Header):
    """Textual's Header, titled "Step N · heading" where N is the step's place in the route.

    The two routes order the steps differently (auth is step 2 of Direct SIP, absent
    from DID forwarding), so the number is asked of the App's flow each time the step
    is shown. Steps that are not numbered keep their heading as it is."""

    def show_step(self, step: str, heading: str, numbered: bool, screen=None) -> None:
        """Set the title of ``screen`` (default: this header's) for ``step`` in the route
        chosen now. A screen passes itself while composing, before the header is mounted."""
        number = self.app.step_number(step) if numbered else None
        (screen or self.screen).title = f"Step {number} · {heading}" if number else heading
