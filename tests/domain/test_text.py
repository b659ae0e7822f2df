"""plain(): outside text made inert and bounded before byon shows it anywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.text import plain

HOSTILE = [
    "\x1b[2J\x1b[31mPASS",  # clear screen, red
    "\x1b]0;owned title\x07",  # OSC window title
    "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "a\nb\r\nc\td",
    "\x9b31m",  # one-byte CSI (C1)
    "\u202eevil\u202c",  # bidi override
    "\u2028next line",
    "\x00\x7f",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_control_characters_are_shown_not_obeyed(text):
    out = plain(text)
    assert all(ch >= " " and not 0x7F <= ord(ch) <= 0x9F for ch in out)
    assert "\u202e" not in out and "\u2028" not in out
    assert "\n" not in out and "\r" not in out


def test_escapes_are_visible_and_readable():
    assert plain("\x1b[31mX") == "\\x1b[31mX"
    assert plain("a\nb") == "a\\nb"
    assert plain("\u202e") == "\\u202e"
    assert plain("+14155550142") == "+14155550142"
    assert plain("Zoë [bold]") == "Zoë [bold]"  # printable text is left as it is
    assert plain(None) == "" and plain(42) == "42" and plain(b"\xff\x1b") == "\ufffd\\x1b"


def test_length_is_bounded_with_an_ellipsis():
    assert plain("x" * 1000) == "x" * 199 + "…"
    assert len(plain("x" * 1000, 10)) == 10
    assert plain("x" * 10, 10) == "x" * 10
    # escapes count at their shown length
    assert len(plain("\x1b" * 100, 20)) <= 20
    assert plain("abc", 0) == "abc"  # 0: no bound


@given(st.text(max_size=400), st.integers(min_value=1, max_value=300))
def test_any_text_comes_out_one_inert_bounded_line(text, limit):
    out = plain(text, limit)
    assert len(out) <= limit
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in out)
    assert out == text or out.endswith("…") or "\\" in out
