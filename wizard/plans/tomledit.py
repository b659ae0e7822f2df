"""Edit a TOML text to hold new values while keeping the user's comments and layout.

Built on tomlkit, which parses a document with its comments, whitespace and key
order and writes back the same bytes for everything not touched. Only values
that differ are replaced; a replaced value keeps its trailing comment in the
same column. Knows nothing about plans: plan.py says which values to write.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, InlineTable, Item, Table


def edit_toml(text: str, data: dict[str, Any]) -> str:
    """``text`` changed so its values equal ``data`` (keys missing from ``data`` whose
    value is empty stay; other missing keys and tables are removed).

    Raises tomlkit's ParseError for text that is not TOML."""
    doc = tomlkit.parse(text)
    _sync(doc, data)
    return _same_line_endings(text, tomlkit.dumps(doc))


def set_values(text: str, values: dict[tuple[str, ...], Any]) -> str:
    """``text`` with each value at a key path (``("auth", "ip_acl", "ip_acl_uuid")``)
    set, creating the key in its table when missing; nothing else changes."""
    doc = tomlkit.parse(text)
    for path, value in values.items():
        node: Any = doc
        for part in path[:-1]:
            node = node[part]  # KeyError: the table is missing; the caller says which
        _set(node, path[-1], value)
    return _same_line_endings(text, tomlkit.dumps(doc))


def _body(node: Any) -> Container | None:
    """The container holding a table's items, for reading their comments."""
    if isinstance(node, Container):
        return node
    if isinstance(node, Table | InlineTable):
        return node.value
    return None


def _plain(node: Any) -> Any:
    return node.unwrap() if hasattr(node, "unwrap") else node


def _empty(value: Any) -> bool:
    """An empty string, or a table holding only empties: what a fresh dump leaves out."""
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value == ""


def _set(node: Any, key: str, value: Any) -> None:
    """Set one value, keeping a trailing comment in its column."""
    body = _body(node)
    old: Item | None = None
    if body is not None and key in node:
        try:
            old = body.item(key)
        except KeyError:
            old = None
    old_text = old.as_string() if old is not None else ""
    node[key] = value
    if old is None or body is None or not old.trivia.comment:
        return
    new = body.item(key)
    # the comment keeps its column while the value grows or shrinks (at least one space)
    pad = len(old.trivia.comment_ws) - (len(new.as_string()) - len(old_text))
    new.trivia.comment_ws = " " * max(1, pad)


def _sync(node: Any, data: dict[str, Any]) -> None:
    for key, value in data.items():
        current = node.get(key) if key in node else None
        if isinstance(value, dict):
            if isinstance(current, Table | InlineTable):
                _sync(current, value)
            else:
                node[key] = value
        elif current is None or _plain(current) != value:
            _set(node, key, value)
    for key in [k for k in node if k not in data]:
        if isinstance(node[key], AoT) or not _empty(_plain(node[key])):
            del node[key]


def _same_line_endings(original: str, edited: str) -> str:
    """A CRLF file stays CRLF: tomlkit writes new lines with LF."""
    if "\r\n" in original and "\n" not in original.replace("\r\n", ""):
        return edited.replace("\r\n", "\n").replace("\n", "\r\n")
    return edited
