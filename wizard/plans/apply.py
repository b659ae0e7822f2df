"""Make the account match a plan: read, diff (+ / ~ / =), apply in dependency order, roll back.

Decisions (also in docs of ``byon apply``):
- Ids in the plan win. An id that no longer exists (a plan copied from staging to
  production, a resource deleted in the console) is not an error: apply falls back
  to the name, says so in a note, and writes the right id back.
- Two applications (or ACLs) with the plan's name and no id in the plan: refused,
  because picking one would be a guess; the message says to set the id.
- An existing credential's password is only changed with ``rotate_password``
  (``--rotate-password``): Plivo cannot tell whether it already matches.
- Steps that cannot be undone (buying a number, changing a password) run after
  every step that can, so a failure never needs to undo them.
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
import ipaddress
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
from wizard.plans.journal import (
    OnStep,
    StepEvent,
    Undo,
    find_ids_by_name,
    journal_path_for,
    roll_back,
)
from wizard.plans.passwords import generate_password
from wizard.plivo.facts import sip_uri

if TYPE_CHECKING:
    from wizard.plans.plan import Plan
    from wizard.plivo.client import Application, AvailableNumber, Credential, IpAcl, Number

__all__ = [
    "AccountView",
    "ApplyResult",
    "Change",
    "StepEvent",
    "apply_changes",
    "diff",
    "read_account",
    "render_change",
]

NEW = "(new)"  # stands for an id that this run will create
KINDS = ("ip_acl", "credential", "application", "number")


@dataclass
class AccountView:
    """The plan's resources as they exist in the account (None: not there)."""

    auth_id: str = ""
    application: Application | None = None
    ip_acl: IpAcl | None = None
    credential: Credential | None = None
    number: Number | None = None  # the plan's number, or the app's number when buying
    available: list[AvailableNumber] = field(default_factory=list)  # search results (buy)
    notes: list[str] = field(default_factory=list)


@dataclass
class Change:
    action: str  # "create" | "update" | "unchanged"
    kind: str  # "ip_acl" | "credential" | "application" | "number"
    name: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    depends_on: tuple[str, ...] = ()  # kinds that must be done first
    resource_id: str = ""  # the existing resource's id (update / unchanged)

    @property
    def irreversible(self) -> bool:
        """Buying a number or changing a password cannot be taken back by the API."""
        return (self.kind == "number" and self.action == "create") or (
            self.kind == "credential" and self.action == "update"
        )


@dataclass
class ApplyResult:
    ok: bool
    ids: dict[str, str] = field(default_factory=dict)  # kind -> id (numbers as E.164)
    generated_password: str | None = field(default=None, repr=False)
    error: BaseException | None = None
    rolled_back: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)  # undo steps left in the journal
    journal: Path | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading


def _digits(number: str) -> str:
    return number.strip().lstrip("+")


def _e164(digits: str) -> str:
    return "+" + digits.lstrip("+") if digits else ""


def _auth_kinds(plan: Plan) -> tuple[bool, bool]:
    """(wants an ACL, wants a credential) for a direct_sip plan."""
    if plan.option != "direct_sip" or plan.auth is None:
        return False, False
    t = plan.auth.type
    return ("ip_acl" in t and plan.auth.ip_acl is not None), (
        "credential" in t and plan.auth.credential is not None
    )


def _one(found: list[Any], kind: str, name: str, id_key: str) -> Any:
    if len(found) > 1:
        ids = ", ".join(getattr(f, id_key) for f in found)
        raise ByonError(
            f"{len(found)} {kind}s are named {name!r} in this account ({ids}).",
            hint=f"Set {id_key} in the plan to the one to use.",
        )
    return found[0] if found else None


async def _find_app(client: Any, plan: Plan, notes: list[str]) -> Application | None:
    ap = plan.application
    if ap.app_id:
        try:
            return await client.get_application(ap.app_id)
        except NotFound:
            notes.append(f"application {ap.app_id} no longer exists; looking it up by name")
    apps = await client.list_applications(app_name=ap.name)
    return _one([a for a in apps if a.app_name == ap.name], "application", ap.name, "app_id")


async def _find_acl(client: Any, plan: Plan, notes: list[str]) -> IpAcl | None:
    acl = plan.auth.ip_acl  # type: ignore[union-attr]
    if acl.ip_acl_uuid:
        try:
            return await client.get_ip_acl(acl.ip_acl_uuid)
        except NotFound:
            notes.append(f"ip_acl {acl.ip_acl_uuid} no longer exists; looking it up by name")
    found = [a for a in await client.list_ip_acls() if a.name == acl.name]
    return _one(found, "ip_acl", acl.name, "ip_acl_uuid")


async def _find_credential(client: Any, plan: Plan, notes: list[str]) -> Credential | None:
    cred = plan.auth.credential  # type: ignore[union-attr]
    if cred.credential_uuid:
        try:
            got = await client.get_credential(cred.credential_uuid)
            if got.username == cred.username:
                return got
            # A username cannot change on Plivo: the plan's username is what counts.
            notes.append(
                f"credential {cred.credential_uuid} has username {got.username!r}, "
                f"not {cred.username!r}; looking it up by username"
            )
        except NotFound:
            notes.append(
                f"credential {cred.credential_uuid} no longer exists; looking it up by username"
            )
    found = [c for c in await client.list_credentials() if c.username == cred.username]
    return _one(found, "credential", cred.username, "credential_uuid")


async def _find_number(client: Any, plan: Plan) -> Number | list[Number] | None:
    fwd = plan.forwarding
    if fwd.plivo_number == "buy":  # type: ignore[union-attr]
        return await client.list_numbers()
    try:
        return await client.get_number(_digits(fwd.plivo_number))  # type: ignore[union-attr]
    except NotFound:
        raise ByonError(
            f"{fwd.plivo_number} is not a number this Plivo account rents.",  # type: ignore[union-attr]
            hint='Rent it first, or set plivo_number = "buy" with a [forwarding.search].',
        ) from None


async def _search(client: Any, plan: Plan) -> list[AvailableNumber]:
    s = plan.forwarding.search  # type: ignore[union-attr]
    if s is None:
        raise ByonError(
            'plivo_number = "buy" needs a [forwarding.search] section.',
            hint="Add country_iso, type and pattern under [forwarding.search].",
        )
    return await client.search_phone_numbers(
        s.country_iso, type=s.type or None, pattern=s.pattern or None, limit=1
    )


async def _none() -> None:
    return None


async def read_account(client: Any, plan: Plan) -> AccountView:
    """Fetch everything the plan touches, in one concurrent round of GETs."""
    notes: list[str] = []
    want_acl, want_cred = _auth_kinds(plan)
    fwd = plan.forwarding if plan.option == "did_forwarding" else None
    buying = fwd is not None and fwd.plivo_number == "buy"
    account, app, acl, cred, number, available = await asyncio.gather(
        client.get_account(),
        _find_app(client, plan, notes),
        _find_acl(client, plan, notes) if want_acl else _none(),
        _find_credential(client, plan, notes) if want_cred else _none(),
        _find_number(client, plan) if fwd is not None else _none(),
        _search(client, plan) if buying else _none(),
    )
    if isinstance(number, list):  # buying: a number already routed to the app counts as bought
        mine = sorted(n.number for n in number if app is not None and n.app_id == app.app_id)
        number = next((n for n in number if mine and n.number == mine[0]), None)
    return AccountView(
        auth_id=account.auth_id,
        application=app,
        ip_acl=acl,
        credential=cred,
        number=number,
        available=list(available or []),
        notes=notes,
    )


# ---------------------------------------------------------------- diff


def _norm_entries(entries: Any) -> set[str]:
    out = set()
    for e in entries or ():
        try:
            out.add(str(ipaddress.ip_network(str(e).strip(), strict=False)))
        except ValueError:
            out.add(str(e).strip())
    return out


def diff(plan: Plan, view: AccountView, *, rotate_password: bool = False) -> list[Change]:
    """The changes that make the account match the plan, in dependency order."""
    changes: list[Change] = []
    want_acl, want_cred = _auth_kinds(plan)
    created: set[str] = set()

    if want_acl:
        p = plan.auth.ip_acl  # type: ignore[union-attr]
        cur = view.ip_acl
        if cur is None:
            changes.append(Change("create", "ip_acl", p.name, {"ip_addresses": (None, p.entries)}))
            created.add("ip_acl")
        else:
            f: dict[str, tuple[Any, Any]] = {}
            if cur.name != p.name:
                f["name"] = (cur.name, p.name)
            if _norm_entries(cur.ip_addresses) != _norm_entries(p.entries):
                f["ip_addresses"] = (list(cur.ip_addresses), list(p.entries))
            changes.append(
                Change("update" if f else "unchanged", "ip_acl", p.name, f, (), cur.ip_acl_uuid)
            )

    if want_cred:
        p = plan.auth.credential  # type: ignore[union-attr]
        cur = view.credential
        if cur is None:
            changes.append(
                Change("create", "credential", p.username, {"username": (None, p.username)})
            )
            created.add("credential")
        elif rotate_password:
            changes.append(
                Change(
                    "update",
                    "credential",
                    p.username,
                    {"password": ("***", NEW)},
                    (),
                    cur.credential_uuid,
                )
            )
        else:
            changes.append(
                Change("unchanged", "credential", p.username, {}, (), cur.credential_uuid)
            )

    ap = plan.application
    want: dict[str, Any] = {
        "answer_url": ap.answer_url,
        "answer_method": (ap.answer_method or "POST").upper(),
    }
    if ap.hangup_url:  # empty: leave Plivo's value (it defaults to answer_url)
        want["hangup_url"] = ap.hangup_url
    if want_acl or want_cred:
        want["sip_auth_type"] = plan.auth.type  # type: ignore[union-attr]
        if want_acl:
            want["ip_acl_uuid"] = view.ip_acl.ip_acl_uuid if view.ip_acl else NEW
        if want_cred:
            want["credential_uuid"] = view.credential.credential_uuid if view.credential else NEW
    app_deps = tuple(k for k in ("ip_acl", "credential") if k in created)
    app = view.application
    if app is None:
        changes.append(
            Change(
                "create", "application", ap.name, {k: (None, v) for k, v in want.items()}, app_deps
            )
        )
        created.add("application")
    else:
        f = {}
        if app.app_name != ap.name:
            f["app_name"] = (app.app_name, ap.name)
        for k, v in want.items():
            old = getattr(app, k, "") or ""
            if k == "answer_method":
                old = (old or "POST").upper()
            if old != v:
                f[k] = (old, v)
        changes.append(
            Change("update" if f else "unchanged", "application", ap.name, f, app_deps, app.app_id)
        )

    fwd = plan.forwarding if plan.option == "did_forwarding" else None
    if fwd is not None:
        target = app.app_id if app is not None else NEW
        app_dep = ("application",) if "application" in created else ()
        if view.number is not None and (
            fwd.plivo_number == "buy" or _digits(fwd.plivo_number) == view.number.number
        ):
            n = view.number
            if n.app_id == target:
                changes.append(Change("unchanged", "number", _e164(n.number), {}, (), n.number))
            else:
                changes.append(
                    Change(
                        "update",
                        "number",
                        _e164(n.number),
                        {"app_id": (n.app_id or None, target)},
                        app_dep,
                        n.number,
                    )
                )
        elif fwd.plivo_number == "buy":
            if not view.available:
                s = fwd.search
                raise ByonError(
                    f"No number to buy matches country {s.country_iso if s else '?'}, "
                    f"type {s.type if s else '?'}, pattern {s.pattern if s else '?'!r}.",
                    hint="Widen [forwarding.search] (a shorter pattern, another type) and retry.",
                )
            pick = view.available[0].number
            changes.append(
                Change("create", "number", _e164(pick), {"app_id": (None, target)}, app_dep)
            )

    # Irreversible steps wait for every reversible one, so a failure never has to undo them.
    reversible = tuple(c.kind for c in changes if c.action != "unchanged" and not c.irreversible)
    for c in changes:
        if c.irreversible:
            extra = tuple(k for k in reversible if k != c.kind)
            if c.kind == "number":
                extra += tuple(x.kind for x in changes if x.irreversible and x.kind != "number")
            c.depends_on = tuple(dict.fromkeys(c.depends_on + extra))
    return changes


def _fmt(v: Any) -> str:
    if v is None or v == "":
        return "(none)"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return str(v)


def open_sip_warning(plan: Plan, view: AccountView) -> str | None:
    """DID forwarding leaves the application without SIP auth: say so, every time.

    The plan file cannot secure it (no [auth] with did_forwarding), so the CLI and
    the wizard both warn, and `byon audit` lists it."""
    if plan.option != "did_forwarding":
        return None
    app = view.application
    if app is not None and app.sip_auth_type:
        return None
    where = sip_uri(app.app_id) if app is not None else "its SIP URI"
    return (
        f"warning: application {plan.application.name} accepts SIP calls to {where} with no "
        "authentication (toll-fraud risk). DID forwarding reaches it through the Plivo number, "
        "not the SIP URI; byon audit lists every such application."
    )


def render_change(c: Change) -> str:
    """One line: ``+ create ...``, ``~ update ...: field old -> new``, ``= unchanged ...``."""
    if c.action == "unchanged":
        return f"= unchanged {c.kind} {c.name}"
    if c.action == "create":
        if c.kind == "ip_acl":
            n = len(c.fields["ip_addresses"][1])
            detail = f"({n} entr{'y' if n == 1 else 'ies'})"
        elif c.kind == "number":
            detail = f"(buy; app_id {_fmt(c.fields['app_id'][1])})"
        elif c.kind == "application":
            detail = (
                "(" + ", ".join(f"{k} {_fmt(new)}" for k, (_old, new) in c.fields.items()) + ")"
            )
        else:
            detail = ""
        return f"+ create {c.kind} {c.name} {detail}".rstrip()
    parts = ", ".join(f"{k} {_fmt(old)} -> {_fmt(new)}" for k, (old, new) in c.fields.items())
    return f"~ update {c.kind} {c.name}: {parts}"


def change_json(c: Change) -> dict[str, Any]:
    return {
        "action": c.action,
        "kind": c.kind,
        "name": c.name,
        "id": c.resource_id or None,
        "fields": {k: [old, new] for k, (old, new) in c.fields.items()},
        "depends_on": list(c.depends_on),
        "line": render_change(c),
    }


# ---------------------------------------------------------------- applying


def _definite(exc: BaseException | None) -> bool:
    """Plivo answered with a refusal, so the request changed nothing. 5xx, timeouts and
    dropped connections are ambiguous: the change may have happened."""
    return isinstance(exc, BadRequest | AuthError | NotFound | Conflict | RateLimited)


class _Skipped(Exception):
    """A step that did not start because a step it depends on failed."""


def _ignore(_event: StepEvent) -> None:
    return None


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
        self.on_step(StepEvent(step, state, scrub(message, self.secrets)))

    def resolve(self, v: Any, kind: str) -> Any:
        if v != NEW:
            return v
        if kind not in self.ids:
            # Only when a caller passes a change without the change that creates its input.
            raise ByonError(f"the {kind} this step needs does not exist yet; apply it first")
        return self.ids[kind]

    async def do(self, c: Change) -> None:
        cl = self.client
        if c.kind == "ip_acl":
            p = self.plan.auth.ip_acl  # type: ignore[union-attr]
            if c.action == "create":
                acl = await cl.create_ip_acl(p.name, list(p.entries))
                self.ids["ip_acl"] = acl.ip_acl_uuid
                self.undo.append(Undo("delete", "ip_acl", acl.ip_acl_uuid, p.name))
            else:
                old = {k: o for k, (o, _n) in c.fields.items()}
                now = {k: n for k, (_o, n) in c.fields.items()}  # what byon sets: the undo's CAS
                await self.update(
                    Undo("update", "ip_acl", c.resource_id, p.name, old, now),
                    cl.update_ip_acl(
                        c.resource_id,
                        name=p.name if "name" in c.fields else None,
                        ip_addresses=list(p.entries) if "ip_addresses" in c.fields else None,
                    ),
                )
        elif c.kind == "credential":
            p = self.plan.auth.credential  # type: ignore[union-attr]
            pw = self.password
            if pw is None:
                pw = self.generated = generate_password()
            self.secrets.append(pw)
            if c.action == "create":
                cred = await cl.create_credential(p.username, pw)
                self.ids["credential"] = cred.credential_uuid
                self.undo.append(Undo("delete", "credential", cred.credential_uuid, p.username))
            else:
                await cl.update_credential(c.resource_id, pw)
        elif c.kind == "application":
            new = {k: self.resolve(n, k.removesuffix("_uuid")) for k, (_o, n) in c.fields.items()}
            if c.action == "create":
                app = await cl.create_application(app_name=c.name, **new)
                self.ids["application"] = app.app_id
                self.undo.append(Undo("delete", "application", app.app_id, c.name))
            else:
                old = {k: o or "" for k, (o, _n) in c.fields.items()}
                await self.update(
                    Undo("update", "application", c.resource_id, c.name, old, new),
                    cl.update_application(c.resource_id, **new),
                )
        elif c.kind == "number":
            app_id = self.resolve(c.fields["app_id"][1], "application")
            digits = _digits(c.name)
            if c.action == "create":
                await cl.buy_phone_number(digits, app_id=app_id)
            else:
                old = c.fields["app_id"][0] or ""
                await self.update(
                    Undo("update", "number", digits, c.name, {"app_id": old}, {"app_id": app_id}),
                    cl.assign_number(digits, app_id),
                )
            self.ids["number"] = _e164(digits)

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
        self.emit(c.kind, "done", f"{verb} {c.kind} {c.name} ({self.ids.get(c.kind, '')})".strip())

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
    """Carry out ``changes`` (from ``diff``), independent steps concurrently.

    On failure, rolls back what this run did (newest first) and returns ``ok=False``;
    on cancellation (Ctrl-C), rolls back and re-raises. A rollback that cannot finish
    is left in ``journal`` (default: this account and plan's, in the state dir) for the next run.
    """
    run = _Run(client, plan, password, on_step or _ignore)
    if password:
        run.secrets.append(password)
    for c in changes:
        if c.resource_id:
            run.ids[c.kind] = _e164(c.resource_id) if c.kind == "number" else c.resource_id
    todo = [c for c in changes if c.action != "unchanged"]
    tasks: dict[str, asyncio.Task[None]] = {}
    for c in todo:  # diff() lists each change after the ones it depends on
        deps = [tasks[d] for d in c.depends_on if d in tasks]
        tasks[c.kind] = asyncio.ensure_future(run.step(c, deps))
    cancelled: BaseException | None = None
    try:
        if tasks:
            await asyncio.gather(*tasks.values(), return_exceptions=True)
    except asyncio.CancelledError as exc:
        cancelled = exc
        pending = [t for t in tasks.values() if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.wait(pending)
    failed = {k: e for k, e in run.errors.items() if not isinstance(e, _Skipped)}
    result = ApplyResult(ok=False, ids=dict(run.ids), generated_password=run.generated)
    if not failed and cancelled is None:
        result.ok = True
        return result

    result.notes += await run.settle_unknown(todo)
    failed = {k: e for k, e in run.errors.items() if not isinstance(e, _Skipped)}
    if not failed and cancelled is None:
        result.ok = True
        result.ids = dict(run.ids)
        return result
    result.error = cancelled or next(iter(failed.values()))
    account = auth_id or getattr(client, "auth_id", "")
    jpath = journal or journal_path_for(plan.source, account)
    left = await roll_back(
        client,
        list(reversed(run.undo)),
        journal=jpath,
        auth_id=account,
        plan=str(plan.source or ""),
        on_step=on_step or _ignore,
    )
    newest_first = list(reversed(run.undo))
    result.rolled_back = [u.describe() for u in newest_first[: len(newest_first) - len(left)]]
    result.remaining = [u.describe() for u in left]
    result.journal = jpath if left else None
    if run.state.get("credential") == "done" and any(
        c.kind == "credential" and c.action == "update" for c in todo
    ):
        result.notes.append("the credential's password was changed and stays changed")
    if run.generated and run.state.get("credential") != "done":
        result.generated_password = None  # never shown: the credential it was for is gone
    if cancelled is not None:
        raise cancelled
    return result


def learned_ids(plan: Plan, ids: dict[str, str]) -> dict[str, str]:
    """The write_back_ids keys whose value differs from what the plan file holds."""
    out: dict[str, str] = {}
    if ids.get("application") and ids["application"] != plan.application.app_id:
        out["application.app_id"] = ids["application"]
    want_acl, want_cred = _auth_kinds(plan)
    if want_acl and ids.get("ip_acl") and ids["ip_acl"] != plan.auth.ip_acl.ip_acl_uuid:  # type: ignore[union-attr]
        out["auth.ip_acl.ip_acl_uuid"] = ids["ip_acl"]
    if (
        want_cred
        and ids.get("credential")
        and ids["credential"] != plan.auth.credential.credential_uuid  # type: ignore[union-attr]
    ):
        out["auth.credential.credential_uuid"] = ids["credential"]
    fwd = plan.forwarding
    if (
        plan.option == "did_forwarding"
        and fwd is not None
        and ids.get("number")
        and fwd.plivo_number == "buy"
    ):
        out["forwarding.plivo_number"] = ids["number"]
    return out
