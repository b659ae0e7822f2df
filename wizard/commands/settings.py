"""`byon settings`: the provider-side settings for a plan, as text or JSON, and the providers'
facts with their sources and dates (``--list-providers``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from wizard.providers.facts import STALE_DAYS, ProviderDataError, providers


def _as_of(args: argparse.Namespace) -> dt.date | None:
    """The day staleness is judged on (``--as-of``), or None for today."""
    text = getattr(args, "as_of", None)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"byon settings: --as-of: {text!r} is not a date (YYYY-MM-DD)") from None


def list_providers(args: argparse.Namespace, today: dt.date | None) -> int:
    """Every provider with its facts; stale ones (over STALE_DAYS) are marked."""
    known = providers()
    if args.json:
        from wizard.providers.facts import plivo

        as_of = today or dt.date.today()
        rows = [p.to_dict(today) for p in known.values()]
        plivo_facts = [f.to_dict(today) for f in plivo().facts.values()]
        out = {
            "as_of": as_of.isoformat(),
            "stale_after_days": STALE_DAYS,
            "providers": rows,
            "plivo": {"facts": plivo_facts},
        }
        print(json.dumps(out))
        return 0
    for p in known.values():
        stale = sorted({f.source for f in p.stale_facts(today)})
        unconfirmed = sum(not f.confirmed for f in p.facts)
        mark = f"  (stale: re-check at {', '.join(stale)})" if stale else ""
        print(f"{p.key:<12} {p.name:<24} {len(p.facts)} facts, {unconfirmed} unconfirmed{mark}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    """byon settings PLAN.toml [--provider KEY] [--snippet FILE] [--list-providers] [--json]"""
    today = _as_of(args)
    try:
        if args.list_providers:
            return list_providers(args, today)
    except ProviderDataError as exc:  # a broken data file is a bug of this install
        print(f"byon settings: provider data: {exc}", file=sys.stderr)
        return 1
    if not args.plan:
        print(
            "byon settings: give a plan file (byon settings PLAN.toml) or --list-providers",
            file=sys.stderr,
        )
        return 2
    from wizard.plans.plan import load_plan_or_exit
    from wizard.providers.settings import UnknownProvider, format_settings, settings_for

    plan = load_plan_or_exit(args.plan)
    try:
        settings = settings_for(plan, args.provider, today=today)
    except UnknownProvider as exc:
        print(f"byon settings: --provider: {exc}", file=sys.stderr)
        return 2
    snippet_name = getattr(args, "snippet", None)
    if snippet_name:
        found = [s for s in settings.snippets if s.filename == snippet_name]
        if not found:
            names = ", ".join(s.filename for s in settings.snippets) or "none"
            print(
                f"byon settings: --snippet: {settings.name} has no {snippet_name!r} here "
                f"(snippets: {names})",
                file=sys.stderr,
            )
            return 2
        sys.stdout.write(found[0].text)  # exactly the file, ready to save
        return 0
    if args.json:
        print(json.dumps(settings.to_dict()))
    else:
        sys.stdout.write(format_settings(settings))
    return 0
