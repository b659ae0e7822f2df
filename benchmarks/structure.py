"""Structure figures anyone can rerun: big files, query_one density, docstring coverage.

Prints:
- every Python file over 600 lines and every function over 80 lines (the house limits),
  in the source (wizard/, screens/) and, listed apart, in tests/ and benchmarks/;
- `query_one` calls per 1,000 lines of screens/ (posting and harlequin sit at 9-18);
- docstring coverage of public functions, methods and classes (names without a leading
  underscore), for screens/ and for wizard/ separately (frogmouth: about 97%). A property's
  setter or deleter is not counted: its docstring is the getter's.

Run: .venv/bin/python benchmarks/structure.py [--missing] [--check]
(--missing lists every public definition without a docstring.)

--check makes it a gate: it lists every breach and exits 1 when any file in wizard/,
screens/, tests/ or benchmarks/ is over 600 lines, any function there is over 80 lines,
or any public definition in wizard/ or screens/ has no docstring; else it exits 0.
"""

from __future__ import annotations

import argparse
import ast
import functools
import gc
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.check_layers import statements  # noqa: E402 (one walk of statements for both)

FOLDERS = ("wizard", "screens")  # the source: docstring coverage is measured here
CHECKED = ("tests", "benchmarks")  # held to the same size limits, listed apart
MAX_LINES = 600
MAX_FUNCTION_LINES = 80


def python_files(folder: str) -> list[Path]:
    """Every .py file under ``folder`` of the project, sorted."""
    return sorted((ROOT / folder).rglob("*.py"))


@functools.cache
def source(path: Path) -> str:
    """A file's text, read once however many figures count it."""
    return path.read_text(encoding="utf-8")


def line_count(path: Path) -> int:
    """Lines in a file, as `wc -l` counts them."""
    return source(path).count("\n")


@functools.cache
def tree_of(path: Path) -> ast.Module:
    """A file's syntax tree, parsed once for the size limits and the docstrings both."""
    return ast.parse(source(path))


def is_accessor(node: ast.AST) -> bool:
    """True for a ``@name.setter`` or ``@name.deleter``: Python shows the getter's docstring."""
    return any(
        isinstance(d, ast.Attribute) and d.attr in ("setter", "deleter")
        for d in getattr(node, "decorator_list", ())
    )


def public_definitions(path: Path) -> list[tuple[str, bool]]:
    """(qualified name, has a docstring) for each public function, method and class."""
    tree = tree_of(path)
    out: list[tuple[str, bool]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not child.name.startswith("_") and not is_accessor(child):
                    out.append((name, ast.get_docstring(child) is not None))
                if isinstance(child, ast.ClassDef):
                    walk(child, f"{name}.")

    walk(tree, "")
    return out


def print_limits(label: str, folders: tuple[str, ...]) -> int:
    """Print files over MAX_LINES and functions over MAX_FUNCTION_LINES in ``folders``;
    returns how many there are, so --check can fail on them."""
    files = [p for folder in folders for p in python_files(folder)]
    big = [(n, p.relative_to(ROOT)) for p in files if (n := line_count(p)) > MAX_LINES]
    print(f"{label}: files over {MAX_LINES} lines: {len(big)}")
    for lines, rel in sorted(big, reverse=True):
        print(f"  {lines:5d}  {rel}")
    long = [
        (n.end_lineno - n.lineno + 1, f"{p.relative_to(ROOT)}:{n.name}")
        for p in files
        for n in statements(tree_of(p))
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        and n.end_lineno - n.lineno + 1 > MAX_FUNCTION_LINES
    ]
    print(f"{label}: functions over {MAX_FUNCTION_LINES} lines: {len(long)}")
    for size, where in sorted(long, reverse=True):
        print(f"  {size:5d}  {where}")
    return len(big) + len(long)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list undocumented definitions")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a file or function is over the limits or a public definition "
        "in wizard/ or screens/ has no docstring (lists each)",
    )
    args = parser.parse_args()
    # syntax trees are freed by their reference counts: the collector would only walk them
    gc.disable()

    over = 0
    for label, folders in (("source", FOLDERS), ("tests and benchmarks", CHECKED)):
        over += print_limits(label, folders)

    screen_files = python_files("screens")
    lines = sum(line_count(p) for p in screen_files)
    calls = sum(source(p).count("query_one(") for p in screen_files)
    print(
        f"screens/: {calls} query_one in {lines} lines = "
        f"{1000 * calls / max(lines, 1):.1f} per 1,000 lines (anchors: 9-18)"
    )

    undocumented = 0
    for folder in FOLDERS:
        defs = [(p, d) for p in python_files(folder) for d in public_definitions(p)]
        documented = sum(1 for _p, (_n, has) in defs if has)
        undocumented += len(defs) - documented
        share = 100 * documented / max(len(defs), 1)
        print(
            f"{folder}/: {documented} of {len(defs)} public definitions documented = {share:.0f}%"
        )
        if args.missing or args.check:
            for p, (name, has) in defs:
                if not has:
                    print(f"  missing: {p.relative_to(ROOT)}:{name}")

    if not args.check:
        return 0
    if over or undocumented:
        print(
            f"check failed: {over} over the size limits, {undocumented} public definitions "
            "without a docstring"
        )
        return 1
    print("check passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
