"""The private parts of Textual the screens lean on, in one list.

Each works around something Textual does not offer publicly (see the comment where it is
used). Textual is pinned exactly in pyproject.toml; when it is upgraded, this test says
at once which of them moved, instead of a screen that silently draws wrong."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from tests.screens.conftest import TEXTUAL

# (where it is used, the object, the private name it needs)
USED = [
    ("screens/widgets/table.py: Table", DataTable, "_update_dimensions"),
    ("screens/widgets/table.py: Table", DataTable, "_update_count"),
    ("screens/widgets/base.py: StepFooter", Footer, "_bindings_ready"),
    ("screens/widgets/help.py: keys_table", Screen, "_modal_binding_chain"),
    ("screens/verify.py: VerifyScreen._bind_keys", DOMNode, "_bindings"),
]


@pytest.mark.parametrize(("where", "owner", "name"), USED, ids=[u[2] for u in USED])
def test_the_private_textual_names_the_screens_use_still_exist(where, owner, name):
    found = hasattr(owner, name) or name in inspect.getsource(owner)
    assert found, f"Textual's {owner.__name__}.{name} is gone: {where} needs another way"


def test_the_footer_key_class_is_still_where_the_step_footer_imports_it():
    from textual.widgets._footer import FooterKey

    assert hasattr(FooterKey, "compact"), "StepFooter sets FooterKey.compact on each key"


def test_what_the_screen_tests_harness_replaces_still_has_its_shape():
    """tests/screens/conftest.py wraps three private methods and one private function and
    keeps its own copy of one more; tests/screens/helpers.py sets one private context
    variable: if any of them moved, the harness would be wrong."""
    from textual import _callback, _context
    from textual.css.stylesheet import Stylesheet

    def params(method) -> list[str]:
        return list(inspect.signature(method).parameters)

    assert params(TEXTUAL["render_update"]) == ["self", "full", "screen_stack", "simplify"]
    assert "_dirty_regions" in inspect.getsource(TEXTUAL["render_update"])
    assert params(TEXTUAL["_parse_rules"]) == [
        "self", "css", "read_from", "is_default_rules", "tie_breaker", "scope",
    ]  # fmt: skip
    assert "_variables" in inspect.getsource(Stylesheet.__init__)
    assert hasattr(_context, "visible_screen_stack")
    # the Pilot's wait, of which the harness keeps its own copy, is still the one it copied
    waits = inspect.getsource(TEXTUAL["_wait_for_screen"])
    for part in ("walk_children(with_self=True)", "call_later(decrement_counter)"):
        assert part in waits, part
    assert params(TEXTUAL["_get_message"]) == ["self"]
    assert "_message_queue.get()" in inspect.getsource(TEXTUAL["_get_message"])
    # count_parameters looks the helper up by name at each call, so the wrapper is used
    assert params(TEXTUAL["_count_parameters"]) == ["func"]
    assert "_count_parameters(" in inspect.getsource(_callback.count_parameters)


def test_a_parameter_count_kept_per_code_object_is_the_signatures():
    """The harness's count (tests/screens/conftest.py) agrees with Textual's own reading."""
    import functools
    from inspect import signature

    from textual._callback import _count_parameters

    def make(n: int):
        def callback(a, b=n):
            return a + b

        return callback

    first, second = make(1), make(2)
    assert _count_parameters(first) == _count_parameters(second) == 2

    @functools.wraps(first)
    def wrapper(*args):
        return first(*args)

    # a wrapper says its parameters through __wrapped__: read each time, as Textual does
    assert _count_parameters(wrapper) == len(signature(wrapper).parameters) == 2
    wrapper.__signature__ = signature(lambda: None)
    assert _count_parameters(wrapper) == 0


async def test_the_pilot_still_waits_for_a_widget_busy_with_a_message():
    """The harness skips widgets waiting for a message with none queued; one still handling
    a message is waited for, as by Textual's own Pilot."""
    from textual.app import App
    from textual.message import Message
    from textual.widgets import Static

    class Slow(Message):
        pass

    class Busy(Static):
        handled = False

        async def on_slow(self, _: Slow) -> None:
            await asyncio.sleep(0.2)
            self.handled = True

    class One(App):
        def compose(self):
            yield Busy()
            yield Static("idle")

    app = One()
    async with app.run_test() as pilot:
        busy = app.query_one(Busy)
        busy.post_message(Slow())
        await asyncio.sleep(0)  # it takes the message and is now inside its handler
        await pilot._wait_for_screen()
        assert busy.handled


async def test_an_app_made_in_a_test_scrolls_to_where_it_goes_at_once():
    """The harness turns animations off (App reads the level when made): a scroll that
    would glide for 0.2 s is where it goes before the next message, so a Pilot's click
    aimed after it lands on what the screen shows."""
    from textual.app import App
    from textual.containers import VerticalScroll
    from textual.widgets import Static

    class Tall(App):
        def compose(self):
            with VerticalScroll():
                yield from (Static(f"line {i}") for i in range(60))

    app = Tall()
    assert app.animation_level == "none"
    async with app.run_test(size=(40, 10)) as pilot:
        box = app.query_one(VerticalScroll)
        box.scroll_to(y=30)  # animated unless the level says none
        await pilot.pause()
        assert box.scroll_y == 30
