"""Plivo's JSON shapes for numbers, rented and on sale, as the SDK's own fixtures show them.

tests/emulator/test_sdk_fixtures.py compares these key sets with the plivo-python
fixtures vendored in tests/emulator/fixtures/plivo-python/.
"""

from __future__ import annotations

from typing import Any


def prerequisites(item: dict[str, Any]) -> list[dict[str, Any]]:
    """What Plivo asks for before selling a number, in the SDK fixture's shape.

    Guess: US numbers need nothing; local numbers elsewhere need a proof of address in
    the country (the usual regulator rule), toll-free numbers nothing.
    """
    if item.get("country_iso") == "US" or item.get("type") == "tollfree":
        return []
    return [{"proof_required": True, "proof_type": ["Any"], "scope": "country", "type": "address"}]


def number_out(num: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A rented number with the keys of the SDK's Number fixtures (tests/emulator/fixtures)."""
    app_id = num.get("app_id") or ""
    details = num.get("details") or {}
    us = num.get("country_iso") == "US"
    return {
        "number": num["number"],
        "alias": num.get("alias"),
        "sub_account": None,
        "added_on": num["added_on"],
        "active": True,
        "application": f"{prefix}Application/{app_id}/" if app_id else None,
        "carrier": "Plivo",
        "city": details.get("city") or "",
        # Guess: Number spells the country in title case where search uses capitals
        # (the SDK's fixtures show "United States" and "UNITED STATES").
        "country": str(details.get("country") or "").title(),
        "region": num["region"],
        "number_type": num["number_type"],
        "monthly_rental_rate": num["monthly_rental_rate"],
        "renewal_date": num.get("renewal_date") or num["added_on"],
        "sms_enabled": num["sms_enabled"],
        "sms_rate": num["sms_rate"],
        "mms_enabled": num["mms_enabled"],
        "mms_rate": num["mms_rate"],
        "voice_enabled": num["voice_enabled"],
        "voice_rate": num["voice_rate"],
        "cnam_lookup": "disabled",  # the fixtures spell it "enabled"/"disabled"
        "compliance_application_id": None,
        "compliance_status": None,
        # Guess: 10DLC registration applies to US numbers only; elsewhere it is null.
        "tendlc_campaign_id": None,
        "tendlc_registration_status": "UNREGISTERED" if us else None,
        "toll_free_sms_verification": None,
        "resource_uri": f"{prefix}Number/{num['number']}/",
    }


def available_out(item: dict[str, Any], prefix: str) -> dict[str, Any]:
    """A number on sale with the keys of the SDK's PhoneNumber fixture."""
    keys = (
        "number", "prefix", "city", "country", "region", "rate_center", "lata", "type",
        "sub_type", "setup_rate", "monthly_rental_rate", "sms_enabled", "sms_rate",
        "mms_enabled", "mms_rate", "voice_enabled", "voice_rate", "restriction",
        "restriction_text",
    )  # fmt: skip
    out = {k: item.get(k) for k in keys}
    out["prerequisites"] = prerequisites(item)
    out["resource_uri"] = f"{prefix}PhoneNumber/{item['number']}/"
    return out
