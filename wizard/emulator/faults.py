"""Injected faults: an error status, latency, or a dropped connection for matching requests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE = 2000


class FaultError(ValueError):
    """A fault description that cannot be used; the message says which field."""


@dataclass
class Fault:
    """One injected fault: the requests it matches, what it does to them, and how many times."""

    method: str  # "" matches every method
    path: re.Pattern[str]
    status: int | None = None
    latency_ms: float | None = None
    drop: bool = False
    count: int = 1
    retry_after: float | None = None
    when: str = "after"  # "before": act before handling; "after": handle, then act
    message: str = ""  # a status fault's error text ("" = the usual one for the status)

    def matches(self, method: str, path: str) -> bool:
        """Whether the method (any, when empty) fits and the path regex is found in ``path``."""
        return (not self.method or self.method == method.upper()) and bool(self.path.search(path))

    def describe(self) -> dict[str, Any]:
        """The fault as JSON for the control surface, leaving out the fields that are unset."""
        out: dict[str, Any] = {"method": self.method, "path": self.path.pattern}
        out["count"] = self.count
        if self.status is not None:
            out["status"] = self.status
        if self.latency_ms is not None:
            out["latency_ms"] = self.latency_ms
        if self.drop:
            out["drop"] = True
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        out["when"] = self.when
        if self.message:
            out["message"] = self.message
        return out


def parse_fault(spec: Any) -> Fault:
    """A Fault from a control-surface JSON object; a bad field is a FaultError naming it."""
    if not isinstance(spec, dict):
        raise FaultError("a fault is a JSON object")
    method = spec.get("method") or ""
    if not isinstance(method, str):
        raise FaultError("method must be a string such as POST")
    path = spec.get("path", "")
    if not isinstance(path, str):
        raise FaultError("path must be a regular expression string")
    try:
        pattern = re.compile(path)
    except re.error as exc:
        raise FaultError(f"path is not a valid regular expression: {exc}") from None
    kinds = [k for k in ("status", "latency_ms", "drop") if spec.get(k) not in (None, False)]
    if len(kinds) != 1:
        raise FaultError("give exactly one of status, latency_ms or drop: true")
    status = spec.get("status")
    if status is not None and (
        not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599
    ):
        raise FaultError("status must be an HTTP error status (400-599)")
    latency = spec.get("latency_ms")
    if latency is not None and (
        not isinstance(latency, int | float) or isinstance(latency, bool) or latency < 0
    ):
        raise FaultError("latency_ms must be a number of milliseconds >= 0")
    drop = spec.get("drop", False)
    if not isinstance(drop, bool):
        raise FaultError("drop must be true or false")
    count = spec.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise FaultError("count must be a whole number >= 1")
    retry_after = spec.get("retry_after")
    if retry_after is not None and (
        not isinstance(retry_after, int | float) or isinstance(retry_after, bool) or retry_after < 0
    ):
        raise FaultError("retry_after must be a number of seconds >= 0")
    # A status fault answers instead of handling unless asked to act after handling.
    default_when = "before" if status is not None else "after"
    when = spec.get("when", default_when)
    if when not in ("before", "after"):
        raise FaultError('when must be "before" or "after"')
    # what a hostile or odd API may answer, so clients can be tested against its text
    message = spec.get("message", "")
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        raise FaultError(f"message must be a string of at most {MAX_MESSAGE} characters")
    if message and status is None:
        raise FaultError("message goes with a status fault")
    return Fault(
        method=method.upper(),
        path=pattern,
        status=status,
        latency_ms=float(latency) if latency is not None else None,
        drop=drop,
        count=count,
        retry_after=retry_after,
        when=when,
        message=message,
    )


class FaultQueue:
    """Faults in the order they were added; each one is used ``count`` times then dropped."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind those already added."""
        self.faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, with one use spent (gone at zero), else None."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every queued fault."""
        self.faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        """Every queued fault as JSON, in order (``GET /__emulator__/faults``)."""
        return [f.describe() for f in self.faults]
