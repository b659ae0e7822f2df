"""Every error path of the client, each a typed error with a sentence; the token never leaks."""

from __future__ import annotations

import base64
import logging
import socket
import uuid

import httpx
import pytest

from wizard.errors import (
    AuthError,
    BadRequest,
    ByonError,
    Conflict,
    NetworkError,
    NotFound,
    PlivoError,
    RateLimited,
    ServerError,
)
from wizard.plivo.client import PlivoClient, _Op, error_text

GOOD_PASSWORD = "Str0ngEnoughPass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_clean(exc: BaseException, *secrets: str) -> None:
    """No secret in anything an error shows or carries."""
    shown = [str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "error", None))]
    for secret in secrets:
        for text in shown:
            assert secret not in text


async def test_wrong_token_is_an_auth_error_naming_the_env_vars(emulator):
    wrong = "wrong-token-" + uuid.uuid4().hex
    async with PlivoClient(emulator.auth_id, wrong, base_url=emulator.api_url) as c:
        with pytest.raises(AuthError) as info:
            await c.get_account()
    e = info.value
    assert e.status == 401
    assert str(e).startswith(f"Plivo refused the credentials for auth id {emulator.auth_id}")
    assert "PLIVO_AUTH_ID" in str(e) and "PLIVO_AUTH_TOKEN" in str(e)
    assert e.method == "GET" and e.path == f"/v1/Account/{emulator.auth_id}/"
    assert_clean(e, wrong, emulator.auth_token)


async def test_not_found_names_what_was_missing(client):
    with pytest.raises(NotFound) as info:
        await client.get_application("123")
    assert str(info.value).startswith("Application 123 not found")
    assert info.value.status == 404
    assert info.value.error  # Plivo's own text is kept

    cred = str(uuid.uuid4())
    with pytest.raises(NotFound) as info:
        await client.get_credential(cred)
    assert str(info.value).startswith(f"Credential {cred} not found")

    with pytest.raises(NotFound) as info:
        await client.get_number("+1 415 000 0000")
    assert str(info.value).startswith("Number 14150000000 not found")

    acl = str(uuid.uuid4())
    with pytest.raises(NotFound) as info:
        await client.get_ip_acl(acl)
    assert acl in str(info.value)


async def test_deleting_something_absent_is_not_found_on_the_first_try(client):
    with pytest.raises(NotFound) as info:
        await client.delete_application("999")
    assert info.value.method == "DELETE"
    assert "Application 999" in str(info.value)


async def test_duplicate_username_is_a_conflict_and_nothing_changes(client, emulator):
    first = await client.create_credential("trunk-user", GOOD_PASSWORD)
    with pytest.raises(Conflict) as info:
        await client.create_credential("trunk-user", "0therGoodPassword")
    e = info.value
    assert e.status == 409
    assert "create SIP credential 'trunk-user'" in str(e)
    assert e.error  # Plivo's text
    assert_clean(e, "0therGoodPassword", emulator.auth_token)
    assert [c.credential_uuid for c in await client.list_credentials()] == [first.credential_uuid]


async def test_deleting_a_credential_in_use_is_a_conflict(client):
    cred = await client.create_credential("trunk-user", GOOD_PASSWORD)
    await client.create_application(
        app_name="a",
        answer_url="https://a.example/a",
        sip_auth_type="credential",
        credential_uuid=cred.credential_uuid,
    )
    with pytest.raises(Conflict) as info:
        await client.delete_credential(cred.credential_uuid)
    assert "in use" in str(info.value)  # the hint says what to do
    assert await client.get_credential(cred.credential_uuid)


async def test_weak_password_is_a_bad_request_with_plivos_text(client, emulator):
    with pytest.raises(BadRequest) as info:
        await client.create_credential("trunk-user", "short")
    e = info.value
    assert e.status == 400
    assert e.error and error_text(e.error) in str(e)
    assert_clean(e, "short", emulator.auth_token)
    assert await client.list_credentials() == []


async def test_auth_type_without_its_uuid_is_a_bad_request_and_no_app_is_made(client):
    with pytest.raises(BadRequest) as info:
        await client.create_application(
            app_name="a",
            answer_url="https://a.example/a",
            sip_auth_type="credential",
            credential_uuid=str(uuid.uuid4()),
        )
    assert "create application 'a'" in str(info.value)
    assert await client.list_applications() == []


async def test_unreachable_api_is_a_network_error_with_what_to_do():
    url = f"http://127.0.0.1:{free_port()}"
    token = "tok-" + uuid.uuid4().hex
    async with PlivoClient("MAXXXXXXXXXXXXXXXXXX", token, base_url=url, deadline=0.5) as c:
        with pytest.raises(NetworkError) as info:
            await c.get_account()
    msg = str(info.value)
    assert msg.startswith(f"Could not reach Plivo at {url}: ")
    assert msg.endswith("Check the network or --api-url.")
    assert_clean(info.value, token)


def _response(status: int, body) -> httpx.Response:
    return httpx.Response(
        status, json=body, request=httpx.Request("GET", "http://127.0.0.1/v1/Account/MA/")
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {"app_name": "is required", "answer_url": "must be a URL"},
            "app_name: is required; answer_url: must be a URL",
        ),
        (["limit too big", "offset negative"], "limit too big; offset negative"),
        ({"fields": ["a bad", "b bad"]}, "fields: a bad; b bad"),
        ("plain text", "plain text"),
    ],
)
async def test_structured_error_text_becomes_a_sentence(error, expected):
    c = PlivoClient("MAXXXXXXXXXXXXXXXXXX", "tok-secret", base_url="http://127.0.0.1:9")
    try:
        e = c._http_error(
            _response(400, {"api_id": "x", "error": error}),
            "POST",
            "/p/",
            _Op("create application 'a'"),
            (),
        )
    finally:
        await c.aclose()
    assert isinstance(e, BadRequest)
    assert e.error == error
    assert expected in str(e)


async def test_token_is_scrubbed_even_if_an_answer_echoes_it():
    token = "tok-" + uuid.uuid4().hex
    c = PlivoClient("MAXXXXXXXXXXXXXXXXXX", token, base_url="http://127.0.0.1:9")
    try:
        for status in (400, 401, 403, 404, 409, 429, 500):
            e = c._http_error(
                _response(status, {"error": {"detail": [f"bad token {token}"]}}),
                "GET",
                "/p/",
                _Op("read", "Application", "1"),
                ("pw-1234",),
            )
            assert isinstance(e, PlivoError)
            assert_clean(e, token)
    finally:
        await c.aclose()


async def test_token_never_leaks_from_any_error_kind(emulator, caplog):
    caplog.set_level(logging.DEBUG)
    token = emulator.auth_token
    basic = base64.b64encode(f"{emulator.auth_id}:{token}".encode()).decode()
    caught: list[BaseException] = []

    async def expect(kind, coro):
        with pytest.raises(kind) as info:
            await coro
        caught.append(info.value)

    c = PlivoClient(emulator.auth_id, token, base_url=emulator.api_url, deadline=0.6, timeout=0.2)
    async with c:
        assert token not in repr(c) and token not in str(vars(c))
        await expect(NotFound, c.get_application("1"))
        await c.create_credential("trunk-user", GOOD_PASSWORD)
        await expect(Conflict, c.create_credential("trunk-user", GOOD_PASSWORD))
        await expect(BadRequest, c.create_credential("x", "weak"))
        emulator.add_fault(
            {
                "method": "GET",
                "path": "Application/$",
                "status": 429,
                "retry_after": 30,
                "count": 100,
            }
        )
        await expect(RateLimited, c.list_applications())
        emulator.add_fault({"method": "GET", "path": "/Number/$", "status": 500, "count": 100})
        await expect(ServerError, c.list_numbers())
        emulator.add_fault(
            {"method": "GET", "path": "PhoneNumber/$", "drop": True, "when": "before", "count": 100}
        )
        await expect(NetworkError, c.search_phone_numbers("US"))
        emulator.add_fault(
            {"method": "GET", "path": "IPAccessControlList/$", "latency_ms": 400, "count": 100}
        )
        await expect(NetworkError, c.list_ip_acls())
    async with PlivoClient(emulator.auth_id, "not-" + token, base_url=emulator.api_url) as bad:
        await expect(AuthError, bad.get_account())

    assert len(caught) == 8
    for e in caught:
        assert isinstance(e, ByonError)
        assert_clean(e, token, basic, GOOD_PASSWORD)
    assert caplog.records  # debug lines were written, and none carries a secret
    assert token not in caplog.text and basic not in caplog.text
    assert GOOD_PASSWORD not in caplog.text


async def test_debug_log_has_method_path_and_status(client, caplog):
    caplog.set_level(logging.DEBUG, logger="byon.plivo")
    await client.list_applications()
    lines = [r.getMessage() for r in caplog.records if r.name == "byon.plivo"]
    assert any(line.startswith("GET /v1/Account/") and line.endswith("-> 200") for line in lines)


async def test_a_success_status_without_a_json_object_is_a_clear_error():
    c = PlivoClient("MAXXXXXXXXXXXXXXXXXX", "tok-secret", base_url="http://127.0.0.1:9")
    try:
        html = httpx.Response(200, text="<html>login</html>")
        with pytest.raises(ServerError, match=r"not a JSON object.*--api-url"):
            c._decode(html, "GET", "/p/", _Op("read the account"), ())
        assert c._decode(httpx.Response(204), "DELETE", "/p/", _Op("delete"), ()) == {}
    finally:
        await c.aclose()
