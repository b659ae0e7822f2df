"""Fail when a domain module (wizard/ except app.py) imports Textual or screens.

The domain must stay usable from a plain asyncio.run and cheap to import.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("textual", "screens")
ALLOWED = {ROOT / "wizard" / "app.py"}


def offences() -> list[str]:
    found = []
    for path in sorted((ROOT / "wizard").rglob("*.py")):
        if path in ALLOWED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    rel = path.relative_to(ROOT)
                    found.append(f"{rel}:{node.lineno}: imports {name}")
    return found


if __name__ == "__main__":
    bad = offences()
    for line in bad:
        print(line, file=sys.stderr)
    if bad:
        print("domain modules must not import Textual or screens", file=sys.stderr)
        sys.exit(1)
    print("layers ok: no domain module imports Textual")
