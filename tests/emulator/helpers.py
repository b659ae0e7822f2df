"""Helpers shared by the emulator tests: clients for the REST and control surfaces, and
resources created over REST."""

from __future__ import annotations

from typing import Any

import httpx

from wizard.plivo.http import plain_http_context


def rest_client(emu) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{emu.api_url}/v1/Account/{emu.auth_id}/",
        auth=(emu.auth_id, emu.auth_token),
        timeout=10.0,
        verify=plain_http_context(),
    )


def control_client(emu) -> httpx.AsyncClient:
    """A client for the control surface (``/__emulator__/``), with the account's Basic auth,
    which control routes may require."""
    return httpx.AsyncClient(
        base_url=f"{emu.api_url}/__emulator__/",
        auth=(emu.auth_id, emu.auth_token),
        timeout=10,
        verify=plain_http_context(),
    )


async def emulator_log(emu) -> list[dict]:
    """``GET /__emulator__/log``: every REST request the emulator has answered."""
    async with control_client(emu) as ctl:
        resp = await ctl.get("log")
    resp.raise_for_status()
    return resp.json()["requests"]


async def make_app(api: httpx.AsyncClient, **fields: Any) -> str:
    body = {"app_name": "agent", "answer_url": "http://127.0.0.1:9/answer", **fields}
    r = await api.post("Application/", json=body)
    assert r.status_code == 201, r.text
    return r.json()["app_id"]


async def make_credential(api: httpx.AsyncClient, username="trunk_user", password="Secret12345x"):
    r = await api.post("SipAuth/Credential/", json={"username": username, "password": password})
    assert r.status_code == 201, r.text
    return r.json()["credential_uuid"]


async def make_acl(api: httpx.AsyncClient, entries=("203.0.113.0/24",), name="provider"):
    r = await api.post(
        "SipAuth/IPAccessControlList/", json={"name": name, "ip_addresses": list(entries)}
    )
    assert r.status_code == 201, r.text
    return r.json()["ip_acl_uuid"]


EXTERNAL = "14155550123"  # the number "at another carrier"


async def buy_number(api: httpx.AsyncClient, app_id: str) -> str:
    """Rent the first local US number for sale and point it at ``app_id``."""
    found = await api.get("PhoneNumber/", params={"country_iso": "US", "type": "local"})
    number = found.json()["objects"][0]["number"]
    assert (await api.post(f"PhoneNumber/{number}/", json={"app_id": app_id})).status_code == 201
    return number


async def place_call(api: httpx.AsyncClient, to: str, from_: str = "14155550100") -> dict:
    """``POST Call/`` from ``from_`` to ``to``; the answer's body (201 asserted)."""
    r = await api.post("Call/", json={"from": from_, "to": to, "answer_url": "https://x.test/a"})
    assert r.status_code == 201, r.text
    return r.json()
