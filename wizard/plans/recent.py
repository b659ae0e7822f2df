"""The plans this user saved or opened lately, for the wizard's Welcome list.

Kept as JSON in the state dir (`recent-plans.json`, 0600). Only paths and times are
stored, never a plan's content; a damaged file reads as an empty list.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

KEPT = 8
FILE = "recent-plans.json"


@dataclass(frozen=True)
class RecentPlan:
    """One remembered plan: its absolute path and when it was last saved or opened."""

    path: Path
    used_at: float  # time.time() of the last save or open

    @property
    def exists(self) -> bool:
        """Whether the file is still there; Welcome lists only the plans that are."""
        return self.path.is_file()


def _file() -> Path:
    from wizard.files import state_dir

    return state_dir() / FILE


def recent_plans() -> list[RecentPlan]:
    """Newest first; entries that are not a path and a time are skipped."""
    from wizard.errors import ByonError

    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError, ByonError):  # ByonError: the state folder is unusable
        return []
    items = data.get("plans") if isinstance(data, dict) else None
    out: list[RecentPlan] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        path, at = item.get("path"), item.get("used_at")
        if isinstance(path, str) and path and isinstance(at, int | float) and len(path) < 4096:
            out.append(RecentPlan(Path(path), float(at)))
    return sorted(out, key=lambda r: r.used_at, reverse=True)[:KEPT]


def remember_plan(path: str | Path) -> None:
    """Put ``path`` (made absolute) first in the list; never raises for a state-dir problem."""
    from wizard.files import write_atomic

    target = Path(path).expanduser().resolve()
    plans = [r for r in recent_plans() if r.path != target]
    plans.insert(0, RecentPlan(target, time.time()))
    data = {"plans": [{"path": str(r.path), "used_at": r.used_at} for r in plans[:KEPT]]}
    try:
        write_atomic(_file(), json.dumps(data, indent=1) + "\n", mode=0o600)
    except Exception:  # a read-only state dir must not stop a save
        return
