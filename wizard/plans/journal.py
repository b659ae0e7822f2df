"""Undo steps for apply, and the journal that keeps them when a rollback cannot finish.

A rollback is a list of ``Undo`` steps run newest first. Before the first one
runs, the whole list is written to the journal file; each step that succeeds
is removed from it, and the file is deleted once the list is empty. So when a
rollback is cut short (an API failure, a second Ctrl-C, a crash) the journal
says exactly what remains, and the next ``byon apply`` of that plan shows it,
asks, and finishes it first.

Trust (a journal changes the account, so only this user's byon may have written it):
- It lives in the state dir (``wizard.files.state_dir``), one per account and plan
  file (resolved path), 0600, owned by the user; anything else is refused unread.
  A ``.byon-journal.json`` beside a plan (where older byon kept it) is ignored.
- It is bound to the account and plan it came from: both are inside it and checked.
- Each step records what byon set (``expect``) and runs only while the resource
  still holds that (compare-and-swap): a rollback never clobbers a later change.

Every undo step is idempotent (deleting something already gone counts as
done), so a step that ran but was not yet crossed off is safe to run again.
The journal never holds a secret: only kinds, ids, names and field values.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import ByonError, NotFound
from wizard.files import hold_lock, read_private, state_dir, write_atomic
from wizard.numbers import digits_only

STRAY_NAME = ".byon-journal.json"  # where byon kept journals before: never acted on now
JOURNAL_VERSION = 2
OPS = ("delete", "delete_named", "update")
KINDS = ("ip_acl", "credential", "application", "number")


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

    - ``delete``: delete the resource ``kind``/``id`` (gone already = done), only while
      it still carries the name byon gave it (``name``) and the values in ``expect``.
    - ``delete_named``: the create's outcome is unknown; delete every ``kind`` named
      ``name`` (none existed when apply decided to create it).
    - ``update``: set ``fields`` (the old values) on ``kind``/``id``, only while the
      resource still holds ``expect`` (the values byon set); without ``expect`` the
      step is refused, since byon could not tell its change from someone else's.
    """

    op: str
    kind: str
    id: str = ""
    name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for the user: what this step will do (names and values from the
        account or a journal file: inert and bounded, as all outside text)."""
        from wizard.text import plain

        what = f"{self.kind} {self.name or self.id}".strip()
        if self.op == "update":
            line = f"restore {what}: " + ", ".join(f"{k} = {v!r}" for k, v in self.fields.items())
        elif self.op == "delete_named":
            line = f"delete any {self.kind} named {self.name}"
        else:
            line = f"delete {what}"
        return plain(line, 400)


# ---------------------------------------------------------------- where journals live


def plan_identity(plan_source: str | Path | None) -> str:
    """The plan a journal or lock is bound to: its resolved path ("" for an unsaved plan)."""
    return str(Path(plan_source).resolve()) if plan_source else ""


def _key(plan_source: str | Path | None, auth_id: str) -> str:
    ident = f"{auth_id}\0{plan_identity(plan_source)}".encode()
    return hashlib.sha256(ident).hexdigest()[:24]


def journal_path_for(plan_source: str | Path | None, auth_id: str) -> Path:
    """The journal of this account and plan file, in the state dir (the wizard's too)."""
    return state_dir() / f"apply-{_key(plan_source, auth_id)}.journal.json"


def stray_journal(plan_source: str | Path | None) -> Path | None:
    """A journal file beside the plan (written by older byon, or planted): never used."""
    if not plan_source:
        return None
    path = Path(plan_source).resolve().parent / STRAY_NAME
    return path if os.path.lexists(path) else None


@contextlib.contextmanager
def apply_lock(plan_source: str | Path | None, auth_id: str) -> Iterator[None]:
    """One apply of a plan to an account at a time (wizard and CLI alike); Busy otherwise."""
    plan = plan_identity(plan_source) or "the wizard's plan"
    path = state_dir() / f"apply-{_key(plan_source, auth_id)}.lock"
    with hold_lock(path, f"another byon apply of {plan} to account {auth_id}"):
        yield


# ---------------------------------------------------------------- reading and writing


def write_journal(path: Path, undos: list[Undo], *, auth_id: str, plan: str = "") -> None:
    """Atomically replace the journal (0600); an empty list removes it."""
    if not undos:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    doc = {
        "version": JOURNAL_VERSION,
        "auth_id": auth_id,
        "plan": plan_identity(plan),
        "written_by": {"pid": os.getpid(), "host": socket.gethostname(), "time": time.time()},
        "undo": [asdict(u) for u in undos],
    }
    write_atomic(path, json.dumps(doc, indent=2) + "\n", mode=0o600)


def read_journal(path: Path, *, auth_id: str, plan: str | Path | None) -> list[Undo]:
    """The undo steps of a journal this user's byon wrote for this account and plan.

    [] when there is none; ByonError when it is not trusted, not readable, or bound to
    another account or plan (then nothing in it is used)."""
    raw = read_private(path)
    if raw is None:
        return []
    try:
        doc = json.loads(raw.decode("utf-8"))
        if doc.get("version") != JOURNAL_VERSION:
            raise ValueError(f"version {doc.get('version')!r} is not {JOURNAL_VERSION}")
        undos = [_undo(u) for u in doc["undo"]]
        owner, bound = str(doc["auth_id"]), str(doc["plan"])
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ByonError(
            f"{path}: the rollback journal of an earlier apply cannot be read ({exc}).",
            hint="Check the resources it names in the Plivo console, then delete the file.",
        ) from None
    if owner != auth_id or bound != plan_identity(plan):
        raise ByonError(
            f"{path} holds an unfinished rollback for account {owner} and plan "
            f"{bound or '(unsaved)'}, not account {auth_id} and {plan_identity(plan)}.",
            hint="Run byon apply on that plan with that account's credentials to finish it, "
            "or delete the file once you have checked the resources it names.",
        )
    return undos


def _undo(d: Any) -> Undo:
    """One step from JSON, each field checked: a journal is input like any other."""
    if not isinstance(d, dict) or d.get("op") not in OPS or d.get("kind") not in KINDS:
        raise ValueError("a step has an unknown op or kind")
    u = Undo(
        str(d["op"]),
        str(d["kind"]),
        d.get("id", ""),
        d.get("name", ""),
        d.get("fields") or {},
        d.get("expect") or {},
    )
    if not (isinstance(u.id, str) and isinstance(u.name, str)):
        raise ValueError("a step's id and name must be strings")
    if not (isinstance(u.fields, dict) and isinstance(u.expect, dict)):
        raise ValueError("a step's fields and expect must be tables")
    return u


# ---------------------------------------------------------------- running one step


class Changed(ByonError):
    """The resource no longer holds what byon set: the step is left undone on purpose."""


def _norm(key: str, value: Any) -> Any:
    """A comparable form of a field (methods in upper case, ACL entries as a set)."""
    if key == "ip_addresses":
        from wizard.plans.diff import entry_set

        return entry_set(value)
    text = "" if value is None else str(value)
    return (text or "POST").upper() if key.endswith("_method") else text


async def _current(client: Any, kind: str, rid: str) -> dict[str, Any]:
    """The fields of a resource that undo steps compare (NotFound when it is gone)."""
    if kind == "application":
        a = await client.get_application(rid)
        keys = ("app_name", "answer_url", "answer_method", "hangup_url", "sip_auth_type")
        return {k: getattr(a, k) for k in (*keys, "ip_acl_uuid", "credential_uuid")}
    if kind == "ip_acl":
        acl = await client.get_ip_acl(rid)
        return {"name": acl.name, "ip_addresses": list(acl.ip_addresses)}
    if kind == "credential":
        return {"username": (await client.get_credential(rid)).username}
    if kind == "number":
        return {"app_id": (await client.get_number(digits_only(rid))).app_id}
    raise ByonError(f"byon cannot read a {kind}")


NAME_FIELD = {"application": "app_name", "ip_acl": "name", "credential": "username"}


def _check(undo: Undo, now: dict[str, Any]) -> bool:
    """True when the step still has work to do; Changed when someone else changed it."""
    expect = dict(undo.expect)
    if undo.op == "delete" and undo.name and undo.kind in NAME_FIELD:
        expect.setdefault(NAME_FIELD[undo.kind], undo.name)
    if undo.op == "update" and not expect:
        raise Changed(f"byon did not record what it set on {undo.kind} {undo.name or undo.id}")
    restored = undo.op == "update"
    for key, want in expect.items():
        have = _norm(key, now.get(key))
        if have == _norm(key, want):
            restored = restored and _norm(key, undo.fields.get(key)) == have
            continue
        if undo.op == "update" and key in undo.fields and have == _norm(key, undo.fields[key]):
            continue  # this field is back already (the update never landed, or ran twice)
        raise Changed(
            f"{undo.kind} {undo.name or undo.id} changed since byon set it ({key} is now "
            f"{now.get(key)!r}, byon set {want!r})"
        )
    return not restored


async def run_undo(client: Any, undo: Undo) -> None:
    """Carry out one undo step if the resource still holds what byon set.

    A resource already gone, or already back, counts as undone; one changed since
    raises ``Changed`` and is left as it is."""
    try:
        if undo.op == "delete_named":
            for rid in await find_ids_by_name(client, undo.kind, undo.name):
                await _delete(client, undo.kind, rid)
            return
        if undo.op not in ("delete", "update"):
            raise ByonError(f"unknown undo step {undo.op!r} in the journal")
        if not _check(undo, await _current(client, undo.kind, undo.id)):
            return
        if undo.op == "delete":
            await _delete(client, undo.kind, undo.id)
        else:
            await _update(client, undo.kind, undo.id, undo.fields)
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
        await client.assign_number(digits_only(rid), fields.get("app_id") or None)
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


# ---------------------------------------------------------------- a whole rollback


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
    A step whose resource changed since byon set it is left as it is, said, and dropped.
    """
    remaining = list(undos)
    _keep(journal, remaining, auth_id, plan, on_step)
    while remaining:
        undo = remaining[0]
        try:
            await run_undo(client, undo)
        except Changed as exc:
            on_step(StepEvent(undo.kind, "failed", f"not undone: {exc}; left as it is", True))
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
        else:
            on_step(StepEvent(undo.kind, "rolled_back", undo.describe(), rollback=True))
        remaining.pop(0)
        _keep(journal, remaining, auth_id, plan, on_step)
    return remaining


def _keep(journal: Path, undos: list[Undo], auth_id: str, plan: str, on_step: OnStep) -> None:
    """Write the journal; a disk problem must not stop the rollback itself."""
    try:
        write_journal(journal, undos, auth_id=auth_id, plan=plan)
    except (OSError, ByonError) as exc:
        steps = "; ".join(u.describe() for u in undos)
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        on_step(
            StepEvent(
                "journal",
                "failed",
                f"cannot write {journal} ({why}); still to undo: {steps}",
                rollback=True,
            )
        )


async def resume(
    client: Any,
    path: Path,
    *,
    auth_id: str,
    plan: str | Path | None,
    on_step: OnStep = _ignore,
) -> bool:
    """Finish the rollback an earlier run left in ``path`` (after the user saw and accepted
    its steps). True when nothing remains; False when some steps still fail (kept)."""
    undos = read_journal(path, auth_id=auth_id, plan=plan)
    if not undos:
        return True
    on_step(
        StepEvent(
            "journal",
            "running",
            f"finishing the rollback of an earlier run ({len(undos)} step(s) in {path})",
            rollback=True,
        )
    )
    left = await roll_back(
        client, undos, journal=path, auth_id=auth_id, plan=plan_identity(plan), on_step=on_step
    )
    return not left
