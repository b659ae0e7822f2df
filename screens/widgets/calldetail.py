"""The selected call, whole: what happened, the fix, its audio, the parameters and
headers it carried (plain text), and its SIP ladder."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.widgets.calls import result_word
from screens.widgets.ladder import LadderView
from wizard.text import plain
from wizard.verify.rows import audio_sentence

HIDDEN_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie")
# the connection's own plumbing: nothing about the call, and the listener's port changes
TRANSPORT_HEADERS = ("host", "content-length", "connection", "accept", "accept-encoding")
SHOWN_PAIRS = 40  # parameters or headers listed per call


NO_REQUEST = "none: Plivo refused the call in SIP, before any answer_url request"


def pairs_table(title: str, pairs: dict[str, Any], empty: str = "none") -> Group | Text:
    """ "name  value" lines, every value plain and bounded; credentials' headers hidden."""
    if not pairs:
        return Text(f"{title}: {empty}", style="dim")
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(overflow="fold")
    for name, value in list(pairs.items())[:SHOWN_PAIRS]:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        low = str(name).lower()
        if low in TRANSPORT_HEADERS:
            continue
        if low in HIDDEN_HEADERS:
            shown = "(hidden)"
        elif low.startswith("x-plivo-signature"):  # checked above (sig); noise to a person
            shown = f"(present, {len(str(value))} characters)"
        else:
            shown = plain(value, 200)
        table.add_row(Text(plain(name, 40)), Text(shown))
    if len(pairs) > SHOWN_PAIRS:
        table.add_row(Text(f"… {len(pairs) - SHOWN_PAIRS} more", style="dim"), "")
    return Group(Text(title, style="bold"), table)


def heading(row: Any, index: int, total: int) -> Text:
    """ "▶ Call 2 of 5 · 10:42:07 · ✗ 403": which row the details are for, without colour."""
    text = Text(f"▶ Call {index} of {total} · {row.time} · ", style="bold")
    word = result_word(row)
    text.append(word, style="bold")
    return text  # Plivo's reason phrase is in the diagnosis, not repeated here


def diagnosis_text(row: Any, colours: dict[str, str], did: bool, ms: str | None = None) -> Text:
    """What happened (✓/✗ in words, coloured), the fix, and the audio hop. ``did``: the
    route is DID forwarding, where no SIP authentication runs (none is expected)."""
    text = Text(f"Diagnosis ({row.time}): ")
    if row.verdict == "pass":
        text.append("✓ verified", style=f"bold {colours['pass']}")
        if did:
            text.append(": the forwarded call arrived on your Plivo number and reached your "
                        "application (DID forwarding runs no SIP authentication).")  # fmt: skip
        else:
            auth = plain(row.sip_auth_type, 40) or "none expected"
            text.append(f": SIP authentication ran ({auth}) and the call reached your application.")
    else:
        mark, colour = ("? ", colours["warn"]) if row.verdict == "unconfirmed" else ("✗ ", "")
        colour = colour or colours["fail"]
        text.append(mark, style=f"bold {colour}")
        text.append(plain(row.diagnosis, 800), style=colour)
        if row.fix:
            text.append("\nFix: ", style="bold")
            text.append(plain(row.fix, 600))
    audio = audio_sentence(row.stream, ms)
    if audio:
        ok = bool(row.stream and row.stream.get("ok"))
        text.append(f"\n{'✓' if ok else '✗'} ", style=colours["pass" if ok else "fail"])
        text.append(plain(audio, 400))
    return text


class CallDetail(VerticalScroll):
    """Below the calls table; ``show(row, ...)`` fills it for the selected call, and
    ``show_probe`` puts the SIP probe's diagnosis and rows in its place (same room, so
    the call buttons under it stay in view)."""

    DEFAULT_CSS = """
    CallDetail { height: 1fr; min-height: 5; padding: 0 1; border-left: thick $accent; }
    CallDetail #detail-head { height: auto; }
    CallDetail #diagnosis { height: auto; }
    CallDetail .raw { height: auto; margin-top: 1; }
    CallDetail #probe { height: auto; margin-top: 1; }
    """

    @property
    def probe_open(self) -> bool:
        """The probe's view is in place of the call."""
        return self.probe.display

    def compose(self) -> ComposeResult:
        """The heading, diagnosis, probe view, parameters, headers and SIP ladder (kept:
        every change below goes to one of them)."""
        self.head = Static("", id="detail-head")
        self.diagnosis = Static("Diagnosis: no call yet.", id="diagnosis")
        self.probe = Static("", id="probe")
        self.params = Static("", id="params", classes="raw")
        self.headers = Static("", id="headers", classes="raw")
        self.ladder = LadderView(id="ladder")
        yield from (self.head, self.diagnosis, self.probe, self.params, self.headers, self.ladder)

    def _call_parts(self, shown: bool) -> None:
        """Show or hide the parts that belong to a call (all but the diagnosis line)."""
        for part in (self.head, self.params, self.headers, self.ladder):
            part.display = shown

    def on_mount(self) -> None:
        """Until a call is shown, only the diagnosis line ("no call yet") is visible."""
        self._call_parts(False)
        self.probe.display = False

    def show_probe(self, panel: Any, diagnosis: Any) -> None:
        """The SIP probe in place of the call: its diagnosis first, then its rows."""
        self.diagnosis.update(diagnosis)
        self.probe.update(panel)
        self.probe.display = True
        self._call_parts(False)
        self.scroll_home(animate=False)

    def show_probe_rows(self, panel: Any) -> None:
        """Only the probe's rows change (a check finished, or the run failed)."""
        self.probe.update(panel)

    def close_probe(self) -> None:
        """The probe's view goes; the caller shows the selected call (or the empty text)."""
        self.probe.display = False

    def show_text(self, text: Any) -> None:
        """A message in place of a call (no call yet, or why none arrived)."""
        self.close_probe()
        self.diagnosis.update(text)

    def show(self, row: Any, index: int, total: int, diagnosis: Any) -> None:
        """Fill in ``row`` (a CallRow); ``diagnosis`` is the screen's coloured sentence."""
        self.close_probe()
        self.head.update(heading(row, index, total))
        self.diagnosis.update(diagnosis)
        refused = row.sip_status not in (200, 0, None)
        empty = NO_REQUEST if refused else "none"
        self.params.update(pairs_table("Parameters (as sent to the answer_url)", row.params, empty))
        self.headers.update(pairs_table("Headers", row.headers, empty))
        self.ladder.show(row.ladder)
        self._call_parts(True)
        self.scroll_home(animate=False)

    def show_ladder(self, ladder: Any) -> None:
        """Only the ladder changes (it arrived later); hidden while the probe's view is on."""
        self.ladder.show(ladder)
        self.ladder.display = not self.probe_open
