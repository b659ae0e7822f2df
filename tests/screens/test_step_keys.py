"""No step binds a key that a focused Input or DataTable takes first: such a key would do
the field's thing (e.g. ctrl+k deletes to the end of the line) instead of the step's."""

from __future__ import annotations

import importlib
import pkgutil

from textual.binding import Binding
from textual.widgets import DataTable, Input

import screens
from screens.widgets.base import StepScreen

# Known, owned by their steps: enter submits the focused field there on purpose (the
# option step's number field; the done step has no field to submit).
ALLOWED = {("OptionScreen", "enter"), ("DoneScreen", "enter")}


def _keys(bindings) -> set[str]:
    return {k.strip() for b in Binding.make_bindings(bindings) for k in b.key.split(",")}


def _steps() -> list[type]:
    for module in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"screens.{module.name}")
    found, todo = [], [StepScreen]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_no_step_key_is_taken_by_an_input_or_a_table():
    taken = _keys(Input.BINDINGS) | _keys(DataTable.BINDINGS)
    steps = _steps()
    assert {"VerifyScreen", "AuthScreen", "ReviewScreen"} <= {c.__name__ for c in steps}
    clashes = [
        (cls.__name__, key)
        for cls in steps
        for key in sorted(_keys(cls.BINDINGS) & taken)
        if (cls.__name__, key) not in ALLOWED
    ]
    assert clashes == []


def test_the_check_finds_a_clash():
    """The check itself: ctrl+k (Input's delete to end of line) is a clash."""
    taken = _keys(Input.BINDINGS) | _keys(DataTable.BINDINGS)
    assert "ctrl+k" in _keys([Binding("ctrl+k", "x", "X")]) & taken
