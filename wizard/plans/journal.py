"""Undo steps for apply, and the journal that keeps them when a rollback cannot finish.

A rollback is a list of ``Undo`` steps run newest first. Before the first one
runs, the whole list is written to the journal file; each step that succeeds
is removed from it, and the file is deleted once the list is empty. So when a
rollback is cut short (an API failure, a second Ctrl-C, a crash) the journal
says exactly what remains, and the next ``byon apply`` finishes it first.

Every undo step is idempotent (deleting something already gone counts as
done), so a step that ran but was not yet crossed off is safe to run again.
The journal never holds a secret: only kinds, ids, names and old field values.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import ByonError, NotFound
from wizard.numbers import digits_only

JOURNAL_NAME = ".byon-journal.json"
JOURNAL_VERSION = 1


@dataclass(frozen=True)
class StepEvent:
    """Progress of one apply or rollback step, for a progress line or a table row."""

    step: str  # "ip_acl" | "credential" | "application" | "number" (or "journal")
    state: str  # "running" | "done" | "failed" | "rolled_back"
    message: str = ""
    rollback: bool = False  # True for events of the rollback phase


OnStep = Callable[[StepEvent], None]


def _ignore(_event: StepEvent) -> None:
    return None


@dataclass
class Undo:
    """One way back. ``op``:

    - ``delete``: delete the resource ``kind``/``id`` (gone already = done).
    - ``delete_named``: the create's outcome is unknown; delete every ``kind`` named
      ``name`` (none existed when apply decided to create it).
    - ``update``: set ``fields`` (the old values) on ``kind``/``id``.
    """

    op: str
    kind: str
    id: str = ""
    name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        what = f"{self.kind} {self.name or self.id}".strip()
        if self.op == "update":
            return f"restore {what}: " + ", ".join(f"{k} = {v!r}" for k, v in self.fields.items())
        if self.op == "delete_named":
            return f"delete any {self.kind} named {self.name}"
        return f"delete {what}"


def journal_path_for(plan_source: Path | None) -> Path:
    """Next to the plan file; without one (the wizard), in the user's state dir."""
    if plan_source is not None:
        return Path(plan_source).resolve().parent / JOURNAL_NAME
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "byon" / "journal.json"


def write_journal(path: Path, undos: list[Undo], *, auth_id: str, plan: str = "") -> None:
    """Atomically replace the journal; an empty list removes it."""
    if not undos:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "version": JOURNAL_VERSION,
        "auth_id": auth_id,
        "plan": plan,
        "undo": [asdict(u) for u in undos],
    }
    fd, tmp = tempfile.mkstemp(prefix=".byon-journal-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def read_journal(path: Path) -> tuple[str, list[Undo]]:
    """(auth_id, undo steps) from a journal file; ByonError if it is unreadable."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        undos = [Undo(**u) for u in doc["undo"]]
        return str(doc.get("auth_id", "")), undos
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ByonError(
            f"{path}: the rollback journal of an earlier apply cannot be read ({exc}).",
            hint="Check the resources it names in the Plivo console, then delete the file.",
        ) from exc


async def run_undo(client: Any, undo: Undo) -> None:
    """Carry out one undo step; a resource that is already gone counts as undone."""
    try:
        if undo.op == "delete":
            await _delete(client, undo.kind, undo.id)
        elif undo.op == "delete_named":
            for rid in await find_ids_by_name(client, undo.kind, undo.name):
                await _delete(client, undo.kind, rid)
        elif undo.op == "update":
            await _update(client, undo.kind, undo.id, undo.fields)
        else:
            raise ByonError(f"unknown undo step {undo.op!r} in the journal")
    except NotFound:
        return


async def _delete(client: Any, kind: str, rid: str) -> None:
    try:
        if kind == "application":
            await client.delete_application(rid)
        elif kind == "ip_acl":
            await client.delete_ip_acl(rid)
        elif kind == "credential":
            await client.delete_credential(rid)
        else:
            raise ByonError(f"byon cannot delete a {kind}")
    except NotFound:
        return


async def _update(client: Any, kind: str, rid: str, fields: dict[str, Any]) -> None:
    if kind == "application":
        await client.update_application(rid, **fields)
    elif kind == "ip_acl":
        await client.update_ip_acl(
            rid, name=fields.get("name"), ip_addresses=fields.get("ip_addresses")
        )
    elif kind == "number":
        await client.assign_number(rid, fields.get("app_id") or None)
    else:
        raise ByonError(f"byon cannot restore a {kind}")


async def find_ids_by_name(client: Any, kind: str, name: str) -> list[str]:
    """Ids of every resource of ``kind`` with exactly this name (username for credentials)."""
    if kind == "application":
        apps = await client.list_applications(app_name=name)
        return [a.app_id for a in apps if a.app_name == name]
    if kind == "ip_acl":
        return [a.ip_acl_uuid for a in await client.list_ip_acls() if a.name == name]
    if kind == "credential":
        return [c.credential_uuid for c in await client.list_credentials() if c.username == name]
    if kind == "number":
        digits = digits_only(name)
        try:
            return [(await client.get_number(digits)).number]
        except NotFound:
            return []
    raise ByonError(f"byon cannot look up a {kind} by name")


async def roll_back(
    client: Any,
    undos: list[Undo],
    *,
    journal: Path,
    auth_id: str,
    plan: str = "",
    on_step: OnStep = _ignore,
) -> list[Undo]:
    """Run ``undos`` in order, keeping the journal current; return what could not be undone.

    The journal is written before the first step, so an interruption at any point
    leaves an accurate list behind. Stops at the first failure: later steps may
    depend on it (an ACL cannot be deleted while an application still uses it).
    """
    remaining = list(undos)
    _keep(journal, remaining, auth_id, plan, on_step)
    while remaining:
        undo = remaining[0]
        try:
            await run_undo(client, undo)
        except Exception as exc:
            on_step(
                StepEvent(
                    undo.kind,
                    "failed",
                    f"could not {undo.describe()}: {exc} (kept in {journal})",
                    rollback=True,
                )
            )
            return remaining
        remaining.pop(0)
        _keep(journal, remaining, auth_id, plan, on_step)
        on_step(StepEvent(undo.kind, "rolled_back", undo.describe(), rollback=True))
    return remaining


def _keep(journal: Path, undos: list[Undo], auth_id: str, plan: str, on_step: OnStep) -> None:
    """Write the journal; a disk problem must not stop the rollback itself."""
    try:
        write_journal(journal, undos, auth_id=auth_id, plan=plan)
    except OSError as exc:
        steps = "; ".join(u.describe() for u in undos)
        on_step(
            StepEvent(
                "journal",
                "failed",
                f"cannot write {journal} ({exc.strerror or exc}); still to undo: {steps}",
                rollback=True,
            )
        )


async def resume(client: Any, path: Path, *, auth_id: str, on_step: OnStep = _ignore) -> bool:
    """Finish the rollback an earlier run left in ``path``. True when nothing remains
    (or there was no journal); False when some steps still fail (the journal keeps them)."""
    if not path.exists():
        return True
    owner, undos = read_journal(path)
    if owner and auth_id and owner != auth_id:
        raise ByonError(
            f"{path} holds an unfinished rollback for account {owner}, not {auth_id}.",
            hint="Run byon apply with that account's credentials to finish it, "
            "or delete the file once you have checked the resources it names.",
        )
    on_step(
        StepEvent(
            "journal",
            "running",
            f"finishing the rollback of an earlier run ({len(undos)} step(s) in {path})",
            rollback=True,
        )
    )
    left = await roll_back(client, undos, journal=path, auth_id=owner or auth_id, on_step=on_step)
    return not left
