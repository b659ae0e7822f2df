"""The apply engine: carry out the changes from diff.py, one, some or all, and undo them.

One engine for both faces: ``byon apply`` runs every change at once (independent
ones concurrently) and rolls everything back on a failure; the wizard runs them
one by one, keeps what succeeded when a later one fails, and offers retry or
undo. Either way ``Applier`` keeps the one undo list, puts each learned id into
the plan through ``plan.set_id``, and keeps the one rollback journal (the one
``journal_path_for`` names), which both faces finish before anything else.

Decisions (also in docs of ``byon apply``):
- A create whose outcome is unknown (timeout, dropped connection, Ctrl-C while in
  flight) is looked up by name before the rollback, so nothing is orphaned. An update
  whose outcome is unknown is reverted anyway (restoring old values is harmless);
  one Plivo refused outright (4xx) is not.
- A rollback that cannot finish leaves a journal in the state dir, bound to the account
  and plan (wizard/plans/journal.py); the next ``byon apply`` of that plan shows its
  steps, asks, and finishes it before anything else (``--dry-run`` only lists it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wizard.errors import (
    AuthError,
    BadRequest,
    ByonError,
    Conflict,
    NotFound,
    PlivoError,
    RateLimited,
    scrub,
)
from wizard.numbers import digits_only, same_number, with_plus
from wizard.plans.account import AccountView, read_account
from wizard.plans.diff import NEW, Change, change_json, diff, render_change
from wizard.plans.journal import (
    OnStep,
    StepEvent,
    Undo,
    find_ids_by_name,
    journal_path_for,
    plan_identity,
    read_journal,
    resume,
    roll_back,
)
from wizard.plans.passwords import generate_password
from wizard.plans.plan import set_id
from wizard.text import plain

if TYPE_CHECKING:
    from wizard.plans.plan import Plan

# Re-exported: callers of the engine name these from here.
__all__ = [
    "AccountView",
    "Applier",
    "ApplyResult",
    "Change",
    "StepEvent",
    "apply_changes",
    "change_json",
    "diff",
    "read_account",
    "render_change",
]


@dataclass
class ApplyResult:
    """What one run did: ok, the ids it knows, and on failure what was rolled back."""

    ok: bool
    ids: dict[str, str] = field(default_factory=dict)  # kind -> id (numbers as E.164)
    generated_password: str | None = field(default=None, repr=False)
    error: BaseException | None = None
    rolled_back: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)  # undo steps left in the journal
    journal: Path | None = None
    notes: list[str] = field(default_factory=list)


def _definite(exc: BaseException | None) -> bool:
    """Plivo answered with a refusal, so the request changed nothing. 5xx, timeouts and
    dropped connections are ambiguous: the change may have happened."""
    return isinstance(exc, BadRequest | AuthError | NotFound | Conflict | RateLimited)


class _Skipped(Exception):
    """A step that did not start because a step it depends on failed."""


def _ignore(_event: StepEvent) -> None:
    return None


def _known_ids(changes: list[Change]) -> dict[str, str]:
    """The ids of resources that exist already (numbers in E.164)."""
    return {
        c.kind: with_plus(c.resource_id) if c.kind == "number" else c.resource_id
        for c in changes
        if c.resource_id
    }


@dataclass
class _Run:
    client: Any
    plan: Plan
    password: str | None
    on_step: OnStep
    ids: dict[str, str] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)
    undo: list[Undo] = field(default_factory=list)  # in the order the changes happened
    generated: str | None = None
    secrets: list[str] = field(default_factory=list)

    def emit(self, step: str, state: str, message: str = "") -> None:
        """Report a step's progress, secrets scrubbed and made one inert line (messages
        carry the account's names and Plivo's words)."""
        self.on_step(StepEvent(step, state, plain(scrub(message, self.secrets), 800)))

    def resolve(self, v: Any, kind: str) -> Any:
        """A field value, with "(new)" replaced by the id this run made."""
        if v != NEW:
            return v
        if kind not in self.ids:
            # Only when a caller passes a change without the change that creates its input.
            raise ByonError(f"the {kind} this step needs does not exist yet; apply it first")
        return self.ids[kind]

    async def do(self, c: Change) -> None:
        """Send the request(s) of one change, registering its way back."""
        step = {
            "ip_acl": self._ip_acl,
            "credential": self._credential,
            "application": self._application,
            "number": self._number,
        }[c.kind]
        await step(c)

    async def _ip_acl(self, c: Change) -> None:
        p = self.plan.auth.ip_acl  # type: ignore[union-attr]
        if c.action == "create":
            acl = await self.client.create_ip_acl(p.name, list(p.entries))
            self.ids["ip_acl"] = acl.ip_acl_uuid
            self.undo.append(Undo("delete", "ip_acl", acl.ip_acl_uuid, p.name))
            return
        old = {k: o for k, (o, _n) in c.fields.items()}
        now = {k: n for k, (_o, n) in c.fields.items()}  # what byon sets: the undo's CAS
        await self.update(
            Undo("update", "ip_acl", c.resource_id, p.name, old, now),
            self.client.update_ip_acl(
                c.resource_id,
                name=p.name if "name" in c.fields else None,
                ip_addresses=list(p.entries) if "ip_addresses" in c.fields else None,
            ),
        )

    async def _credential(self, c: Change) -> None:
        p = self.plan.auth.credential  # type: ignore[union-attr]
        pw = self.password
        if pw is None:
            pw = self.generated = generate_password()
        self.secrets.append(pw)
        if c.action == "create":
            cred = await self.client.create_credential(p.username, pw)
            self.ids["credential"] = cred.credential_uuid
            self.undo.append(Undo("delete", "credential", cred.credential_uuid, p.username))
        else:  # a password change: Plivo cannot give the old one back, so no undo
            await self.client.update_credential(c.resource_id, pw)

    async def _application(self, c: Change) -> None:
        new = {k: self.resolve(n, k.removesuffix("_uuid")) for k, (_o, n) in c.fields.items()}
        if c.action == "create":
            app = await self.client.create_application(app_name=c.name, **new)
            self.ids["application"] = app.app_id
            self.undo.append(Undo("delete", "application", app.app_id, c.name))
            return
        old = {k: o or "" for k, (o, _n) in c.fields.items()}
        await self.update(
            Undo("update", "application", c.resource_id, c.name, old, new),
            self.client.update_application(c.resource_id, **new),
        )

    async def _number(self, c: Change) -> None:
        app_id = self.resolve(c.fields["app_id"][1], "application")
        number = digits_only(c.name)
        if c.action == "create":  # a purchase: the API cannot take it back, so no undo
            await self.client.buy_phone_number(number, app_id=app_id)
        else:
            old = c.fields["app_id"][0] or ""
            await self.update(
                Undo("update", "number", number, c.name, {"app_id": old}, {"app_id": app_id}),
                self.client.assign_number(number, app_id),
            )
        self.ids["number"] = with_plus(number)

    async def update(self, undo: Undo, request: Awaitable[None]) -> None:
        """Send an update, its undo registered first: a lost answer may hide a done change."""
        self.undo.append(undo)
        try:
            await request
        except PlivoError as exc:
            if _definite(exc):  # refused outright: nothing changed, nothing to restore
                self.undo.remove(undo)
            raise

    async def step(self, c: Change, deps: list[asyncio.Task[None]]) -> None:
        """Run one change once its dependencies succeeded (skipped when one failed)."""
        if deps:
            await asyncio.wait(deps)
            if any(d.cancelled() or d.exception() is not None for d in deps):
                self.state[c.kind] = "skipped"
                raise _Skipped(c.kind)
        self.state[c.kind] = "running"
        self.emit(c.kind, "running", render_change(c))
        try:
            await self.do(c)
        except BaseException as exc:
            self.state[c.kind] = "failed"
            self.errors[c.kind] = exc
            if isinstance(exc, asyncio.CancelledError):
                self.emit(c.kind, "failed", f"{c.kind} {c.name}: interrupted")
            else:
                self.emit(c.kind, "failed", f"{c.kind} {c.name}: {exc}")
            raise
        self.state[c.kind] = "done"
        verb = "created" if c.action == "create" else "updated"
        if c.kind == "number" and c.action == "create":
            verb = "bought"
        made = self.ids.get(c.kind, "")
        # a number's id is the number itself: said once, not again in brackets
        said = f" ({made})" if made and not same_number(made, c.name) else ""
        self.emit(c.kind, "done", f"{verb} {c.kind} {c.name}{said}")

    async def settle_unknown(self, changes: list[Change]) -> list[str]:
        """After a failure: find out what in-flight creates really did.

        A create that timed out or was interrupted may have happened. Look it up by
        name; anything found was made by this run (it did not exist when we read the
        account) and joins the undo list. If even the lookup fails, the journal gets
        a delete-by-name step so the next run settles it.
        Returns notes for the user.
        """
        notes: list[str] = []
        for c in changes:
            if c.action != "create" or self.state.get(c.kind) not in ("running", "failed"):
                continue
            if _definite(self.errors.get(c.kind)):
                continue
            if c.kind == "number":
                try:
                    found = await find_ids_by_name(self.client, "number", c.name)
                except Exception:
                    found = None
                if found:
                    self.state["number"] = "done"
                    self.ids["number"] = c.name
                    self.errors.pop("number", None)
                    self.emit("number", "done", f"bought number {c.name} (confirmed)")
                elif found is None:
                    notes.append(
                        f"could not confirm whether {c.name} was bought; "
                        "check the numbers in the Plivo console"
                    )
                continue
            name = c.name
            try:
                for rid in await find_ids_by_name(self.client, c.kind, name):
                    self.undo.append(Undo("delete", c.kind, rid, name))
            except Exception:
                self.undo.append(Undo("delete_named", c.kind, "", name))
        return notes


class Applier:
    """One plan against one account: read, diff, run changes, undo, finish the journal.

    ``undo`` is the one list of ways back (oldest first) for everything this
    applier did that has not been undone; the wizard keeps one applier per session.
    """

    def __init__(
        self,
        client: Any,
        plan: Plan,
        *,
        password: str | None = None,
        auth_id: str = "",
        journal: Path | None = None,
        rotate_password: bool = False,
        plan_file: Path | None = None,
    ) -> None:
        self.client = client
        # the file the journal and lock are bound to (the wizard's before its first save)
        self.plan_file = plan_file
        self.plan = plan
        self.password = password
        self.auth_id = auth_id or getattr(client, "auth_id", "")
        self.rotate_password = rotate_password
        self.journal_file = journal  # None: the state dir's file for this account and plan
        self.undo: list[Undo] = []
        self.view: AccountView | None = None
        self.changes: list[Change] = []
        self.ids: dict[str, str] = {}
        self.generated_password: str | None = None
        self._done: list[Change] = []  # changes of the last read that were applied

    @property
    def bound_to(self) -> Path | None:
        """The plan file this applier's journal belongs to."""
        return self.plan_file or self.plan.source

    @property
    def journal(self) -> Path:
        """The one rollback journal for this plan (the CLI's and the wizard's)."""
        return self.journal_file or journal_path_for(self.bound_to, self.auth_id)

    async def read(self) -> list[Change]:
        """Read the account once and diff it with the plan."""
        self.view = await read_account(self.client, self.plan)
        self.changes = diff(self.plan, self.view, rotate_password=self.rotate_password)
        self._done = []
        self.ids = _known_ids(self.changes)
        return self.changes

    def pending(self) -> list[Change]:
        """The changes of the last read that are not done yet, in a safe order."""
        return [
            c
            for c in self.changes
            if c.action != "unchanged" and not any(c is d for d in self._done)
        ]

    def journal_steps(self) -> list[Undo]:
        """Undo steps an earlier run left in the journal (ByonError if unreadable)."""
        return read_journal(self.journal, auth_id=self.auth_id, plan=self.bound_to)

    async def finish_journal(self, on_step: OnStep | None = None) -> bool:
        """Finish what an earlier run could not roll back; True when nothing remains."""
        return await resume(
            self.client,
            self.journal,
            auth_id=self.auth_id,
            plan=self.bound_to,
            on_step=on_step or _ignore,
        )

    async def run(
        self, changes: list[Change] | None = None, *, on_step: OnStep | None = None
    ) -> ApplyResult:
        """Carry out ``changes`` (default: every pending one), independent ones concurrently.

        On success their undo steps join ``undo`` and learned ids go into the plan. On
        failure, what this call did is rolled back (newest first; earlier calls' changes
        stay) and ``ok=False`` comes back; on cancellation (Ctrl-C) it rolls back and
        re-raises. A rollback that cannot finish is left in the journal."""
        todo = [c for c in (self.pending() if changes is None else changes)]
        todo = [c for c in todo if c.action != "unchanged" and not any(c is d for d in self._done)]
        run = _Run(self.client, self.plan, self.password, on_step or _ignore)
        run.ids = {**self.ids, **_known_ids(changes or [])}
        if self.password:
            run.secrets.append(self.password)
        cancelled = await _run_all(run, todo)
        failed = {k: e for k, e in run.errors.items() if not isinstance(e, _Skipped)}
        notes: list[str] = []
        if failed or cancelled is not None:
            notes = await run.settle_unknown(todo)
            failed = {k: e for k, e in run.errors.items() if not isinstance(e, _Skipped)}
        if not failed and cancelled is None:
            return self._succeeded(run, todo, notes)
        result = await self._roll_back(run, todo, cancelled or next(iter(failed.values())))
        result.notes = notes + result.notes
        if cancelled is not None:
            raise cancelled
        return result

    def _succeeded(self, run: _Run, todo: list[Change], notes: list[str]) -> ApplyResult:
        self.ids.update(run.ids)
        self._fill_new_ids()
        self.undo += run.undo
        for kind, rid in run.ids.items():
            set_id(self.plan, kind, rid)
        if run.generated:
            self.generated_password = run.generated
        self._done += todo
        return ApplyResult(
            ok=True, ids=dict(self.ids), generated_password=run.generated, notes=notes
        )

    def _fill_new_ids(self) -> None:
        """Changes still to run name the ids just made instead of "(new)", so their lines
        (and a retry) show what they will really send."""
        for c in self.pending():
            for k, (old, new) in c.fields.items():
                kind = "application" if k == "app_id" else k.removesuffix("_uuid")
                if new == NEW and kind in self.ids:
                    c.fields[k] = (old, self.ids[kind])

    async def _roll_back(self, run: _Run, todo: list[Change], error: BaseException) -> ApplyResult:
        newest_first = list(reversed(run.undo))
        left = await self._roll_back_steps(newest_first, run.on_step)
        result = ApplyResult(ok=False, ids=dict(run.ids), error=error)
        result.rolled_back = [u.describe() for u in newest_first[: len(newest_first) - len(left)]]
        result.remaining = [u.describe() for u in left]
        result.journal = self.journal if left else None
        if run.state.get("credential") == "done" and any(
            c.kind == "credential" and c.action == "update" for c in todo
        ):
            result.notes.append("the credential's password was changed and stays changed")
        if run.generated and run.state.get("credential") == "done":
            # the credential it was made for stays (its password was changed): say it once
            result.generated_password = run.generated
        return result

    async def _roll_back_steps(self, undos: list[Undo], on_step: OnStep) -> list[Undo]:
        """Run ``undos`` through this plan's journal; what could not be undone comes back."""
        return await roll_back(
            self.client,
            undos,
            journal=self.journal,
            auth_id=self.auth_id,
            plan=plan_identity(self.bound_to),
            on_step=on_step,
        )

    async def undo_all(self, on_step: OnStep | None = None) -> list[Undo]:
        """Undo everything in ``undo``, newest first; return what could not be undone
        (it stays in ``undo`` and in the journal)."""
        undos, self.undo = list(reversed(self.undo)), []
        left = await self._roll_back_steps(undos, on_step or _ignore)
        self.undo = list(reversed(left))
        return left


async def _run_all(run: _Run, todo: list[Change]) -> asyncio.CancelledError | None:
    """Start every step once its dependencies are done; the CancelledError of a Ctrl-C."""
    tasks: dict[str, asyncio.Task[None]] = {}
    for c in todo:  # diff() lists each change after the ones it depends on
        deps = [tasks[d] for d in c.depends_on if d in tasks]
        tasks[c.kind] = asyncio.ensure_future(run.step(c, deps))
    try:
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)
    except asyncio.CancelledError as exc:
        pending = [t for t in tasks.values() if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending)
        return exc
    return None


async def apply_changes(
    client: Any,
    plan: Plan,
    changes: list[Change],
    *,
    on_step: Callable[[StepEvent], None] | None = None,
    password: str | None = None,
    journal: Path | None = None,
    auth_id: str = "",
) -> ApplyResult:
    """Carry out ``changes`` (from ``diff``) in one go: ``Applier.run`` for callers that
    hold no applier. All of it, or on failure none of it (see ``Applier.run``)."""
    applier = Applier(client, plan, password=password, auth_id=auth_id, journal=journal)
    return await applier.run(changes, on_step=on_step)
