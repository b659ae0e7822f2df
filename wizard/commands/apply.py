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
from wizard.plivo.facts import uses_credential

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _out(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def _password(plan: Any) -> tuple[str | None, str | None]:
    """(password from the env var the plan names, error message)."""
    from wizard.plans.validate import check_password

    cred = plan.auth.credential if plan.auth is not None else None
    if cred is None or not uses_credential(plan.auth.type):
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
    from wizard.plans.plan import load_plan_with_warnings
    from wizard.plivo.env import credentials_from_env

    try:
        plan, warnings = load_plan_with_warnings(args.plan)
    except PlanError as exc:
        _err(f"byon: {exc}")
        return EXIT_BAD_INPUT
    if not args.dry_run and plan.source is not None and os.path.islink(plan.source):
        # the ids a run learns are written back into the plan, never through a link
        # (write_atomic): refused now, before a change the file could not record
        _err(
            f"byon: {plan.source} is a symbolic link; byon writes the ids it creates back "
            "into the plan and never through a link, so nothing was applied. Apply the "
            "file it points to (or a copy); --dry-run works on the link."
        )
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
    _show_warnings(args, plan, warnings)
    if not args.dry_run and not args.yes and not sys.stdin.isatty():
        _err(
            "byon: no terminal to ask on; pass --yes to apply without asking "
            "(or --dry-run to only print the changes)."
        )
        return EXIT_BAD_INPUT
    # the plan alone shows a wide ACL: refused before any request is sent
    wide = _risks(plan, None, "wide_acl_entry")
    if not (args.dry_run or getattr(args, "allow_wide_acl", False)) and _refused(args, plan, wide):
        return EXIT_BAD_INPUT
    if args.dry_run:
        return _dry_run(args, plan, creds, password)
    try:
        with apply_lock(plan.source, creds[0]):
            return _apply(args, plan, creds, password)
    except ByonError as exc:  # Busy: another apply holds the lock; or no state dir to lock in
        _err(f"byon: {exc}")
        return EXIT_FAILED


def _dry_run(args: Any, plan: Any, creds: tuple[str, str], password: str | None) -> int:
    """Print what a real run would do (the journal's steps too); change nothing, write
    nothing (cli.md)."""
    prepared = asyncio.run(_prepare(args, plan, creds, password))
    if isinstance(prepared, int):
        return prepared
    applier = prepared
    application = applier.view.application
    if _refused(args, plan, _risks(plan, application), application):
        return EXIT_BAD_INPUT  # what apply would answer: the dry run predicts it
    todo = applier.pending()
    _password_plan(args, plan, todo, password, dry_run=True)
    undos = len(applier.journal_steps())
    if not todo and not undos:
        _err("Nothing to change: the account already matches the plan.")
        return EXIT_OK
    undo = f"{undos} undo step(s) and " if undos else ""
    _err(f"Dry run: {undo}{len(todo)} change(s) not applied.")
    return EXIT_OK


def _apply(args: Any, plan: Any, creds: tuple[str, str], password: str | None) -> int:
    """Steps 3 and 4 of the module docstring, under the lock."""
    prepared = asyncio.run(_prepare(args, plan, creds, password))
    if isinstance(prepared, int):
        return prepared
    applier = prepared
    application = applier.view.application
    if _refused(args, plan, _risks(plan, application), application):
        return EXIT_BAD_INPUT
    if not applier.pending():
        _write_back(plan, applier.ids)
        _err("Nothing to change: the account already matches the plan.")
        if getattr(args, "json", False):
            _out({"event": "result", "ok": True, "changed": 0})
        return EXIT_OK
    pw = _password_plan(args, plan, applier.pending(), password)
    if isinstance(pw, int):
        return pw
    password, password_file = pw
    if not args.yes and not _confirm(applier):
        # asked outside the event loop, so Ctrl-C here simply ends byon with nothing sent
        _err("Nothing applied.")
        return EXIT_FAILED
    if password_file:
        if not _save_password(password_file, password):
            return EXIT_BAD_INPUT
        applier.password = password
    return asyncio.run(_execute(args, plan, creds, applier, password_file))


def _ask(args: Any, question: str) -> bool:
    """--yes, or the user's answer (run_apply has made sure there is a terminal)."""
    if args.yes:
        return True
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _show_warnings(args: Any, plan: Any, warnings: list[Any]) -> None:
    """The plan's warnings, the very lines `byon settings` prints, before any question."""
    from wizard.plans.plan import format_warnings

    for w, line in zip(warnings, format_warnings(warnings, plan.source), strict=True):
        _err(f"byon: {line}")
        if getattr(args, "json", False):
            _out({"event": "warning", "key": w.key, "message": w.message})


def _risks(plan: Any, application: Any, kind: str = "") -> list[Any]:
    """The dangerous risks (risks.py) of applying the plan, those of one kind if given."""
    from wizard.plans.risks import dangerous_risks

    return [r for r in dangerous_risks(plan, application) if not kind or r.kind == kind]


def _refused(args: Any, plan: Any, risks: list[Any], application: Any = None) -> bool:
    """Say why apply stops for each risk not accepted by its flag; True if any.

    ``application`` is the plan's application as the account has it now. One that is
    open already is not made open by this apply: that is a warning (``byon audit`` lists
    it), so a plan `byon export` wrote applies as it is. Creating an open one is refused."""
    from wizard.plans.plan import key_locator

    if not risks:
        return False
    allowed = {
        "--allow-wide-acl": getattr(args, "allow_wide_acl", False),
        "--allow-open-sip": getattr(args, "allow_open_sip", False),
    }
    already = [r for r in risks if r.kind == "open_sip_uri" and application is not None]
    refused = [r for r in risks if not allowed[r.flag] and r not in already]
    # cli.md: a bad-input message names the file, line and key
    at = key_locator(plan.source) if plan.source else str

    for r in risks:
        if r in already and not allowed[r.flag]:
            _err(f"byon: {at(r.key)}: warning: {r.message} (already so in the account)")
        elif r not in refused:
            _err(f"warning: {r.message} (accepted with {r.flag})")
    for r in refused:
        _err(
            f"byon: {at(r.key)}: refused: {r.message}. Nothing was changed: {r.fix}, or pass "
            f"{r.flag} to apply it knowing the risk."
        )
    if refused and getattr(args, "json", False):
        _out(
            {
                "event": "result",
                "ok": False,
                "refused": [
                    {"kind": r.kind, "key": r.key, "message": r.message, "flag": r.flag}
                    for r in refused
                ],
            }
        )
    return bool(refused)


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


def _confirm(applier: Any) -> bool:
    """The user's yes or no (run_apply has made sure there is a terminal). With an
    existing credential the plan did not make, "r" rotates its password too."""
    n = len(applier.pending())
    adopted = next((c for c in applier.changes if c.adopted), None)
    if adopted is not None:
        sys.stderr.write(
            f"Apply these {n} change{'s' if n != 1 else ''}? [y = apply, keeping the password "
            f"of {adopted.name} / r = apply and rotate its password / N = stop] "
        )
    else:
        sys.stderr.write(f"Apply these {n} change{'s' if n != 1 else ''}? [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline().strip().lower()
    except EOFError:
        return False
    if adopted is not None and answer in ("r", "rotate"):
        applier.rotate_password = True
        applier.changes = _rediff(applier)
        return True
    return answer in ("y", "yes")


def _rediff(applier: Any) -> list[Any]:
    from wizard.plans.diff import diff, render_change

    changes = diff(applier.plan, applier.view, rotate_password=applier.rotate_password)
    for c in changes:
        if c.action != "unchanged":
            _err(render_change(c))
    return changes


def _client(args: Any, creds: tuple[str, str]) -> Any:
    from wizard.plivo.client import PlivoClient
    from wizard.plivo.env import api_url_from_env

    return PlivoClient(creds[0], creds[1], base_url=api_url_from_env(args.api_url))


async def _prepare(args: Any, plan: Any, creds: tuple[str, str], password: str | None) -> int | Any:
    """Finish an earlier rollback, read the account, print the diff: the Applier that holds
    them, or an exit code."""
    from wizard.plans.apply import Applier
    from wizard.verify.takeover import restore_leftovers

    as_json = bool(getattr(args, "json", False))
    rotate = bool(getattr(args, "rotate_password", False))
    async with _client(args, creds) as client:
        applier = Applier(client, plan, password=password, auth_id=creds[0], rotate_password=rotate)
        if not args.dry_run:
            await restore_leftovers(client, _err)
        try:
            code = await _journal_first(args, applier, as_json)
            if code is not None:
                return code
            await applier.read()
        except PlivoError as exc:
            _err(f"byon: reading the account failed: {exc}")
            return EXIT_FAILED
        except ByonError as exc:
            _err(f"byon: {exc}")
            return EXIT_FAILED
    _show_changes(args, plan, applier, as_json)
    return applier


async def _journal_first(args: Any, applier: Any, as_json: bool) -> int | None:
    """An earlier run's unfinished rollback of this account and plan (in the state dir):
    its steps shown; --dry-run stops there, a real run asks and finishes it first."""
    journal = applier.journal
    undos = applier.journal_steps()  # ByonError when the journal is not byon's own
    if not undos:
        return None
    _err(
        f"An earlier apply of this plan could not finish its rollback ({journal}). "
        f"byon apply finishes it before anything else, with these {len(undos)} step(s) "
        "(each only if the resource still holds what byon set):"
    )
    for u in undos:
        if as_json:
            line = {"op": u.op, "kind": u.kind, "id": u.id or None, "name": u.name}
            _out({"event": "undo", **line, "line": u.describe()})
        _err(f"- undo {u.describe()}")
    if args.dry_run:
        _err("note: the changes below are against the account as it is now, before the undo.")
        return None
    if not _ask(args, f"Finish the earlier rollback first ({len(undos)} step(s))?"):
        _err("Nothing done.")
        return EXIT_FAILED
    if not await applier.finish_journal(_printer(as_json)):
        _err(
            f"byon: the rollback is still not complete; {journal} lists what "
            "remains. Fix the cause shown above and run byon apply again."
        )
        return EXIT_FAILED
    _err("byon: the earlier rollback is complete")
    return None


def _show_changes(args: Any, plan: Any, applier: Any, as_json: bool) -> None:
    """The diff lines, then what they mean for an existing credential's password."""
    from wizard.plans.apply import change_json, render_change

    for note in applier.view.notes:
        _err(f"note: {note}")
    for c in applier.changes:
        if as_json:
            _out({"event": "change", **change_json(c)})
        else:
            _err(render_change(c))
    cred = plan.auth.credential if plan.auth is not None else None
    same = next((c for c in applier.changes if c.kind == "credential"), None)
    if cred is None or same is None or same.action != "unchanged":
        return
    if same.adopted:
        _err(
            f"note: credential {cred.username} keeps the password Plivo has. Pass "
            "--rotate-password to set it to $" + cred.password_env + " (or a generated one, "
            "shown once), or stop here and check which password your provider sends."
        )
    elif os.environ.get(cred.password_env):
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
    args: Any, plan: Any, creds: tuple[str, str], applier: Any, password_file: str | None
) -> int:
    as_json = bool(getattr(args, "json", False))
    todo = applier.pending()
    async with _client(args, creds) as client:
        applier.client = client
        try:
            result = await applier.run(on_step=_printer(as_json))
        except asyncio.CancelledError:
            if applier.journal.exists():
                _err(f"byon: interrupted; {applier.journal} lists what remains to undo.")
            else:
                _err("byon: interrupted; what this run changed was rolled back.")
            raise
    for note in result.notes:
        _err(f"note: {note}")
    if not result.ok:
        return _failed(result, as_json, password_file)
    _write_back(plan, result.ids)
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


def _write_back(plan: Any, ids: dict[str, str]) -> None:
    """The learned ids into the plan file; only the ids change, comments stay."""
    from wizard.plans.plan import write_back_ids

    if not ids or plan.source is None:
        return
    try:
        changed = write_back_ids(plan.source, ids)
    except (OSError, ByonError) as exc:
        # The account is right; only the file lags. Say which ids to copy by hand.
        _err(
            f"byon: could not write the ids back into {plan.source} ({exc}): "
            + ", ".join(f"{k} = {v}" for k, v in ids.items())
        )
    else:
        if changed:
            _err(f"Wrote {', '.join(changed)} back into {plan.source}.")
