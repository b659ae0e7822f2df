"""Call records for ``GET /__emulator__/calls``: one per SIP Call-ID (or HTTP/Call API INVITE).

A SIP record carries its ladder: every message in and out, with the headers that matter.
Digest responses are redacted before anything is stored; a password or HA1 never gets here.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from wizard.sip.message import SipMessage, redact

MAX_RECORDS = 500  # oldest records go first: a load test must not grow memory for ever
MAX_LADDER = 200  # retransmissions of a call nobody answers stop being recorded here
MAX_VALUE = 300
LADDER_HEADERS = (
    "Via",
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Contact",
    "Record-Route",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Authorization",
    "Content-Type",
)


def ladder_headers(message: SipMessage) -> dict[str, str]:
    """The headers of ``message`` that explain a call, digest responses redacted, bounded."""
    out: dict[str, str] = {}
    for name in LADDER_HEADERS:
        values = message.headers.get_all(name)
        if values:
            text = ", ".join(redact(name, v) for v in values)
            out[name] = text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    return out


def start_line(message: SipMessage) -> str:
    """The start line, bounded (a Request-URI can be long)."""
    line = message.start_line()
    return line if len(line) <= MAX_VALUE else line[: MAX_VALUE - 1] + "…"


@dataclass
class CallRecord:
    """One call as the edge saw it. ``extra`` holds route-specific keys (callback, hangup...)."""

    route: str  # "http", "sip" or "call_api"
    call_id: str | None = None
    transport: str | None = None
    source: str | None = None  # the (mapped) source IP
    call_uuid: str | None = None
    sip_status: int | None = None
    reason: str = ""
    ladder: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    _t0: float | None = None

    def add(self, direction: str, message: SipMessage) -> None:
        """Append one message to the ladder (ms counted from the record's first message)."""
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        if len(self.ladder) >= MAX_LADDER:
            return
        self.ladder.append(
            {
                "ms": round((now - self._t0) * 1000, 1),
                "dir": direction,
                "line": start_line(message),
                "headers": ladder_headers(message),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """The record as ``GET /__emulator__/calls`` shows it."""
        out = {
            "call_uuid": self.call_uuid,
            "route": self.route,
            "call_id": self.call_id,
            "transport": self.transport,
            "source": self.source,
            "sip_status": self.sip_status,
            "reason": self.reason,
            "ladder": list(self.ladder),
        }
        out.update((k, v) for k, v in self.extra.items() if k not in out)
        return out


class CallRecords:
    """Every call record, oldest first, SIP ones also found by Call-ID; bounded."""

    def __init__(self, limit: int = MAX_RECORDS) -> None:
        self.limit = limit
        self._all: OrderedDict[int, CallRecord] = OrderedDict()
        self._by_call_id: dict[str, CallRecord] = {}

    def add(self, record: CallRecord) -> CallRecord:
        """Keep ``record`` (dropping the oldest beyond the limit)."""
        self._all[id(record)] = record
        if record.call_id:
            self._by_call_id[record.call_id] = record
        while len(self._all) > self.limit:
            _, old = self._all.popitem(last=False)
            if old.call_id and self._by_call_id.get(old.call_id) is old:
                del self._by_call_id[old.call_id]
        return record

    def sip(self, call_id: str) -> CallRecord | None:
        """The record of a SIP Call-ID, if any."""
        return self._by_call_id.get(call_id)

    def clear(self) -> None:
        """Forget every record (emulator reset)."""
        self._all.clear()
        self._by_call_id.clear()

    def to_json(self) -> list[dict[str, Any]]:
        """All records, oldest first."""
        return [r.to_json() for r in self._all.values()]

    def __len__(self) -> int:
        return len(self._all)
