"""`byon audit`: print the findings of wizard.plans.audit, as text or JSON lines."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from wizard.errors import ByonError, PlivoError
from wizard.plans.audit import (
    audit,
)


def cmd_audit(args: Any) -> int:
    """`byon audit`: list the account's risky routing; exit 1 when anything is found."""
    from wizard.plivo.env import credentials_from_env

    try:
        auth_id, token = credentials_from_env()
    except ByonError as exc:
        print(f"byon: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_main(args, auth_id, token))


async def _main(args: Any, auth_id: str, token: str) -> int:
    from wizard.plivo.client import PlivoClient
    from wizard.plivo.env import api_url_from_env
    from wizard.verify.takeover import restore_leftovers

    shown: dict[str, int] = {}

    def progress(name: str, done: int, total: int) -> None:
        # Only for big accounts, and only on a terminal: a CI log needs no spinner.
        if total > 100 and sys.stderr.isatty() and shown.get(name) != done:
            shown[name] = done
            print(f"\rreading {name}: {done}/{total}", end="", file=sys.stderr, flush=True)

    async with PlivoClient(auth_id, token, base_url=api_url_from_env(args.api_url)) as client:
        await restore_leftovers(client, lambda m: print(m, file=sys.stderr))
        try:
            found = await audit(client, progress=progress)
        except PlivoError as exc:
            print(f"\nbyon: audit could not read the account: {exc}", file=sys.stderr)
            return 1
        except ByonError as exc:
            print(f"\nbyon: {exc}", file=sys.stderr)
            return 1
    if shown:
        print(file=sys.stderr)
    for f in found:
        if args.json:
            print(json.dumps(asdict(f)), flush=True)
        else:
            print(f"{f.resource} {f.name} ({f.id}): {f.message}. Fix: {f.fix}.", flush=True)
    if not args.json:
        print(
            f"{len(found)} finding{'s' if len(found) != 1 else ''}"
            if found
            else "No findings: every application requires SIP authentication.",
            file=sys.stderr,
        )
    return 1 if found else 0
