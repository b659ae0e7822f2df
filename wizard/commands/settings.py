"""`byon settings`: the provider-side settings for a plan, as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from wizard.providers.templates import (
    PROVIDERS,
    UnknownProvider,
    format_settings,
    settings_for,
)


def cmd_settings(args: argparse.Namespace) -> int:
    """byon settings PLAN.toml [--provider KEY] [--list-providers] [--json]"""
    if args.list_providers:
        rows = [
            {
                "key": t.key,
                "name": t.name,
                "options": list(t.options_supported),
                "auth": list(t.auth_supported),
                "recommended_auth": t.recommended_auth,
            }
            for t in PROVIDERS.values()
        ]
        if args.json:
            print(json.dumps({"providers": rows}))
        else:
            for r in rows:
                print(f"{r['key']:<12} {r['name']}")
        return 0
    if not args.plan:
        print(
            "byon settings: give a plan file (byon settings PLAN.toml) or --list-providers",
            file=sys.stderr,
        )
        return 2
    from wizard.plans.plan import load_plan_or_exit

    plan = load_plan_or_exit(args.plan)
    try:
        settings = settings_for(plan, args.provider)
    except UnknownProvider as exc:
        print(f"byon settings: --provider: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(settings.to_dict()))
    else:
        sys.stdout.write(format_settings(settings))
    return 0
