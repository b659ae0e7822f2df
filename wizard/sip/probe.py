"""``byon sip-probe``: test Plivo's side of a Direct SIP setup from this machine
(shared/contracts/sip.md section 2), before the provider is touched.

Checks, in order: ``dns``, ``reach`` per transport, ``unauthenticated`` (an INVITE with
no credentials: 407, 403, 404, open or no answer) and ``authenticated`` (answering the
challenge). Every check gives one ``CheckResult``; the whole run stays within the
``timeout`` budget when the far end is silent. The wizard and ``byon audit --probe``
run the same code; ``wizard/commands/sip_probe.py`` is only the printing.
"""

from __future__ import annotations

from collections.abc import Callable

from wizard.sip import probe_checks as checks
from wizard.sip import probe_invite as invites
from wizard.sip.probe_model import (
    CHECKS,
    Budget,
    CheckResult,
    ProbeInputError,
    ProbeOptions,
    check_options,
    exit_code,
    request_uri_for,
)

__all__ = [
    "CHECKS",
    "CheckResult",
    "ProbeInputError",
    "ProbeOptions",
    "exit_code",
    "request_uri_for",
    "run_probe",
]


async def run_probe(
    opts: ProbeOptions, emit: Callable[[CheckResult], None] | None = None
) -> list[CheckResult]:
    """Run every check in order; each result goes to ``emit`` as soon as it is known."""
    check_options(opts)
    results: list[CheckResult] = []

    def done(result: CheckResult) -> None:
        results.append(result)
        if emit is not None:
            emit(result)

    budget = Budget(opts.timeout * 0.9)  # a tenth left for closing and the guard's file
    dns_row, hops = await checks.check_dns(opts, budget)
    done(dns_row)
    if not hops:
        return results
    await checks.prepare_tls(opts, hops)
    more = 0.5 if opts.credentials is None else 0.4
    reach = await checks.reach_all(opts, hops, budget.left(more))
    for row in reach:
        done(row)
    hop = checks.invite_hop(opts, hops, reach)
    guard = checks.guard_for(opts, hop)
    share = 1.0 if opts.credentials is None else 0.5
    unauth = await invites.invite_check(opts, hop, guard, budget.left(share), authed=False)
    done(unauth)
    if opts.credentials is not None:
        done(await invites.invite_check(opts, hop, guard, budget.left(), authed=True))
    return results
