"""The private parts of Textual the screens lean on, in one list.

Each works around something Textual does not offer publicly (see the comment where it is
used). Textual is pinned exactly in pyproject.toml; when it is upgraded, this test says
at once which of them moved, instead of a screen that silently draws wrong."""

from __future__ import annotations

import inspect

import pytest
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Footer

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
    """tests/screens/conftest.py wraps two private methods and one private function, and
    tests/screens/helpers.py sets one private context variable: if any of them moved, the
    harness would be wrong."""
    from textual import _callback, _context
    from textual._compositor import Compositor
    from textual.css.stylesheet import Stylesheet

    def params(method) -> list[str]:
        return list(inspect.signature(method).parameters)

    assert params(Compositor.render_update) == ["self", "full", "screen_stack", "simplify"]
    assert "_dirty_regions" in inspect.getsource(Compositor.render_update)
    assert params(Stylesheet._parse_rules) == [
        "self", "css", "read_from", "is_default_rules", "tie_breaker", "scope",
    ]  # fmt: skip
    assert "_variables" in inspect.getsource(Stylesheet.__init__)
    assert hasattr(_context, "visible_screen_stack")
    # count_parameters looks the helper up by name at each call, so the wrapper is used
    assert params(_callback._count_parameters) == ["func"]
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
