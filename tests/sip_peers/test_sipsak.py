"""sipsak: OPTIONS over UDP and TCP, and an INVITE that answers the 407 challenge."""

from __future__ import annotations

import pytest

from tests.sip_peers.peers import private_file, run, tool
from tests.sipedge_fixtures import WAIT, until

EDGE_SCALE = 1.0

SDP = (
    "v=0\r\no=provider 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
)


def invite_file(folder, app_id: str, call_id: str):
    """An INVITE for sipsak -f (sipsak adds the Via)."""
    text = (
        f"INVITE sip:{app_id}@app.plivo.com SIP/2.0\r\n"
        f"From: <sip:provider@127.0.0.2>;tag={call_id}\r\n"
        f"To: <sip:{app_id}@app.plivo.com>\r\nCall-ID: {call_id}@127.0.0.2\r\n"
        "CSeq: 1 INVITE\r\nContact: <sip:provider@127.0.0.2>\r\n"
        f"Content-Type: application/sdp\r\nContent-Length: {len(SDP)}\r\n\r\n{SDP}"
    )
    return private_file(folder / "invite.sip", text)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_sipsak_options(edge, tmp_path, transport):
    sipsak = tool("sipsak")
    # the port goes in -r: sipsak 0.9.8.1 cuts 5-digit ports written in -s
    args = [sipsak, "-vv", "-s", "sip:ping@127.0.0.1", "-r", str(edge.port), "-E", transport]
    code, out = await run(args, tmp_path, timeout=20)
    assert code == 0, out
    assert "SIP/2.0 200 OK" in out and "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS" in out
    assert f"Via: SIP/2.0/{transport.upper()} " in out


@pytest.mark.parametrize("right", [True, False], ids=["right_password", "wrong_password"])
async def test_sipsak_invite_with_auth(edge, apps, answers, tmp_path, right):
    sipsak = tool("sipsak")
    answers.reply = WAIT
    message = invite_file(tmp_path, apps.credential, f"sipsak{int(right)}")
    args = [
        sipsak, "-vv", "-f", str(message), "-s", f"sip:{apps.credential}@127.0.0.1",
        "-r", str(edge.port), "--local-ip", "127.0.0.2", "-u", apps.username, "-a", "-",
    ]  # fmt: skip
    password = apps.password if right else "wrong-password"
    # "-a -" reads the password from standard input, off the command line
    code, out = await run(args, tmp_path, timeout=30, stdin=(password + "\n").encode())
    call_id = f"sipsak{int(right)}@127.0.0.2"
    record = edge.emu.records.sip(call_id)
    assert record is not None, out
    assert [s["line"] for s in record.ladder][:3] == [
        f"INVITE sip:{apps.credential}@app.plivo.com SIP/2.0",
        "SIP/2.0 100 Trying",
        "SIP/2.0 407 Proxy Authentication Required",
    ]
    if right:
        assert code == 0, out
        assert record.sip_status == 200
        await until(lambda: bool(answers.answers()))
        assert answers.answers()[0]["SIPAuthUser"] == "trunk_user"
        assert answers.answers()[0]["SIPSourceIP"] == "203.0.113.10"
    else:
        assert code != 0
        assert record.sip_status == 403 and answers.got == []
