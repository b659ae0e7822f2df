"""Bad input gets a 4xx in Plivo's error shape: never a 500, never a hang, nothing half-made."""

from __future__ import annotations

import json

import pytest


def assert_plivo_error(r, status: int, fragment: str = "") -> None:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"api_id", "error"}
    assert fragment in body["error"], body


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe", b"null", b'{"app_name": }'],
)
async def test_malformed_json_400(api, raw):
    r = await api.post("Application/", content=raw, headers={"Content-Type": "application/json"})
    assert_plivo_error(r, 400)
    assert (await api.get("Application/")).json()["meta"]["total_count"] == 0


async def test_malformed_json_on_every_writer(api):
    for path in (
        "SipAuth/Credential/",
        "SipAuth/IPAccessControlList/",
        "Call/",
        "PhoneNumber/14155550160/",
        "",
    ):
        r = await api.post(path, content=b"{oops", headers={"Content-Type": "application/json"})
        assert_plivo_error(r, 400, "malformed JSON")


async def test_oversize_body_413(api):
    big = json.dumps({"app_name": "big", "answer_url": "https://x.test/" + "a" * (1024 * 1024)})
    r = await api.post(
        "Application/", content=big.encode(), headers={"Content-Type": "application/json"}
    )
    assert_plivo_error(r, 413, "too large")
    assert (await api.get("Application/")).json()["meta"]["total_count"] == 0


async def test_oversize_chunked_body_413(api):
    async def chunks():
        for _ in range(20):
            yield b"x" * 100_000

    r = await api.post(
        "Application/", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_plivo_error(r, 413, "too large")


async def test_wrong_types_400(api):
    cases = [
        ("Application/", {"app_name": ["a"]}),
        ("Application/", {"app_name": "ok", "answer_url": {"u": 1}}),
        ("Application/", {"app_name": "ok", "default_number_app": 3}),
        ("Application/", {"app_name": "ok", "sip_auth_type": 1}),
        ("SipAuth/Credential/", {"username": "user_x", "password": 123456789012}),
        ("Call/", {"from": 1, "to": "14155550100", "answer_url": "https://x.test"}),
    ]
    for path, body in cases:
        assert_plivo_error(await api.post(path, json=body), 400)


async def test_malformed_form_body_400(api):
    r = await api.post(
        "Application/",
        content=b"app_name",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_plivo_error(r, 400, "malformed form")


async def test_unknown_resource_and_method(api):
    assert_plivo_error(await api.get("Nothing/"), 404, "resource not found")
    assert_plivo_error(await api.put("Application/"), 405, "not allowed")
    assert_plivo_error(await api.delete("Application/"), 405)


async def test_empty_body_on_create_names_missing_field(api):
    r = await api.post("Application/")
    assert_plivo_error(r, 400, "app_name is required")
