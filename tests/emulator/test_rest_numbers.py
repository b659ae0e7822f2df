"""Rented numbers, number search and buy."""

from __future__ import annotations

from tests.emulator.helpers import make_app

NUMBER_FIELDS = {
    "number", "alias", "sub_account", "added_on", "application", "carrier", "region",
    "number_type", "monthly_rental_rate", "renewal_date", "sms_enabled", "sms_rate",
    "mms_enabled", "mms_rate", "voice_enabled", "voice_rate", "cnam_lookup", "resource_uri",
}  # fmt: skip
SEARCH_FIELDS = {
    "number", "prefix", "city", "country", "region", "rate_center", "lata", "type", "sub_type",
    "setup_rate", "monthly_rental_rate", "sms_enabled", "sms_rate", "mms_enabled", "mms_rate",
    "voice_enabled", "voice_rate", "restriction", "restriction_text", "resource_uri",
}  # fmt: skip


async def test_empty_account_has_no_numbers(api):
    body = (await api.get("Number/")).json()
    assert body["objects"] == [] and body["meta"]["total_count"] == 0


async def test_search_every_country_and_type(api):
    for iso in ("US", "GB", "IN", "AU"):
        for kind in ("local", "tollfree"):
            body = (await api.get("PhoneNumber/", params={"country_iso": iso, "type": kind})).json()
            assert body["meta"]["total_count"] >= 8, (iso, kind)
            for obj in body["objects"]:
                assert set(obj) >= SEARCH_FIELDS
                assert obj["type"] == kind and obj["voice_enabled"] is True
                assert obj["number"].isdigit()


async def test_search_pattern_and_pagination(api, emulator):
    body = (await api.get("PhoneNumber/", params={"country_iso": "US", "pattern": "415"})).json()
    assert body["objects"] and all(o["number"].startswith("1415") for o in body["objects"])
    page = (
        await api.get("PhoneNumber/", params={"country_iso": "US", "limit": 3, "offset": 3})
    ).json()
    assert len(page["objects"]) == 3 and page["meta"]["offset"] == 3
    assert page["meta"]["next"] == (
        f"/v1/Account/{emulator.auth_id}/PhoneNumber/?country_iso=US&limit=3&offset=6"
    )
    none = (await api.get("PhoneNumber/", params={"country_iso": "US", "pattern": "999999"})).json()
    assert none["objects"] == [] and none["meta"]["total_count"] == 0


async def test_search_validation(api):
    r = await api.get("PhoneNumber/")
    assert r.status_code == 400 and "country_iso is required" in r.json()["error"]
    r = await api.get("PhoneNumber/", params={"country_iso": "US", "type": "premium"})
    assert r.status_code == 400 and "type must be" in r.json()["error"]
    r = await api.get("PhoneNumber/", params={"country_iso": "US", "limit": 50})
    assert r.status_code == 400


async def test_buy_moves_number_into_account(api, emulator):
    app_id = await make_app(api)
    found = (await api.get("PhoneNumber/", params={"country_iso": "GB", "type": "local"})).json()
    number = found["objects"][0]["number"]
    r = await api.post(f"PhoneNumber/{number}/", json={"app_id": app_id})
    assert r.status_code == 201
    assert r.json()["numbers"] == [{"number": number, "status": "Success", "fallback_number": None}]
    assert r.json()["status"] == "fulfilled" and r.json()["message"] == "created"
    got = (await api.get(f"Number/{number}/")).json()
    assert set(got) >= NUMBER_FIELDS
    assert got["application"] == f"/v1/Account/{emulator.auth_id}/Application/{app_id}/"
    assert got["number_type"] == "local" and got["carrier"] == "Plivo"
    again = (await api.get("PhoneNumber/", params={"country_iso": "GB", "type": "local"})).json()
    assert number not in [o["number"] for o in again["objects"]]
    r = await api.post(f"PhoneNumber/{number}/", json={})
    assert r.status_code == 404 and "not available" in r.json()["error"]


async def test_buy_unknown_number_404_and_bad_app_400(api):
    r = await api.post("PhoneNumber/19999999999/", json={})
    assert r.status_code == 404
    found = (await api.get("PhoneNumber/", params={"country_iso": "AU"})).json()
    number = found["objects"][0]["number"]
    r = await api.post(f"PhoneNumber/{number}/", json={"app_id": "12345"})
    assert r.status_code == 400 and "does not match any application" in r.json()["error"]
    assert (await api.get(f"Number/{number}/")).status_code == 404  # nothing bought


async def test_buy_without_app_uses_default_number_app(api):
    default = await make_app(api, app_name="default", default_number_app=True)
    found = (await api.get("PhoneNumber/", params={"country_iso": "IN"})).json()
    number = found["objects"][0]["number"]
    assert (await api.post(f"PhoneNumber/{number}/")).status_code == 201
    assert (await api.get(f"Number/{number}/")).json()["application"].endswith(f"/{default}/")


async def test_number_assign_and_unassign(demo_api):
    apps = (await demo_api.get("Application/")).json()["objects"]
    sales = next(a for a in apps if a["app_name"] == "sales-agent")["app_id"]
    r = await demo_api.post("Number/14155550151/", json={"app_id": sales, "alias": "main line"})
    assert r.status_code == 202 and r.json()["message"] == "changed"
    got = (await demo_api.get("Number/+14155550151/")).json()
    assert got["application"].endswith(f"/{sales}/") and got["alias"] == "main line"
    by_alias = (await demo_api.get("Number/", params={"alias": "main line"})).json()
    assert [n["number"] for n in by_alias["objects"]] == ["14155550151"]
    for empty in ("", None):
        await demo_api.post("Number/14155550151/", json={"app_id": sales})
        r = await demo_api.post("Number/14155550151/", json={"app_id": empty})
        assert r.status_code == 202
        assert (await demo_api.get("Number/14155550151/")).json()["application"] is None


async def test_number_errors(demo_api):
    r = await demo_api.get("Number/19999999999/")
    assert r.status_code == 404 and r.json()["error"] == "Number not found"
    r = await demo_api.post("Number/19999999999/", json={"app_id": ""})
    assert r.status_code == 404
    r = await demo_api.post("Number/14155550151/", json={"app_id": "404404"})
    assert r.status_code == 400 and "404404" in r.json()["error"]
    r = await demo_api.post("Number/14155550151/", json={"app_id": ["x"]})
    assert r.status_code == 400
    assert (await demo_api.get("Number/14155550151/")).json()["application"] is None


async def test_number_filters_and_unrent(demo_api):
    body = (await demo_api.get("Number/", params={"number_startswith": "+1415555015"})).json()
    assert body["meta"]["total_count"] == 2
    body = (await demo_api.get("Number/", params={"type": "tollfree"})).json()
    assert body["meta"]["total_count"] == 0
    assert (await demo_api.delete("Number/14155550151/")).status_code == 204
    assert (await demo_api.get("Number/14155550151/")).status_code == 404


async def test_deleting_app_unassigns_its_numbers(demo_api):
    apps = (await demo_api.get("Application/")).json()["objects"]
    support = next(a for a in apps if a["app_name"] == "support-bot")["app_id"]
    assert (await demo_api.delete(f"Application/{support}/")).status_code == 204
    assert (await demo_api.get("Number/14155550150/")).json()["application"] is None
