"""`byon audit`: print the findings of wizard.plans.audit, as text or JSON lines."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

from wizard.errors import ByonError, PlivoError
from wizard.plans.audit import audit
from wizard.plivo.facts import sip_uri
from wizard.text import plain

# an API's name or id as one field of a JSON line: as is (json escapes every control
# character), but never a megabyte from a hostile answer
_JSON_FIELD = 1000


def cmd_audit(args: Any) -> int:
    """`byon audit`: list the account's risky routing; exit 1 when anything is found."""
    from wizard.plivo.env import credentials_from_env

    problem = _probe_input_problem(args)
    if problem:
        print(f"byon audit: {problem}", file=sys.stderr)
        return 2
    try:
        auth_id, token = credentials_from_env()
    except ByonError as exc:
        print(f"byon: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_main(args, auth_id, token))


def _probe_input_problem(args: Any) -> str:
    """A sentence when the --probe options cannot run, else ""."""
    if not getattr(args, "probe", False):
        if getattr(args, "probe_host", None) or getattr(args, "probe_port", None):
            return "--probe-host and --probe-port only go with --probe"
        return ""
    from wizard.sip.probe import ProbeInputError, ProbeOptions
    from wizard.sip.probe_model import check_options

    try:
        check_options(
            ProbeOptions(
                request_uri=sip_uri("1"),
                host=args.probe_host,
                port=args.probe_port,
                timeout=args.probe_timeout,
            )
        )
    except ProbeInputError as exc:
        text = str(exc)
        for name in ("host", "port", "timeout"):
            text = text.replace(f"--{name}", f"--probe-{name}")
        return text
    return ""


async def _probe(args: Any, found: list) -> dict[str, Any]:
    """The unauthenticated INVITE against every application listed (``--probe``)."""
    from wizard.plans.audit_probe import probe_apps

    apps = [f.id for f in found if f.resource == "application"]
    if not apps:
        return {}
    return await probe_apps(
        apps, host=args.probe_host, port=args.probe_port, timeout=args.probe_timeout
    )


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
    proofs = await _probe(args, found) if getattr(args, "probe", False) else {}
    for f in found:
        row = proofs.get(f.id) if f.resource == "application" else None
        if args.json:
            out = asdict(f)
            out.update(name=_bounded(f.name), id=_bounded(f.id))
            if row is not None:
                out["probe"] = row.to_json()
            print(json.dumps(out), flush=True)
        else:
            # the account's names are outside text: inert, one line, bounded
            name, ident = plain(f.name, 120), plain(f.id, 120)
            said, fix = plain(f.message, 600), plain(f.fix, 600)
            print(f"{f.resource} {name} ({ident}): {said}. Fix: {fix}.", flush=True)
            if row is not None:
                from wizard.plans.audit_probe import proof_sentence

                print(f"  sip-probe: {proof_sentence(row)}", flush=True)
    if not args.json:
        print(
            f"{len(found)} finding{'s' if len(found) != 1 else ''}"
            if found
            else "No findings: every application requires SIP authentication.",
            file=sys.stderr,
        )
    return 1 if found else 0


def _bounded(value: str) -> str:
    """``value`` cut to _JSON_FIELD characters (with "…"), for a JSON line."""
    from wizard.text import shorten

    return shorten(value, _JSON_FIELD)
