"""One policy for phone numbers: E.164 inside byon, and the forms providers put on the wire.

Plans hold ``+14155550100``. Providers send either that (``e164``) or the same digits
without the plus (``digits``); Plivo's API lists numbers without the plus. Every
conversion between those forms goes through this module.
"""

from __future__ import annotations

import re

E164 = "e164"  # +14155550100
DIGITS = "digits"  # 14155550100
FORMS = (E164, DIGITS)
FORM_EXAMPLES = {E164: "+14155550100", DIGITS: "14155550100"}

_SEPARATORS = re.compile(r"[\s().-]")
_WIRE_NUMBER = re.compile(r"\+?[0-9]{6,15}")


def normalize_e164(text: str) -> str:
    """'+1 (415) 555-0100' -> '+14155550100'; raises ValueError with a sentence for anything
    that is not a valid number written with its '+' and country code."""
    import phonenumbers

    raw = (text or "").strip()
    if not raw:
        raise ValueError("a phone number is required, in E.164 form like +14155550100")
    if not raw.startswith("+"):
        # without the '+' the country is a guess: 4155550100 could be Swiss or American
        raise ValueError(
            f"{raw!r} must start with + and the country code, like +14155550100 (E.164)"
        )
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        why = getattr(exc, "_msg", exc)
        raise ValueError(
            f"{raw!r} is not a phone number ({why}); write it like +14155550100"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(
            f"{raw!r} is not a valid number for any country; check the digits "
            "(E.164: + country code and number, like +14155550100)"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def digits_only(number: str) -> str:
    """'+1 415-555-0100' -> '14155550100': the form Plivo's API and some providers use.
    Total (never raises): untrusted input comes back without its '+' and separators."""
    return _SEPARATORS.sub("", number or "").lstrip("+")


def with_plus(number: str) -> str:
    """'14155550100' -> '+14155550100' (unchanged when it has its '+'; '' stays '')."""
    digits = digits_only(number)
    return f"+{digits}" if digits else ""


def national_number(number: str) -> str:
    """'+14155550100' -> '4155550100': the national significant number, for forms that
    want no country code (Bandwidth's CallForward); digits when it does not parse."""
    import phonenumbers

    try:
        return str(phonenumbers.parse(with_plus(number), None).national_number)
    except phonenumbers.NumberParseException:
        return digits_only(number)


def in_form(number: str, form: str) -> str:
    """The number as a provider that sends ``form`` ("e164" or "digits") writes it."""
    if form not in FORMS:
        raise ValueError(f"unknown number form {form!r}; use one of {', '.join(FORMS)}")
    return with_plus(number) if form == E164 else digits_only(number)


def form_of(value: str) -> str | None:
    """Which form a To/From value arrived in ("e164" or "digits"), or None when it is
    not a bare phone number (a SIP user such as an app id or "anonymous")."""
    text = (value or "").strip()
    if not _WIRE_NUMBER.fullmatch(text):
        return None
    return E164 if text.startswith("+") else DIGITS


def same_number(a: str, b: str) -> bool:
    """Whether two numbers are the same whatever their form ('+1415…' == '1415…')."""
    return bool(digits_only(a)) and digits_only(a) == digits_only(b)
