"""One home per fact (issue 11 item 2): each fact below is written in exactly one module
of wizard/ and screens/ (or in none: then only its name is used); everything else imports
it. Run with -s to see the counts. Each pattern was checked to fail on the code before its
fact got its home."""

from __future__ import annotations

import ast
import functools
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


@functools.cache
def _strings(path: Path) -> list[str]:
    """The string literals of a module (comments and docstrings of prose do not count)."""
    source = path.read_text(encoding="utf-8")
    prose = _docstring_lines(source)
    toks = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in toks if t.type == tokenize.STRING and t.start[0] not in prose]


@functools.cache
def _code(path: Path) -> str:
    """The module without comments."""
    toks = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return " ".join(t.string for t in toks if t.type != tokenize.COMMENT)


# fact -> (where it may be written, None: nowhere, only named; how a copy looks: in string
# literals or in code)
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
    # "ip_acl" in t / "credential" in auth_type: ask uses_ip_acl / uses_credential instead
    "auth type by substring": (
        None,
        "code",
        re.compile(r"[\"'](ip_acl|credential)[\"'] (not )?in (\( )?[\w. ]*(type|chosen|\bt)\b"),
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
    # +/digits conversions: a hand-made '+' strip, separator class or digit filter
    "number conversion": (
        "wizard/numbers.py",
        "code",
        re.compile(
            r"(removeprefix|lstrip|strip) \( r?[\"']\+[\"'] \)"
            r"|\[\\s[^\]]*\(\)"  # a regex class of separators: [\s().-]
            r"|\"\" \. join \( \w+ for \w+ in [^)]*if \w+ \. isdigit"
        ),
    ),
    "loopback check": (
        "wizard/net.py",
        "code",
        re.compile(r"\. is_loopback\b|def \w*is_loopback"),
    ),
    "loopback names": (
        "wizard/net.py",
        "code",
        re.compile(r"LOOPBACK_\w+ =|in [(\[{] [\"'](localhost|127\.0\.0\.1|::1|\[::1\])[\"']"),
    ),
    # screens ask Session.is_demo (wizard.session.DEMO); no screen spells the mode
    "demo mode": (None, "code", re.compile(r"(==|!=) [\"']demo[\"']")),
    # outside text put into our markup: screens use markup.escape / markup.outside
    "markup escaping": (
        "screens/widgets/markup.py",
        "code",
        re.compile(r"replace \( [\"']\[[\"'] , [\"']\\\\\[[\"'] \)"),
    ),
}
# where a fact's copies are looked for, when not in all of wizard/ and screens/
SCOPE = {"demo mode": "screens/"}


@pytest.mark.parametrize("fact", list(FACTS))
def test_each_fact_has_one_home(fact):
    """A copy of the fact outside its home fails; a home of None means only names of the
    fact may appear (no module spells it)."""
    home, where, pattern = FACTS[fact]
    found = set()
    for path in SOURCES:
        if not str(path.relative_to(ROOT)).startswith(SCOPE.get(fact, "")):
            continue
        texts = _strings(path) if where == "strings" else [_code(path)]
        if any(pattern.search(t) for t in texts):
            found.add(str(path.relative_to(ROOT)))
    print(f"{fact}: {len(found)} home(s): {sorted(found)}")
    assert found == ({home} if home else set())


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


def test_the_provider_data_has_no_sip_domain_of_its_own():
    """_plivo.toml once carried ``domain = "app.plivo.com"`` beside facts.SIP_DOMAIN; the
    renderers now write SIP_DOMAIN, so a second copy could only drift."""
    from wizard.providers.facts import plivo

    assert "sip_domain" not in plivo().facts
    rendered = (ROOT / "wizard/providers").glob("render_*.py")
    assert not [p.name for p in rendered if "sip_domain" in p.read_text(encoding="utf-8")]
