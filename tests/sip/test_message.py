"""SIP message parsing and building: start lines, headers, URIs, Via, answers, framing."""

from __future__ import annotations

import pytest

from wizard.sip import SipParseError
from wizard.sip.message import (
    KEEPALIVE,
    Headers,
    SipRequest,
    SipResponse,
    StreamFramer,
    make_response,
    parse_message,
    redact,
)
from wizard.sip.uri import (
    NameAddr,
    SipUri,
    parse_name_addr,
    parse_name_addr_list,
    parse_uri,
    parse_via,
)

INVITE = (
    b"INVITE sip:15551234@app.plivo.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKabc;rport\r\n"
    b"Max-Forwards: 70\r\n"
    b'From: "Alice" <sip:alice@example.com>;tag=1928301774\r\n'
    b"To: <sip:15551234@app.plivo.com>\r\n"
    b"Call-ID: a84b4c76e66710@pc33\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@127.0.0.2:5070>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\n"
)


def test_request_parses_with_typed_accessors():
    msg = parse_message(INVITE)
    assert isinstance(msg, SipRequest)
    assert (msg.method, msg.uri) == ("INVITE", "sip:15551234@app.plivo.com")
    assert msg.request_uri.user == "15551234" and msg.request_uri.host == "app.plivo.com"
    assert msg.cseq == (314159, "INVITE")
    assert msg.call_id == "a84b4c76e66710@pc33"
    assert msg.from_addr.display == "Alice" and msg.from_addr.tag == "1928301774"
    assert msg.to_addr.tag is None
    assert msg.top_via.branch == "z9hG4bKabc" and msg.top_via.has_rport
    assert msg.contacts[0].uri.port == 5070
    assert msg.content_type == "application/sdp"
    assert msg.body == b"v=0\n"


def test_response_parses_with_empty_reason():
    raw = INVITE.replace(b"INVITE sip:15551234@app.plivo.com SIP/2.0", b"SIP/2.0 183")
    msg = parse_message(raw)
    assert isinstance(msg, SipResponse) and (msg.status, msg.reason) == (183, "")


def test_compact_forms_are_expanded():
    raw = (
        b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK1\r\nf: <sip:x@y>;tag=1\r\n"
        b"t: sip:a@b\r\ni: id1\r\nCSeq: 1 OPTIONS\r\nm: <sip:x@h>\r\nc: text/plain\r\n"
        b"k: timer\r\ns: hello\r\ne: gzip\r\nl: 2\r\n\r\nhi"
    )
    msg = parse_message(raw)
    names = [name for name, _ in msg.headers]
    assert names == [
        "Via", "From", "To", "Call-ID", "CSeq", "Contact", "Content-Type", "Supported",
        "Subject", "Content-Encoding",
    ]  # fmt: skip
    assert msg.headers.get("call-id") == msg.headers.get("I") == "id1"
    assert msg.body == b"hi"


def test_folded_header_lines_join_with_one_space():
    raw = INVITE.replace(b"Max-Forwards: 70\r\n", b"Subject: a long\r\n   subject\r\n\tline\r\n")
    assert parse_message(raw).headers.get("subject") == "a long subject line"


def test_multi_value_via_in_one_line_and_repeated_keeps_order():
    raw = INVITE.replace(
        b"Max-Forwards: 70\r\n",
        b"Via: SIP/2.0/TCP [::1]:5061;branch=z9hG4bK2, "
        b"SIP/2.0/TLS proxy.example;branch=z9hG4bK3\r\n",
    )
    msg = parse_message(raw)
    vias = msg.vias
    assert [v.transport for v in vias] == ["UDP", "TCP", "TLS"]
    assert vias[1].host == "::1" and vias[1].port == 5061
    assert len(msg.headers.get_all("Via")) == 2  # lines kept as they came
    assert parse_message(msg.to_bytes()) == msg


def test_datagram_body_is_cut_at_content_length_and_missing_length_takes_the_rest():
    assert parse_message(INVITE + b"trailing junk").body == b"v=0\n"
    no_length = INVITE.replace(b"Content-Length: 4\r\n", b"")
    assert parse_message(no_length + b"more").body == b"v=0\nmore"


def test_leading_crlf_and_bare_lf_are_tolerated():
    msg = parse_message(b"\r\n\r\n" + INVITE.replace(b"\r\n", b"\n"))
    assert msg.call_id == "a84b4c76e66710@pc33"


@pytest.mark.parametrize(
    ("find", "replace", "partial"),
    [
        (b"INVITE sip:15551234@app.plivo.com SIP/2.0", b"INVITE sip:x SIP/3.0", False),
        (b"INVITE sip:15551234@app.plivo.com SIP/2.0", b"garbage", False),
        (b"CSeq: 314159 INVITE", b"CSeq: many INVITE", True),
        (b"CSeq: 314159 INVITE", b"CSeq: 1 BYE", True),
        (b"Call-ID: a84b4c76e66710@pc33\r\n", b"", True),
        (b"Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKabc;rport", b"Via: HTTP/1.1", True),
        (b"To: <sip:15551234@app.plivo.com>", b"To: <sip:15551234@app.plivo.com", True),
        (b"Content-Length: 4", b"Content-Length: four", True),
        (b"Content-Length: 4", b"Content-Length: 40", True),
        (b"Content-Length: 4", b"Content-Length: 4\r\nl: 5", True),
        (b"Max-Forwards: 70", b"Max Forwards 70", False),
        (b"From: ", b"From: <sip:a@b>\r\nFrom: ", True),
    ],
)
def test_malformed_messages_raise_parse_errors(find, replace, partial):
    with pytest.raises(SipParseError) as info:
        parse_message(INVITE.replace(find, replace))
    assert (info.value.partial is not None) is partial


def test_parse_error_never_quotes_credentials():
    raw = INVITE.replace(
        b"Max-Forwards: 70",
        b'Proxy-Authorization: Digest username="u", response="0123456789abcdef"',
    ).replace(b"CSeq: 314159 INVITE", b"CSeq: x")
    with pytest.raises(SipParseError) as info:
        parse_message(raw)
    assert "0123456789abcdef" not in str(info.value)
    assert "0123456789abcdef" not in repr(info.value.partial)


def test_redact_hides_digest_response_only_in_authorization_headers():
    value = 'Digest username="u", realm="r", response="abc123", cnonce="c1", nc=00000001'
    shown = redact("Proxy-Authorization", value)
    assert "abc123" not in shown and "c1" not in shown and 'username="u"' in shown
    assert redact("Subject", "response=abc") == "response=abc"


def test_headers_refuse_line_breaks_and_content_length():
    headers = Headers()
    with pytest.raises(ValueError):
        headers.add("X-Evil", "a\r\nVia: injected")
    with pytest.raises(ValueError):
        headers.add("Content-Length", "3")


def test_headers_set_prepend_remove():
    headers = Headers([("Via", "a"), ("To", "b"), ("Via", "c")])
    headers.prepend("v", "z")
    assert headers.get_all("Via") == ["z", "a", "c"]
    headers.set("Via", "only")
    assert list(headers) == [("Via", "only"), ("To", "b")]
    headers.remove("to")
    assert "To" not in headers and len(headers) == 1


def test_make_response_copies_headers_and_adds_to_tag():
    request = parse_message(INVITE.replace(b"Max-Forwards: 70", b"Record-Route: <sip:p;lr>"))
    ringing = make_response(request, 180, to_tag="t1", headers={"Contact": "<sip:uas@h>"})
    assert ringing.reason == "Ringing"
    assert ringing.headers.get_all("Via") == request.headers.get_all("Via")
    assert ringing.to_addr.tag == "t1" and ringing.from_addr == request.from_addr
    assert ringing.cseq == request.cseq and ringing.call_id == request.call_id
    assert ringing.headers.get("Record-Route") == "<sip:p;lr>"
    trying = make_response(request, 100, to_tag="t1")
    assert trying.to_addr.tag is None and "Record-Route" not in trying.headers
    assert parse_message(ringing.to_bytes()) == ringing


def test_set_top_via_replaces_only_the_first_value():
    raw = INVITE.replace(
        b"Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKabc;rport",
        b"Via: SIP/2.0/UDP 127.0.0.2:5070;branch=z9hG4bKabc;rport, SIP/2.0/UDP b;branch=z9hG4bK2",
    )
    msg = parse_message(raw)
    msg.set_top_via(msg.top_via.with_param("received", "127.0.0.2").with_param("rport", "5070"))
    assert [v.host for v in msg.vias] == ["127.0.0.2", "b"]
    assert msg.top_via.rport == 5070 and msg.top_via.received == "127.0.0.2"


@pytest.mark.parametrize(
    "text",
    [
        "sip:alice@example.com",
        "sip:alice:secret@example.com:5060;transport=tcp;lr?subject=x",
        "sips:[2001:db8::1]:5061",
        "sip:+15551234;npdi@10.0.0.1;user=phone",
        "tel:+15551234;phone-context=example.com",
        "sip:example.com;maddr=1.2.3.4;ob",
    ],
)
def test_uri_round_trip(text):
    assert str(parse_uri(text)) == text


def test_uri_fields_and_password_not_in_repr():
    uri = parse_uri("SIP:bob:hunter2@Host.Example:5070;Transport=TCP")
    assert (uri.scheme, uri.user, uri.host, uri.port) == ("sip", "bob", "Host.Example", 5070)
    assert uri.transport == "TCP" and uri.param("transport") == "TCP"
    assert "hunter2" not in repr(uri)


@pytest.mark.parametrize(
    "text", ["http://x", "sip:", "sip:a@", "sip:a b@c", "sip:h:99999", "sip:[::1", "sip:h;=x"]
)
def test_bad_uris(text):
    with pytest.raises(SipParseError):
        parse_uri(text)


def test_name_addr_forms():
    quoted = parse_name_addr('"Bob \\"B\\" <x>, Jr" <sip:bob@h>;tag=a1;x=y')
    assert quoted.display == 'Bob "B" <x>, Jr' and quoted.tag == "a1" and quoted.param("X") == "y"
    assert parse_name_addr(str(quoted)) == quoted
    bare = parse_name_addr("Bob Smith <sip:bob@h>")
    assert bare.display == "Bob Smith"
    spec = parse_name_addr("sip:bob@h;tag=9")
    assert spec.uri == SipUri("sip", "bob", "h") and spec.tag == "9"
    assert NameAddr(SipUri(user="u", host="h")).with_tag("t").tag == "t"
    listed = parse_name_addr_list('<sip:a@h;lr>, "x,y" <sip:b@h>')
    assert [n.uri.user for n in listed] == ["a", "b"]


def test_via_forms():
    via = parse_via("SIP / 2.0 / udp 10.0.0.1:5060 ;branch=z9hG4bK77;received=1.2.3.4;rport=9")
    assert (via.transport, via.host, via.port, via.branch) == ("UDP", "10.0.0.1", 5060, "z9hG4bK77")
    assert via.received == "1.2.3.4" and via.rport == 9
    assert parse_via(str(via)) == via
    with pytest.raises(SipParseError):
        parse_via("SIP/2.0/UDP")


def _frames(chunks):
    framer = StreamFramer()
    out = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out


def test_framer_splits_glued_messages_and_answers_pings():
    options = parse_message(INVITE).to_bytes()
    stream = b"\r\n\r\n" + options + options + b"\r\n"
    frames = _frames([stream[i : i + 7] for i in range(0, len(stream), 7)])
    assert frames == [KEEPALIVE, options, options]


def test_framer_frames_bad_content_length_as_headers_and_resyncs():
    bad = INVITE.replace(b"Content-Length: 4", b"Content-Length: lots")
    good = parse_message(INVITE).to_bytes()
    frames = _frames([bad + good])
    with pytest.raises(SipParseError) as info:
        parse_message(frames[0])
    assert info.value.partial is not None  # enough to answer 400
    assert frames[-1] == good  # the body bytes of the bad one were skipped as junk


def test_framer_gives_up_on_endless_headers():
    framer = StreamFramer(max_header=1000)
    with pytest.raises(SipParseError):
        framer.feed(b"INVITE sip:a@b SIP/2.0\r\n" + b"X: y\r\n" * 500)
