"""The probe's two INVITEs: without credentials (what is the app open to?) and with them
(are they taken?), each behind the lockout guard; the outcome classified to a fixed token.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from wizard.sip.client import Call
from wizard.sip.errors import SipError
from wizard.sip.lockout import LIMIT, WINDOW, LockoutGuard
from wizard.sip.probe_checks import _client, _target, plain, source_for
from wizard.sip.probe_model import Budget, CheckResult, ProbeOptions
from wizard.sip.resolve import Hop
from wizard.sip.uri import format_host

FROM_USER = "byon-probe"


@dataclass
class Outcome:
    """What one probe INVITE met: the final status, whether it rang or was answered."""

    status: int | None = None
    reason: str = ""
    early: bool = False  # a provisional beyond 100 (it rang)
    answered: bool = False
    challenged: bool = False
    challenge_loop: bool = False
    cancelled: bool = False
    held: float = 0.0
    error: str | None = None
    statuses: list[int] = field(default_factory=list)
    call_id: str = ""

    @property
    def failed_auth(self) -> bool:
        """Counted by the lockout guard: a 403, or credentials challenged again."""
        return self.status == 403 or self.challenge_loop


def classify_unauthenticated(o: Outcome) -> tuple[bool, str, str]:
    """``(ok, result, detail)`` of the INVITE sent with no credentials."""
    status = f"{o.status} {plain(o.reason, 60)}".strip() if o.status else ""
    if o.early or (o.status is not None and 200 <= o.status < 300):
        what = "answered" if o.answered else "rang for"
        return (
            False,
            "open",
            (
                f"the app {what} an INVITE with no credentials: it is OPEN to anyone who knows its "
                "SIP URI (a toll-fraud risk), unless this machine's IP is in its IP ACL; set "
                "sip_auth_type to credential or ip_acl"
            ),
        )
    if o.status in (401, 407):
        return True, "challenge_407", f"{status}: credential auth is enforced"
    if o.status == 403:
        return (
            True,
            "forbidden_403",
            (
                f"{status}: an IP ACL is enforced and this machine is not in it (or its IP is "
                "locked out)"
            ),
        )
    if o.status == 404:
        return (
            False,
            "not_found_404",
            (f"{status}: there is no such application; check the app id in the SIP URI"),
        )
    if o.status is not None:
        return (
            False,
            "other_status",
            (f"{status}: neither a challenge nor a refusal, so enforced auth is not shown"),
        )
    return False, "no_answer", _silence(o)


def classify_authenticated(o: Outcome, hold: float) -> tuple[bool, str, str]:
    """``(ok, result, detail)`` of the INVITE that answers the challenge."""
    status = f"{o.status} {plain(o.reason, 60)}".strip() if o.status else ""
    if o.challenge_loop:
        return (
            False,
            "challenge_loop",
            (
                "challenged again after answering with the credentials: they were not taken "
                "(wrong username, or a realm or digest the far end does not accept)"
            ),
        )
    if o.early or (o.status is not None and 200 <= o.status < 300):
        if o.answered and hold:
            how = f"answered, held {o.held:.1f} s with RTP silence, then BYE"
        elif o.answered:
            how = "answered, then BYE"
        else:
            how = "ringing, then cancelled before the answer"
        challenged = "the digest answer was accepted" if o.challenged else "no challenge came"
        return True, "accepted", f"accepted ({challenged}): {how}"
    if o.status == 403:
        return (
            False,
            "forbidden_403",
            (f"{status}: wrong username or password (or an IP ACL that also applies)"),
        )
    if o.status == 404:
        return False, "not_found_404", f"{status}: there is no such application"
    if o.status is not None:
        return False, "other_status", f"{status} after answering the challenge"
    return False, "no_answer", _silence(o)


def _silence(o: Outcome) -> str:
    if o.error and o.error != "timeout":
        return f"no answer: {plain(o.error, 160)}"
    if o.statuses:
        return "only 100 Trying came back before the time ran out; the INVITE was cancelled"
    return "nothing came back before the time ran out (--timeout)"


async def invite_check(
    opts: ProbeOptions, hop: Hop | None, guard: LockoutGuard, seconds: float, *, authed: bool
) -> CheckResult:
    """The ``unauthenticated`` or ``authenticated`` check, behind the lockout guard."""
    name = "authenticated" if authed else "unauthenticated"
    started = time.monotonic()
    budget = Budget(seconds)
    if hop is None:
        detail = "not sent: no transport reached the target (see reach)"
        return CheckResult(name, False, "no_answer", detail, 0.0)
    stamp, why = await take_slot(opts, guard)
    if stamp is None:
        ms = (time.monotonic() - started) * 1000
        return CheckResult(name, False, "guarded", why, ms, hop.transport)
    outcome = Outcome(error="interrupted")
    try:
        outcome = await place_call(opts, hop, budget.left(), authed=authed)
    finally:
        guard.settle(stamp, outcome.failed_auth or outcome.error == "interrupted")
    hold = opts.call_seconds if authed else 0.0
    classify = classify_authenticated(outcome, hold) if authed else None
    ok, result, detail = classify or classify_unauthenticated(outcome)
    ms = (time.monotonic() - started) * 1000
    extra = {"statuses": outcome.statuses, "call_id": outcome.call_id}
    return CheckResult(name, ok, result, detail, ms, hop.transport, extra)


async def take_slot(opts: ProbeOptions, guard: LockoutGuard) -> tuple[float | None, str]:
    """A slot of the lockout guard, waiting for one with ``wait_for_guard``; else why not."""
    from wizard.errors import ByonError

    try:
        stamp = guard.reserve()
        if stamp is None and opts.wait_for_guard:
            await asyncio.sleep(guard.wait_seconds() + 0.05)
            stamp = guard.reserve()
        if stamp is not None:
            return stamp, ""
        wait = guard.wait_seconds()
    except (ByonError, OSError) as exc:
        return None, f"not sent: the lockout guard's record cannot be kept ({plain(exc, 160)})"
    return None, (
        f"not sent: {LIMIT} failed auth attempts toward {guard.key} in the last "
        f"{int(WINDOW)} s (counted across runs); Plivo locks a source IP out after 10 "
        f"failures in 60 s, so the probe stops here: run it again in {wait:.0f} s, or "
        "with --wait"
    )


async def place_call(opts: ProbeOptions, hop: Hop, seconds: float, *, authed: bool) -> Outcome:
    """One INVITE: cancelled once it rings (or held with ``--call``); never raises for
    what the far end does."""
    budget = Budget(seconds)
    local = opts.local_host or await source_for(hop.host, hop.port)
    client = _client(opts, hop.transport, local, budget.left())
    creds = opts.credentials if authed else None
    from_uri = f"sip:{FROM_USER}@{format_host(local)}"
    try:
        try:
            call = await asyncio.wait_for(
                client.call(_target(opts, hop), opts.request_uri, from_uri, None, creds),
                budget.left(),
            )
        except (SipError, TimeoutError, OSError, ValueError) as exc:
            return Outcome(error=str(exc) or type(exc).__name__)
        try:
            await _see_through(call, opts, budget, opts.call_seconds if authed else 0.0)
        finally:
            await call.close()
        return _outcome(call)
    finally:
        await client.close()


async def _see_through(call: Call, opts: ProbeOptions, budget: Budget, hold: float) -> None:
    """Wait for ringing or the final answer; cancel an early dialog, BYE an answered one."""
    await call.wait_early(budget.left())
    if hold and call.early.is_set() and not call.finished.is_set():
        await call.wait_final(max(budget.left(), opts.timeout))  # let it be answered
    limit = max(budget.left(), 0.5)
    if not call.finished.is_set():
        if any(r.status < 200 for r in call.result.responses):
            await call.cancel(limit)  # RFC 3261: CANCEL only after a provisional
        else:
            await call.abandon()
    elif call.result.answered and not call.ended.is_set():
        if hold:
            started = time.monotonic()
            await call.stream(hold)
            call.result.timings["held"] = time.monotonic() - started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(call.bye(), limit)


def _outcome(call: Call) -> Outcome:
    r = call.result
    final = r.responses[-1] if r.status is not None and r.responses else None
    status = r.status
    if r.cancelled and not call.early.is_set() and not r.answered:
        status, final = None, None  # our CANCEL's 487 after a lone 100: still no answer
    return Outcome(
        status=status,
        reason=final.reason if final is not None else "",
        early=call.early.is_set(),
        answered=r.answered,
        challenged=r.challenged,
        challenge_loop=r.challenge_loop,
        cancelled=r.cancelled,
        held=float(r.timings.get("held", 0.0)),
        error=r.error,
        statuses=r.statuses,
        call_id=r.call_id,
    )
