"""The verify table's layouts and cells: every value plain text, pass/fail in words,
marks and colour, and no value cut at 80 columns.

Wide terminals get one line per call; narrower ones two lines per call (time over
result, from over to, SIPAuthType over AuthUser, SIPSourceIP over sig) so that the
source IP, the caller, the literal SIPAuthType and the signature all stay in view.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from rich.text import Text

from wizard.text import plain, shorten
from wizard.verify.rows import CallRow

# (key, label, width): one line per call from this many columns up
WIDE_FROM = 124
WIDE = (
    ("time", "time", 8),
    ("from", "from", 12),
    ("to", "to", 17),
    ("type", "SIPAuthType", 21),
    ("user", "AuthUser", 14),
    ("ip", "SIPSourceIP", 15),
    ("sig", "sig", 3),
    ("result", "result", 6),
    ("audio", "audio", 8),
)
# two lines per call: each column holds two values, (top key, bottom key)
STACKED = (
    (("time", "result"), "time\nresult", 8),
    (("from", "to"), "from\nto", 17),
    (("type", "user"), "SIPAuthType\nAuthUser", 21),
    (("ip", "sig"), "SIPSourceIP\nsig", 15),
    (("audio", ""), "audio", 8),
)


@dataclass(frozen=True)
class Layout:
    """The table's shape: one line per call (wide) or two."""

    wide: bool

    @property
    def height(self) -> int:
        """Lines per call."""
        return 1 if self.wide else 2

    def columns(self) -> list[tuple[str, str, int]]:
        """(column key, label, width) for DataTable.add_column."""
        if self.wide:
            return list(WIDE)
        return [("+".join(k for k in keys if k), label, width) for keys, label, width in STACKED]


def layout_for(width: int) -> Layout:
    """One line per call from WIDE_FROM columns, else two."""
    return Layout(wide=width >= WIDE_FROM)


def fit(value: str, width: int) -> str:
    """Cut to ``width`` with an ellipsis (the details under the table show it whole)."""
    return shorten(value, width)


def result_word(row: Any) -> str:
    """ "✓ pass", "✗ fail", "? conf" (signed, not confirmed by Plivo's record), "✗ rej" (a
    callback the listener refused), or "✗ 403" for a call refused in SIP."""
    if getattr(row, "rejected", False):
        return "✗ rej"
    if row.sip_status not in (200, 0) and row.sip_status is not None:
        return f"✗ {row.sip_status}"
    return {"pass": "✓ pass", "unconfirmed": "? conf"}.get(row.verdict, "✗ fail")


def sig_word(valid: bool | None) -> str:
    """The signature cell: ✓ valid, ✗ not, — no callback (a call refused in SIP)."""
    return "—" if valid is None else ("✓" if valid else "✗")


def cell_values(row: Any, audio: str) -> dict[str, str]:
    """Every column's text for one CallRow (outside values made plain)."""
    return {
        "time": row.time,
        "from": plain(row.from_, 60) or "—",
        "to": plain(row.to, 60) or "—",
        "type": plain(row.sip_auth_type, 40) or "—",
        "user": plain(row.sip_auth_user, 70) or "—",
        "ip": plain(row.sip_source_ip, 45) or "—",
        "sig": sig_word(row.signature_valid),
        "result": result_word(row),
        "audio": audio or "—",
    }


def merge(known: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """The listener's callback and the simulation's outcome describe one call: keep what
    either knew."""
    known.update({k: v for k, v in new.items() if v != "—"})
    return known


def merged(old: CallRow, new: CallRow) -> CallRow:
    """One call seen twice (callback and SIP outcome): the later view wins where it knows
    something, the earlier one fills the gaps (e.g. the headers of the callback)."""
    keep = {
        f.name: getattr(old, f.name)
        for f in fields(CallRow)
        if getattr(new, f.name) in ("", None, {}, [])
    }
    # the callback's own headers and parameters stay; the outcome adds what it knows
    keep["headers"] = {**old.headers, **new.headers}
    keep["params"] = {**old.params, **new.params}
    return replace(new, **keep)


def _styled(key: str, value: str, colours: dict[str, str]) -> Text:
    mark = value.removeprefix("sig ")[:1]
    if key in ("result", "sig", "audio") and mark in ("✓", "✗"):
        return Text(value, style=colours["pass" if mark == "✓" else "fail"])
    return Text(value)


def cells(layout: Layout, values: dict[str, str], colours: dict[str, str]) -> list[Text]:
    """The row's cells for ``layout``, cut to their widths, pass/fail coloured."""
    if layout.wide:
        return [_styled(k, fit(values.get(k, "—"), w), colours) for k, _l, w in WIDE]
    out: list[Text] = []
    for (top, bottom), _label, width in STACKED:
        text = _styled(top, fit(values.get(top, "—"), width), colours)
        if bottom:
            value = values.get(bottom, "—")
            if bottom == "sig":  # a lone mark under the IP needs its name
                value = f"sig {value}"
            text.append("\n")
            text.append_text(_styled(bottom, fit(value, width), colours))
        out.append(text)
    return out


def verdict_colours(theme: dict[str, str]) -> dict[str, str]:
    """Pass, fail and warn in the theme's own colours (named ones when it lacks them)."""
    return {
        "pass": theme.get("success", "green"),
        "fail": theme.get("error", "red"),
        "warn": theme.get("warning", "yellow"),
    }
