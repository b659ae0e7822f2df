"""Every resource the emulator serves carries the keys of the official SDK's own fixtures.

The fixtures (tests/emulator/fixtures/plivo-python/, MIT, Plivo Inc.) are the
responses plivo-python's tests replay: the best public record of the keys
Plivo returns. A key missing here is a key a real client could miss in the
demo; a key the emulator adds must be listed in EXTRAS with its reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.emulator.helpers import make_acl, make_app, make_credential

FIXTURES = Path(__file__).parent / "fixtures" / "plivo-python"

# Keys the emulator serves beyond the fixtures, and why.
EXTRAS: dict[str, set[str]] = {
    # SIP auth on applications (shared/reference/plivo-api.md section 12) and the documented
    # log_incoming_messages flag: newer than the SDK's fixtures.
    "application": {"log_incoming_messages", "sip_auth_type", "ip_acl_uuid", "credential_uuid"},
    # Documented search fields the fixture's two numbers happen not to show.
    "phone_number": {"city", "sub_type", "mms_enabled", "mms_rate"},
}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def union(objects: list[dict[str, Any]]) -> set[str]:
    """All keys of a list's objects: a key any object shows is a key Plivo may send."""
    return set().union(*(o.keys() for o in objects))


def same_keys(what: str, expected: set[str], served: dict[str, Any], extras=()) -> None:
    missing = expected - set(served)
    assert not missing, f"{what}: the emulator lacks {sorted(missing)}"
    assert set(served) - expected == set(extras), f"{what}: unlisted extra keys"


def same_list_keys(what: str, name: str, served: dict[str, Any], extras=()) -> None:
    expected = fixture(name)
    same_keys(f"{what} envelope", set(expected), served)
    same_keys(f"{what} meta", set(expected["meta"]), served["meta"])
    assert served["objects"], f"{what}: nothing listed to compare"
    for obj in served["objects"]:
        same_keys(f"{what} object", union(expected["objects"]), obj, extras)


async def test_account(demo_api):
    same_keys("account get", set(fixture("accountGetResponse")), (await demo_api.get("")).json())
    r = await demo_api.post("", json={"name": "Renamed"})
    same_keys("account update", set(fixture("accountUpdateResponse")), r.json())


async def test_application(api):
    r = await api.post("Application/", json={"app_name": "fx", "answer_url": "https://a.test/"})
    same_keys("application create", set(fixture("applicationCreateResponse")), r.json())
    app_id = r.json()["app_id"]
    got = (await api.get(f"Application/{app_id}/")).json()
    same_keys("application get", set(fixture("applicationGetResponse")), got, EXTRAS["application"])
    listed = (await api.get("Application/")).json()
    same_list_keys("application list", "applicationListResponse", listed, EXTRAS["application"])
    r = await api.post(f"Application/{app_id}/", json={"answer_url": "https://b.test/"})
    same_keys("application modify", set(fixture("applicationModifyResponse")), r.json())


async def test_application_with_sip_auth_keeps_the_same_keys(api):
    """The auth fields change values, never the key set."""
    cred = await make_credential(api)
    acl = await make_acl(api)
    app_id = await make_app(
        api, sip_auth_type="ip_acl_and_credential", ip_acl_uuid=acl, credential_uuid=cred
    )
    got = (await api.get(f"Application/{app_id}/")).json()
    same_keys("application get", set(fixture("applicationGetResponse")), got, EXTRAS["application"])


async def test_rented_numbers(demo_api, demo_emulator):
    listed = (await demo_api.get("Number/")).json()
    same_list_keys("number list", "numberListResponse", listed)
    for number in (n["number"] for n in listed["objects"]):
        got = (await demo_api.get(f"Number/{number}/")).json()
        same_keys("number get", set(fixture("numberGetResponse")), got)
        assert got["active"] is True and got["city"] == "San Francisco"
        assert got["country"] == "United States"
        assert got["tendlc_registration_status"] == "UNREGISTERED"
    r = await demo_api.post(f"Number/{number}/", json={"alias": "front desk"})
    same_keys("number update", set(fixture("numberUpdateResponse")), r.json())


async def test_number_search_and_buy(api):
    for iso in ("US", "GB", "IN", "AU"):
        found = (await api.get("PhoneNumber/", params={"country_iso": iso})).json()
        same_list_keys(
            f"phone number search {iso}", "phoneNumberListResponse", found, EXTRAS["phone_number"]
        )
    gb = (await api.get("PhoneNumber/", params={"country_iso": "GB", "type": "local"})).json()
    want = fixture("phoneNumberListResponse")["objects"][0]["prerequisites"][0]
    (prerequisite,) = gb["objects"][0]["prerequisites"]
    same_keys("phone number prerequisite", set(want), prerequisite)
    number = gb["objects"][0]["number"]
    bought = (await api.post(f"PhoneNumber/{number}/", json={})).json()
    expected = fixture("phoneNumberCreateResponse")
    same_keys("phone number buy", set(expected), bought)
    same_keys("phone number buy item", set(expected["numbers"][0]), bought["numbers"][0])
    # the bought number is served with the Number keys, outside the US too
    got = (await api.get(f"Number/{number}/")).json()
    same_keys("number get (GB)", set(fixture("numberGetResponse")), got)
    assert got["country"] == "United Kingdom" and got["tendlc_registration_status"] is None


# Plivo's current CDR pages list these; the SDK's older fixtures predate them
HANGUP_KEYS = ("call_state", "hangup_cause_code", "hangup_cause_name", "hangup_source")


async def test_calls(demo_api):
    body = {"from": "14155550100", "to": "14155550150", "answer_url": "https://a.test/"}
    r = await demo_api.post("Call/", json=body)
    same_keys("call create", set(fixture("callCreateResponse")), r.json())
    listed = await demo_api.get("Call/")
    assert listed.status_code == 200, listed.text
    same_list_keys("call list", "callListResponse", listed.json(), HANGUP_KEYS)
    call_uuid = listed.json()["objects"][0]["call_uuid"]
    got = (await demo_api.get(f"Call/{call_uuid}/")).json()
    same_keys("call get", set(fixture("callGetResponse")), got, HANGUP_KEYS)
