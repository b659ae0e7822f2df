"""Untrusted text made safe to show anywhere (minimal version; the owner's wins at merge)."""

from __future__ import annotations


def plain(value: object, limit: int = 200) -> str:
    """``value`` as one line of visible text: control characters become ``\\xNN``, newlines
    are escaped, and the length is bounded with an ellipsis."""
    out = []
    for ch in str(value):
        code = ord(ch)
        if ch == "\n":
            out.append("\\n")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    text = "".join(out)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
