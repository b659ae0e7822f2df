"""What the listener reports: one ``CallbackEvent`` per callback shown, and how it is marked."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from wizard.verify.diagnose import TROUBLESHOOTING_ROWS, Diagnosis

PROBE_PARAM = "ByonProbe"  # marks byon's own reachability probe
KINDS = {"": "answer", "answer": "answer", "hangup": "hangup", "outbound": "outbound"}
COUNTED_KINDS = ("answer",)
PRINTED_KINDS = ("answer", "hangup")
REFUSED = ("400", "403", "408", "413")  # answered_with of a rejected request
UNCONFIRMED = "unconfirmed"  # the verdict of a pass Plivo's record could not back

EventHandler = Callable[["CallbackEvent"], "Awaitable[None] | None"]


@dataclass
class CallbackEvent:
    """One callback as judged; or, with kind "summary"/"notice", a line about the listener."""

    received_at: float
    kind: str  # "answer" | "hangup" | "probe" | "outbound" | "summary" | "notice"
    method: str
    url: str  # the public URL the callback was checked against
    params: dict[str, Any]
    call_uuid: str = ""
    from_: str = ""
    to: str = ""
    sip_auth_type: str | None = None
    sip_auth_user: str = ""
    sip_source_ip: str = ""
    signature_valid: bool = False
    verdict: str = "fail"  # "pass" | "fail" | "unconfirmed"
    confirmed: bool | None = None  # Plivo's record agrees (None: not looked up)
    diagnosis: str = ""
    fix: str = ""
    answered_with: str = ""  # "default" | "proxy" | "403" | ...
    row: str = ""
    seq: int = 0
    # the request's headers as received (bounded), for the wizard's call details
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """A verified call: signature, diagnosis and Plivo's record all agree."""
        return self.verdict == "pass"

    @property
    def rejected(self) -> bool:
        """Refused (unsigned, forged, replayed, altered, unreadable): never a call."""
        return self.answered_with in REFUSED

    def to_json(self) -> dict[str, Any]:
        """The `byon verify --json` line (cli.md); values as received."""
        return {
            "call_uuid": self.call_uuid,
            "from": self.from_,
            "to": self.to,
            "sip_auth_type": self.sip_auth_type,
            "sip_auth_user": self.sip_auth_user,
            "sip_source_ip": self.sip_source_ip,
            "signature_valid": self.signature_valid,
            "verdict": self.verdict,
            "confirmed": self.confirmed,
            "diagnosis": self.diagnosis,
            "kind": self.kind,
            "time": iso_ms(self.received_at),
            "fix": self.fix,
        }


def iso_ms(ts: float) -> str:
    """UTC ISO 8601 with milliseconds, as the JSON lines carry it."""
    ms = int(ts * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{ms:03d}Z"


def first(params: dict[str, Any], key: str) -> str:
    """The first value of a parameter that may repeat ("" when absent)."""
    value = params.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


def apply_diagnosis(event: CallbackEvent, diag: Diagnosis) -> None:
    """Copy a diagnosis (verdict, sentence, fix, row) onto ``event``."""
    event.verdict = diag.verdict
    event.diagnosis = diag.sentence
    event.fix = diag.fix
    event.row = diag.row


def refuse(
    event: CallbackEvent,
    status: int,
    sentence: str,
    fix: str = "",
    *,
    row: str = "forged",
    signed: bool = False,
) -> None:
    """Mark ``event`` as refused with ``status`` (never a call, never forwarded)."""
    event.signature_valid = signed
    event.verdict = "fail"
    event.row = row
    event.diagnosis = sentence
    event.fix = fix or TROUBLESHOOTING_ROWS[row].solution
    event.answered_with = str(status)
