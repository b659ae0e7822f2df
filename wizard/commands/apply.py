"""``byon apply`` and ``byon export``: the terminal faces of apply.py and export.py.

Human text goes to stderr; ``--json`` puts one object per line on stdout. A
generated SIP password is printed once, to stderr only, never in JSON or a file.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from wizard.errors import ByonError, PlanError, PlivoError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _out(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def _credentials(plan_auth_id: str = "") -> tuple[str, str] | str:
    """(auth_id, token), or the message saying what is missing."""
    auth_id = os.environ.get("PLIVO_AUTH_ID", "").strip()
    token = os.environ.get("PLIVO_AUTH_TOKEN", "").strip()
    if plan_auth_id and auth_id and plan_auth_id != auth_id:
        return (
            f"byon: the plan is for account {plan_auth_id} but PLIVO_AUTH_ID is {auth_id}. "
            "Use that account's credentials, or change [account] auth_id in the plan."
        )
    auth_id = auth_id or plan_auth_id
    missing = [n for n, v in (("PLIVO_AUTH_ID", auth_id), ("PLIVO_AUTH_TOKEN", token)) if not v]
    if missing:
        return (
            f"byon: {' and '.join(missing)} not set. Export your Plivo auth id and token "
            "(the token is never a command-line flag), or point --api-url at `byon emulator`."
        )
    return auth_id, token


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


def run_apply(args: Any) -> int:
    """byon apply PLAN.toml: show the plan's warnings and the changes, ask, apply, write
    the learned ids back (never with --dry-run)."""
    from wizard.plans.plan import load_plan_with_warnings

    try:
        plan, warnings = load_plan_with_warnings(args.plan)
    except PlanError as exc:
        _err(f"byon: {exc}")
        return EXIT_BAD_INPUT
    creds = _credentials(plan.auth_id)
    if isinstance(creds, str):
        _err(creds)
        return EXIT_BAD_INPUT
    password, problem = _password(plan)
    if problem:
        _err(problem)
        return EXIT_BAD_INPUT
    _show_warnings(args, plan, warnings)
    # the plan alone shows a wide ACL: refused before any request is sent
    wide = _risks(plan, None, "wide_acl_entry")
    if not (args.dry_run or getattr(args, "allow_wide_acl", False)) and _refused(args, wide):
        return EXIT_BAD_INPUT
    prepared = asyncio.run(_prepare(args, plan, creds, password))
    if isinstance(prepared, int):
        return prepared
    applier = prepared
    if _refused(args, _risks(plan, applier.view.application)):
        return EXIT_BAD_INPUT
    if not applier.pending():
        if not args.dry_run:  # a dry run only prints (cli.md): the file stays as it is
            _write_back(plan, applier.ids)
        _err("Nothing to change: the account already matches the plan.")
        if getattr(args, "json", False):
            _out({"event": "result", "ok": True, "changed": 0})
        return EXIT_OK
    if args.dry_run:
        _err(f"Dry run: {len(applier.pending())} change(s) not applied.")
        return EXIT_OK
    if not args.yes:
        # Asked outside the event loop, so Ctrl-C here simply ends byon with nothing sent.
        answer = _confirm(applier)
        if answer is None:
            _err(
                "byon: no terminal to ask on; pass --yes to apply without asking "
                "(or --dry-run to only print the changes)."
            )
            return EXIT_BAD_INPUT
        if not answer:
            _err("Nothing applied.")
            return EXIT_FAILED
    return asyncio.run(_execute(args, plan, creds, applier))


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


def _refused(args: Any, risks: list[Any]) -> bool:
    """Say why apply stops for each risk not accepted by its flag; True if any."""
    allowed = {
        "--allow-wide-acl": getattr(args, "allow_wide_acl", False),
        "--allow-open-sip": getattr(args, "allow_open_sip", False),
    }
    refused = [r for r in risks if not allowed[r.flag]]
    for r in risks:
        if r not in refused:
            _err(f"warning: {r.message} (accepted with {r.flag})")
    for r in refused:
        _err(
            f"byon: {r.key}: refused: {r.message}. Nothing was changed: {r.fix}, or pass "
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


def _confirm(applier: Any) -> bool | None:
    """True/False from the user; None when there is no terminal to ask on. With an
    existing credential the plan did not make, "r" rotates its password too."""
    if not sys.stdin.isatty():
        return None
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
    from wizard.plivo.client import PlivoClient, api_url_from_env

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
    """An earlier run's unfinished rollback: listed by --dry-run, else finished first."""
    journal = applier.journal
    if not journal.exists():
        return None
    if args.dry_run:
        _err(
            f"byon: an earlier apply left an unfinished rollback in {journal}; "
            "byon apply (without --dry-run) finishes it first: "
            + "; ".join(u.describe() for u in applier.journal_steps())
        )
        return None
    _err(f"byon: an earlier apply left an unfinished rollback in {journal}; finishing it first")
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


async def _execute(args: Any, plan: Any, creds: tuple[str, str], applier: Any) -> int:
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
        _failed(result, as_json)
        return EXIT_FAILED
    _write_back(plan, result.ids)
    if result.generated_password:
        cred = plan.auth.credential
        _err(
            f"\nSIP password for {cred.username} (shown once; byon stores it nowhere):\n\n"
            f"    {result.generated_password}\n\n"
            f"Enter it at your provider now. To reuse it in later runs, keep it in "
            f"${cred.password_env}.\n"
        )
    _err(f"Done: {len(todo)} change(s) applied.")
    if as_json:
        _out({"event": "result", "ok": True, "changed": len(todo), "ids": result.ids})
    return EXIT_OK


def _failed(result: Any, as_json: bool) -> None:
    _err(f"byon: apply failed: {result.error}")
    if result.remaining:
        _err(
            f"byon: the rollback could not finish; {result.journal} lists what remains "
            "and the next byon apply finishes it first."
        )
    elif result.rolled_back:
        _err("byon: everything this run changed was rolled back; the account is as it was.")
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


def run_export(args: Any) -> int:
    """byon export: one application's routing as a plan (stdout or -o, written atomically)."""
    creds = _credentials()
    if isinstance(creds, str):
        _err(creds)
        return EXIT_BAD_INPUT
    return asyncio.run(_export(args, creds))


async def _export(args: Any, creds: tuple[str, str]) -> int:
    from wizard.plans.export import export_plan
    from wizard.plans.plan import dump_plan
    from wizard.plivo.client import PlivoClient, api_url_from_env
    from wizard.verify.takeover import restore_leftovers

    auth_id, token = creds
    async with PlivoClient(auth_id, token, base_url=api_url_from_env(args.api_url)) as client:
        # Export must describe the app's real answer_url, not a dead listener's.
        await restore_leftovers(client, _err)
        try:
            plan, warnings = await export_plan(
                client,
                app_id=args.app,
                app_name=args.app_name,
                external_number=getattr(args, "external_number", None) or "",
            )
        except ByonError as exc:
            _err(f"byon: {exc}")
            return EXIT_FAILED
    text = dump_plan(plan)
    if warnings:
        text = "".join(f"# {w}\n" for w in warnings) + text
    for w in warnings:
        _err(f"warning: {w}")
    if args.output:
        from wizard.files import write_atomic

        out = Path(args.output)
        try:
            write_atomic(out, text)
        except OSError as exc:
            _err(f"byon: cannot write {out}: {exc.strerror or exc}")
            return EXIT_BAD_INPUT
        except ByonError as exc:
            _err(f"byon: cannot write {out}: {exc}")
            return EXIT_BAD_INPUT
        _err(f"Wrote {out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK
