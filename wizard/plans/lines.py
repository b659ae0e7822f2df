"""Which line of a TOML text holds a key: a light scan for error messages.

tomllib and tomlkit give the line of a syntax error but not of a key, and a
message must name the line of the key that is wrong. So this stays a small
line scan, used only to point at lines, never to edit (tomledit.py edits).
"""

from __future__ import annotations

import re
from typing import Any

_KEYPART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_HEADER = re.compile(rf"^\s*\[(?!\[)\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*\]")
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*\]\]")
_KEYLINE = re.compile(rf"^\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*=")
_INDEXED = re.compile(r"(.*)\[(\d+)\]")


def _split_key(dotted: str) -> list[str]:
    out = []
    for p in re.findall(_KEYPART, dotted):
        out.append(p[1:-1] if p[:1] in "\"'" else p)
    return out


class LineIndex:
    """Where each dotted key (and table header) sits in a TOML text.

    Table headers, ``key =`` lines, and multi-line strings skipped. Good enough to
    point a user at the right line; keys inside inline tables map to the line of
    their table's key.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.keys: dict[str, int] = {}
        self.headers: dict[str, int] = {}
        table = ""
        in_ml: str | None = None
        for n, raw in enumerate(self.lines, start=1):
            if in_ml:
                if raw.count(in_ml) % 2 == 1:
                    in_ml = None
                continue
            m = _ARRAY_HEADER.match(raw) or _HEADER.match(raw)
            if m:
                table = ".".join(_split_key(m.group(1)))
                self.headers.setdefault(table, n)
                self.keys.setdefault(table, n)
                continue
            m = _KEYLINE.match(raw)
            if m:
                parts = _split_key(m.group(1))
                self.keys.setdefault(".".join([table, *parts] if table else parts), n)
                rest = raw[m.end() :]
                for q in ('"""', "'''"):
                    if rest.count(q) % 2 == 1:
                        in_ml = q
                        break

    def line_of(self, key: str, value: object = None) -> int:
        """The line of ``key`` (``a.b.c`` or ``a.b.c[2]``), else of its nearest table, else 1."""
        m = _INDEXED.fullmatch(key)
        if m:
            base = self.line_of(m.group(1))
            if isinstance(value, str) and value:
                for q in (f'"{value}"', f"'{value}'"):
                    for n in range(base, len(self.lines) + 1):
                        if q in self.lines[n - 1]:
                            return n
            return base
        probe = key
        while probe:
            if probe in self.keys:
                return self.keys[probe]
            probe = probe.rpartition(".")[0]
        return 1


def lookup(data: dict[str, Any], key: str) -> object:
    """The value at a dotted key (``a.b`` or ``a.b[2]``) of parsed TOML, or None."""
    m = _INDEXED.fullmatch(key)
    idx = int(m.group(2)) if m else None
    node: object = data
    for part in (m.group(1) if m else key).split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if idx is not None:
        return node[idx] if isinstance(node, list) and idx < len(node) else None
    return node
