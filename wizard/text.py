"""Untrusted text made safe to show: in a terminal, a log line or a wizard screen.

Everything from outside (callback parameters, API fields, agent messages) goes
through ``plain`` before it is shown, so it can neither move the cursor, set a
window title, plant a link, start a new line that looks like byon's own, nor
grow without bound. Screens wrap the result in ``rich.text.Text`` (never markup).
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Unicode categories that change how text around them looks: format (bidi overrides,
# zero-width), line/paragraph separators, surrogates, private use
_HIDDEN_CATEGORIES = ("Cf", "Zl", "Zp", "Cs", "Co")


def _visible(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code < 0x20 or 0x7F <= code <= 0x9F:  # C0, DEL and C1 (0x9b is a one-byte CSI)
        return f"\\x{code:02x}"
    if code > 0x7F and unicodedata.category(ch) in _HIDDEN_CATEGORIES:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return ch


def plain(value: object, limit: int = 200) -> str:
    """``value`` as one line of inert text: control characters and escapes shown as
    visible ``\\xNN`` forms, newlines as ``\\n``, at most ``limit`` characters (then "…")."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="replace")
    else:
        text = value if isinstance(value, str) else str(value)
    # only look at what can be shown: a 64 KiB value costs no more than ``limit`` characters
    head = text[: limit + 1] if limit > 0 else text
    out: list[str] = []
    size = 0
    for ch in head:
        piece = ch if " " <= ch < "\x7f" else _visible(ch)
        size += len(piece)
        if limit > 0 and size > limit:
            break
        out.append(piece)
    else:
        if limit <= 0 or len(text) <= limit:
            return "".join(out)
    # cut: keep room for the ellipsis
    result = "".join(out)
    return result[: max(0, limit - 1)] + ELLIPSIS


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last of them an ellipsis when it was cut
    (for text already made plain)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + ELLIPSIS
