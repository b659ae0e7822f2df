"""The UAC against the test UAS over real loopback sockets: digest, media, CANCEL, BYE, TLS."""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
from array import array
from typing import Any

import pytest

from wizard.sip.client import Credentials, SipClient
from wizard.sip.digest import NonceStore
from wizard.sip.endpoint import SipEndpoint
from wizard.sip.transport import Target

from .conftest import SCALE, until
from .uas import start_uas

APP_URI = "sip:12345678901234567@app.plivo.com"
CALLER = "sip:caller@provider.example"


@pytest.fixture
async def uas():
    server = await start_uas()
    server.add_user("alice", "s3cret")
    try:
        yield server
    finally:
        await server.close()


def distinct(statuses):
    """Statuses with repeats in a row collapsed (a retransmitted request gets its
    provisional again: correct, but only under load)."""
    return [s for s, _ in itertools.groupby(statuses)]


def _target(uas, transport):
    host, port = uas.endpoint.addresses[transport]
    return Target(host, port, transport)


def _tone(frames):
    return array("h", [(i * 97 % 4000) - 2000 for i in range(160 * frames)]).tobytes()


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
async def test_call_answers_the_challenge_streams_and_hangs_up(uas, transport):
    async with SipClient(transport=transport, local_host="127.0.0.2", timer_scale=SCALE) as client:
        result = await client.invite(
            _target(uas, transport), APP_URI, CALLER,
            credentials=Credentials("alice", "s3cret"), hold=0.2, audio=_tone(10),
        )  # fmt: skip
    assert result.error is None
    assert distinct(result.statuses) == [100, 407, 100, 180, 200]
    assert result.challenged and not result.challenge_loop and result.answered
    assert result.ended_by == "local" and len(uas.byes) == 1
    assert result.codec == 0 and result.rtp.sent == 10
    assert len(result.received_pcm) > 0  # the UAS echoed our audio back
    assert set(result.timings) >= {"first_response", "provisional", "final", "answered", "ended"}
    assert uas.acks[0] is not None  # the 2xx ACK reached the UAS
    assert uas.dialogs[0].flow.remote[0] == "127.0.0.2"  # bound source address
    ladder = uas.lines()
    assert ladder[:4] == ["INVITE", "100 INVITE", "407 INVITE", "ACK"]  # ACK for the 407
    assert ladder.count("ACK") == 2 and ladder[-2:] == ["BYE", "200 BYE"]
    # one INVITE per CSeq: on a loaded machine the first can be retransmitted (Timer A)
    sent: dict[int, Any] = {}
    for way, _, m in uas.ladder:
        if way == "in" and m.method == "INVITE":
            sent.setdefault(m.cseq[0], m)
    first, authed = list(sent.values())[:2]
    assert authed.call_id == first.call_id and authed.cseq[0] == first.cseq[0] + 1
    assert authed.from_addr.tag == first.from_addr.tag


async def test_wrong_password_is_forbidden_without_a_loop(uas):
    async with SipClient(timer_scale=SCALE) as client:
        result = await client.invite(
            _target(uas, "UDP"), APP_URI, CALLER, credentials=Credentials("alice", "guess")
        )
    assert (result.status, result.challenged, result.challenge_loop) == (403, True, False)
    assert not result.answered


async def test_no_credentials_ends_at_the_challenge(uas):
    async with SipClient(timer_scale=SCALE) as client:
        result = await client.invite(_target(uas, "UDP"), APP_URI, CALLER)
    assert result.status == 407 and result.challenged and distinct(result.statuses) == [100, 407]
    assert "407 INVITE" in uas.lines("out")
    await until(lambda: "ACK" in uas.lines("in"))


async def test_a_second_challenge_is_reported_as_a_loop():
    uas = await start_uas(nonces=NonceStore(ttl=-10))  # every nonce is stale at once
    uas.add_user("alice", "s3cret")
    try:
        async with SipClient(timer_scale=SCALE) as client:
            result = await client.invite(
                _target(uas, "UDP"), APP_URI, CALLER, credentials=Credentials("alice", "s3cret")
            )
    finally:
        await uas.close()
    assert result.status == 407 and result.challenge_loop
    challenge = result.responses[-1].headers.get("Proxy-Authenticate")
    assert "stale=true" in challenge


async def test_cancel_while_ringing_gets_200_and_487():
    uas = await start_uas(auth=False, mode="ring")
    try:
        async with SipClient(timer_scale=SCALE) as client:
            result = await client.invite(_target(uas, "UDP"), APP_URI, CALLER, cancel_early=True)
        await until(lambda: uas.lines("in")[-1:] == ["ACK"])
    finally:
        await uas.close()
    assert (
        result.cancelled and result.status == 487 and distinct(result.statuses) == [100, 180, 487]
    )
    assert uas.cancelled and uas.cancelled[0].cancelled.is_set()
    out = uas.lines("out")
    assert out.index("200 CANCEL") < out.index("487 INVITE")


async def test_cancel_early_on_an_answering_app_sends_bye(uas):
    uas.auth = False
    async with SipClient(timer_scale=SCALE) as client:
        result = await client.invite(_target(uas, "UDP"), APP_URI, CALLER, cancel_early=True)
    # the 180 came first, so the CANCEL raced the 200: either way the call ends cleanly
    assert result.status in (200, 487)
    if result.status == 200:
        assert result.ended_by == "local" and len(uas.byes) == 1


async def test_busy_final_is_acknowledged(uas):
    uas.auth, uas.mode = False, "busy"
    async with SipClient(transport="TCP", timer_scale=SCALE) as client:
        result = await client.invite(_target(uas, "TCP"), APP_URI, CALLER)
    await until(lambda: len(uas.acks) == 1)
    assert result.status == 486 and uas.acks[0] is not None


@pytest.mark.parametrize("transport", ["UDP", "TCP"])
async def test_server_hangs_up_with_bye(uas, transport):
    uas.auth = False
    async with SipClient(transport=transport, timer_scale=SCALE) as client:
        call = await client.call(_target(uas, transport), APP_URI, CALLER)
        final = await call.wait_final(5)
        assert final is not None and final.status == 200
        await until(lambda: len(uas.acks) == 1)
        bye = await uas.hangup()
        assert bye.status == 200
        await until(call.ended.is_set)
    assert call.result.ended_by == "remote"


async def test_options_over_udp_and_tcp(uas):
    for transport in ("UDP", "TCP"):
        async with SipClient(transport=transport, timer_scale=SCALE) as client:
            result = await client.options(_target(uas, transport))
        assert result.status == 200 and result.error is None and result.ms is not None
        assert "INVITE" in result.response.headers.get("Allow")
        assert result.transport == transport and result.tls is None


async def test_options_to_silence_is_a_timeout_not_an_error():
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    try:
        port = silent.get_extra_info("sockname")[1]
        async with SipClient(timer_scale=SCALE) as client:
            result = await client.options(Target("127.0.0.1", port), timeout=0.2)
    finally:
        silent.close()
    assert result.response is None and result.error == "timeout"


async def test_options_to_a_closed_tcp_port_says_so():
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    async with SipClient(transport="TCP", timer_scale=SCALE) as client:
        result = await client.options(Target("127.0.0.1", port, "TCP"))
    assert result.response is None and "failed" in result.error


@pytest.fixture
def tls_contexts(tls_cert):
    crt, key = tls_cert
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(crt, key)
    return server, ssl.create_default_context(cafile=str(crt))


async def test_tls_options_and_authenticated_call(tls_contexts):
    server_ctx, client_ctx = tls_contexts
    uas = await start_uas(tls=server_ctx)
    uas.add_user("alice", "s3cret")
    try:
        target = _target(uas, "TLS")
        async with SipClient(transport="TLS", ssl_context=client_ctx, timer_scale=SCALE) as client:
            options = await client.options(target)
            result = await client.invite(
                Target(target.host, target.port, "TLS", "app.plivo.com"), APP_URI, CALLER,
                credentials=Credentials("alice", "s3cret"), hold=0.1,
            )  # fmt: skip
    finally:
        await uas.close()
    assert options.status == 200
    assert options.tls["version"].startswith("TLSv1.")
    subject = dict(item[0] for item in options.tls["peer_certificate"]["subject"])
    assert subject["commonName"] == "app.plivo.com"
    assert result.status == 200 and result.challenged and result.ended_by == "local"
    assert all(transport == "TLS" for _, transport, _ in uas.ladder)


async def test_tls_with_an_untrusted_certificate_fails_cleanly(tls_contexts):
    server_ctx, _ = tls_contexts
    uas = await start_uas(tls=server_ctx)
    try:
        async with SipClient(transport="TLS", timer_scale=SCALE) as client:
            result = await client.options(_target(uas, "TLS"))
            call = await client.invite(_target(uas, "TLS"), APP_URI, CALLER)
    finally:
        await uas.close()
    assert result.response is None and "certificate" in result.error.lower()
    assert call.status is None and "failed" in call.error


def _has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback here")
@pytest.mark.parametrize("transport", ["UDP", "TCP"])
async def test_ipv6_loopback(transport):
    async def ok(request, txn):
        txn.respond(200)

    server = SipEndpoint(ok, timer_scale=SCALE, local_host="::1")
    _, port = await server.listen()
    try:
        async with SipClient(transport=transport, local_host="::1", timer_scale=SCALE) as client:
            result = await client.options(Target("::1", port, transport))
        assert result.status == 200 and result.response.top_via.host == "::1"
        assert "[::1]" in result.response.headers.get("Via")
    finally:
        await server.close()
