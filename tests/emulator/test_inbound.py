"""The simulated SIP edge, rule by rule (shared/contracts/emulator.md, inbound semantics)."""

from __future__ import annotations

import pytest

from tests.emulator.helpers import make_acl, make_app, make_credential

PROVIDER_IP = "203.0.113.10"
OTHER_IP = "192.0.2.55"


@pytest.fixture
async def setup(api, receiver):
    """An app per auth type, one credential, one ACL for 203.0.113.0/24, one number."""
    cred = await make_credential(api, "trunk_user", "Secret12345x")
    acl = await make_acl(api, ["203.0.113.0/24"])
    url = receiver.url + "/answer"
    apps = {
        "open": await make_app(api, app_name="open", answer_url=url),
        "ip_acl": await make_app(
            api, app_name="acl", answer_url=url, sip_auth_type="ip_acl", ip_acl_uuid=acl
        ),
        "credential": await make_app(
            api, app_name="cred", answer_url=url, sip_auth_type="credential", credential_uuid=cred
        ),
        "both": await make_app(
            api,
            app_name="both",
            answer_url=url,
            sip_auth_type="ip_acl_and_credential",
            ip_acl_uuid=acl,
            credential_uuid=cred,
        ),
    }
    found = await api.get("PhoneNumber/", params={"country_iso": "US", "type": "local"})
    number = found.json()["objects"][0]["number"]
    r = await api.post(f"PhoneNumber/{number}/", json={"app_id": apps["credential"]})
    assert r.status_code == 201
    return {"apps": apps, "number": number, "receiver": receiver}


def uri(app_id: str) -> str:
    return f"sip:{app_id}@app.plivo.com"


async def call(emu, target: str, ip: str = PROVIDER_IP, **kw):
    return await emu.inbound(request_uri=target, source_ip=ip, from_="14155550100", **kw)


async def test_open_app_accepts_without_auth(emulator, setup):
    res = await call(emulator, uri(setup["apps"]["open"]), ip=OTHER_IP)
    assert res["sip_status"] == 200
    params = res["callback"]["params"]
    assert params["Direction"] == "inbound" and params["CallStatus"] == "ringing"
    assert params["CallUUID"] == res["call_uuid"]
    assert "SIPAuthType" not in params and "SIPSourceIP" not in params
    assert "SIPAuthUser" not in params
    assert setup["receiver"].got[0]["form"]["CallUUID"] == res["call_uuid"]


async def test_number_request_uri_skips_auth(emulator, setup):
    # the number belongs to the credential app, yet no challenge runs
    for target in (f"sip:{setup['number']}@app.plivo.com", f"sip:+{setup['number']}@x;user=phone"):
        res = await call(emulator, target, ip=OTHER_IP)
        assert res["sip_status"] == 200, res
        assert res["app_id"] == setup["apps"]["credential"]
        assert "SIPAuthType" not in res["callback"]["params"]


async def test_unknown_target_404(emulator, setup):
    res = await call(emulator, "sip:nobody@app.plivo.com")
    assert res["sip_status"] == 404 and "nobody" in res["reason"]
    assert setup["receiver"].got == []


async def test_ip_acl(emulator, setup):
    ok = await call(emulator, uri(setup["apps"]["ip_acl"]), ip="203.0.113.99")
    assert ok["sip_status"] == 200
    params = ok["callback"]["params"]
    assert params["SIPAuthType"] == "ip_acl" and params["SIPSourceIP"] == "203.0.113.99"
    assert "SIPAuthUser" not in params
    bad = await call(emulator, uri(setup["apps"]["ip_acl"]), ip=OTHER_IP)
    assert bad["sip_status"] == 403 and "IP access control list" in bad["reason"]
    assert "callback" not in bad


async def test_credential(emulator, setup):
    app = uri(setup["apps"]["credential"])
    challenge = await call(emulator, app)
    assert challenge["sip_status"] == 407
    wrong = await call(emulator, app, username="trunk_user", password="Wrong12345xx")
    assert wrong["sip_status"] == 403
    wrong_user = await call(emulator, app, username="someone", password="Secret12345x")
    assert wrong_user["sip_status"] == 403
    ok = await call(emulator, app, username="trunk_user", password="Secret12345x")
    assert ok["sip_status"] == 200
    params = ok["callback"]["params"]
    assert params["SIPAuthType"] == "credential" and params["SIPAuthUser"] == "trunk_user"
    assert params["SIPSourceIP"] == PROVIDER_IP


async def test_ip_acl_and_credential(emulator, setup):
    app = uri(setup["apps"]["both"])
    good = {"username": "trunk_user", "password": "Secret12345x"}
    assert (await call(emulator, app, ip=OTHER_IP, **good))["sip_status"] == 403
    assert (await call(emulator, app))["sip_status"] == 407
    assert (await call(emulator, app, username="trunk_user", password="x"))["sip_status"] == 403
    ok = await call(emulator, app, **good)
    assert ok["sip_status"] == 200
    assert ok["callback"]["params"]["SIPAuthType"] == "ip_acl_and_credential"
    assert ok["callback"]["params"]["SIPAuthUser"] == "trunk_user"


async def test_lockout_after_ten_failures_then_expiry(emulator, setup):
    app = uri(setup["apps"]["credential"])
    good = {"username": "trunk_user", "password": "Secret12345x"}
    for _ in range(9):
        assert (await call(emulator, app, username="trunk_user", password="bad"))[
            "sip_status"
        ] == 403
    assert (await call(emulator, app, **good))["sip_status"] == 200  # 9 failures: still open
    assert (await call(emulator, app, username="trunk_user", password="bad"))["sip_status"] == 403
    locked = await call(emulator, app, **good)
    assert locked["sip_status"] == 403 and "locked out" in locked["reason"]
    # rule 2: before anything else, even for an open app or an unknown target
    assert (await call(emulator, uri(setup["apps"]["open"])))["sip_status"] == 403
    assert (await call(emulator, "sip:nobody@app.plivo.com"))["sip_status"] == 403
    # another IP is unaffected
    other = await call(emulator, app, ip="203.0.113.11", **good)
    assert other["sip_status"] == 200
    emulator.advance(59)
    assert (await call(emulator, app, **good))["sip_status"] == 403
    emulator.advance(2)  # 61 s after the lock began
    assert (await call(emulator, app, **good))["sip_status"] == 200


async def test_challenges_do_not_count_as_failures(emulator, setup):
    app = uri(setup["apps"]["credential"])
    for _ in range(15):
        assert (await call(emulator, app))["sip_status"] == 407
    ok = await call(emulator, app, username="trunk_user", password="Secret12345x")
    assert ok["sip_status"] == 200


async def test_failures_outside_the_window_do_not_lock(emulator, setup):
    app = uri(setup["apps"]["ip_acl"])
    for _ in range(9):
        assert (await call(emulator, app, ip=OTHER_IP))["sip_status"] == 403
    emulator.advance(61)
    for _ in range(9):
        assert (await call(emulator, app, ip=OTHER_IP))["sip_status"] == 403
    res = await call(emulator, uri(setup["apps"]["open"]), ip=OTHER_IP)
    assert res["sip_status"] == 200


async def test_ipv6_source_in_acl(api, emulator, receiver):
    acl = await make_acl(api, ["2001:db8:1::/48"])
    app = await make_app(api, answer_url=receiver.url, sip_auth_type="ip_acl", ip_acl_uuid=acl)
    assert (await call(emulator, uri(app), ip="2001:db8:1::5"))["sip_status"] == 200
    assert (await call(emulator, uri(app), ip="2001:db8:2::5"))["sip_status"] == 403


async def test_inbound_over_http(ctl, setup):
    r = await ctl.post(
        "inbound",
        json={
            "request_uri": uri(setup["apps"]["credential"]),
            "source_ip": PROVIDER_IP,
            "from": "14155550100",
            "to": "14155550199",
            "username": "trunk_user",
            "password": "Secret12345x",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["sip_status"] == 200 and body["call_uuid"]
    cb = body["callback"]
    assert cb["params"]["To"] == "14155550199"
    assert set(cb) >= {"url", "method", "http_status", "params", "signature_headers", "xml_valid"}
    assert "Secret12345x" not in r.text


async def test_inbound_bad_input_400(ctl):
    cases = [
        ({}, "request_uri is required"),
        ({"request_uri": "sip:1@app.plivo.com", "from": "1"}, "source_ip is required"),
        ({"request_uri": "sip:1@app.plivo.com", "source_ip": "1.2.3.4"}, "from is required"),
        ({"request_uri": "sip:1@a", "source_ip": "not-ip", "from": "1"}, "not an IP address"),
        ({"request_uri": 5, "source_ip": "1.2.3.4", "from": "1"}, "must be a string"),
    ]
    for body, message in cases:
        r = await ctl.post("inbound", json=body)
        assert r.status_code == 400, body
        assert message in r.json()["error"]
    r = await ctl.post("inbound", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
