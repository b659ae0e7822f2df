"""Plivo's record of each call: ``GET Call/{call_uuid}/?status=live`` and the CDR.

A call is live (``ringing``, then ``in-progress`` once answered) from the moment Plivo
accepts it until the real hang-up, which closes it into a call detail record with who hung
up and why. The SIP edge on the wire opens a record per accepted INVITE and closes it at
BYE (either side), ``<Hangup>``, the end of the XML or CANCEL. The HTTP route's simulated
INVITE is answered and done at once. A Call API call keeps its outbound leg's record in the
emulator's call log (``state.calls``), which survives a restart with ``--state``.
Shapes follow plivo-python's fixtures liveCallGetResponse.json / callGetResponse.json.
"""

from __future__ import annotations

import contextlib
import math
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from wizard.emulator.httputil import ApiError, answer, api_id, paginate
from wizard.numbers import digits_only

if TYPE_CHECKING:
    from aiohttp import web

    from wizard.emulator.server import Emulator

RECORDS_KEPT = 1000  # Guess: Plivo keeps CDRs for months; the emulator keeps the newest 1000
# Hangup causes as (HangupCause, hangup_cause_name, hangup_cause_code), from Plivo's table of
# hangup causes; the HangupCause spellings are guesses.
NORMAL = ("NORMAL_CLEARING", "Normal Hangup", "4000")
END_OF_XML = ("NORMAL_CLEARING", "End Of XML Instructions", "4010")
# Guess: Plivo's 1000 "Canceled" (documented for the Cancel API) for a caller's CANCEL too
CANCELLED = ("ORIGINATOR_CANCEL", "Canceled", "1000")
UNANSWERED_XML = ("UNALLOCATED_NUMBER", "Invalid Answer XML", "3010")  # Guess: the code
INVALID_DESTINATION = ("UNALLOCATED_NUMBER", "Invalid Destination Address", "2000")
OUT_OF_SERVICE = ("DESTINATION_OUT_OF_ORDER", "Destination Out Of Service", "2010")
_TABLES: weakref.WeakKeyDictionary[Any, tuple[int, OrderedDict[str, dict[str, Any]]]] = (
    weakref.WeakKeyDictionary()
)


def _table(emu: Emulator) -> OrderedDict[str, dict[str, Any]]:
    """This emulator's records; a reset (a new state object) starts an empty table."""
    owner, table = _TABLES.get(emu, (0, OrderedDict()))
    if owner != id(emu.state):
        table = OrderedDict()
        _TABLES[emu] = (id(emu.state), table)
    return table


def _stamp(when: float | None) -> str | None:
    return None if when is None else time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(when))


def _number(value: str) -> str:
    """Plivo shows the called number as digits (``919798990001``); SIP URIs stay as they are."""
    text = value.strip()
    return digits_only(text) if digits_only(text).isdigit() else text


def new_record(
    call_uuid: str,
    from_: str,
    to: str,
    *,
    direction: str = "inbound",
    initiated: float,
    request_uuid: str | None = None,
    caller_name: str = "",
) -> dict[str, Any]:
    """A ringing call (JSON-ready, so a Call API leg can live in the saved call log)."""
    return {
        "call_uuid": call_uuid,
        "request_uuid": request_uuid or call_uuid,
        "from": from_,
        "to": _number(to),
        "direction": direction,
        "caller_name": caller_name,
        "initiated": initiated,
        "answered": None,
        "ended": None,
        "call_state": None,
        "cause": None,
        "hangup_source": None,
    }


def open_call(emu: Emulator, record: dict[str, Any]) -> dict[str, Any]:
    """Make ``record`` a live call of this emulator (``?status=live`` finds it)."""
    table = _table(emu)
    table[record["call_uuid"]] = record
    while len(table) > RECORDS_KEPT:
        table.popitem(last=False)
    return record


def open_from_params(emu: Emulator, params: dict[str, str], initiated: float) -> dict[str, Any]:
    """An inbound call as its answer_url parameters describe it, live and ringing."""
    record = new_record(
        params.get("CallUUID", ""),
        params.get("From", ""),
        params.get("To", ""),
        direction=params.get("Direction", "inbound"),
        initiated=initiated,
        caller_name=params.get("CallerName", ""),
    )
    return open_call(emu, record)


def answer_call(record: dict[str, Any] | None, when: float) -> None:
    """The call was answered at ``when``: live as ``in-progress`` from now on."""
    if record is not None and record["ended"] is None and record["answered"] is None:
        record["answered"] = when


def close_call(
    record: dict[str, Any] | None,
    cause: tuple[str, str, str],
    source: str,
    when: float,
    state: str | None = None,
) -> None:
    """The real hang-up: the call stops being live and its CDR says who ended it and why.
    ``state`` is the CDR's call_state (default: ANSWER when answered, else FAILED)."""
    if record is None or record["ended"] is not None:
        return
    record["ended"] = max(when, record["initiated"])
    record["cause"] = list(cause)
    record["hangup_source"] = source
    # Guess: call_state spellings besides ANSWER (the only one in Plivo's samples)
    record["call_state"] = state or ("ANSWER" if record["answered"] is not None else "FAILED")


def completed(record: dict[str, Any] | None, answered: float, ended: float) -> None:
    """A call answered at ``answered`` and hung up normally by the callee at ``ended``."""
    answer_call(record, answered)
    close_call(record, NORMAL, "Callee", ended)


def durations_between(initiated: float, answered: float | None, ended: float) -> tuple[int, int]:
    """(call_duration, bill_duration) in whole seconds: the one formula for the call record
    and the hangup callback's Duration and BillDuration, so the two always agree."""
    total = int(ended - initiated)
    billed = int(ended - answered) if answered is not None else 0
    return max(total, 0), max(billed, 0)


def durations(record: dict[str, Any]) -> tuple[int, int]:
    """A record's (call_duration, bill_duration), as the hangup callback reports them."""
    end = record["ended"] if record["ended"] is not None else record["initiated"]
    return durations_between(record["initiated"], record["answered"], end)


@contextlib.contextmanager
def carried(emu: Emulator, call_uuid: str, params: dict[str, str]) -> Iterator[None]:
    """The HTTP route's simulated call: live (ringing) while its answer_url is fetched, then
    answered and ended at once (nothing carries it further)."""
    record = open_from_params(emu, {**params, "CallUUID": call_uuid}, emu.clock.now())
    try:
        yield
    finally:
        completed(record, record["initiated"], emu.clock.now())


def _inbound_from_log(entry: dict[str, Any]) -> dict[str, Any]:
    """A Call API call's delivered (inbound) leg from the log, as the HTTP route closed it."""
    params = (entry.get("callback") or {}).get("params") or {}
    when = float(entry.get("time") or 0.0)
    record = new_record(
        str(entry["call_uuid"]),
        params.get("From") or entry.get("from", ""),
        params.get("To") or entry.get("to", ""),
        direction=params.get("Direction", "inbound"),
        initiated=when,
    )
    completed(record, when, when)
    return record


def _logged(emu: Emulator) -> list[dict[str, Any]]:
    """Every record the call log holds: each Call API call's outbound leg and delivered leg."""
    out: list[dict[str, Any]] = []
    for entry in emu.state.calls:
        leg = entry.get("outbound_leg")
        if isinstance(leg, dict) and leg.get("call_uuid"):
            out.append(leg)
        if entry.get("call_uuid"):
            out.append(_inbound_from_log(entry))
    return out


def find(emu: Emulator, call_uuid: str) -> dict[str, Any] | None:
    """The record of ``call_uuid``: a call this run carried, else one in the call log."""
    record = _table(emu).get(call_uuid)
    if record is not None:
        return record
    for entry in reversed(emu.state.calls):  # a record is built only for the one asked for
        leg = entry.get("outbound_leg")
        if isinstance(leg, dict) and leg.get("call_uuid") == call_uuid:
            return leg
        if entry.get("call_uuid") == call_uuid:
            return _inbound_from_log(entry)
    return None


def live_out(record: dict[str, Any]) -> dict[str, Any]:
    """A record as ``GET Call/{uuid}/?status=live`` shows it."""
    return {
        "call_status": "ringing" if record["answered"] is None else "in-progress",
        "call_uuid": record["call_uuid"],
        "caller_name": record["caller_name"],
        "direction": record["direction"],
        "from": record["from"],
        "request_uuid": record["request_uuid"],
        "session_start": _stamp(record["initiated"]),
        "to": record["to"],
    }


def cdr_out(prefix: str, record: dict[str, Any]) -> dict[str, Any]:
    """An ended record as the call detail record ``GET Call/{uuid}/`` shows it."""
    call_duration, bill_duration = durations(record)
    cause = record["cause"] or NORMAL
    return {
        "answer_time": _stamp(record["answered"]),
        "bill_duration": bill_duration,
        # Guess: billed by the started minute (Plivo's samples: 3 s -> 60, 924 s -> 960)
        "billed_duration": 60 * math.ceil(bill_duration / 60),
        "call_direction": record["direction"],
        "call_duration": call_duration,
        "call_state": record["call_state"] or "ANSWER",
        "call_uuid": record["call_uuid"],
        "end_time": _stamp(record["ended"]),
        "from_number": record["from"],
        "hangup_cause_code": int(cause[2]),
        "hangup_cause_name": cause[1],
        "hangup_source": record["hangup_source"] or "Unknown",
        "initiation_time": _stamp(record["initiated"]),
        "parent_call_uuid": None,
        "resource_uri": f"{prefix}Call/{record['call_uuid']}/",
        "to_number": record["to"],
        "total_amount": "0.00000",
        "total_rate": "0.00000",
    }


def routes(emu: Emulator, base: str) -> list[tuple[str, str, Any]]:
    """``GET Call/{call_uuid}/`` (the CDR, or with ``status=live`` the call in progress)
    and ``GET Call/`` (the CDRs of ended calls, paged; with ``status=live`` the live ids)."""

    async def call_get(request: web.Request) -> web.Response:
        record = find(emu, request.match_info["call_uuid"])
        if request.query.get("status") == "live":
            if record is None or record["ended"] is not None:
                raise ApiError(404, "not found")  # Guess: an ended call is not live
            return answer(200, live_out(record))
        if record is None or record["ended"] is None:
            raise ApiError(404, "not found")  # Guess: the CDR appears once the call ended
        return answer(200, cdr_out(f"/v1/Account/{emu.state.auth_id}/", record))

    async def call_list(request: web.Request) -> web.Response:
        if request.query.get("status") == "live":
            # plivo-python's live_calls.list_ids: the uuids of the calls in progress
            return answer(200, {"calls": live_uuids(emu)})
        prefix = f"/v1/Account/{emu.state.auth_id}/"
        page = paginate(request, ended_records(emu, prefix), f"{prefix}Call/")
        request_id = api_id()
        # plivo-python's callListResponse carries the request's api_id on every record
        page["objects"] = [{"api_id": request_id, **o} for o in page["objects"]]
        return answer(200, page)

    return [("GET", f"{base}/Call/{{call_uuid}}", call_get), ("GET", f"{base}/Call", call_list)]


def live_uuids(emu: Emulator) -> list[str]:
    """The call_uuids of the calls in progress, oldest first."""
    return [r["call_uuid"] for r in _table(emu).values() if r["ended"] is None]


def ended_records(emu: Emulator, prefix: str) -> list[dict[str, Any]]:
    """Every ended call as a CDR, newest first (``GET Call/``): edge calls and Call API legs."""
    merged: dict[str, dict[str, Any]] = {r["call_uuid"]: r for r in _logged(emu)}
    merged.update(_table(emu))  # this run's own record of a call wins over the log's
    ended = [
        (r["initiated"], i, r) for i, r in enumerate(merged.values()) if r["ended"] is not None
    ]
    ended.sort(key=lambda item: item[:2], reverse=True)
    return [cdr_out(prefix, r) for _, _, r in ended]
