"""Untrusted text made safe to show anywhere (a screen, a terminal line, a log)."""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def plain(value: object, limit: int = 200) -> str:
    """``value`` as one bounded line: control characters and escapes become visible
    ``\\xNN`` forms, newlines are escaped, and more than ``limit`` characters end in "…"."""
    text = "" if value is None else str(value)
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in (0x200E, 0x200F, 0x2028, 0x2029) or 0x202A <= code <= 0x202E:
            out.append(f"\\u{code:04x}")  # direction overrides and line separators
        else:
            out.append(ch)
    shown = "".join(out)
    if limit and len(shown) > limit:
        shown = shown[: max(limit - 1, 0)] + "…"
    return shown
