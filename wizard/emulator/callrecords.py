"""Plivo's record of each call: ``GET Call/{call_uuid}/?status=live`` and the CDR.

The SIP edge opens a record when an INVITE is accepted, before the answer_url is
requested (a call is live while Plivo fetches its XML), and closes it once the
answer_url has been followed. Calls placed with the Call API are also found in the
emulator's call log (``state.calls``), which survives a restart with ``--state``.
Shapes follow plivo-python's fixtures liveCallGetResponse.json / callGetResponse.json.
"""

from __future__ import annotations

import contextlib
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


def _stamp(when: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(when))


def _number(value: str) -> str:
    """Plivo shows the called number as digits (``919798990001``); SIP URIs stay as they are."""
    text = value.strip()
    return digits_only(text) if digits_only(text).isdigit() else text


@contextlib.contextmanager
def carried(emu: Emulator, call_uuid: str, params: dict[str, str]) -> Iterator[None]:
    """The call is live (ringing) for the duration of the block, then ended with a CDR."""
    table = _table(emu)
    record = {
        "call_uuid": call_uuid,
        "from": params.get("From", ""),
        "to": _number(params.get("To", "")),
        "direction": params.get("Direction", "inbound"),
        "caller_name": params.get("CallerName", ""),
        "call_status": "ringing",
        "session_start": _stamp(emu.clock.now()),
        "end_time": None,
    }
    table[call_uuid] = record
    while len(table) > RECORDS_KEPT:
        table.popitem(last=False)
    try:
        yield
    finally:
        record["call_status"] = "completed"
        record["end_time"] = _stamp(emu.clock.now())


def _from_call_log(emu: Emulator, call_uuid: str) -> dict[str, Any] | None:
    """A Call API call from the emulator's log, shaped like a closed record."""
    for entry in reversed(emu.state.calls):
        if entry.get("call_uuid") != call_uuid:
            continue
        params = (entry.get("callback") or {}).get("params") or {}
        when = _stamp(float(entry.get("time") or 0.0))
        return {
            "call_uuid": call_uuid,
            "from": params.get("From") or entry.get("from", ""),
            "to": _number(params.get("To") or entry.get("to", "")),
            "direction": params.get("Direction", "inbound"),
            "caller_name": "",
            "call_status": "completed",
            "session_start": when,
            "end_time": when,
        }
    return None


def live_out(record: dict[str, Any]) -> dict[str, Any]:
    """A record as ``GET Call/{uuid}/?status=live`` shows it."""
    return {
        "call_status": record["call_status"],
        "call_uuid": record["call_uuid"],
        "caller_name": record["caller_name"],
        "direction": record["direction"],
        "from": record["from"],
        "request_uuid": record["call_uuid"],
        "session_start": record["session_start"],
        "to": record["to"],
    }


def cdr_out(prefix: str, record: dict[str, Any]) -> dict[str, Any]:
    """A record as the call detail record ``GET Call/{uuid}/`` shows it."""
    return {
        "answer_time": record["session_start"],
        "bill_duration": 0,
        "billed_duration": 0,
        "call_direction": record["direction"],
        "call_duration": 0,
        "call_state": "ANSWER",  # Guess: the spelling of a completed call's state
        "call_uuid": record["call_uuid"],
        "end_time": record["end_time"],
        "from_number": record["from"],
        "hangup_cause_code": 4000,
        "hangup_cause_name": "Normal Hangup",
        "hangup_source": "Callee",
        "initiation_time": record["session_start"],
        "parent_call_uuid": None,
        "resource_uri": f"{prefix}Call/{record['call_uuid']}/",
        "to_number": record["to"],
        "total_amount": "0.00000",
        "total_rate": "0.00000",
    }


def routes(emu: Emulator, base: str) -> list[tuple[str, str, Any]]:
    """``GET Call/{call_uuid}/`` (the CDR, or with ``status=live`` the call in progress)
    and ``GET Call/`` (the CDRs of ended calls, paged)."""

    async def call_get(request: web.Request) -> web.Response:
        call_uuid = request.match_info["call_uuid"]
        record = _table(emu).get(call_uuid)
        if request.query.get("status") == "live":
            if record is None or record["end_time"] is not None:
                raise ApiError(404, "not found")  # Guess: an ended call is not live
            return answer(200, live_out(record))
        if record is None:
            record = _from_call_log(emu, call_uuid)  # a logged call has ended
        if record is None or record["end_time"] is None:
            raise ApiError(404, "not found")  # Guess: the CDR appears once the call ended
        return answer(200, cdr_out(f"/v1/Account/{emu.state.auth_id}/", record))

    async def call_list(request: web.Request) -> web.Response:
        prefix = f"/v1/Account/{emu.state.auth_id}/"
        page = paginate(request, ended_records(emu, prefix), f"{prefix}Call/")
        request_id = api_id()
        # plivo-python's callListResponse carries the request's api_id on every record
        page["objects"] = [{"api_id": request_id, **o} for o in page["objects"]]
        return answer(200, page)

    return [("GET", f"{base}/Call/{{call_uuid}}", call_get), ("GET", f"{base}/Call", call_list)]


def ended_records(emu: Emulator, prefix: str) -> list[dict[str, Any]]:
    """Every ended call as a CDR, newest first (``GET Call/``): edge calls and Call API ones."""
    table = _table(emu)
    out = [cdr_out(prefix, r) for r in reversed(table.values()) if r["end_time"] is not None]
    for entry in reversed(emu.state.calls):
        uuid = entry.get("call_uuid")
        if uuid and uuid not in table:
            record = _from_call_log(emu, uuid)
            if record is not None:
                out.append(cdr_out(prefix, record))
    return out
