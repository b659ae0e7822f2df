"""The demo fills the fields with its own values, so a presenter only presses Next.

Only empty fields are filled, and only in `byon demo`: a real account never gets
a made-up value. The values match the demo account's fictional provider.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

# selector -> value; the first empty match of each selector is filled
DEMO_VALUES = (
    ("#username", "carrier_trunk"),
    ("#acl-name", "carrier-edge"),
    (".entry", "203.0.113.10"),  # the address the demo's provider calls from
    ("#name", "ai-agent-inbound"),
    ("#answer-url", "https://agent.example.com/answer"),
)


def fill_demo(screen: Any) -> None:
    """Fill ``screen``'s empty demo fields (no-op outside the demo)."""
    if not getattr(screen.app.session, "is_demo", False):
        return
    for selector, value in DEMO_VALUES:
        found = list(screen.query(selector).results(Input))
        if found and not found[0].value:
            found[0].value = value
