"""`byon sip-probe`: the CLI face of wizard.sip.probe (one line, or JSON object, per check)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

ENV_NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def cmd_sip_probe(args: Any) -> int:
    """Run the probe; exit 0 when every check met expectations, 1 when one failed, 2 on
    bad input."""
    from wizard.sip.probe import ProbeInputError, exit_code, run_probe

    try:
        opts = options_from_args(args)
    except ProbeInputError as exc:
        print(f"byon sip-probe: {exc}", file=sys.stderr)
        return 2
    emit = _print_json if args.json else _print_line
    try:
        results = asyncio.run(run_probe(opts, emit))
    except ProbeInputError as exc:
        print(f"byon sip-probe: {exc}", file=sys.stderr)
        return 2
    code = exit_code(results)
    if not args.json:
        failed = [r for r in results if not r.ok]
        summary = (
            "every check met expectations"
            if not failed
            else f"{len(failed)} check{'s' if len(failed) != 1 else ''} failed"
        )
        print(f"sip-probe: {summary} ({opts.request_uri})", file=sys.stderr)
    return code


def options_from_args(args: Any) -> Any:
    """ProbeOptions from the parsed arguments; the password only from ``--password-env``."""
    from wizard.sip.client import Credentials
    from wizard.sip.probe import ProbeInputError, ProbeOptions, request_uri_for

    uri = request_uri_for(args.app, args.uri)
    credentials = None
    if bool(args.username) != bool(args.password_env):
        raise ProbeInputError("--username and --password-env go together")
    if args.username:
        name = args.password_env
        if not name or not set(name) <= ENV_NAME_CHARS:
            raise ProbeInputError(
                "--password-env takes the NAME of an environment variable (letters, digits, _), "
                "not the password"
            )
        password = os.environ.get(name, "")
        if not password:
            raise ProbeInputError(f"the environment variable {name} is not set or is empty")
        credentials = Credentials(args.username, password)
    return ProbeOptions(
        request_uri=uri,
        host=args.host,
        port=args.port,
        tls_port=args.tls_port,
        transport=args.transport,
        credentials=credentials,
        call_seconds=args.call,
        timeout=args.timeout,
        ca_file=args.ca_file,
        local_host=args.bind,
        wait_for_guard=args.wait,
    )


def _print_json(result: Any) -> None:
    print(json.dumps(result.to_json()), flush=True)


def _print_line(result: Any) -> None:
    name = result.check + (f" {result.transport.lower()}" if result.transport else "")
    mark = "ok  " if result.ok else "FAIL"
    print(f"{name:<20} {mark} {result.result:<15} {result.detail} ({result.ms:.0f} ms)", flush=True)
