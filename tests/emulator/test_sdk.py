"""The official plivo SDK, pointed at the emulator, works unchanged."""

from __future__ import annotations

import asyncio

import plivo
import plivo.rest.client as sdk_client
import pytest


@pytest.fixture
def sdk(emulator, monkeypatch):
    # The SDK resets its base URL from these module constants on every request.
    base = f"{emulator.api_url}/v1/Account"
    for name in (
        "PLIVO_API_BASE_URI",
        "API_VOICE_BASE_URI",
        "API_VOICE_BASE_URI_FALLBACK_1",
        "API_VOICE_BASE_URI_FALLBACK_2",
    ):
        monkeypatch.setattr(sdk_client, name, base)
    client = plivo.RestClient(emulator.auth_id, emulator.auth_token)
    yield client
    client.session.close()


async def test_sdk_application_create_get_list_update_delete(sdk):
    created = await asyncio.to_thread(
        sdk.applications.create, app_name="sdk_app", answer_url="https://agent.test/answer"
    )
    app_id = created.app_id
    assert created.message == "created"
    app = await asyncio.to_thread(sdk.applications.get, app_id)
    assert app.app_name == "sdk_app" and app.sip_uri == f"sip:{app_id}@app.plivo.com"
    apps = await asyncio.to_thread(sdk.applications.list, app_name="sdk_app")
    assert [a.app_id for a in apps] == [app_id]
    updated = await asyncio.to_thread(
        sdk.applications.update, app_id, answer_url="https://agent.test/v2"
    )
    assert updated.message == "changed"
    app = await asyncio.to_thread(sdk.applications.get, app_id)
    assert app.answer_url == "https://agent.test/v2"
    await asyncio.to_thread(sdk.applications.delete, app_id)
    with pytest.raises(plivo.exceptions.ResourceNotFoundError):
        await asyncio.to_thread(sdk.applications.get, app_id)


async def test_sdk_account_numbers_and_calls(sdk, emulator):
    account = await asyncio.to_thread(sdk.account.get)
    assert account.auth_id == emulator.auth_id
    found = await asyncio.to_thread(sdk.numbers.search, country_iso="US", type="tollfree", limit=5)
    number = found[0].number
    bought = await asyncio.to_thread(sdk.numbers.buy, number)
    assert bought.status == "fulfilled"
    rented = await asyncio.to_thread(sdk.numbers.list)
    assert [n.number for n in rented] == [number]
    fired = await asyncio.to_thread(
        sdk.calls.create,
        from_="14155550100",
        to_="14155550123",
        answer_url="https://agent.test/answer",
    )
    assert fired.message == "call fired" and fired.request_uuid


async def test_sdk_wrong_token_is_an_authentication_error(emulator, monkeypatch):
    monkeypatch.setattr(sdk_client, "PLIVO_API_BASE_URI", f"{emulator.api_url}/v1/Account")
    client = plivo.RestClient(emulator.auth_id, "wrong-token")
    try:
        with pytest.raises(plivo.exceptions.AuthenticationError):
            await asyncio.to_thread(client.account.get)
    finally:
        client.session.close()
