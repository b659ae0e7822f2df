"""Plivo's own record of one call: the live call, or the call detail record once it ended.

Shapes (plivo-python's fixtures liveCallGetResponse.json and callGetResponse.json):
live ``GET Call/{uuid}/?status=live`` -> ``call_uuid, from, to, direction, call_status,
caller_name, request_uuid, session_start``; CDR ``GET Call/{uuid}/`` -> ``call_uuid,
from_number, to_number, call_direction, answer_time, end_time, bill_duration, ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class CallRecord:
    """Who called whom, in which direction, as Plivo recorded it."""

    call_uuid: str
    from_: str
    to: str
    direction: str  # "inbound" | "outbound"
    live: bool  # True: from the live-call endpoint; False: from the CDR
    status: str = ""  # live: call_status; CDR: call_state or "ended"
    ended_at: float | None = None  # CDR: end_time as a Unix time (None when unknown)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def parse_time(value: Any) -> float | None:
    """Plivo's ``2017-05-22 17:49:40+05:30`` as a Unix time; None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.timestamp() if when.tzinfo is not None else None


def parse_live_call(d: dict[str, Any]) -> CallRecord:
    """A live call as ``GET Call/{uuid}/?status=live`` returns it."""
    return CallRecord(
        call_uuid=_s(d.get("call_uuid")),
        from_=_s(d.get("from")),
        to=_s(d.get("to")),
        direction=_s(d.get("direction")),
        live=True,
        status=_s(d.get("call_status")),
        raw=d,
    )


def parse_call_detail(d: dict[str, Any]) -> CallRecord:
    """A call detail record as ``GET Call/{uuid}/`` returns it."""
    return CallRecord(
        call_uuid=_s(d.get("call_uuid")),
        from_=_s(d.get("from_number")),
        to=_s(d.get("to_number")),
        direction=_s(d.get("call_direction")),
        live=False,
        status=_s(d.get("call_state") or d.get("call_status") or "ended"),
        ended_at=parse_time(d.get("end_time")),
        raw=d,
    )
