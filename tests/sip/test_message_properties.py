"""Property tests: generated messages round-trip; junk and mutations only ever raise
SipParseError; framing is independent of how the stream is cut."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.sip import SipParseError
from wizard.sip.message import (
    Headers,
    SipRequest,
    SipResponse,
    StreamFramer,
    parse_message,
)
from wizard.sip.uri import NameAddr, SipUri, Via

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COMPOSITE = settings(SETTINGS, max_examples=50)  # each example builds whole messages
token = st.text("abcdefghijkXYZ0123456789-.!%*_+~", min_size=1, max_size=8)
hosts = st.sampled_from(
    ["example.com", "app.plivo.com", "h", "a-b.c9.example", "127.0.0.2", "10.1.2.3", "::1",
     "2001:db8::7"]
)  # fmt: skip
ports = st.none() | st.integers(1, 65535)
params = st.lists(st.tuples(token, st.none() | token), max_size=2).map(tuple)
uris = st.builds(
    SipUri,
    scheme=st.sampled_from(["sip", "sips"]),
    user=st.none() | token,
    host=hosts,
    port=ports,
    params=params,
)
# display names with the characters that need quoting, and some non-ASCII
display = st.none() | st.text('ab Z,;<>"\\:@é中', min_size=1, max_size=10).filter(
    lambda s: s.strip() == s
)
name_addrs = st.builds(NameAddr, uri=uris, display=display, params=params)
vias = st.builds(
    Via,
    transport=st.sampled_from(["UDP", "TCP", "TLS"]),
    host=hosts,
    port=ports,
    params=token.map(lambda t: (("branch", "z9hG4bK" + t),)),
)
methods = st.sampled_from(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO"])
extra_values = st.text('abc XYZ;,:<>"\\=é', max_size=12).map(str.strip)


@st.composite
def messages(draw):
    via_list = draw(st.lists(vias, min_size=1, max_size=3))
    headers = Headers()
    if draw(st.booleans()):
        headers.add("Via", ", ".join(map(str, via_list)))
    else:
        for via in via_list:
            headers.add("Via", str(via))
    method = draw(methods)
    headers.add("From", str(draw(name_addrs)))
    headers.add("To", str(draw(name_addrs)))
    headers.add("Call-ID", draw(token))
    headers.add("CSeq", f"{draw(st.integers(0, 2**31 - 1))} {method}")
    for name, value in draw(
        st.lists(st.tuples(token.map(lambda t: "X-" + t), extra_values), max_size=3)
    ):
        headers.add(name, value)
    body = draw(st.binary(max_size=64))
    if draw(st.booleans()):
        return SipRequest(method, str(draw(uris)), headers, body)
    reason = draw(st.text("abcdefghij klmnop", max_size=20).map(str.strip))
    return SipResponse(draw(st.integers(100, 699)), reason, headers, body)


@COMPOSITE
@given(messages())
def test_build_then_parse_is_identity(message):
    parsed = parse_message(message.to_bytes())
    assert parsed == message
    assert parsed.to_bytes() == message.to_bytes()


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_parse_errors(data):
    try:
        parse_message(data)
    except SipParseError:
        pass


@COMPOSITE
@given(messages(), st.data())
def test_mutated_messages_raise_only_parse_errors(message, data):
    raw = bytearray(message.to_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        index = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if action == "flip" and raw:
            raw[index] = data.draw(st.integers(0, 255))
        elif action == "delete" and raw:
            del raw[index : index + data.draw(st.integers(1, 8))]
        else:
            raw[index:index] = data.draw(
                st.sampled_from([b"\r\n", b":", b";", b"<", b'"', b" ", b","])
            )
    try:
        parsed = parse_message(bytes(raw))
    except SipParseError:
        return
    # whatever parsed must be usable: every typed accessor works and it builds again
    parsed.vias, parsed.from_addr, parsed.to_addr, parsed.cseq, parsed.contacts  # noqa: B018
    assert parse_message(parsed.to_bytes()) == parsed


@COMPOSITE
@given(st.lists(messages(), min_size=1, max_size=3), st.data())
def test_framing_does_not_depend_on_where_the_stream_is_cut(batch, data):
    stream = b"".join(
        (b"\r\n\r\n" if data.draw(st.booleans()) else b"") + m.to_bytes() for m in batch
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    framer = StreamFramer()
    frames = [f for chunk in chunks for f in framer.feed(chunk) if f != b"\r\n\r\n"]
    assert [parse_message(f) for f in frames] == batch


@SETTINGS
@given(st.binary(max_size=600), st.integers(1, 50))
def test_framer_on_junk_raises_only_parse_errors(data, step):
    framer = StreamFramer(max_header=256)
    try:
        for i in range(0, len(data), step):
            for frame in framer.feed(data[i : i + step]):
                try:
                    parse_message(frame)
                except SipParseError:
                    pass
    except SipParseError:
        pass
