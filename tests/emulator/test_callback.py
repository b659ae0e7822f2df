"""Rule 8: the signed answer_url request, and whether its answer is XML Plivo would run."""

from __future__ import annotations

from plivo.utils.signature_v3 import validate_v3_signature

from tests.emulator.helpers import make_app

STREAM_XML = (
    '<Response><Stream bidirectional="true" audioTrack="inbound" '
    'contentType="audio/x-mulaw;rate=8000" keepCallAlive="true">wss://agent.test/ws</Stream>'
    "<Hangup/></Response>"
)


async def ring(emulator, app_id: str) -> dict:
    res = await emulator.inbound(
        request_uri=f"sip:{app_id}@app.plivo.com", source_ip="203.0.113.1", from_="14155550100"
    )
    assert res["sip_status"] == 200, res
    return res["callback"]


async def test_post_callback_signature_validates(api, emulator, receiver):
    app = await make_app(api, answer_url=receiver.url + "/answer?tenant=a&x=1")
    cb = await ring(emulator, app)
    got = receiver.got[0]
    assert got["method"] == "POST"
    headers = got["headers"]
    assert cb["signature_headers"]["X-Plivo-Signature-V3"] == headers["X-Plivo-Signature-V3"]
    assert validate_v3_signature(
        "POST",
        got["url"],
        headers["X-Plivo-Signature-V3-Nonce"],
        emulator.auth_token,
        headers["X-Plivo-Signature-V3"],
        got["form"],
    )
    # the wrong token, or a tampered parameter, does not validate
    assert not validate_v3_signature(
        "POST",
        got["url"],
        headers["X-Plivo-Signature-V3-Nonce"],
        "another-token",
        headers["X-Plivo-Signature-V3"],
        got["form"],
    )
    assert not validate_v3_signature(
        "POST",
        got["url"],
        headers["X-Plivo-Signature-V3-Nonce"],
        emulator.auth_token,
        headers["X-Plivo-Signature-V3"],
        {**got["form"], "From": "15555550000"},
    )
    assert cb["http_status"] == 200 and cb["xml_valid"] is True and cb["xml_error"] is None
    assert cb["body"].startswith("<Response>")


async def test_get_callback_signature_validates(api, emulator, receiver):
    app = await make_app(api, answer_url=receiver.url + "/answer?b=2", answer_method="GET")
    cb = await ring(emulator, app)
    got = receiver.got[0]
    assert got["method"] == "GET" and cb["method"] == "GET"
    assert got["query"]["CallUUID"] == cb["params"]["CallUUID"] and got["query"]["b"] == "2"
    assert validate_v3_signature(
        "GET",
        got["url"],
        got["headers"]["X-Plivo-Signature-V3-Nonce"],
        emulator.auth_token,
        got["headers"]["X-Plivo-Signature-V3"],
    )


async def test_signature_with_special_characters(api, emulator, receiver):
    app = await make_app(api, answer_url=receiver.url + "/a")
    res = await emulator.inbound(
        request_uri=f"sip:{app}@app.plivo.com",
        source_ip="203.0.113.1",
        from_="Alice & Bob <sip:+1 415@x>",
    )
    got = receiver.got[0]
    assert got["form"]["From"] == "Alice & Bob <sip:+1 415@x>"
    assert validate_v3_signature(
        "POST",
        got["url"],
        got["headers"]["X-Plivo-Signature-V3-Nonce"],
        emulator.auth_token,
        got["headers"]["X-Plivo-Signature-V3"],
        got["form"],
    )
    assert res["callback"]["xml_valid"]


async def test_xml_validity_cases(api, emulator, receiver):
    app = await make_app(api, answer_url=receiver.url + "/a")
    cases = [
        ("<Response><Speak>Hi</Speak></Response>", "application/xml", 200, True, None),
        ("<Response/>", "text/xml; charset=utf-8", 200, True, None),
        ("<Response><Speak>Hi</Speak></Response>", "text/html", 200, False, "Content-Type"),
        ("<Response><Speak>Hi</Speak>", "text/xml", 200, False, "well-formed"),
        ("Hello", "text/xml", 200, False, "well-formed"),
        ("<Reply><Speak>Hi</Speak></Reply>", "text/xml", 200, False, "not <Response>"),
        ("<Response><Talk>Hi</Talk></Response>", "text/xml", 200, False, "<Talk>"),
        ("<Response/>", "text/xml", 500, False, "HTTP 500"),
        ("<Response><Stream>http://x</Stream></Response>", "text/xml", 200, False, "wss://"),
        (
            '<Response><Stream bidirectional="true" audioTrack="both">wss://x</Stream></Response>',
            "text/xml",
            200,
            False,
            "audioTrack",
        ),
        (
            "<Response>" + "<Speak>x</Speak>" * 7000 + "</Response>",
            "text/xml",
            200,
            False,
            "larger than 100 KB",
        ),
    ]
    for body, ctype, status, valid, fragment in cases:
        receiver.reply, receiver.content_type, receiver.status = body, ctype, status
        cb = await ring(emulator, app)
        assert cb["xml_valid"] is valid, (body[:60], cb["xml_error"])
        if fragment:
            assert fragment in cb["xml_error"], (fragment, cb["xml_error"])
        assert cb["http_status"] == status


async def test_stream_is_reported_and_hook_awaited(api, emulator, receiver):
    receiver.reply = STREAM_XML
    app = await make_app(api, answer_url=receiver.url + "/a")
    seen = []

    async def hook(info, call_uuid):
        seen.append((info["url"], call_uuid))
        return {"first_audio_ms": 12}

    cb = await ring(emulator, app)
    assert cb["stream"]["url"] == "wss://agent.test/ws"
    assert cb["stream"]["bidirectional"] is True and cb["stream"]["keep_call_alive"] is True
    assert cb["stream"]["content_type"] == "audio/x-mulaw;rate=8000"
    assert "stream_result" not in cb
    emulator.on_stream = hook
    cb = await ring(emulator, app)
    assert seen == [("wss://agent.test/ws", cb["params"]["CallUUID"])]
    assert cb["stream_result"] == {"first_audio_ms": 12}


async def test_stream_hook_failure_is_reported(api, emulator, receiver):
    receiver.reply = STREAM_XML
    app = await make_app(api, answer_url=receiver.url + "/a")

    async def broken(info, call_uuid):
        raise ConnectionRefusedError("agent down")

    emulator.on_stream = broken
    cb = await ring(emulator, app)
    assert "agent down" in cb["stream_result"]["error"]


async def test_unreachable_answer_url(api, emulator, receiver):
    app = await make_app(api, answer_url=receiver.url + "/a")
    # port 9 (discard) has no listener on a test machine: connection refused
    dead = await make_app(api, app_name="dead", answer_url="http://127.0.0.1:9/x")
    cb = await ring(emulator, dead)
    assert cb["http_status"] is None and cb["xml_valid"] is False
    assert "could not be reached" in cb["xml_error"]
    assert (await ring(emulator, app))["xml_valid"] is True


async def test_remote_answer_url_is_not_contacted(api, emulator):
    app = await make_app(api, answer_url="https://agent.example.com/answer")
    cb = await ring(emulator, app)
    assert cb["http_status"] is None and cb["xml_valid"] is False
    assert "only calls answer URLs on this machine" in cb["xml_error"]


async def test_no_answer_url(api, emulator):
    r = await api.post("Application/", json={"app_name": "bare"})
    cb = await ring(emulator, r.json()["app_id"])
    assert cb["xml_valid"] is False and "no answer_url" in cb["xml_error"]
    assert cb["http_status"] is None


async def test_slow_answer_url_times_out(api, emulator, receiver):
    from aiohttp import web

    async def slow(request):
        import asyncio

        await asyncio.sleep(5)
        return web.Response(text="<Response/>", content_type="text/xml")

    app_ = web.Application()
    app_.router.add_post("/slow", slow)
    runner = web.AppRunner(app_, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        emulator.callback_timeout = 0.2
        app = await make_app(api, answer_url=f"http://127.0.0.1:{runner.addresses[0][1]}/slow")
        cb = await ring(emulator, app)
        assert cb["xml_valid"] is False and "timed out" in cb["xml_error"]
    finally:
        await runner.cleanup()
