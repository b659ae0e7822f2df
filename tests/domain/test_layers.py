"""The house rule as a test too: domain modules never import Textual."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "check_layers", Path(__file__).resolve().parent.parent / "check_layers.py"
)
check_layers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_layers)


def test_no_domain_module_imports_textual():
    assert check_layers.offences() == []


def test_checker_catches_an_offence(tmp_path, monkeypatch):
    (tmp_path / "wizard").mkdir()
    (tmp_path / "wizard" / "bad.py").write_text("from textual.app import App\n")
    (tmp_path / "wizard" / "app.py").write_text("import textual\n")
    monkeypatch.setattr(check_layers, "ROOT", tmp_path)
    monkeypatch.setattr(check_layers, "ALLOWED", {tmp_path / "wizard" / "app.py"})
    assert check_layers.offences() == ["wizard/bad.py:1: imports textual.app"]
