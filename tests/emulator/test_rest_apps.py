"""Account and Application over real HTTP: shapes, CRUD, pagination, filters, auth."""

from __future__ import annotations

import re

import httpx

from tests.emulator.helpers import make_acl, make_app, make_credential, rest_client
from wizard.emulator import DEMO_AUTH_ID, DEMO_AUTH_TOKEN, Emulator

APP_FIELDS = {
    "app_id", "app_name", "answer_url", "answer_method", "hangup_url", "hangup_method",
    "fallback_answer_url", "fallback_method", "message_url", "message_method", "default_app",
    "default_endpoint_app", "enabled", "public_uri", "sip_uri", "sub_account",
    "log_incoming_messages", "resource_uri", "sip_auth_type", "ip_acl_uuid", "credential_uuid",
}  # fmt: skip


async def test_ids_look_like_plivo(emulator):
    assert re.fullmatch(r"MA[A-Z0-9]{18}", emulator.auth_id)
    assert len(emulator.auth_token) >= 32
    assert emulator.api_url.startswith("http://127.0.0.1:")
    assert emulator.auth_token not in repr(emulator)


async def test_account(api, emulator):
    r = await api.get("")
    assert r.status_code == 200
    body = r.json()
    assert body["auth_id"] == emulator.auth_id
    assert body["resource_uri"] == f"/v1/Account/{emulator.auth_id}/"
    for key in ("api_id", "name", "account_type", "cash_credits", "timezone", "billing_mode"):
        assert key in body
    r = await api.post("", json={"name": "Renamed"})
    assert r.status_code == 202
    assert (await api.get("")).json()["name"] == "Renamed"


async def test_account_without_trailing_slash(emulator):
    async with httpx.AsyncClient(auth=(emulator.auth_id, emulator.auth_token)) as c:
        r = await c.get(f"{emulator.api_url}/v1/Account/{emulator.auth_id}")
    assert r.status_code == 200


async def test_wrong_credentials_401(emulator):
    async with httpx.AsyncClient(auth=(emulator.auth_id, "wrong-token")) as c:
        r = await c.get(f"{emulator.api_url}/v1/Account/{emulator.auth_id}/Application/")
    assert r.status_code == 401
    body = r.json()
    assert body["error"] == "Authentication failed" and "api_id" in body
    async with httpx.AsyncClient() as c:  # no auth at all
        r = await c.get(f"{emulator.api_url}/v1/Account/{emulator.auth_id}/")
    assert r.status_code == 401


async def test_other_account_in_path_refused(emulator):
    async with httpx.AsyncClient(auth=(emulator.auth_id, emulator.auth_token)) as c:
        r = await c.get(f"{emulator.api_url}/v1/Account/MAOTHER0000000000000/Application/")
    assert r.status_code == 401


async def test_application_create_get_shape(api, emulator):
    r = await api.post(
        "Application/",
        json={"app_name": "agent_1", "answer_url": "https://x.test/a", "answer_method": "GET"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["message"] == "created" and "api_id" in body
    app_id = body["app_id"]
    assert re.fullmatch(r"\d{17}", app_id)
    r = await api.get(f"Application/{app_id}/")
    assert r.status_code == 200
    app = r.json()
    assert set(app) >= APP_FIELDS
    assert app["sip_uri"] == f"sip:{app_id}@app.plivo.com"
    assert app["sip_auth_type"] == "" and app["ip_acl_uuid"] == "" and app["credential_uuid"] == ""
    assert app["answer_method"] == "GET"
    assert app["hangup_url"] == "https://x.test/a"  # defaults to answer_url
    assert app["resource_uri"] == f"/v1/Account/{emulator.auth_id}/Application/{app_id}/"


async def test_application_update_and_delete(api):
    app_id = await make_app(api)
    r = await api.post(f"Application/{app_id}/", json={"answer_url": "https://new.test/a"})
    assert r.status_code == 202 and r.json()["message"] == "changed"
    assert (await api.get(f"Application/{app_id}/")).json()["answer_url"] == "https://new.test/a"
    r = await api.delete(f"Application/{app_id}/")
    assert r.status_code == 204 and r.content == b""
    r = await api.get(f"Application/{app_id}/")
    assert r.status_code == 404 and r.json()["error"] == "Application not found"
    assert (await api.delete(f"Application/{app_id}/")).status_code == 404
    r = await api.post(f"Application/{app_id}/", json={"answer_url": "https://x.test"})
    assert r.status_code == 404


async def test_application_sip_auth_fields(api):
    cred = await make_credential(api)
    acl = await make_acl(api)
    app_id = await make_app(api)
    r = await api.post(
        f"Application/{app_id}/",
        json={
            "sip_auth_type": "ip_acl_and_credential",
            "ip_acl_uuid": acl,
            "credential_uuid": cred,
        },
    )
    assert r.status_code == 202
    app = (await api.get(f"Application/{app_id}/")).json()
    assert (app["sip_auth_type"], app["ip_acl_uuid"], app["credential_uuid"]) == (
        "ip_acl_and_credential",
        acl,
        cred,
    )
    # "" clears auth and releases both resources
    r = await api.post(f"Application/{app_id}/", json={"sip_auth_type": ""})
    assert r.status_code == 202
    app = (await api.get(f"Application/{app_id}/")).json()
    assert (app["sip_auth_type"], app["ip_acl_uuid"], app["credential_uuid"]) == ("", "", "")


async def test_application_sip_auth_rejections_change_nothing(api):
    acl = await make_acl(api)
    app_id = await make_app(api)
    before = (await api.get(f"Application/{app_id}/")).json()
    bad = [
        ({"sip_auth_type": "ip_acl"}, "needs an ip_acl_uuid"),
        ({"sip_auth_type": "credential", "ip_acl_uuid": acl}, "needs a credential_uuid"),
        ({"sip_auth_type": "ip_acl", "ip_acl_uuid": "nope"}, "does not match"),
        ({"sip_auth_type": "credential", "credential_uuid": "nope"}, "does not match"),
        ({"sip_auth_type": "digest"}, "sip_auth_type must be one of"),
        ({"sip_auth_type": "ip_acl", "ip_acl_uuid": acl, "answer_method": "PUT"}, "GET or POST"),
    ]
    for body, message in bad:
        r = await api.post(f"Application/{app_id}/", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"], (body, r.json())
    after = (await api.get(f"Application/{app_id}/")).json()
    after.pop("api_id"), before.pop("api_id")
    assert after == before
    r = await api.post(
        "Application/", json={"app_name": "x", "sip_auth_type": "credential"}
    )  # create with a type but no uuid
    assert r.status_code == 400
    assert (await api.get("Application/")).json()["meta"]["total_count"] == 1


async def test_application_validation(api):
    cases = [
        ({}, "app_name is required"),
        ({"app_name": ""}, "app_name is required"),
        ({"app_name": "has space"}, "letters, digits"),
        ({"app_name": 12}, "app_name must be a string"),
        ({"app_name": "ok", "answer_url": "ftp://x"}, "http:// or https://"),
        ({"app_name": "ok", "answer_url": 5}, "answer_url must be a string"),
        ({"app_name": "ok", "answer_method": "PUT"}, "GET or POST"),
        ({"app_name": "ok", "public_uri": "maybe"}, "true or false"),
    ]
    for body, message in cases:
        r = await api.post("Application/", json=body)
        assert r.status_code == 400, body
        err = r.json()
        assert "api_id" in err and message in err["error"], (body, err)
    assert (await api.get("Application/")).json()["meta"]["total_count"] == 0


async def test_duplicate_app_names_allowed(api):
    a = await make_app(api, app_name="same")
    b = await make_app(api, app_name="same")
    assert a != b


async def test_application_pagination(api, emulator):
    ids = [await make_app(api, app_name=f"app{i}") for i in range(45)]
    r = await api.get("Application/", params={"limit": 20, "offset": 0})
    page = r.json()
    assert page["meta"] == {
        "limit": 20,
        "offset": 0,
        "next": f"/v1/Account/{emulator.auth_id}/Application/?limit=20&offset=20",
        "previous": None,
        "total_count": 45,
    }
    assert [a["app_id"] for a in page["objects"]] == ids[:20]
    # follow next to the end: every app exactly once, creation order
    seen, url = [], "Application/?limit=20&offset=0"
    while url:
        body = (await api.get(url)).json()
        seen += [a["app_id"] for a in body["objects"]]
        nxt = body["meta"]["next"]
        url = nxt.split(f"/Account/{emulator.auth_id}/", 1)[1] if nxt else None
    assert seen == ids
    last = (await api.get("Application/", params={"limit": 20, "offset": 40})).json()
    assert last["meta"]["next"] is None
    assert last["meta"]["previous"].endswith("limit=20&offset=20")
    assert len(last["objects"]) == 5
    default = (await api.get("Application/")).json()
    assert default["meta"]["limit"] == 20
    beyond = (await api.get("Application/", params={"offset": 100})).json()
    assert beyond["objects"] == [] and beyond["meta"]["total_count"] == 45


async def test_pagination_bounds(api):
    for params in ({"limit": 0}, {"limit": 21}, {"limit": "x"}, {"offset": -1}):
        r = await api.get("Application/", params=params)
        assert r.status_code == 400, params
        assert "api_id" in r.json()


async def test_application_name_filter(api):
    await make_app(api, app_name="alpha")
    beta = await make_app(api, app_name="beta")
    r = await api.get("Application/", params={"app_name": "beta"})
    body = r.json()
    assert [a["app_id"] for a in body["objects"]] == [beta]
    assert body["meta"]["total_count"] == 1


async def test_form_encoded_bodies_accepted(api):
    r = await api.post("Application/", data={"app_name": "formapp", "answer_method": "GET"})
    assert r.status_code == 201
    app = (await api.get(f"Application/{r.json()['app_id']}/")).json()
    assert app["app_name"] == "formapp" and app["answer_method"] == "GET"


async def test_demo_seed(demo_api, demo_emulator):
    assert demo_emulator.auth_id == DEMO_AUTH_ID and demo_emulator.auth_token == DEMO_AUTH_TOKEN
    acct = (await demo_api.get("")).json()
    assert acct["name"] == "Demo Account"
    apps = {a["app_name"]: a for a in (await demo_api.get("Application/")).json()["objects"]}
    assert set(apps) == {"support-bot", "sales-agent"}
    assert apps["support-bot"]["sip_auth_type"] == "" and apps["support-bot"]["answer_url"]
    creds = (await demo_api.get("SipAuth/Credential/")).json()["objects"]
    assert [c["username"] for c in creds] == ["legacy_trunk"]
    assert apps["sales-agent"]["sip_auth_type"] == "credential"
    assert apps["sales-agent"]["credential_uuid"] == creds[0]["credential_uuid"]
    nums = {n["number"]: n for n in (await demo_api.get("Number/")).json()["objects"]}
    assert set(nums) == {"14155550150", "14155550151"}
    assert nums["14155550150"]["application"].endswith(f"/{apps['support-bot']['app_id']}/")
    assert nums["14155550151"]["application"] is None


async def test_demo_ids_are_the_same_every_run():
    snapshots = []
    for _ in range(2):
        emu = Emulator(seed="demo")
        await emu.start()
        try:
            async with rest_client(emu) as api:
                apps = (await api.get("Application/")).json()["objects"]
                new = await make_app(api, app_name="added")
                cred = await make_credential(api)
            snapshots.append(([a["app_id"] for a in apps], new, cred))
        finally:
            await emu.stop()
    assert snapshots[0] == snapshots[1]


async def test_non_demo_accounts_differ():
    a, b = Emulator(), Emulator()
    assert a.auth_id != b.auth_id and a.auth_token != b.auth_token
    assert a.dump_state()["applications"] == []
