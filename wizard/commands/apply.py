"""``byon apply``: the terminal face of wizard/plans/apply.py.

Human text goes to stderr; ``--json`` puts one object per line on stdout.

Order of a run (nothing changes in the account before the user has seen and accepted it):
1. Load the plan, the credentials and the password; without a terminal and without
   ``--yes`` (or ``--dry-run``), stop there with exit 2.
2. Take the lock of this account and plan (a second apply is refused, exit 1).
3. An unfinished rollback of an earlier run (its journal in the state dir) is shown
   step by step and, once accepted, finished first. ``--dry-run`` only shows it.
4. Read the account, show the diff, ask, apply, write the learned ids back.

A generated SIP password is printed once, to stderr, only on an interactive terminal
(never with ``--json``); elsewhere the plan's ``password_env`` must be set, or
``--password-file PATH`` names a new 0600 file for byon to put a generated one in.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

from wizard.errors import ByonError, PlanError, PlivoError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _out(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def _password(plan: Any) -> tuple[str | None, str | None]:
    """(password from the env var the plan names, error message)."""
    from wizard.plans.validate import check_password

    cred = plan.auth.credential if plan.auth is not None else None
    if cred is None or "credential" not in plan.auth.type:
        return None, None
    value = os.environ.get(cred.password_env) or None
    if value is not None:
        problem = check_password(value)
        if problem:
            return None, f"byon: ${cred.password_env}: {problem}"
    return value, None


def _interactive(args: Any) -> bool:
    """A person at a terminal: the only place a generated password may be shown."""
    return sys.stdin.isatty() and sys.stderr.isatty() and not getattr(args, "json", False)


def run_apply(args: Any) -> int:
    """`byon apply PLAN`: make the account match the plan (see the module docstring)."""
    from wizard.plans.journal import apply_lock, stray_journal
    from wizard.plans.plan import load_plan
    from wizard.plivo.env import credentials_from_env

    try:
        plan = load_plan(args.plan)
    except PlanError as exc:
        _err(f"byon: {exc}")
        return EXIT_BAD_INPUT
    try:
        creds = credentials_from_env(plan.auth_id)
    except ByonError as exc:
        _err(f"byon: {exc}")
        return EXIT_BAD_INPUT
    password, problem = _password(plan)
    if problem:
        _err(problem)
        return EXIT_BAD_INPUT
    stray = stray_journal(plan.source)
    if stray is not None:
        _err(
            f"byon: ignoring {stray}: a rollback journal beside a plan is never used (anyone "
            "who can change the plan's folder could have written it); byon keeps its own in "
            "its state dir."
        )
    if not args.dry_run and not args.yes and not sys.stdin.isatty():
        _err(
            "byon: no terminal to ask on; pass --yes to apply without asking "
            "(or --dry-run to only print the changes)."
        )
        return EXIT_BAD_INPUT
    if args.dry_run:
        return _dry_run(args, plan, creds)
    try:
        with apply_lock(plan.source, creds[0]):
            return _apply(args, plan, creds, password)
    except ByonError as exc:  # Busy: another apply holds the lock; or no state dir to lock in
        _err(f"byon: {exc}")
        return EXIT_FAILED


def _dry_run(args: Any, plan: Any, creds: tuple[str, str]) -> int:
    pending = _pending(args, plan, creds)
    if pending is None:
        return EXIT_FAILED
    prepared = asyncio.run(_prepare(args, plan, creds, before_undo=bool(pending)))
    if isinstance(prepared, int):
        return prepared
    changes, _ = prepared
    todo = [c for c in changes if c.action != "unchanged"]
    _password_plan(args, plan, todo, None, dry_run=True)
    undo = f"{len(pending)} undo step(s) and " if pending else ""
    _err(f"Dry run: {undo}{len(todo)} change(s) not applied.")
    return EXIT_OK


def _apply(args: Any, plan: Any, creds: tuple[str, str], password: str | None) -> int:
    """Steps 3 and 4 of the module docstring, under the lock."""
    pending = _pending(args, plan, creds)
    if pending is None:
        return EXIT_FAILED
    if pending:
        if not _ask(args, f"Finish the earlier rollback first ({len(pending)} step(s))?"):
            _err("Nothing done.")
            return EXIT_FAILED
        if not asyncio.run(_finish_rollback(args, plan, creds)):
            return EXIT_FAILED
    prepared = asyncio.run(_prepare(args, plan, creds))
    if isinstance(prepared, int):
        return prepared
    changes, _ = prepared
    todo = [c for c in changes if c.action != "unchanged"]
    pw = _password_plan(args, plan, todo, password)
    if isinstance(pw, int):
        return pw
    password, password_file = pw
    n = len(todo)
    if not _ask(args, f"Apply these {n} change{'s' if n != 1 else ''}?"):
        _err("Nothing applied.")
        return EXIT_FAILED
    if password_file and not _save_password(password_file, password):
        return EXIT_BAD_INPUT
    return asyncio.run(_execute(args, plan, creds, changes, password, password_file))


def _ask(args: Any, question: str) -> bool:
    """--yes, or the user's answer (asked outside the event loop, so Ctrl-C here simply
    ends byon with nothing sent; run_apply has made sure there is a terminal)."""
    if args.yes:
        return True
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _pending(args: Any, plan: Any, creds: tuple[str, str]) -> list[Any] | None:
    """The undo steps an earlier run left for this account and plan, shown; None when the
    journal cannot be trusted or read (the message says why, and nothing runs)."""
    from wizard.plans.journal import journal_path_for, read_journal

    try:
        path = journal_path_for(plan.source, creds[0])
        undos = read_journal(path, auth_id=creds[0], plan=plan.source)
    except ByonError as exc:
        _err(f"byon: {exc}")
        return None
    if undos:
        _err(
            f"An earlier apply of this plan could not finish its rollback ({path}). "
            f"byon apply finishes it before anything else, with these {len(undos)} step(s) "
            "(each only if the resource still holds what byon set):"
        )
        for u in undos:
            if getattr(args, "json", False):
                line = {"op": u.op, "kind": u.kind, "id": u.id or None, "name": u.name}
                _out({"event": "undo", **line, "line": u.describe()})
            _err(f"- undo {u.describe()}")
    return undos


async def _finish_rollback(args: Any, plan: Any, creds: tuple[str, str]) -> bool:
    from wizard.plans.journal import journal_path_for, resume

    journal = journal_path_for(plan.source, creds[0])
    async with _client(args, creds) as client:
        try:
            ok = await resume(
                client,
                journal,
                auth_id=creds[0],
                plan=plan.source,
                on_step=_printer(bool(getattr(args, "json", False))),
            )
        except ByonError as exc:
            _err(f"byon: {exc}")
            return False
    if not ok:
        _err(
            f"byon: the rollback is still not complete; {journal} lists what remains. "
            "Fix the cause shown above and run byon apply again."
        )
        return False
    _err("byon: the earlier rollback is complete")
    return True


def _printer(as_json: bool):
    from wizard.plans.journal import StepEvent

    marks = {"running": "..", "done": "ok", "failed": "!!", "rolled_back": "<-"}

    def show(ev: StepEvent) -> None:
        if as_json:
            _out(
                {
                    "event": "step",
                    "step": ev.step,
                    "state": ev.state,
                    "message": ev.message,
                    "rollback": ev.rollback,
                }
            )
        else:
            prefix = "rollback " if ev.rollback and ev.state != "rolled_back" else ""
            _err(f"  [{marks.get(ev.state, ev.state)}] {prefix}{ev.message}")

    return show


def _client(args: Any, creds: tuple[str, str]) -> Any:
    from wizard.plivo.client import PlivoClient
    from wizard.plivo.env import api_url_from_env

    return PlivoClient(creds[0], creds[1], base_url=api_url_from_env(args.api_url))


async def _prepare(
    args: Any, plan: Any, creds: tuple[str, str], *, before_undo: bool = False
) -> int | tuple[list[Any], str]:
    """Read the account and print the diff. An int is an exit code."""
    from wizard.plans.apply import change_json, diff, open_sip_warning, read_account, render_change
    from wizard.verify.takeover import restore_leftovers

    as_json = bool(getattr(args, "json", False))
    async with _client(args, creds) as client:
        if not args.dry_run:
            await restore_leftovers(client, _err)
        try:
            view = await read_account(client, plan)
            rotate = bool(getattr(args, "rotate_password", False))
            changes = diff(plan, view, rotate_password=rotate)
        except PlivoError as exc:
            _err(f"byon: reading the account failed: {exc}")
            return EXIT_FAILED
        except ByonError as exc:
            _err(f"byon: {exc}")
            return EXIT_FAILED
    for note in view.notes:
        _err(f"note: {note}")
    if before_undo:
        _err("note: the changes below are against the account as it is now, before the undo.")
    for c in changes:
        if as_json:
            _out({"event": "change", **change_json(c)})
        else:
            _err(render_change(c))
    _password_note(plan, changes, rotate)
    warning = open_sip_warning(plan, view)
    if warning:
        _err(warning)
    if all(c.action == "unchanged" for c in changes) and not before_undo:
        if not args.dry_run:
            _write_back(plan, _learned(plan, changes))
        _err("Nothing to change: the account already matches the plan.")
        if as_json:
            _out({"event": "result", "ok": True, "changed": 0})
        return EXIT_OK
    return changes, view.auth_id


def _password_note(plan: Any, changes: list[Any], rotate: bool) -> None:
    cred = plan.auth.credential if plan.auth is not None else None
    if (
        cred is not None
        and os.environ.get(cred.password_env)
        and not rotate
        and any(c.kind == "credential" and c.action == "unchanged" for c in changes)
    ):
        _err(
            f"note: credential {cred.username} exists, so ${cred.password_env} was not "
            "applied (Plivo cannot say whether it matches); pass --rotate-password to set it."
        )


def _password_plan(
    args: Any, plan: Any, todo: list[Any], password: str | None, *, dry_run: bool = False
) -> int | tuple[str | None, str | None]:
    """(password, password file) for the run, or exit 2 when byon may not generate one.

    Outside an interactive terminal a generated password would land in a log, so byon
    generates only into ``--password-file`` (a new 0600 file)."""
    from wizard.plans.passwords import generate_password

    setting = next((c for c in todo if c.kind == "credential"), None)
    path = getattr(args, "password_file", None)
    if setting is None or password is not None:
        return password, None
    cred = plan.auth.credential
    if path:
        if os.path.lexists(path):
            _err(f"byon: --password-file {path} already exists; name a new file.")
            return EXIT_BAD_INPUT
        return generate_password(), path
    if _interactive(args):
        return None, None  # generated by apply and shown once on this terminal
    message = (
        f"{setting.action} credential {cred.username} needs its SIP password, and byon "
        "shows a generated one only on an interactive terminal (never in --json or a log). "
        f"Set ${cred.password_env} (the plan's password_env), or pass --password-file PATH "
        "to have byon put a generated one in a new 0600 file."
    )
    if dry_run:
        _err(f"note: a real run would stop here: {message}")
        return None, None
    _err(f"byon: {message}")
    return EXIT_BAD_INPUT


def _save_password(path: str, password: str | None) -> bool:
    from wizard.files import write_new_private

    try:
        write_new_private(path, f"{password}\n")
    except ByonError as exc:
        _err(f"byon: --password-file: {exc}")
        return False
    return True


async def _execute(
    args: Any,
    plan: Any,
    creds: tuple[str, str],
    changes: list[Any],
    password: str | None,
    password_file: str | None,
) -> int:
    from wizard.plans.apply import apply_changes, learned_ids
    from wizard.plans.journal import journal_path_for

    as_json = bool(getattr(args, "json", False))
    todo = [c for c in changes if c.action != "unchanged"]
    journal = journal_path_for(plan.source, creds[0])
    async with _client(args, creds) as client:
        try:
            result = await apply_changes(
                client,
                plan,
                changes,
                on_step=_printer(as_json),
                password=password,
                journal=journal,
                auth_id=creds[0],
            )
        except asyncio.CancelledError:
            if journal.exists():
                _err(f"byon: interrupted; {journal} lists what remains to undo.")
            else:
                _err("byon: interrupted; what this run changed was rolled back.")
            raise
    for note in result.notes:
        _err(f"note: {note}")
    if not result.ok:
        return _failed(result, as_json, password_file)
    _write_back(plan, learned_ids(plan, result.ids))
    _say_password(plan, result, password_file)
    _err(f"Done: {len(todo)} change(s) applied.")
    if as_json:
        _out({"event": "result", "ok": True, "changed": len(todo), "ids": result.ids})
    return EXIT_OK


def _failed(result: Any, as_json: bool, password_file: str | None) -> int:
    _err(f"byon: apply failed: {result.error}")
    if result.remaining:
        _err(
            f"byon: the rollback could not finish; {result.journal} lists what remains "
            "and the next byon apply of this plan shows it and finishes it first."
        )
    elif result.rolled_back:
        _err("byon: everything this run changed was rolled back; the account is as it was.")
    kept = any("password was changed" in n for n in result.notes)
    kept = kept or any("credential" in r for r in result.remaining)
    if password_file and not kept:
        # the credential it was made for is gone (or never changed): no stray secret
        try:
            os.unlink(password_file)
            _err(f"byon: removed {password_file}: its password was not put in use.")
        except OSError:
            _err(f"byon: {password_file} holds a password that was not put in use; delete it.")
    if as_json:
        _out(
            {
                "event": "result",
                "ok": False,
                "error": str(result.error),
                "rolled_back": result.rolled_back,
                "remaining": result.remaining,
            }
        )
    return EXIT_FAILED


def _say_password(plan: Any, result: Any, password_file: str | None) -> None:
    cred = plan.auth.credential if plan.auth is not None else None
    if password_file and cred is not None:
        _err(
            f"SIP password for {cred.username} written to {password_file} (0600); enter it at "
            f"your provider, then keep it in ${cred.password_env} for later runs."
        )
    elif result.generated_password and cred is not None:
        _err(
            f"\nSIP password for {cred.username} (shown once; byon stores it nowhere):\n\n"
            f"    {result.generated_password}\n\n"
            f"Enter it at your provider now. To reuse it in later runs, keep it in "
            f"${cred.password_env}.\n"
        )


def _learned(plan: Any, changes: list[Any]) -> dict[str, str]:
    from wizard.plans.apply import learned_ids

    ids = {
        c.kind: ("+" + c.resource_id if c.kind == "number" else c.resource_id)
        for c in changes
        if c.resource_id
    }
    return learned_ids(plan, ids)


def _write_back(plan: Any, ids: dict[str, str]) -> None:
    from wizard.plans.plan import write_back_ids

    if not ids or plan.source is None:
        return
    try:
        write_back_ids(plan.source, ids)
    except (OSError, ByonError) as exc:
        # The account is right; only the file lags. Say which ids to copy by hand.
        _err(
            f"byon: could not write the ids back into {plan.source} ({exc}): "
            + ", ".join(f"{k} = {v}" for k, v in ids.items())
        )
    else:
        _err(f"Wrote {', '.join(ids)} back into {plan.source}.")
