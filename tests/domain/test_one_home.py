"""One home per fact (issue 11 item 2): each fact below is written in exactly one module
of wizard/ and screens/; everything else imports it. Run with -s to see the counts."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from wizard.plans import risks, validate

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "wizard").rglob("*.py"), *(ROOT / "screens").rglob("*.py")])


def _docstring_lines(source: str) -> set[int]:
    """First lines of the module's, classes' and functions' docstrings (prose, not facts)."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.add(first.lineno)
    return out


def _strings(path: Path) -> list[str]:
    """The string literals of a module (comments and docstrings of prose do not count)."""
    source = path.read_text(encoding="utf-8")
    prose = _docstring_lines(source)
    toks = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in toks if t.type == tokenize.STRING and t.start[0] not in prose]


def _code(path: Path) -> str:
    """The module without comments."""
    toks = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return " ".join(t.string for t in toks if t.type != tokenize.COMMENT)


# fact -> (where it may be written, how a copy looks: in string literals or in code)
FACTS = {
    "SIP domain": ("wizard/plivo/facts.py", "strings", re.compile(r"app\.plivo\.com")),
    "SIP URI": (
        "wizard/plivo/facts.py",
        "strings",
        re.compile(r"sip:[^\s\"']*@(app\.plivo\.com|\{SIP_DOMAIN\})"),
    ),
    # the third type spelled out is a copy of AUTH_TYPES or of uses_ip_acl/uses_credential
    "auth types": (
        "wizard/plivo/facts.py",
        "strings",
        re.compile(r"^[\"']ip_acl_and_credential[\"']$"),
    ),
    "atomic write": ("wizard/files.py", "code", re.compile(r"os \. replace|mkstemp|O_EXCL")),
    "state dir": (
        "wizard/files.py",
        "strings",
        re.compile(r"^[\"']?(XDG_STATE_HOME|BYON_STATE_DIR)"),
    ),
    "credentials from env": (
        "wizard/plivo/env.py",
        "strings",
        re.compile(r"^[\"'](PLIVO_AUTH_ID|PLIVO_AUTH_TOKEN|PLIVO_API_URL)[\"']$"),
    ),
    "version": ("wizard/__init__.py", "strings", re.compile(r"^[\"']\d+\.\d+\.\d+[\"']$")),
}


@pytest.mark.parametrize("fact", list(FACTS))
def test_each_fact_has_one_home(fact):
    home, where, pattern = FACTS[fact]
    found = set()
    for path in SOURCES:
        texts = _strings(path) if where == "strings" else [_code(path)]
        if any(pattern.search(t) for t in texts):
            found.add(str(path.relative_to(ROOT)))
    print(f"{fact}: {len(found)} home(s): {sorted(found)}")
    assert found == {home}


def test_one_rule_for_a_too_wide_acl_entry():
    """validate warned past /48 for IPv6 while audit flagged only past /32: both now ask
    risks.wide_acl_entry, whose limits are risks.WIDE_PREFIX."""
    assert risks.WIDE_PREFIX == {4: 16, 6: 48}
    for entry in ("2001:db8::/47", "10.0.0.0/15"):
        assert validate.acl_entry_warning(entry)
        assert risks.wide_acl_entry(entry)
    for entry in ("2001:db8::/48", "10.0.0.0/16"):
        assert not risks.wide_acl_entry(entry)
    assert "wide_acl_entry" in (ROOT / "wizard/plans/audit.py").read_text()
