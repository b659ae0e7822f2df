"""The one home for putting outside text into our own markup.

Screens build some lines as Textual markup (bold labels, colours). A value that came from
outside (an account's names, a plan file, an error message, a typed path) goes into such a
line only through ``escape`` or ``outside``, so a ``[/]`` in it can neither crash the
screen nor plant a tag or a click action. Values shown on their own go in as ``Text``.
"""

from __future__ import annotations

from wizard.text import plain


def escape(text: str) -> str:
    """``text`` inside our markup, shown exactly as written: its brackets open no tag.

    A backslash before each ``[`` is all Textual's markup needs (Rich's escape misses
    ``[$var]`` and doubles backslashes that Textual then shows)."""
    return text.replace("[", "\\[")


def outside(value: object, limit: int = 300) -> str:
    """An untrusted value inside our markup: one line of plain text, bounded, no tags."""
    return escape(plain(value, limit))
