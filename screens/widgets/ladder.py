"""The SIP ladder of one call: every SIP message between the provider and Plivo, in order.

Fed a list of ``{"ms", "dir", "line"}`` dicts (shared/contracts/sip.md: ``dir`` is "in"
for a message reaching Plivo, "out" for Plivo's answer; ``line`` is the start line).
Until the SIP edge records ladders, calls arrive without one and the view says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from rich.text import Text
from textual.widgets import Static

from wizard.text import plain

NO_LADDER = "SIP ladder: not recorded for this call."
ARROWS = {"in": "provider → Plivo", "out": "provider ← Plivo"}


def ladder_text(ladder: Iterable[Mapping[str, Any]] | None) -> Text:
    """The ladder as plain lines: "   12 ms  provider → Plivo  INVITE sip:…" (bounded)."""
    rows = list(ladder or [])[:40]
    if not rows:
        return Text(NO_LADDER, style="dim")
    text = Text("SIP ladder\n", style="bold")
    for i, row in enumerate(rows):
        try:
            ms = f"{float(row.get('ms') or 0):7.0f} ms"
        except (TypeError, ValueError):
            ms = "      ? ms"
        arrow = ARROWS.get(str(row.get("dir", "")), "provider ? Plivo")
        text.append(f"{ms}  {arrow}  ")
        text.append(plain(row.get("line", ""), 120), style="bold")
        if i < len(rows) - 1:
            text.append("\n")
    return text


class LadderView(Static):
    """Shows one call's SIP ladder; ``show(ladder)`` replaces it (None or [] = none recorded)."""

    DEFAULT_CSS = """
    LadderView { height: auto; margin-top: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(NO_LADDER, style="dim"), id=id)
        self.ladder: list[Mapping[str, Any]] = []

    def show(self, ladder: Iterable[Mapping[str, Any]] | None) -> None:
        """Draw ``ladder`` (the SIP messages of one call, oldest first)."""
        self.ladder = list(ladder or [])
        self.update(ladder_text(self.ladder))
