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
