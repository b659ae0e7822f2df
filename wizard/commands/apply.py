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
from wizard.numbers import with_plus

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
    from wizard.plans.plan import load_plan

    try:
        plan = load_plan(args.plan)
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
    prepared = asyncio.run(_prepare(args, plan, creds))
    if isinstance(prepared, int):
        return prepared
    changes, account_id = prepared
    todo = [c for c in changes if c.action != "unchanged"]
    if args.dry_run:
        _err(f"Dry run: {len(todo)} change(s) not applied.")
        return EXIT_OK
    if not args.yes:
        # Asked outside the event loop, so Ctrl-C here simply ends byon with nothing sent.
        answer = _confirm(len(todo))
        if answer is None:
            _err(
                "byon: no terminal to ask on; pass --yes to apply without asking "
                "(or --dry-run to only print the changes)."
            )
            return EXIT_BAD_INPUT
        if not answer:
            _err("Nothing applied.")
            return EXIT_FAILED
    return asyncio.run(_execute(args, plan, creds, changes, password, account_id))


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


def _confirm(n: int) -> bool | None:
    """True/False from the user; None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    sys.stderr.write(f"Apply these {n} change{'s' if n != 1 else ''}? [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _client(args: Any, creds: tuple[str, str]) -> Any:
    from wizard.plivo.client import PlivoClient, api_url_from_env

    return PlivoClient(creds[0], creds[1], base_url=api_url_from_env(args.api_url))


async def _prepare(args: Any, plan: Any, creds: tuple[str, str]) -> int | tuple[list[Any], str]:
    """Finish an earlier rollback, read the account, print the diff. An int is an exit code."""
    from wizard.plans.apply import (
        change_json,
        diff,
        learned_ids,
        open_sip_warning,
        read_account,
        render_change,
    )
    from wizard.plans.journal import journal_path_for, read_journal, resume
    from wizard.plans.plan import write_back_ids
    from wizard.verify.takeover import restore_leftovers

    as_json = bool(getattr(args, "json", False))
    journal = journal_path_for(plan.source)
    async with _client(args, creds) as client:
        if not args.dry_run:
            await restore_leftovers(client, _err)
        try:
            if journal.exists() and args.dry_run:
                _owner, pending = read_journal(journal)
                _err(
                    f"byon: an earlier apply left an unfinished rollback in {journal}; "
                    "byon apply (without --dry-run) finishes it first: "
                    + "; ".join(u.describe() for u in pending)
                )
            elif journal.exists():
                _err(
                    f"byon: an earlier apply left an unfinished rollback in {journal}; "
                    "finishing it first"
                )
                ok = await resume(client, journal, auth_id=creds[0], on_step=_printer(as_json))
                if not ok:
                    _err(
                        f"byon: the rollback is still not complete; {journal} lists what "
                        "remains. Fix the cause shown above and run byon apply again."
                    )
                    return EXIT_FAILED
                _err("byon: the earlier rollback is complete")
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
    for c in changes:
        if as_json:
            _out({"event": "change", **change_json(c)})
        else:
            _err(render_change(c))
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
    warning = open_sip_warning(plan, view)
    if warning:
        _err(warning)
    if all(c.action == "unchanged" for c in changes):
        _write_back(plan, learned_ids(plan, _ids(changes)), write_back_ids)
        _err("Nothing to change: the account already matches the plan.")
        if as_json:
            _out({"event": "result", "ok": True, "changed": 0})
        return EXIT_OK
    return changes, view.auth_id


async def _execute(
    args: Any,
    plan: Any,
    creds: tuple[str, str],
    changes: list[Any],
    password: str | None,
    account_id: str,
) -> int:
    from wizard.plans.apply import apply_changes, learned_ids
    from wizard.plans.journal import journal_path_for
    from wizard.plans.plan import write_back_ids

    as_json = bool(getattr(args, "json", False))
    todo = [c for c in changes if c.action != "unchanged"]
    async with _client(args, creds) as client:
        try:
            result = await apply_changes(
                client,
                plan,
                changes,
                on_step=_printer(as_json),
                password=password,
                journal=journal_path_for(plan.source),
                auth_id=account_id or creds[0],
            )
        except asyncio.CancelledError:
            journal = journal_path_for(plan.source)
            if journal.exists():
                _err(f"byon: interrupted; {journal} lists what remains to undo.")
            else:
                _err("byon: interrupted; what this run changed was rolled back.")
            raise
    for note in result.notes:
        _err(f"note: {note}")
    if not result.ok:
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
        return EXIT_FAILED
    _write_back(plan, learned_ids(plan, result.ids), write_back_ids)
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


def _ids(changes: list[Any]) -> dict[str, str]:
    return {
        c.kind: (with_plus(c.resource_id) if c.kind == "number" else c.resource_id)
        for c in changes
        if c.resource_id
    }


def _write_back(plan: Any, ids: dict[str, str], write_back_ids: Any) -> None:
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


def run_export(args: Any) -> int:
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
        out = Path(args.output)
        tmp = out.with_name(f".{out.name}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, out)
        except OSError as exc:
            _err(f"byon: cannot write {out}: {exc.strerror or exc}")
            return EXIT_BAD_INPUT
        _err(f"Wrote {out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK
