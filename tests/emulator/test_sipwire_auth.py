"""The SIP edge on the wire follows the inbound rules of emulator.md, with real INVITEs.

Each troubleshooting row of the seed is reached by an INVITE from byon's own UAC, bound
to a loopback source the edge maps to a public address (127.0.0.2 is inside the ACL,
127.0.0.3 outside).
"""

from __future__ import annotations

import json

import pytest

from tests.sipedge_fixtures import OUTSIDE_IP, PROVIDER_IP, Apps, until
from wizard.emulator.auth import LOCKOUT_FAILURES
from wizard.sip import (
    Credentials,
    SipClient,
    SipRequest,
    build_authorization,
    parse_authorization,
    parse_challenge,
)
from wizard.sip.message import Headers, new_tag

SCALE = 0.1


async def invite(edge, uri, *, source="127.0.0.2", transport="UDP", creds=None, hold=0.0):
    """One call through to its end (the UAC hangs up at once unless ``hold``)."""
    async with SipClient(transport=transport, local_host=source, timer_scale=SCALE) as client:
        return await client.invite(
            edge.target(transport), uri, f"sip:caller@{source}", credentials=creds,
            hold=hold, timeout=10,
        )  # fmt: skip


def creds(apps: Apps, password: str | None = None) -> Credentials:
    return Credentials(apps.username, password or apps.password)


@pytest.mark.parametrize("transport", ["UDP", "TCP", "TLS"])
async def test_credential_app_challenges_then_accepts(edge, apps, answers, transport):
    result = await invite(edge, apps.uri(apps.credential), transport=transport, creds=creds(apps))
    assert result.status == 200 and result.challenged and not result.challenge_loop
    first = next(r for r in result.responses if r.status == 407)
    challenge = parse_challenge(first.headers.get("Proxy-Authenticate"))
    assert challenge.realm == "app.plivo.com" and challenge.algorithm == "MD5"
    assert challenge.qop_options == ["auth"] and not challenge.stale
    form = answers.answers()[0]
    assert form["SIPAuthType"] == "credential" and form["SIPAuthUser"] == "trunk_user"
    assert form["SIPSourceIP"] == PROVIDER_IP and form["Direction"] == "inbound"
    assert "X-Plivo-Signature-V3" in answers.got[0]["headers"]


async def test_407_never_answered(edge, apps, answers):
    result = await invite(edge, apps.uri(apps.credential))
    assert result.status == 407 and result.challenged and not result.answered
    assert answers.got == []
    assert edge.emu.state.failures.get(PROVIDER_IP) is None  # an unanswered challenge is no failure
    record = (await edge.calls())[-1]
    assert record["sip_status"] == 407 and "did not answer the digest challenge" in record["reason"]


async def test_wrong_password_is_403_and_counts(edge, apps, answers):
    result = await invite(edge, apps.uri(apps.credential), creds=creds(apps, "wrong-password"))
    assert result.status == 403 and result.challenged
    assert len(edge.emu.state.failures[PROVIDER_IP]) == 1
    record = (await edge.calls())[-1]
    assert record["sip_status"] == 403 and "digest credentials do not match" in record["reason"]
    assert answers.got == []


async def test_wrong_ip_is_403_for_the_mapped_source(edge, apps, answers):
    ok = await invite(edge, apps.uri(apps.ip_acl), source="127.0.0.2")
    refused = await invite(edge, apps.uri(apps.ip_acl), source="127.0.0.3")
    assert ok.status == 200 and not ok.challenged
    assert refused.status == 403
    assert answers.answers()[0]["SIPAuthType"] == "ip_acl"
    assert answers.answers()[0]["SIPSourceIP"] == PROVIDER_IP
    records = await edge.calls()
    assert (
        records[-1]["source"] == OUTSIDE_IP
        and "not in the application's IP" in records[-1]["reason"]
    )


async def test_unmapped_source_is_used_as_it_is(edge, apps, answers):
    result = await invite(edge, apps.uri(apps.credential), source="127.0.0.1", creds=creds(apps))
    assert result.status == 200
    assert answers.answers()[0]["SIPSourceIP"] == "127.0.0.1"


async def test_ip_acl_and_credential_needs_both(edge, apps, answers):
    good = await invite(edge, apps.uri(apps.both), creds=creds(apps))
    wrong_ip = await invite(edge, apps.uri(apps.both), source="127.0.0.3", creds=creds(apps))
    assert good.status == 200 and wrong_ip.status == 403
    assert answers.answers()[0]["SIPAuthType"] == "ip_acl_and_credential"


async def test_number_in_request_uri_skips_auth(edge, apps, answers):
    result = await invite(edge, f"sip:{apps.number}@app.plivo.com", source="127.0.0.3")
    assert result.status == 200 and not result.challenged
    form = answers.answers()[0]
    assert "SIPAuthType" not in form and "SIPSourceIP" not in form


async def test_open_app_and_unknown_target(edge, apps, answers):
    opened = await invite(edge, apps.uri(apps.open), source="127.0.0.3")
    missing = await invite(edge, "sip:nobody@app.plivo.com")
    assert opened.status == 200 and "SIPAuthType" not in answers.answers()[0]
    assert missing.status == 404


async def test_rotating_ips_pass_and_fail_in_turn(edge, apps):
    statuses = []
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.2", "127.0.0.3"):
        statuses.append((await invite(edge, apps.uri(apps.ip_acl), source=source)).status)
    assert statuses == [200, 403, 200, 403]


async def test_lockout_shared_with_the_http_route(edge, apps):
    # nine failures over HTTP, the tenth on the wire: one counter, one clock
    for _ in range(LOCKOUT_FAILURES - 1):
        res = await edge.emu.inbound(
            request_uri=apps.uri(apps.credential), source_ip=PROVIDER_IP, from_="1",
            username="trunk_user", password="wrong",
        )  # fmt: skip
        assert res["sip_status"] == 403
    wrong = await invite(edge, apps.uri(apps.credential), creds=creds(apps, "wrong"))
    assert wrong.status == 403
    locked_until = edge.emu.state.locked_until[PROVIDER_IP]
    # now every INVITE from that source is 403 before anything else, right password or not
    right = await invite(edge, apps.uri(apps.credential), creds=creds(apps))
    bare = await invite(edge, apps.uri(apps.credential))
    assert right.status == 403 and not right.challenged and bare.status == 403
    assert "locked out" in (await edge.calls())[-1]["reason"]
    assert edge.emu.state.locked_until[PROVIDER_IP] == locked_until  # attempts do not extend it
    http = await edge.emu.inbound(
        request_uri=apps.uri(apps.credential), source_ip=PROVIDER_IP, from_="1",
        username="trunk_user", password=apps.password,
    )  # fmt: skip
    assert http["sip_status"] == 403 and "locked out" in http["reason"]
    edge.emu.advance(61)
    assert (await invite(edge, apps.uri(apps.credential), creds=creds(apps))).status == 200


async def _challenge(endpoint, edge, uri, source):
    """Send an INVITE without credentials; the 407's challenge and the request sent."""
    headers = Headers(
        [
            ("From", f"<sip:caller@{source}>;tag={new_tag()}"),
            ("To", f"<{uri}>"),
            ("Call-ID", new_tag() + "@test"),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<sip:caller@{source}>"),
        ]
    )
    request = SipRequest("INVITE", uri, headers)
    response = await endpoint.send_request(request, edge.target("UDP"))
    assert response.status == 407
    return parse_challenge(response.headers.get("Proxy-Authenticate")), request


async def _answer(endpoint, edge, request, authorization):
    retry = SipRequest("INVITE", request.uri, request.headers.copy())
    retry.headers.remove("Via")
    retry.headers.set("CSeq", "2 INVITE")
    retry.headers.add("Proxy-Authorization", authorization)
    return await endpoint.send_request(retry, edge.target("UDP"))


async def test_digest_uri_hashed_as_sent_and_lower_case_md5(edge, apps, answers):
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        uri = apps.uri(apps.credential)
        challenge, request = await _challenge(client.endpoint, edge, uri, "127.0.0.2")
        # SIPp-like: the digest uri is not the Request-URI; algorithm written in lower case
        other_uri = "sip:app.plivo.com"
        value = build_authorization(
            challenge, username=apps.username, password=apps.password, method="INVITE",
            uri=other_uri,
        ).replace("algorithm=MD5", "algorithm=md5")  # fmt: skip
        assert "algorithm=md5" in value
        response = await _answer(client.endpoint, edge, request, value)
    assert response.status == 200
    await until(lambda: bool(answers.answers()))
    assert answers.answers()[0]["SIPAuthUser"] == "trunk_user"


async def test_stale_nonce_gets_a_new_challenge_not_a_failure(edge, apps):
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        uri = apps.uri(apps.credential)
        challenge, request = await _challenge(client.endpoint, edge, uri, "127.0.0.2")
        edge.emu.advance(301)  # nonces live 5 minutes on the emulator's clock
        value = build_authorization(
            challenge, username=apps.username, password=apps.password, method="INVITE", uri=uri
        )
        response = await _answer(client.endpoint, edge, request, value)
    assert response.status == 407
    again = parse_challenge(response.headers.get("Proxy-Authenticate"))
    assert again.stale and again.nonce != challenge.nonce
    assert edge.emu.state.failures.get(PROVIDER_IP) is None


async def test_ladder_one_record_per_call_id_and_no_secret(edge, apps):
    sent = []
    async with SipClient(transport="TCP", local_host="127.0.0.2", timer_scale=SCALE) as client:
        client.endpoint.trace = lambda way, msg, flow: sent.append(msg) if way == "out" else None
        result = await client.invite(
            edge.target("TCP"), apps.uri(apps.credential), "sip:caller@127.0.0.2",
            credentials=creds(apps), timeout=10,
        )  # fmt: skip
    assert result.status == 200
    await until(lambda: edge.emu.records.sip(result.call_id).extra.get("hangup") is not None)
    records = [r for r in await edge.calls() if r["call_id"] == result.call_id]
    assert len(records) == 1
    record = records[0]
    assert record["route"] == "sip" and record["transport"] == "TCP"
    assert record["source"] == PROVIDER_IP and record["sip_status"] == 200
    lines = [step["line"] for step in record["ladder"]]
    assert lines[0].startswith("INVITE ") and "SIP/2.0 407 Proxy Authentication Required" in lines
    assert [line.split(" ")[0] for line in lines].count("INVITE") == 2
    assert any(line.startswith("BYE ") for line in lines) and "ACK" in " ".join(lines)
    assert [s["ms"] for s in record["ladder"]] == sorted(s["ms"] for s in record["ladder"])
    authed = next(s for s in record["ladder"] if "Proxy-Authorization" in s["headers"])
    assert "response=<redacted>" in authed["headers"]["Proxy-Authorization"]
    assert {"Via", "From", "To", "Call-ID", "CSeq"} <= set(authed["headers"])
    # the response hash the UAC really sent, the password and the HA1 appear nowhere
    value = next(
        m.headers.get("Proxy-Authorization") for m in sent if "Proxy-Authorization" in m.headers
    )
    text = json.dumps(await edge.calls()) + json.dumps(edge.emu.dump_state())
    cred = next(iter(edge.emu.state.credentials.values()))
    assert parse_authorization(value).response not in text
    assert apps.password not in text and cred["ha1"] not in json.dumps(await edge.calls())
