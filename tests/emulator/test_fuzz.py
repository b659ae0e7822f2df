"""Random bodies and queries against every endpoint: always a Plivo-shaped answer, never a 500."""

from __future__ import annotations

import random

from tests.emulator.helpers import make_acl, make_app, make_credential

FIELDS = [
    "app_name", "answer_url", "answer_method", "hangup_url", "sip_auth_type", "ip_acl_uuid",
    "credential_uuid", "default_number_app", "public_uri", "username", "password", "name",
    "ip_addresses", "app_id", "alias", "from", "to", "country_iso", "type", "pattern", "limit",
    "offset",
]  # fmt: skip


def value(rng: random.Random, uuids: list[str]):
    choices = [
        None, True, False, 0, -1, 10**20, 1.5, "", " ", "GET", "POST", "ip_acl", "credential",
        "ip_acl_and_credential", "https://x.test/a", "ftp://x", "10.0.0.0/8", "2001:db8::1",
        "Secret12345x", "user_" + "x" * rng.randint(0, 80), "\u00e9\u4e2d\U0001f600", "a" * 300,
        [], ["10.0.0.1"], ["bad"], [1, None], {"k": "v"}, rng.choice(uuids) if uuids else "u",
    ]  # fmt: skip
    return rng.choice(choices)


async def test_random_bodies_never_500(api):
    rng = random.Random(1234)
    cred = await make_credential(api)
    acl = await make_acl(api)
    app = await make_app(api)
    uuids = [cred, acl, app]
    paths = [
        "", "Application/", f"Application/{app}/", "SipAuth/Credential/",
        f"SipAuth/Credential/{cred}/", "SipAuth/IPAccessControlList/",
        f"SipAuth/IPAccessControlList/{acl}/", "Number/14155550160/", "PhoneNumber/14155550161/",
        "Call/",
    ]  # fmt: skip
    for _ in range(400):
        body = {rng.choice(FIELDS): value(rng, uuids) for _ in range(rng.randint(0, 5))}
        path = rng.choice(paths)
        if rng.random() < 0.2:
            r = await api.post(path, data={k: str(v) for k, v in body.items()})
        else:
            r = await api.post(path, json=body)
        assert r.status_code < 500, (path, body, r.text)
        assert r.status_code in (201, 202, 400, 404, 409), (path, body, r.text)
        assert "api_id" in r.json()


async def test_random_queries_never_500(api):
    rng = random.Random(99)
    paths = ["Application/", "Number/", "PhoneNumber/", "SipAuth/Credential/"]
    for _ in range(200):
        params = {rng.choice(FIELDS): str(value(rng, [])) for _ in range(rng.randint(0, 4))}
        r = await api.get(rng.choice(paths), params=params)
        assert r.status_code in (200, 400), (params, r.text)
        assert "api_id" in r.json()
