"""Control surface: clock, state, reset, loopback-only; and --state persistence."""

from __future__ import annotations

import json

import pytest

from tests.emulator.helpers import make_acl, make_app, make_credential, rest_client
from wizard.emulator import Emulator
from wizard.net import is_loopback_host


async def test_clock(ctl, emulator):
    before = (await ctl.get("clock")).json()
    r = await ctl.post("clock", json={"advance": 3600})
    assert r.status_code == 200
    after = r.json()
    assert after["offset"] == before["offset"] + 3600
    assert after["now"] >= before["now"] + 3600
    for bad in ({}, {"advance": -1}, {"advance": "10"}, {"advance": True}, {"advance": None}):
        r = await ctl.post("clock", json=bad)
        assert r.status_code == 400 and "advance" in r.json()["error"]
    r = await ctl.post(
        "clock", content=b'{"advance": Infinity}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert emulator.clock.offset == 3600


async def test_state_and_reset(api, ctl, emulator):
    await make_app(api)
    await make_credential(api)
    emulator.add_fault({"path": "Number", "status": 500})
    await ctl.post("clock", json={"advance": 10})
    state = (await ctl.get("state")).json()
    assert len(state["applications"]) == 1 and len(state["credentials"]) == 1
    assert state["faults"][0]["status"] == 500
    assert "password" not in json.dumps(state["credentials"])
    r = await ctl.post("reset")
    assert r.status_code == 200
    state = (await ctl.get("state")).json()
    assert state["applications"] == [] and state["credentials"] == [] and state["faults"] == []
    assert state["clock_offset"] == 0 and state["inventory"]
    assert (await ctl.get("log")).json()["requests"] == []
    # the same keys keep working after a reset
    assert (await api.get("")).status_code == 200


async def test_reset_to_demo_and_back(ctl, emulator):
    r = await ctl.post("reset", json={"seed": "demo"})
    assert r.status_code == 200 and r.json()["seed"] == "demo"
    names = [a["app_name"] for a in emulator.dump_state()["applications"]]
    assert names == ["support-bot", "sales-agent"]
    await ctl.post("reset", json={"seed": None})
    assert emulator.dump_state()["applications"] == []
    r = await ctl.post("reset", json={"seed": "other"})
    assert r.status_code == 400


async def test_demo_reset_restores_the_same_ids(demo_emulator):
    first = demo_emulator.dump_state()["applications"]
    async with rest_client(demo_emulator) as api:
        await make_app(api)
    demo_emulator.reset()
    assert demo_emulator.dump_state()["applications"] == first


async def test_unknown_control_endpoint(ctl):
    r = await ctl.get("nothing")
    assert r.status_code == 404 and "no control endpoint" in r.json()["error"]
    assert (await ctl.put("state")).status_code == 405


def test_loopback_peers_only():
    # the control surface asks wizard.net about request.remote ("" when aiohttp has none)
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1")
    assert is_loopback_host("::ffff:127.0.0.1") and is_loopback_host("127.0.0.2")
    for remote in ("10.0.0.5", "192.168.1.2", "2001:db8::1", "", "garbage"):
        assert not is_loopback_host(remote)


async def test_state_file_round_trip(tmp_path):
    path = tmp_path / "emu.json"
    emu = Emulator(state_file=path)
    await emu.start()
    try:
        async with rest_client(emu) as api:
            cred = await make_credential(api, "persist_user", "Persist12345x")
            acl = await make_acl(api, ["203.0.113.0/24"])
            app = await make_app(
                api, sip_auth_type="ip_acl_and_credential", ip_acl_uuid=acl, credential_uuid=cred
            )
            found = await api.get("PhoneNumber/", params={"country_iso": "GB"})
            number = found.json()["objects"][0]["number"]
            await api.post(f"PhoneNumber/{number}/", json={"app_id": app})
        emu.register_provider(
            {
                "number": "14155550123",
                "mode": "sip",
                "request_uri": f"sip:{app}@app.plivo.com",
                "source_ip": "203.0.113.9",
                "username": "persist_user",
                "password": "Persist12345x",
            }
        )
        emu.advance(120)
        saved = emu.dump_state(secrets=True)
    finally:
        await emu.stop()
    text = path.read_text()
    assert "Persist12345x" not in text
    assert [p.name for p in tmp_path.iterdir()] == ["emu.json"]  # no temp file left behind
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    again = Emulator(state_file=path)
    assert (again.auth_id, again.auth_token) == (saved["auth_id"], saved["auth_token"])
    await again.start()
    try:
        async with rest_client(again) as api:
            apps = (await api.get("Application/")).json()["objects"]
            assert [a["app_id"] for a in apps] == [app]
            assert (await api.get(f"Number/{number}/")).json()["application"].endswith(f"/{app}/")
            assert (await api.get(f"SipAuth/Credential/{cred}/")).status_code == 200
            assert (await api.get(f"SipAuth/IPAccessControlList/{acl}/")).status_code == 200
            r = await api.post(
                "Call/", json={"from": "1", "to": "14155550123", "answer_url": "https://x.test/"}
            )
            assert r.status_code == 201
        # the provider's password survived as a digest: the call still authenticates
        assert again.calls[-1]["sip_status"] == 200
        assert again.clock.offset == pytest.approx(120)
        new_app = None
        async with rest_client(again) as api:
            new_app = await make_app(api, app_name="after_reload")
        assert new_app != app
    finally:
        await again.stop()
    assert "after_reload" in path.read_text()


async def test_state_file_saved_on_every_change(tmp_path):
    path = tmp_path / "s.json"
    emu = Emulator(state_file=path)
    await emu.start()
    try:
        async with rest_client(emu) as api:
            app = await make_app(api)
            assert app in path.read_text()
            await api.delete(f"Application/{app}/")
            assert app not in path.read_text()
    finally:
        await emu.stop()


def test_unreadable_state_file_is_an_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ValueError):
        Emulator(state_file=path)
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ValueError, match="unsupported state version"):
        Emulator(state_file=path)


def test_unknown_seed_refused():
    with pytest.raises(ValueError, match="only seed is 'demo'"):
        Emulator(seed="big")


async def test_control_refuses_a_non_loopback_peer(emulator):
    """Through the real middleware; only the peer address is made up (no traffic leaves)."""
    from unittest.mock import Mock

    from aiohttp.test_utils import make_mocked_request

    from wizard.emulator.app import build_app

    app = build_app(emulator)
    transport = Mock()
    transport.get_extra_info.side_effect = lambda key, default=None: (
        ("10.1.2.3", 5555) if key == "peername" else default
    )
    request = make_mocked_request("POST", "/__emulator__/reset", app=app, transport=transport)
    match = await app.router.resolve(request)
    request._match_info = match
    handler = app.middlewares[0]
    response = await handler(request, match.handler)
    assert response.status == 403
    assert "loopback" in json.loads(response.body)["error"]


async def test_ipv6_loopback():
    import socket

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    emu = Emulator()
    try:
        await emu.start("::1", 0)
    except OSError:
        pytest.skip("::1 is not available here")
    try:
        assert emu.api_url.startswith("http://[::1]:")
        async with rest_client(emu) as api:
            assert (await api.get("")).status_code == 200
        import httpx

        async with httpx.AsyncClient(auth=(emu.auth_id, emu.auth_token)) as c:
            assert (await c.get(f"{emu.api_url}/__emulator__/clock")).status_code == 200
    finally:
        await emu.stop()


# --- the control surface under attack (security review item 16) -----------------------


async def test_control_routes_need_the_accounts_basic_auth(emulator, api):
    """Any local process reaches loopback: without the keys it learns and changes nothing."""
    import httpx

    await make_credential(api)
    base = f"{emulator.api_url}/__emulator__"
    wrong = [None, (emulator.auth_id, "not-the-token"), ("MA" + "0" * 18, emulator.auth_token)]
    async with httpx.AsyncClient(timeout=10) as c:
        for auth in wrong:
            for method, path in (("GET", "state"), ("GET", "log"), ("POST", "reset")):
                r = await c.request(method, f"{base}/{path}", auth=auth)
                assert r.status_code == 401, (method, path, auth)
                assert emulator.auth_token not in r.text and "ha1" not in r.text
            r = await c.post(f"{base}/clock", json={"advance": 999}, auth=auth)
            assert r.status_code == 401
        assert emulator.clock.offset == 0  # nothing changed
        assert len(emulator.dump_state()["credentials"]) == 1  # no reset happened
        health = await c.get(f"{base}/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}


async def test_no_route_serves_the_token_or_an_ha1(ctl, api, emulator):
    cred = await make_credential(api, "trunk_user", "Secret12345x")
    await make_app(api, sip_auth_type="credential", credential_uuid=cred)
    route = {
        "number": "14155550123",
        "mode": "sip",
        "request_uri": "sip:1@app.plivo.com",
        "source_ip": "203.0.113.9",
        "username": "trunk_user",
        "password": "Secret12345x",
    }
    added = await ctl.post("provider", json=route)
    assert added.status_code == 201
    digest = emulator.dump_state(secrets=True)["credentials"][0]["ha1"]
    assert len(digest) == 32
    await api.post("Call/", json={"from": "1", "to": "14155550123", "answer_url": "https://x.t/"})
    bodies = [added.text]
    for path in ("state", "provider", "calls", "log", "clock", "faults", "health"):
        r = await ctl.get(path)
        assert r.status_code == 200, path
        bodies.append(r.text)
    text = "\n".join(bodies)
    for secret in (emulator.auth_token, digest, "Secret12345x", '"ha1"'):
        assert secret not in text
    assert "trunk_user" in text  # the state is still there, only the secrets are not


async def test_control_bodies_must_be_json(ctl, emulator):
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/xml"):
        r = await ctl.post("clock", content=b'{"advance": 50}', headers={"Content-Type": ctype})
        assert r.status_code == 415, ctype
        assert "JSON" in r.json()["error"]
    r = await ctl.post("faults", content=b'{"path": "Number", "status": 500}')  # no type
    assert r.status_code == 415
    assert emulator.clock.offset == 0 and emulator.faults.describe() == []
    # an empty body needs no content type
    assert (await ctl.post("reset")).status_code == 200


@pytest.mark.parametrize("path", ["clock", "faults", "inbound", "provider", "reset"])
async def test_deeply_nested_json_is_a_400(ctl, emulator, path):
    deep = b'{"advance": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = await ctl.post(path, content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert "nested too deeply" in r.json()["error"]
    # brackets inside strings do not count; moderate nesting is fine
    fine = json.dumps({"advance": 1, "note": "[" * 500, "x": [[[[1]]]]}).encode()
    r = await ctl.post("clock", content=fine, headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    assert emulator.clock.offset == 1


async def test_deeply_nested_json_on_the_rest_api_is_a_400(api):
    deep = b'{"app_name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    r = await api.post("Application/", content=deep, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "nested too deeply" in r.json()["error"]
    assert (await api.get("Application/")).json()["objects"] == []
