"""The SIP edge on the wire after auth: answer_url, SDP, the verbs, BYE either way, the
hangup callback, CANCEL, methods, and malformed input."""

from __future__ import annotations

import asyncio

import pytest

from tests.emulator.helpers import rest_client
from tests.sipedge_fixtures import WAIT, call, until
from wizard.sip import SipClient, SipEndpoint, SipRequest, build_offer
from wizard.sip.message import Headers, new_tag

SCALE = 0.1


def request(method: str, uri: str, source: str = "127.0.0.2", body: bytes = b"") -> SipRequest:
    headers = Headers(
        [
            ("From", f"<sip:caller@{source}>;tag={new_tag()}"),
            ("To", f"<{uri}>"),
            ("Call-ID", new_tag() + "@test"),
            ("CSeq", f"1 {method}"),
            ("Contact", f"<sip:caller@{source}>"),
        ]
    )
    if body:
        headers.add("Content-Type", "application/sdp")
    return SipRequest(method, uri, headers, body)


async def update_app(edge, app_id: str, **fields) -> None:
    async with rest_client(edge.emu) as api:
        r = await api.post(f"Application/{app_id}/", json=fields)
        assert r.status_code == 202, r.text


@pytest.mark.parametrize("transport", ["UDP", "TCP", "TLS"])
async def test_options_answered_with_allow(edge, transport):
    async with SipClient(transport=transport, timer_scale=SCALE) as client:
        result = await client.options(edge.target(transport), timeout=5)
    assert result.status == 200
    allow = result.response.headers.get("Allow")
    assert {"INVITE", "ACK", "CANCEL", "BYE", "OPTIONS"} <= {m.strip() for m in allow.split(",")}
    if transport == "TLS":
        assert result.tls["peer_certificate"]  # verified against the printed certificate


@pytest.mark.parametrize("method", ["MESSAGE", "REGISTER", "SUBSCRIBE"])
async def test_other_methods_get_405(edge, method):
    async with SipEndpoint(timer_scale=SCALE) as endpoint:
        response = await endpoint.send_request(
            request(method, "sip:x@app.plivo.com"), edge.target()
        )
    assert response.status == 405 and "INVITE" in response.headers.get("Allow")


async def test_speak_plays_a_tone_then_the_edge_hangs_up(edge, apps, answers):
    answers.reply = "<Response><Speak>Hello there</Speak></Response>"
    result = await call(edge, apps.uri(apps.open), hold=10)
    assert result.status == 200 and result.ended_by == "remote"
    assert result.rtp.received >= 20  # 0.5 s of tone, 20 ms frames
    assert max(abs(s) for s in memoryview(result.received_pcm).cast("h")) > 1000
    await until(lambda: bool(answers.hangups()))
    hangup = answers.hangups()[0]
    assert hangup["HangupSource"] == "Plivo" and hangup["CallStatus"] == "completed"
    assert hangup["CallUUID"] == answers.answers()[0]["CallUUID"]
    assert "X-Plivo-Signature-V3" in answers.got[-1]["headers"]


async def test_hangup_sends_bye_at_once(edge, apps, answers):
    answers.reply = "<Response><Hangup/><Speak>never heard</Speak></Response>"
    result = await call(edge, apps.uri(apps.open), hold=10)
    assert result.status == 200 and result.ended_by == "remote"
    assert result.rtp.received == 0
    await until(lambda: bool(answers.hangups()))
    record = (await edge.calls())[-1]
    assert [v["verb"] for v in record["verbs"]] == ["Hangup"]


async def test_scheduled_hangup_ends_the_call_with_bye(edge, apps, answers):
    answers.reply = '<Response><Hangup schedule="0.2"/><Wait length="30"/></Response>'
    result = await call(edge, apps.uri(apps.open), hold=10)
    assert result.status == 200 and result.ended_by == "remote"
    await until(lambda: bool(answers.hangups()))
    assert answers.hangups()[0]["HangupSource"] == "Answer XML"  # Plivo's name for <Hangup>
    assert not edge.emu.sip.calls


async def test_call_ended_early_drops_its_scheduled_hangup(edge, apps, answers):
    answers.reply = '<Response><Hangup schedule="600"/><Wait length="30"/></Response>'
    live = []
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        placed = await client.call(edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2")
        assert (await placed.wait_final(5)).status == 200
        await until(lambda: bool(edge.emu.sip.calls))
        live.extend(edge.emu.sip.calls.values())
        await until(lambda: live[0].scheduled_hangup is not None)
        timer = live[0].scheduled_hangup
        assert (await placed.bye()).status == 200  # the caller hangs up long before 600 s
    await until(lambda: bool(answers.hangups()))
    assert live[0].scheduled_hangup is None and timer.cancelled()
    record = (await edge.calls())[-1]
    assert record["verbs"][0]["result"] == "scheduled in 600 s"


async def test_caller_bye_sends_the_hangup_callback_to_hangup_url(edge, apps, answers):
    answers.reply = WAIT
    await update_app(edge, apps.open, hangup_url=answers.url + "/hangup")
    result = await call(edge, apps.uri(apps.open), hold=0.3)
    assert result.status == 200 and result.ended_by == "local"
    await until(lambda: bool(answers.hangups()))
    assert answers.hangups()[0]["HangupSource"] == "Caller"
    assert [g["path"] for g in answers.got] == ["/answer", "/hangup"]
    record = (await edge.calls())[-1]
    assert record["hangup"]["source"] == "Caller" and record["hangup"]["callback"]["http_status"]


async def test_get_hangup_callback_merges_the_query_and_is_signed(edge, apps, answers):
    answers.reply = "<Response><Hangup/></Response>"
    await update_app(edge, apps.open, hangup_url=answers.url + "/hangup?b=2", hangup_method="GET")
    await call(edge, apps.uri(apps.open), hold=10)
    await until(lambda: bool(answers.hangups()))
    got = answers.got[-1]
    assert got["method"] == "GET" and got["path"] == "/hangup"
    assert got["form"]["b"] == "2" and got["form"]["HangupSource"] == "Answer XML"
    assert "X-Plivo-Signature-V3" in got["headers"]


async def test_invalid_xml_is_a_final_error_with_the_reason(edge, apps, answers):
    answers.reply, answers.content_type = "<Response><Nonsense/></Response>", "text/xml"
    result = await call(edge, apps.uri(apps.open))
    assert result.status == 500 and not result.answered
    record = (await edge.calls())[-1]
    assert record["sip_status"] == 500 and "no XML executes" in record["reason"]
    assert "Nonsense" in record["reason"]


async def test_unreachable_answer_url_is_503(edge, apps, answers):
    await update_app(edge, apps.open, answer_url="http://127.0.0.1:9/answer")
    result = await call(edge, apps.uri(apps.open))
    assert result.status == 503
    assert "could not be reached" in (await edge.calls())[-1]["reason"]


async def test_cancel_while_the_answer_url_is_asked(edge, apps, answers):
    answers.delay = 1.0
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        placed = await client.call(edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2")
        await until(lambda: bool(answers.got))
        assert await placed.cancel(5)
        await placed.wait_final(5)
    assert placed.result.status == 487
    await until(lambda: bool(answers.hangups()))
    assert answers.hangups()[0]["HangupCause"] == "ORIGINATOR_CANCEL"
    record = edge.emu.records.sip(placed.result.call_id)
    assert record.sip_status == 487 and "cancelled" in record.reason


async def test_late_offer_no_codec_and_stray_bye(edge, apps, answers):
    answers.reply = WAIT
    async with SipEndpoint(timer_scale=SCALE, local_host="127.0.0.2") as endpoint:
        # no SDP in the INVITE: the 200 carries the offer
        late = await endpoint.send_request(request("INVITE", apps.uri(apps.open)), edge.target())
        assert late.status == 200 and b"m=audio" in late.body and b"PCMU" in late.body
        # only a codec the edge does not speak: 488
        offer = (
            b"v=0\r\no=x 1 1 IN IP4 127.0.0.2\r\ns=x\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
            b"m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
        )
        refused = await endpoint.send_request(
            request("INVITE", apps.uri(apps.open), body=offer), edge.target()
        )
        assert refused.status == 488
        stray = await endpoint.send_request(request("BYE", apps.uri(apps.open)), edge.target())
        assert stray.status == 481


async def test_malformed_input_never_stops_the_edge(edge):
    # TCP: a request with the headers to answer, but a broken CSeq: 400, connection kept
    reader, writer = await asyncio.open_connection(edge.host, edge.port)
    bad = (
        "INVITE sip:x@app.plivo.com SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bKx\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:x@app.plivo.com>\r\nCall-ID: bad@x\r\n"
        "CSeq: nonsense\r\nContent-Length: 0\r\n\r\n"
    )
    writer.write(bad.encode())
    assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"SIP/2.0 400 ")
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    good = bad.replace("CSeq: nonsense", "CSeq: 1 OPTIONS").replace("INVITE sip", "OPTIONS sip")
    writer.write(good.encode())
    assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"SIP/2.0 200 ")
    writer.close()
    # UDP: garbage is dropped, silently
    replies = []
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: type("P", (asyncio.DatagramProtocol,), {
            "datagram_received": lambda self, data, addr: replies.append(data)})(),
        local_addr=("127.0.0.1", 0),
    )  # fmt: skip
    transport.sendto(b"\x00\xffINVITE garbage\r\n\r\n", (edge.host, edge.port))
    transport.sendto(bad.encode(), (edge.host, edge.port))
    async with SipClient(timer_scale=SCALE) as client:
        assert (await client.options(edge.target(), timeout=5)).status == 200
    await asyncio.sleep(0.1)
    transport.close()
    assert replies == []


async def test_reinvite_keeps_the_call(edge, apps, answers):
    answers.reply = WAIT
    async with SipClient(local_host="127.0.0.2", timer_scale=SCALE) as client:
        placed = await client.call(edge.target(), apps.uri(apps.open), "sip:caller@127.0.0.2")
        assert (await placed.wait_final(5)).status == 200
        reinvite = placed.dialog.request("INVITE", body=build_offer("127.0.0.2", 4002))
        reinvite.headers.add("Content-Type", "application/sdp")
        reinvite.headers.add("Contact", "<sip:caller@127.0.0.2>")
        response = await client.endpoint.send_request(reinvite, placed.dialog.destination())
        assert response.status == 200 and b"m=audio" in response.body
        ack = placed.dialog.ack(reinvite.cseq[0])
        await client.endpoint.send_ack(ack, placed.dialog.destination())
        assert (await placed.bye()).status == 200
    await asyncio.sleep(0)


async def test_demo_seed_maps_the_provider_and_an_outside_source():
    from wizard.emulator import Emulator

    emu = Emulator(seed="demo")
    assert emu.source_map == {"127.0.0.2": "203.0.113.10", "127.0.0.3": "198.51.100.200"}
    assert emu.map_source("127.0.0.9") == "127.0.0.9"


async def test_http_route_and_call_api_records_share_the_list(edge, apps):
    res = await edge.emu.inbound(
        request_uri=apps.uri(apps.credential), source_ip="203.0.113.10", from_="1"
    )
    assert res["sip_status"] == 407
    sip = await call(edge, apps.uri(apps.credential))
    assert sip.status == 407
    records = await edge.calls()
    assert [r["route"] for r in records] == ["http", "sip"]
    http = records[0]
    assert http["call_id"] is None and http["transport"] is None and http["ladder"] == []
    assert http["source"] == "203.0.113.10" and http["sip_status"] == 407
    assert records[1]["reason"] == http["reason"]  # one decision, one sentence


def test_records_are_bounded_and_found_by_call_id():
    from wizard.emulator.records import CallRecord, CallRecords

    records = CallRecords(limit=3)
    for i in range(5):
        records.add(CallRecord("sip", call_id=f"c{i}"))
    assert len(records) == 3 and [r["call_id"] for r in records.to_json()] == ["c2", "c3", "c4"]
    assert records.sip("c0") is None and records.sip("c4") is not None
