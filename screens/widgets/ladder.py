"""The SIP ladder of one call: every message between the provider and Plivo, with time.

Fed the ``ladder`` of ``GET /__emulator__/calls`` (shared/contracts/sip.md: ``dir`` "in"
is a message reaching Plivo, "out" Plivo's answer; ``line`` the start line; ``headers``
the ones that matter, digest responses already redacted). The 407 challenge and the
INVITE that answers it are marked, so "the provider isn't answering the digest
challenge" can be seen. Every value is shown as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rich.text import Text
from textual.widgets import Static

from wizard.text import plain

NO_LADDER = "SIP ladder: none recorded for this call (select a simulated call)."
SPAN = 46  # width of an arrow between the two lanes
MAX_STEPS = 60
_USERNAME = re.compile(r'username="([^"]*)"')


def _label(step: Mapping[str, Any]) -> str:
    line = plain(step.get("line", ""), 200)
    headers = step.get("headers") if isinstance(step.get("headers"), Mapping) else {}
    if line.startswith("SIP/2.0 "):
        text = line.removeprefix("SIP/2.0 ")
        if "Proxy-Authenticate" in headers or text.startswith("407"):
            text = f"{text[:34]} (digest challenge)"
        return text
    method, _, rest = line.partition(" ")
    uri = rest.rsplit(" ", 1)[0]
    text = f"{method} {uri}" if method == "INVITE" else method
    auth = str(headers.get("Proxy-Authorization") or headers.get("Authorization") or "")
    if auth:
        user = _USERNAME.search(auth)
        text = f"{method} + credentials ({plain(user.group(1), 24) if user else '?'})"
    return text


def _arrow(direction: str, label: str) -> str:
    label = label if len(label) <= SPAN - 6 else label[: SPAN - 7] + "…"
    if direction == "in":
        return f"── {label} ".ljust(SPAN - 1, "─") + "▶"
    return "◀" + f" {label} ──".rjust(SPAN - 1, "─")


def ladder_text(ladder: Iterable[Mapping[str, Any]] | None, ms_text: str | None = None) -> Text:
    """The ladder drawn as arrows between a Provider and a Plivo lane, one line each;
    ``ms_text`` replaces every time (tests freeze it for stable snapshots)."""
    steps = [s for s in list(ladder or [])[:MAX_STEPS] if isinstance(s, Mapping)]
    if not steps:
        return Text(NO_LADDER, style="dim")
    text = Text("SIP ladder\n", style="bold")
    text.append(f"{'':>9}  Provider{'Plivo':>{SPAN - 8}}\n", style="bold")
    for i, step in enumerate(steps):
        try:
            ms = f"{ms_text:>6} ms" if ms_text else f"{float(step.get('ms') or 0):6.0f} ms"
        except (TypeError, ValueError):
            ms = "     ? ms"
        label = _label(step)
        style = ""
        if label.startswith("407"):
            style = "bold yellow"
        elif "+ credentials" in label:
            style = "bold cyan"
        elif label[:1] in "2" and label[:3].isdigit():
            style = "bold green"
        elif label[:1] in "3456" and label[:3].isdigit():
            style = "bold red"
        text.append(f"{ms}  ")
        text.append(_arrow(str(step.get("dir", "")), label), style=style)
        if i < len(steps) - 1:
            text.append("\n")
    return text


class LadderView(Static):
    """Shows one call's SIP ladder; ``show(ladder)`` replaces it (None or [] = none)."""

    DEFAULT_CSS = """
    LadderView { height: auto; margin-top: 1; padding: 0 1; border-left: thick $secondary; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text(NO_LADDER, style="dim"), id=id)
        self.ladder: list[Mapping[str, Any]] = []

    def show(self, ladder: Iterable[Mapping[str, Any]] | None) -> None:
        """Draw ``ladder`` (the SIP messages of one call, oldest first)."""
        self.ladder = list(ladder or [])
        self.update(ladder_text(self.ladder, getattr(self.app, "frozen_ms", None)))
