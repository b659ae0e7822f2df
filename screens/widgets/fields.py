"""Input validators built on wizard/plans/validate.py, so the wizard and `byon apply` agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.validation import ValidationResult, Validator

from wizard.errors import ByonError


def problem(check: Callable[..., Any], *args: Any) -> str:
    """Run a validate.py check and return its complaint ("" when the value is fine).

    Checks may raise (ByonError/ValueError) or return a message, a Finding or a
    list of findings; warnings (level "warning") do not block. Any other exception is
    a bug in the check and propagates, so it is reported rather than shown as advice.
    """
    try:
        result = check(*args)
    except (ValueError, ByonError) as exc:  # these carry the user's sentence
        return str(exc)
    if result is None or result is True:
        return ""
    if isinstance(result, str):
        return result
    if isinstance(result, list | tuple):
        errors = [f for f in result if getattr(f, "level", "error") == "error"]
        return "; ".join(getattr(f, "message", str(f)) for f in errors)
    if getattr(result, "level", "error") == "error" and getattr(result, "message", ""):
        return str(result.message)
    return ""


class CheckValidator(Validator):
    """Wraps one check; ``args`` is called at validation time for extra arguments."""

    def __init__(self, name: str, args: Callable[[], tuple[Any, ...]] = tuple) -> None:
        super().__init__()
        self.check_name = name
        self.args = args

    def validate(self, value: str) -> ValidationResult:
        """Fail with the check's own sentence."""
        from wizard.plans import validate

        msg = problem(getattr(validate, self.check_name), value, *self.args())
        return self.failure(msg) if msg else self.success()
