"""The house's import rules, checked from the source (no import is executed).

1. No domain module (``wizard/`` except ``app.py``) imports Textual or ``screens``.
2. No domain module imports ``wizard.commands``: commands use the domain, never the reverse.
3. ``wizard/plivo/`` imports no other byon folder (only the shared top-level helpers).
4. ``wizard/emulator/`` imports nothing from ``wizard.verify`` or ``wizard.plans``.
5. No import circle between byon modules (lazy imports count; ``TYPE_CHECKING`` ones do not).

Run as a script (``make lint``) or through tests/domain/test_layers.py.
"""

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("textual", "screens")
UI_MODULES = {"wizard.app"}
FACES = {"wizard.app", "wizard.cli", "wizard.session", "wizard.__main__"}
FOLDERS = ("plivo", "plans", "verify", "stream", "emulator", "providers", "commands", "sip")
# folder -> byon folders it must not import
FOLDER_BANS = {
    "plivo": set(FOLDERS) - {"plivo"},
    "emulator": {"verify", "plans", "commands"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def statements(tree: ast.AST, *, type_checking: bool = True) -> Iterator[ast.AST]:
    """Every statement of ``tree`` (and the tree itself). Imports and definitions are
    statements, so expressions, most of a tree's nodes, are never visited. With
    ``type_checking=False``, none under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            if field == "body" and not type_checking and _is_type_checking(node):
                continue
            children = getattr(node, field, None)
            if isinstance(children, list):
                stack.extend(children)


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in the file, outside TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in statements(tree, type_checking=False):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "wizard":
                found.append((node.lineno, node.module))
            else:  # `from wizard.plans import plan` names the module wizard.plans.plan
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return sorted(found)


def _folder(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "wizard" and parts[1] in FOLDERS else None


def offences(root: Path = ROOT) -> list[str]:
    found = []
    modules = {module_name(p, root): p for p in sorted((root / "wizard").rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for mod, path in modules.items():
        rel = path.relative_to(root)
        graph[mod] = set()
        for line, name in imports_of(path):
            top = name.split(".")[0]
            if top in FORBIDDEN and mod not in UI_MODULES:
                found.append(f"{rel}:{line}: imports {name}")
                continue
            if top != "wizard":
                continue
            # a parent package runs first on any import, so only the named module counts
            target = name if name in modules else name.rsplit(".", 1)[0]
            if target not in modules or target == mod:
                continue
            graph[mod].add(target)
            here, there = _folder(mod), _folder(target)
            if there == "commands" and here != "commands" and mod not in FACES:
                found.append(f"{rel}:{line}: the domain imports a command ({target})")
            elif here in FOLDER_BANS and there in FOLDER_BANS[here]:
                found.append(f"{rel}:{line}: wizard/{here}/ may not import wizard/{there}/")
    found += [f"import circle: {' -> '.join(c)}" for c in cycles(graph)]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One representative circle per strongly connected group (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append([*sorted(group), sorted(group)[0]])

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    bad = offences()
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print("layer rules broken (see tests/check_layers.py)", file=sys.stderr)
        sys.exit(1)
    print("layers ok: domain free of Textual, folder rules kept, no import circles")
