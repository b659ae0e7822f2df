"""The house rules as a test too: each rule of tests/check_layers.py catches its offence."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "check_layers", Path(__file__).resolve().parent.parent / "check_layers.py"
)
check_layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_layers)


def test_the_tree_keeps_every_rule():
    assert check_layers.offences() == []


def _tree(tmp_path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return check_layers.offences(tmp_path)


def test_textual_in_the_domain_is_caught(tmp_path):
    found = _tree(
        tmp_path,
        {"wizard/bad.py": "from textual.app import App\n", "wizard/app.py": "import textual\n"},
    )
    assert found == ["wizard/bad.py:1: imports textual.app"]


def test_the_domain_importing_a_command_is_caught(tmp_path):
    found = _tree(
        tmp_path,
        {
            "wizard/commands/apply.py": "",
            "wizard/plans/apply.py": "def f():\n    from wizard.commands.apply import x\n",
        },
    )
    assert found == [
        "wizard/plans/apply.py:2: the domain imports a command (wizard.commands.apply)"
    ]


def test_folder_bans_are_caught(tmp_path):
    found = _tree(
        tmp_path,
        {
            "wizard/plans/plan.py": "",
            "wizard/verify/listener.py": "",
            "wizard/plivo/client.py": "from wizard.plans import plan\n",
            "wizard/emulator/sip.py": "import wizard.verify.listener\n",
        },
    )
    assert sorted(found) == [
        "wizard/emulator/sip.py:1: wizard/emulator/ may not import wizard/verify/",
        "wizard/plivo/client.py:1: wizard/plivo/ may not import wizard/plans/",
    ]


def test_circles_are_caught_but_type_checking_imports_are_not(tmp_path):
    found = _tree(
        tmp_path,
        {
            "wizard/a.py": "def f():\n    import wizard.b\n",
            "wizard/b.py": "from wizard import a\n",
            "wizard/c.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import wizard.a\n"
            ),
        },
    )
    assert found == ["import circle: wizard.a -> wizard.b -> wizard.a"]
