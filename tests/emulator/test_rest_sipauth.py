"""SIP credentials and IP ACLs: shapes, validation, quotas, 409s; no password ever returned."""

from __future__ import annotations

import re

from tests.emulator.helpers import make_acl, make_app, make_credential
from wizard.emulator.state import ha1

UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


async def test_credential_lifecycle(api, emulator):
    r = await api.post(
        "SipAuth/Credential/", json={"username": "trunk.one", "password": "Secret12345x"}
    )
    assert r.status_code == 201
    body = r.json()
    uuid = body["credential_uuid"]
    assert UUID4.fullmatch(uuid) and "api_id" in body and body["message"]
    assert body["username"] == "trunk.one" and body["realm"] == "app.plivo.com"
    assert "Secret12345x" not in r.text and "password" not in body
    got = (await api.get(f"SipAuth/Credential/{uuid}/")).json()
    assert got["resource_uri"] == f"/v1/Account/{emulator.auth_id}/SipAuth/Credential/{uuid}/"
    assert set(got) == {"api_id", "credential_uuid", "username", "realm", "resource_uri"}
    stored = emulator.state.credentials[uuid]
    assert stored["ha1"] == ha1("trunk.one", "Secret12345x")
    r = await api.post(f"SipAuth/Credential/{uuid}/", json={"password": "Another12345y"})
    assert r.status_code == 202 and r.json()["message"] == "changed"
    assert emulator.state.credentials[uuid]["ha1"] == ha1("trunk.one", "Another12345y")
    listing = (await api.get("SipAuth/Credential/")).json()
    assert [c["credential_uuid"] for c in listing["objects"]] == [uuid]
    assert "Another12345y" not in str(emulator.dump_state())
    assert (await api.delete(f"SipAuth/Credential/{uuid}/")).status_code == 204
    r = await api.get(f"SipAuth/Credential/{uuid}/")
    assert r.status_code == 404 and r.json()["error"] == "Credential not found"


async def test_credential_validation(api):
    cases = [
        ({"password": "Secret12345x"}, "username is required"),
        ({"username": "ab", "password": "Secret12345x"}, "3 to 64"),
        ({"username": "x" * 65, "password": "Secret12345x"}, "3 to 64"),
        ({"username": "bad name", "password": "Secret12345x"}, "3 to 64"),
        ({"username": "gooduser"}, "password is required"),
        ({"username": "gooduser", "password": "Short1a"}, "12 to 128"),
        ({"username": "gooduser", "password": "A1" + "a" * 127}, "12 to 128"),
        ({"username": "gooduser", "password": "alllowercase123"}, "uppercase"),
        ({"username": "gooduser", "password": "ALLUPPERCASE123"}, "lowercase"),
        ({"username": "gooduser", "password": "NoDigitsHereAtAll"}, "digit"),
        ({"username": 5, "password": "Secret12345x"}, "must be a string"),
    ]
    for body, message in cases:
        r = await api.post("SipAuth/Credential/", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"], (body, r.json())
    assert (await api.get("SipAuth/Credential/")).json()["meta"]["total_count"] == 0


async def test_credential_duplicate_username_409(api):
    await make_credential(api, "dup_user")
    r = await api.post("SipAuth/Credential/", json={"username": "dup_user", "password": "Xx1" * 5})
    assert r.status_code == 409 and "already exists" in r.json()["error"]
    assert (await api.get("SipAuth/Credential/")).json()["meta"]["total_count"] == 1


async def test_credential_update_rules(api):
    uuid = await make_credential(api, "keepname")
    r = await api.post(
        f"SipAuth/Credential/{uuid}/", json={"username": "other", "password": "Secret12345z"}
    )
    assert r.status_code == 400 and "cannot be changed" in r.json()["error"]
    r = await api.post(f"SipAuth/Credential/{uuid}/", json={"password": "weak"})
    assert r.status_code == 400
    r = await api.post("SipAuth/Credential/00000000-0000-4000-8000-000000000000/", json={})
    assert r.status_code == 404


async def test_credential_quota(api):
    for i in range(200):
        await make_credential(api, f"user{i:03d}")
    r = await api.post("SipAuth/Credential/", json={"username": "one_more", "password": "Xx1" * 5})
    assert r.status_code == 400 and "at most 200" in r.json()["error"]
    assert (await api.get("SipAuth/Credential/")).json()["meta"]["total_count"] == 200


async def test_credential_delete_while_assigned_409(api):
    cred = await make_credential(api)
    app_id = await make_app(api, sip_auth_type="credential", credential_uuid=cred)
    r = await api.delete(f"SipAuth/Credential/{cred}/")
    assert r.status_code == 409
    assert app_id in r.json()["error"] and "sip_auth_type" in r.json()["error"]
    assert (await api.get(f"SipAuth/Credential/{cred}/")).status_code == 200
    await api.post(f"Application/{app_id}/", json={"sip_auth_type": ""})
    assert (await api.delete(f"SipAuth/Credential/{cred}/")).status_code == 204


async def test_acl_lifecycle(api, emulator):
    r = await api.post(
        "SipAuth/IPAccessControlList/",
        json={
            "name": "carrier",
            "ip_addresses": ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"],
        },
    )
    assert r.status_code == 201
    body = r.json()
    uuid = body["ip_acl_uuid"]
    assert UUID4.fullmatch(uuid) and "api_id" in body and body["message"]
    got = (await api.get(f"SipAuth/IPAccessControlList/{uuid}/")).json()
    assert got["name"] == "carrier"
    assert got["ip_addresses"] == ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]
    assert got["resource_uri"] == (
        f"/v1/Account/{emulator.auth_id}/SipAuth/IPAccessControlList/{uuid}/"
    )
    r = await api.post(f"SipAuth/IPAccessControlList/{uuid}/", json={"ip_addresses": ["10.0.0.1"]})
    assert r.status_code == 202
    got = (await api.get(f"SipAuth/IPAccessControlList/{uuid}/")).json()
    assert got["ip_addresses"] == ["10.0.0.1"] and got["name"] == "carrier"
    r = await api.post(f"SipAuth/IPAccessControlList/{uuid}/", json={"name": "renamed"})
    assert r.status_code == 202
    listing = (await api.get("SipAuth/IPAccessControlList/")).json()
    assert [a["name"] for a in listing["objects"]] == ["renamed"]
    assert (await api.delete(f"SipAuth/IPAccessControlList/{uuid}/")).status_code == 204
    r = await api.get(f"SipAuth/IPAccessControlList/{uuid}/")
    assert r.status_code == 404 and "IP access control list not found" in r.json()["error"]


async def test_acl_validation(api):
    cases = [
        ({"ip_addresses": ["10.0.0.1"]}, "name is required"),
        ({"name": "x"}, "ip_addresses is required"),
        ({"name": "x", "ip_addresses": []}, "at least one"),
        ({"name": "x", "ip_addresses": "not-an-ip"}, "not an IP address"),
        ({"name": "x", "ip_addresses": ["10.0.0.300"]}, "not an IP address"),
        ({"name": "x", "ip_addresses": ["10.0.0.0/33"]}, "not an IP address"),
        ({"name": "x", "ip_addresses": [7]}, "IP address or CIDR"),
        ({"name": "x", "ip_addresses": {"a": 1}}, "must be a list"),
        ({"name": "x", "ip_addresses": [f"10.0.0.{i}" for i in range(51)]}, "at most 50"),
    ]
    for body, message in cases:
        r = await api.post("SipAuth/IPAccessControlList/", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"], (body, r.json())
    assert (await api.get("SipAuth/IPAccessControlList/")).json()["meta"]["total_count"] == 0
    ok = await api.post(
        "SipAuth/IPAccessControlList/",
        json={"name": "x", "ip_addresses": [f"10.0.0.{i}" for i in range(50)]},
    )
    assert ok.status_code == 201
    uuid = ok.json()["ip_acl_uuid"]
    r = await api.post(f"SipAuth/IPAccessControlList/{uuid}/", json={"ip_addresses": ["nope"]})
    assert r.status_code == 400
    got = (await api.get(f"SipAuth/IPAccessControlList/{uuid}/")).json()
    assert len(got["ip_addresses"]) == 50
    r = await api.post(f"SipAuth/IPAccessControlList/{uuid}/", json={})
    assert r.status_code == 400 and "nothing to change" in r.json()["error"]


async def test_acl_quota(api):
    for i in range(100):
        await make_acl(api, name=f"acl{i}")
    r = await api.post(
        "SipAuth/IPAccessControlList/", json={"name": "extra", "ip_addresses": ["10.0.0.1"]}
    )
    assert r.status_code == 400 and "at most 100" in r.json()["error"]
    assert (await api.get("SipAuth/IPAccessControlList/")).json()["meta"]["total_count"] == 100


async def test_acl_delete_while_assigned_409(api):
    acl = await make_acl(api)
    app_id = await make_app(api, sip_auth_type="ip_acl", ip_acl_uuid=acl)
    r = await api.delete(f"SipAuth/IPAccessControlList/{acl}/")
    assert r.status_code == 409 and app_id in r.json()["error"]
    assert (await api.get(f"SipAuth/IPAccessControlList/{acl}/")).status_code == 200
    await api.delete(f"Application/{app_id}/")
    assert (await api.delete(f"SipAuth/IPAccessControlList/{acl}/")).status_code == 204


async def test_sipauth_pagination(api, emulator):
    for i in range(25):
        await make_acl(api, name=f"acl{i}")
    page = (
        await api.get("SipAuth/IPAccessControlList/", params={"limit": 10, "offset": 20})
    ).json()
    assert len(page["objects"]) == 5 and page["meta"]["next"] is None
    assert page["meta"]["previous"] == (
        f"/v1/Account/{emulator.auth_id}/SipAuth/IPAccessControlList/?limit=10&offset=10"
    )
