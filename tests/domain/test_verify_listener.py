"""The callback listener over real HTTP on loopback: signatures, replays, proxy mode.

Requests here are signed with the plivo SDK's own signing functions (the same
code path Plivo's V3 scheme is defined by); emulator-signed callbacks are in
test_verify_emulator.py.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

from wizard.errors import ByonError
from wizard.verify.diagnose import Expectation
from wizard.verify.listener import (
    NONCE_HEADER,
    SIG_HEADER,
    CallbackEvent,
    Listener,
    check_signature,
    signed_headers,
)

TOKEN = "listener-test-token-0123456789abcdef0000"
CRED_PARAMS = {
    "CallUUID": "c0ffee00-0000-4000-8000-000000000001",
    "From": "+14155550142",
    "To": "+14155550100",
    "Direction": "inbound",
    "CallStatus": "ringing",
    "SIPAuthType": "credential",
    "SIPAuthUser": "carrier_trunk",
    "SIPSourceIP": "203.0.113.10",
}
CRED_EXP = Expectation(auth_type="credential", username="carrier_trunk", app_id="1234")
JSON_KEYS = {
    "call_uuid",
    "from",
    "to",
    "sip_auth_type",
    "sip_auth_user",
    "sip_source_ip",
    "signature_valid",
    "verdict",
    "diagnosis",
}


@pytest.fixture
async def listener():
    lis = Listener(TOKEN, expectation=CRED_EXP)
    await lis.start("127.0.0.1", 0)
    try:
        yield lis
    finally:
        await lis.stop()


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as s:
        yield s


async def post(http, url, params, headers):
    async with http.post(url, data=params, headers=headers) as resp:
        return resp.status, await resp.text()


def test_signed_headers_match_the_sdk_reference_example():
    # plivo-api.md section 9: token TOKEN, nonce 12345, this URL and params
    h = signed_headers(
        "POST", "https://ex.com/answer", {"From": "123", "CallUUID": "abc"}, "TOKEN", nonce="12345"
    )
    assert h[SIG_HEADER] == "D11iGWZvqoCB5laJv0SbMV+D82/IPR8Apz76LUOh7Cc="
    assert check_signature(
        "POST",
        "https://ex.com/answer",
        {"From": "123", "CallUUID": "abc"},
        "TOKEN",
        h[SIG_HEADER],
        "12345",
    )
    assert not check_signature(
        "POST",
        "https://ex.com/answer",
        {"From": "124", "CallUUID": "abc"},
        "TOKEN",
        h[SIG_HEADER],
        "12345",
    )


async def test_signed_post_without_api_access_is_valid_but_not_confirmed(listener, http):
    # this listener has no Plivo client: the signature holds, the call record is unknown
    url = listener.answer_url
    status, body = await post(
        http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN)
    )
    assert status == 200
    assert "<Speak" in body and body.rstrip().endswith("<Hangup/></Response>")
    [ev] = listener.events
    assert ev.signature_valid and ev.verdict == "unconfirmed" and not ev.passed
    assert ev.diagnosis.startswith("Signature valid, not confirmed")
    assert ev.kind == "answer" and ev.answered_with == "default"
    out = ev.to_json()
    assert set(out) == JSON_KEYS | {"kind", "time", "fix", "confirmed"}
    assert out["confirmed"] is False and out["verdict"] == "unconfirmed"
    assert out["sip_auth_type"] == "credential" and out["sip_auth_user"] == "carrier_trunk"
    assert out["from"] == "+14155550142" and out["sip_source_ip"] == "203.0.113.10"


async def test_signed_get_with_query_params_passes(listener, http):
    from urllib.parse import urlencode

    url = f"{listener.local_url}/answer?{urlencode(CRED_PARAMS)}"
    headers = signed_headers("GET", url, {}, TOKEN)
    async with http.get(url, headers=headers) as resp:
        assert resp.status == 200
        assert "<Response>" in await resp.text()
    [ev] = listener.events
    assert ev.method == "GET" and ev.signature_valid and ev.verdict == "unconfirmed"
    assert ev.call_uuid == CRED_PARAMS["CallUUID"]


async def test_root_path_is_the_answer_url_and_hangup_is_its_own_kind(listener, http):
    for path, kind in (("/", "answer"), ("/hangup", "hangup")):
        url = f"{listener.local_url}{path}"
        status, _ = await post(
            http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN)
        )
        assert status == 200
        assert listener.events[-1].kind == kind


async def test_other_paths_and_methods_are_not_callbacks(listener, http):
    async with http.get(f"{listener.local_url}/favicon.ico") as resp:
        assert resp.status == 404
    async with http.put(listener.answer_url, data=CRED_PARAMS) as resp:
        assert resp.status == 405
    assert listener.events == []


async def test_forged_signature_from_another_token_is_refused(listener, http):
    url = listener.answer_url
    headers = signed_headers("POST", url, CRED_PARAMS, "some-other-accounts-token-000000")
    status, body = await post(http, url, CRED_PARAMS, headers)
    assert status == 403 and "<Speak" not in body
    [ev] = listener.events
    assert ev.signature_valid is False and ev.verdict == "fail"
    assert ev.diagnosis.startswith("Forged or unsigned callback")
    assert ev.to_json()["signature_valid"] is False


async def test_unsigned_callback_is_refused(listener, http):
    status, _ = await post(http, listener.answer_url, CRED_PARAMS, {})
    assert status == 403
    [ev] = listener.events
    assert not ev.signature_valid and ev.verdict == "fail"
    assert SIG_HEADER in ev.diagnosis


async def test_tampered_params_are_refused(listener, http):
    url = listener.answer_url
    headers = signed_headers("POST", url, CRED_PARAMS, TOKEN)
    tampered = {**CRED_PARAMS, "SIPSourceIP": "198.51.100.99"}
    status, _ = await post(http, url, tampered, headers)
    assert status == 403 and not listener.events[0].signature_valid


async def test_replayed_same_nonce_is_refused_and_is_not_a_second_call(listener, http):
    url = listener.answer_url
    headers = signed_headers("POST", url, CRED_PARAMS, TOKEN)
    first, _ = await post(http, url, CRED_PARAMS, headers)
    again, _ = await post(http, url, CRED_PARAMS, headers)
    assert (first, again) == (200, 403)
    ok, replay = listener.events
    assert ok.signature_valid and ok.verdict == "unconfirmed"
    assert not replay.signature_valid and replay.verdict == "fail"
    assert "replay" in replay.diagnosis


async def test_replayed_to_another_url_is_refused(listener, http):
    # signed for /hangup, replayed at /answer; and signed with a query, replayed without
    headers = signed_headers("POST", listener.hangup_url, CRED_PARAMS, TOKEN)
    status, _ = await post(http, listener.answer_url, CRED_PARAMS, headers)
    assert status == 403
    headers = signed_headers("POST", f"{listener.answer_url}?leg=1", CRED_PARAMS, TOKEN)
    status, _ = await post(http, listener.answer_url, CRED_PARAMS, headers)
    assert status == 403
    assert [e.signature_valid for e in listener.events] == [False, False]


async def test_signature_is_checked_against_the_public_url_not_the_local_one(http):
    public = "https://tunnel.example.com/byon"
    lis = Listener(TOKEN, public_url=public, expectation=CRED_EXP)
    local = await lis.start("127.0.0.1", 0)
    try:
        # a tunnel that keeps the path prefix, and one that strips it
        for local_path in ("/byon/answer", "/answer"):
            headers = signed_headers("POST", f"{public}/answer", CRED_PARAMS, TOKEN)
            status, _ = await post(http, f"{local}{local_path}", CRED_PARAMS, headers)
            assert status == 200
        # signed for the local address: not what Plivo would have called
        headers = signed_headers("POST", f"{local}/answer", CRED_PARAMS, TOKEN)
        status, _ = await post(http, f"{local}/answer", CRED_PARAMS, headers)
        assert status == 403
        assert [e.signature_valid for e in lis.events] == [True, True, False]
        assert lis.events[0].url == f"{public}/answer"
    finally:
        await lis.stop()


async def test_failing_diagnosis_is_answered_but_judged_fail(http):
    lis = Listener(TOKEN, expectation=Expectation(auth_type="ip_acl", app_id="999"))
    await lis.start("127.0.0.1", 0)
    try:
        url = lis.answer_url
        params = {k: v for k, v in CRED_PARAMS.items() if not k.startswith("SIP")}
        status, body = await post(http, url, params, signed_headers("POST", url, params, TOKEN))
        assert status == 200 and "problem" in body
        [ev] = lis.events
        assert ev.signature_valid and ev.verdict == "fail" and ev.sip_auth_type is None
        assert "sip:999@app.plivo.com" in ev.diagnosis
        assert ev.to_json()["sip_auth_type"] is None
    finally:
        await lis.stop()


async def test_concurrent_callbacks_each_emit_one_event_in_arrival_order(http):
    seen: list[CallbackEvent] = []

    async def slow_consumer(ev: CallbackEvent) -> None:
        await asyncio.sleep(0)
        seen.append(ev)

    lis = Listener(TOKEN, expectation=CRED_EXP, on_event=slow_consumer)
    await lis.start("127.0.0.1", 0)
    try:
        url = lis.answer_url

        async def one(i: int) -> int:
            params = {**CRED_PARAMS, "CallUUID": f"call-{i}"}
            status, _ = await post(http, url, params, signed_headers("POST", url, params, TOKEN))
            return status

        statuses = await asyncio.gather(*(one(i) for i in range(60)))
        assert statuses == [200] * 60
        assert len(seen) == 60 == len(lis.events)
        assert sorted(e.call_uuid for e in seen) == sorted(f"call-{i}" for i in range(60))
        assert [e.seq for e in seen] == list(range(60))
    finally:
        await lis.stop()


async def test_a_failing_event_consumer_does_not_lose_later_events(listener, http, capsys):
    calls = []

    def broken(ev):
        calls.append(ev)
        raise RuntimeError("consumer bug")

    listener.on_event = broken
    url = listener.answer_url
    for i in range(2):
        params = {**CRED_PARAMS, "CallUUID": f"c{i}"}
        status, _ = await post(http, url, params, signed_headers("POST", url, params, TOKEN))
        assert status == 200
    assert [e.call_uuid for e in calls] == ["c0", "c1"]
    assert "consumer bug" in capsys.readouterr().err


# ---------------------------------------------------------------- proxy mode


@pytest.fixture
async def answer_server():
    """A small answer server standing in for the user's agent; records what it got."""
    got: list[dict] = []
    reply = {"status": 200, "body": "<Response><Speak>agent here</Speak></Response>"}

    async def answer(request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.method == "POST" else {}
        got.append(
            {
                "method": request.method,
                "url": str(request.url),
                "form": form,
                "query": dict(request.rel_url.query),
                "headers": dict(request.headers),
            }
        )
        return web.Response(
            status=reply["status"], text=reply["body"], content_type="application/xml"
        )

    app = web.Application()
    app.router.add_route("*", "/agent/answer", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/agent/answer", got, reply
    finally:
        await runner.cleanup()


async def test_proxy_mode_returns_the_agents_xml_with_the_same_params_signed(answer_server, http):
    target, got, _ = answer_server
    lis = Listener(TOKEN, expectation=CRED_EXP, forward_to=target)
    await lis.start("127.0.0.1", 0)
    try:
        url = lis.answer_url
        status, body = await post(
            http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN)
        )
        assert status == 200 and body == "<Response><Speak>agent here</Speak></Response>"
        [req] = got
        assert req["method"] == "POST" and req["form"] == CRED_PARAMS
        # the agent can check the signature exactly as it would Plivo's
        assert check_signature(
            "POST",
            target,
            req["form"],
            TOKEN,
            req["headers"][SIG_HEADER],
            req["headers"][NONCE_HEADER],
        )
        [ev] = lis.events
        assert ev.verdict == "unconfirmed" and ev.answered_with == "proxy"
    finally:
        await lis.stop()


async def test_proxy_mode_forwards_get_as_get(answer_server, http):
    from urllib.parse import urlencode

    target, got, _ = answer_server
    lis = Listener(TOKEN, expectation=CRED_EXP, forward_to=target)
    await lis.start("127.0.0.1", 0)
    try:
        url = f"{lis.answer_url}?{urlencode(CRED_PARAMS)}"
        async with http.get(url, headers=signed_headers("GET", url, {}, TOKEN)) as resp:
            assert resp.status == 200 and "agent here" in await resp.text()
        [req] = got
        assert req["method"] == "GET" and req["query"] == CRED_PARAMS
    finally:
        await lis.stop()


@pytest.mark.parametrize(
    ("status", "body", "needle"),
    [
        (500, "oops", "HTTP 500"),
        (200, "<Response><Speak>unclosed", "not well-formed"),
        (200, "<html>hi</html>", "<html>"),
        # well-formed, but far more than any answer: not read to the end
        (200, "<Response>" + "<Speak>x</Speak>" * 10_000 + "</Response>", "more than 64 KiB"),
    ],
    ids=["500", "unclosed", "html", "huge"],
)
async def test_proxy_failure_falls_back_to_the_default_xml_and_says_why(
    answer_server, http, status, body, needle
):
    target, _, reply = answer_server
    reply.update(status=status, body=body)
    lis = Listener(TOKEN, expectation=CRED_EXP, forward_to=target)
    await lis.start("127.0.0.1", 0)
    try:
        url = lis.answer_url
        code, xml = await post(
            http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN)
        )
        assert code == 200 and "<Speak" in xml and "<Hangup/>" in xml
        [ev] = lis.events
        assert ev.verdict == "fail" and ev.row == "no_xml"
        assert needle in ev.diagnosis and target in ev.diagnosis
    finally:
        await lis.stop()


async def test_proxy_to_a_dead_answer_url_falls_back(http):
    dead = await _free_port()
    lis = Listener(TOKEN, expectation=CRED_EXP, forward_to=f"http://127.0.0.1:{dead}/answer")
    await lis.start("127.0.0.1", 0)
    try:
        url = lis.answer_url
        code, xml = await post(
            http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN)
        )
        assert code == 200 and "<Hangup/>" in xml
        assert lis.events[0].row == "no_xml" and "failed" in lis.events[0].diagnosis
    finally:
        await lis.stop()


# ---------------------------------------------------------------- preflight


async def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_preflight_reaches_the_listener(listener):
    rtt = await listener.preflight()
    assert rtt >= 0
    [probe] = listener.events
    assert probe.kind == "probe" and probe.signature_valid and probe.verdict == "pass"


async def test_preflight_reports_connection_refused(listener):
    port = await _free_port()
    with pytest.raises(ByonError, match="Nothing accepts connections") as err:
        await listener.preflight(f"http://127.0.0.1:{port}")
    assert listener.local_url in str(err.value)


async def test_preflight_reports_another_server_answering(listener, answer_server):
    target, got, _ = answer_server
    with pytest.raises(ByonError, match="never reached this listener"):
        await listener.preflight(target.rsplit("/answer", 1)[0], timeout=1.0)
    assert len(got) == 1 and listener.events == []


async def test_preflight_reports_a_url_mangling_proxy():
    # the listener believes it is reached at one public URL; the probe is sent to another
    lis = Listener(TOKEN, public_url="https://wrong.example.com", expectation=CRED_EXP)
    local = await lis.start("127.0.0.1", 0)
    try:
        with pytest.raises(ByonError, match="signature did not match"):
            await lis.preflight(local)
    finally:
        await lis.stop()


async def test_preflight_reports_a_timeout():
    started = asyncio.Event()

    async def never(_r):
        started.set()
        await asyncio.sleep(30)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", never)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    lis = Listener(TOKEN, expectation=CRED_EXP)
    await lis.start("127.0.0.1", 0)
    try:
        with pytest.raises(ByonError, match="No answer from"):
            await lis.preflight(f"http://127.0.0.1:{port}", timeout=0.5)
        assert started.is_set()
    finally:
        await lis.stop()
        await runner.cleanup()


async def test_listen_on_a_busy_port_says_so():
    import socket

    other = Listener(TOKEN)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        with pytest.raises(ByonError, match="Cannot listen") as err:
            await other.start("127.0.0.1", busy)
    assert "--listen" in str(err.value)


async def test_token_never_appears_in_events_or_repr(listener, http):
    url = listener.answer_url
    await post(http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN))
    await post(http, url, CRED_PARAMS, {})
    assert TOKEN not in repr(listener)
    for ev in listener.events:
        assert TOKEN not in repr(ev) and TOKEN not in str(ev.to_json())


def test_sdk_post_url_is_what_the_listener_rebuilds():
    # guards the assumption that the query-less POST base is url + '?' + sorted params
    base = construct_post_url("http://127.0.0.1:1/answer", {"b": "2", "a": "1"}).decode()
    assert base == "http://127.0.0.1:1/answer?a1b2"
    assert get_signature_v3(b"t", base, b"n")


def test_expect_flags_build_the_expectation():
    from argparse import Namespace

    from wizard.commands.verify import _build_expectation

    none = _build_expectation(Namespace(plan=None, expect="none", app=None))
    assert (none.auth_type, none.option) == ("none", "did_forwarding")
    cred = _build_expectation(Namespace(plan=None, expect="credential", app="42"))
    assert (cred.auth_type, cred.option, cred.app_id) == ("credential", "direct_sip", "42")
    assert _build_expectation(Namespace(plan=None, expect=None, app=None)) == Expectation()


def test_event_time_has_milliseconds():
    ev = CallbackEvent(received_at=0.25, kind="answer", method="POST", url="u", params={})
    assert ev.to_json()["time"] == "1970-01-01T00:00:00.250Z"


async def test_a_password_in_the_answer_url_never_reaches_the_diagnosis(http):
    """An answer_url may carry its server's Basic credentials: the diagnosis names the
    URL without them, even when the failure itself is about that URL."""
    dead = await _free_port()
    target = f"http://agent:s3cret-Pass-99@127.0.0.1:{dead}/answer"
    lis = Listener(TOKEN, expectation=CRED_EXP, forward_to=target)
    await lis.start("127.0.0.1", 0)
    try:
        url = lis.answer_url
        await post(http, url, CRED_PARAMS, signed_headers("POST", url, CRED_PARAMS, TOKEN))
        [ev] = lis.events
        assert "s3cret-Pass-99" not in ev.diagnosis and "agent:" not in ev.diagnosis
        assert f"http://***@127.0.0.1:{dead}/answer" in ev.diagnosis
    finally:
        await lis.stop()
