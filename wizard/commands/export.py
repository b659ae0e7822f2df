"""``byon export``: the terminal face of wizard/plans/export.py.

The plan goes to stdout, or to ``-o FILE`` through ``write_atomic`` (a planted temp
name or a symlink at FILE cannot redirect it). No secret is ever written.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from wizard.errors import ByonError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_export(args: Any) -> int:
    """`byon export`: write one application's routing as a plan file."""
    from wizard.plivo.env import credentials_from_env

    try:
        creds = credentials_from_env()
    except ByonError as exc:
        _err(f"byon: {exc}")
        return EXIT_BAD_INPUT
    return asyncio.run(_export(args, creds))


async def _export(args: Any, creds: tuple[str, str]) -> int:
    from wizard.plans.export import export_plan
    from wizard.plans.plan import dump_plan
    from wizard.plivo.client import PlivoClient
    from wizard.plivo.env import api_url_from_env
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
        return _write(args.output, text)
    sys.stdout.write(text)
    return EXIT_OK


def _write(output: str, text: str) -> int:
    from wizard.files import write_atomic

    try:
        write_atomic(output, text)
    except ByonError as exc:
        _err(f"byon: {exc}")
        return EXIT_BAD_INPUT
    except OSError as exc:
        _err(f"byon: cannot write {output}: {exc.strerror or exc}")
        return EXIT_BAD_INPUT
    _err(f"Wrote {output}")
    return EXIT_OK
