"""A finding about a plan: an error that stops it, or a warning shown beside it.

Its own module so validation and the provider templates can both speak it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Finding:
    """One problem in a plan: ``key`` is the dotted TOML key (``auth.ip_acl.entries[2]``)."""

    level: Literal["error", "warning"]
    key: str
    message: str

    @property
    def is_error(self) -> bool:
        """True for an error, which refuses the plan (PlanError); a warning is only shown."""
        return self.level == "error"


def error(key: str, message: str | None) -> list[Finding]:
    """``[Finding("error", key, message)]``, or nothing when there is no message."""
    return [Finding("error", key, message)] if message else []


def warning(key: str, message: str | None) -> list[Finding]:
    """``[Finding("warning", key, message)]``, or nothing when there is no message."""
    return [Finding("warning", key, message)] if message else []
