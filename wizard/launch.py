"""Starting the wizard from the command line: `byon` and `byon demo`.

The plan of ``--plan`` is checked, and the terminal, before the App (wizard.app, the one
wizard module that imports Textual) is made and run. Its exit code is the process's:
an App that crashed says 1, not 0."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from wizard.session import DEMO, LIVE, OFFLINE

if TYPE_CHECKING:
    from wizard.plans.plan import Plan


def _load_plan(path: str | None) -> Plan | None:
    """The plan of `--plan`: a draft may have gaps (shown on review), not wrong values."""
    if not path:
        return None
    from wizard.errors import PlanError
    from wizard.plans.plan import load_plan
    from wizard.steps import invalid_findings

    plan = load_plan(path, check=False)  # keys and types: a typo never drops a setting
    bad = invalid_findings(plan)
    if bad:
        try:
            load_plan(path)  # the full check names file and line for each problem
        except PlanError as exc:
            problems = getattr(exc, "problems", [exc])
            keys = {f.key for f in bad}
            lines = [str(p) for p in problems if p.key in keys] or [str(exc)]
            raise PlanError("\n".join(lines)) from None
        raise PlanError("; ".join(f"{f.key}: {f.message}" for f in bad), file=str(path))
    return plan


def _plan_or_exit(args: Any) -> tuple[Plan | None, int]:
    from wizard.errors import ByonError

    try:
        return _load_plan(getattr(args, "plan", None)), 0
    except ByonError as exc:
        print(f"byon: {exc}", file=sys.stderr)
        return None, 2


def _no_terminal() -> bool:
    """True (after saying so) when the wizard has no terminal to run in.

    Without one Textual would spin on the closed input at full CPU. textual-serve's
    browser driver and the first-paint measurement need none."""
    if os.environ.get("TEXTUAL_DRIVER") or os.environ.get("BYON_EXIT_AFTER_FIRST_PAINT") == "1":
        return False
    streams = (sys.__stdin__, sys.__stderr__)  # Textual reads stdin and draws on stderr
    if all(s is not None and s.isatty() for s in streams):
        return False
    print(
        "byon: the wizard needs a terminal, and stdin or stderr is not one. In scripts and "
        "CI use the headless commands: `byon apply PLAN.toml`, `byon settings PLAN.toml`, "
        "`byon verify` (see `byon --help`).",
        file=sys.stderr,
    )
    return True


def run_wizard(args: Any) -> int:
    """`byon`: the wizard on the real account (or welcome: type creds, demo, offline)."""
    from wizard.plivo.env import env_credentials

    auth_id, token = env_credentials()
    creds = (auth_id, token) if auth_id and token else None
    return _run(
        args,
        mode=LIVE if creds else OFFLINE,
        api_url=getattr(args, "api_url", None) or "",
        env_credentials=creds,
        env_auth_id=auth_id,
    )


def run_demo(args: Any) -> int:
    """`byon demo`: the wizard against the in-process emulator, at the option step."""
    return _run(args, mode=DEMO)


def _run(args: Any, **app_options: Any) -> int:
    """Check the plan and the terminal, then run the App; the process's exit code."""
    plan, rc = _plan_or_exit(args)
    if rc:
        return rc
    if _no_terminal():
        return 2
    from wizard.app import ByonApp

    app = ByonApp(
        plan=plan,
        plan_path=getattr(args, "plan", None),
        jump_to_review=plan is not None,
        **app_options,
    )
    return exit_code(app)


def exit_code(app: Any) -> int:
    """Run the App; its exit code. Textual's run returns None when the App crashed (the
    traceback is shown), and that must not look like success to a shell."""
    value = app.run()
    return app.return_code or int(value or 0)
