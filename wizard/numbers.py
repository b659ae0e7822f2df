"""Phone numbers: the one home of "+"/digits conversion and E.164 normalising.

Minimal version: the providers work owns this module and its fuller version
wins at merge; the signatures here are the shared contract.
"""

from __future__ import annotations


def normalize_e164(text: str) -> str:
    """``+1 (415) 555-0100`` -> ``+14155550100``; ValueError with a sentence when it is not one."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        raise ValueError(
            f"{text!r} is not a phone number; write it like +14155550100 (E.164)"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{text!r} is not a valid number for any country; check the digits")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def digits_only(number: str) -> str:
    """``+14155550100`` -> ``14155550100``, as Plivo's number routes want it."""
    return number.strip().lstrip("+")


def with_plus(number: str) -> str:
    """``14155550100`` -> ``+14155550100`` (an empty string stays empty)."""
    d = digits_only(number)
    return f"+{d}" if d else ""
