"""A signed callback checked against Plivo's own record of the call before a pass counts.

A valid V3 signature proves the text came from Plivo, not how it splits into
parameters (signature.py), nor that it belongs to this run. Plivo's record of the
call (the live call while it rings, else the CDR) says who called whom: From, To
and Direction must agree with the callback's. Without API access the verdict is
"signature valid, not confirmed", which never counts as verified.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from wizard.errors import ByonError
from wizard.numbers import digits_only, form_of
from wizard.text import plain

CONFIRM_TIMEOUT = 3.0  # seconds: the answer_url must still be answered in Plivo's time
# Plivo fetches the answer_url while the call rings; a call that ended this long before
# its callback arrives is a replay (margin for clock skew and a caller hanging up fast)
STALE_AFTER = 600.0
CONFIRMED, MISMATCH, UNAVAILABLE = "confirmed", "mismatch", "unavailable"
NOT_CONFIRMED = "Signature valid, not confirmed"


@dataclass(frozen=True)
class Confirmation:
    """confirm_call's verdict: does Plivo's record back the callback, and if not, why."""

    outcome: str  # CONFIRMED | MISMATCH | UNAVAILABLE
    sentence: str = ""  # why, in one plain sentence ("" when confirmed)

    @property
    def confirmed(self) -> bool:
        """Whether Plivo's record backs the callback."""
        return self.outcome == CONFIRMED


def _first(params: dict[str, Any], key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def _party(value: str) -> str:
    """A number or SIP URI as compared: Plivo writes ``to`` without "+", URIs in any case."""
    text = value.strip()
    if text.lower().startswith(("sip:", "sips:")):
        return text.lower()
    digits = digits_only(text)  # "+1 (415) 555-0100" and "14155550100" are one number
    return digits if form_of(digits) else text


def differences(params: dict[str, Any], record: Any) -> list[str]:
    """Where the callback and Plivo's record disagree, as "From is A, Plivo recorded B"."""
    pairs = (
        ("From", record.from_, _party),
        ("To", record.to, _party),
        ("Direction", record.direction, lambda v: v.strip().lower()),
    )
    out = []
    for key, recorded, norm in pairs:
        said = _first(params, key)
        if recorded and norm(said) != norm(recorded):
            out.append(
                f"{key} is {plain(said, 60) or '(none)'}, Plivo recorded {plain(recorded, 60)}"
            )
    return out


async def confirm_call(
    client: Any, params: dict[str, Any], *, timeout: float | None = None
) -> Confirmation:
    """Look the callback's CallUUID up in Plivo (live call, then CDR) and compare."""
    timeout = timeout or CONFIRM_TIMEOUT
    if client is None:
        return Confirmation(
            UNAVAILABLE,
            "byon cannot read Plivo's record of the call here (PLIVO_AUTH_ID is not set), so "
            "a re-split or captured callback cannot be told apart.",
        )
    call_uuid = _first(params, "CallUUID")
    if not call_uuid:
        return Confirmation(MISMATCH, "the callback names no CallUUID, so no call backs it.")
    try:
        async with asyncio.timeout(timeout):
            record = await client.get_live_call(call_uuid)
            if record is None:
                record = await client.get_call_record(call_uuid)
    except TimeoutError:
        return Confirmation(UNAVAILABLE, f"Plivo's API did not answer within {timeout:g} s.")
    except ByonError as exc:
        return Confirmation(UNAVAILABLE, f"Plivo's API could not be asked: {exc.message}")
    shown = plain(call_uuid, 60)
    if record is None:
        return Confirmation(
            MISMATCH,
            f"Plivo has no call {shown} on this account: the callback was made up from a "
            "signature captured elsewhere, or PLIVO_AUTH_ID names another account.",
        )
    ended = getattr(record, "ended_at", None)
    if not record.live and ended is not None and time.time() - ended > STALE_AFTER:
        return Confirmation(
            MISMATCH,
            f"Plivo's record says call {shown} ended {(time.time() - ended) / 60:.0f} minutes "
            "ago: this callback is a replay of an old one.",
        )
    diffs = differences(params, record)
    if diffs:
        return Confirmation(
            MISMATCH,
            f"the callback does not match Plivo's record of call {shown} ({'; '.join(diffs)}): "
            "its signed parameters were re-split or altered.",
        )
    return Confirmation(CONFIRMED)
