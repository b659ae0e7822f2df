"""SDP offer/answer for PCMU, PCMA and telephone-event."""

from __future__ import annotations

import pytest

from wizard.sip.sdp import (
    PCMA,
    PCMU,
    SdpError,
    build_answer,
    build_offer,
    parse_sdp,
)

LINPHONE_OFFER = b"""v=0\r
o=alice 2890844526 2890844526 IN IP4 127.0.0.2\r
s=-\r
c=IN IP4 127.0.0.2\r
t=0 0\r
m=audio 49170 RTP/AVP 96 8 0 97\r
a=rtpmap:96 opus/48000/2\r
a=rtpmap:97 telephone-event/8000\r
a=fmtp:97 0-15\r
a=ptime:30\r
a=sendrecv\r
m=video 51372 RTP/AVP 31\r
c=IN IP4 10.9.9.9\r
"""


def test_offer_parses_back():
    offer = parse_sdp(build_offer("127.0.0.1", 40000))
    assert offer.rtp_address == ("127.0.0.1", 40000)
    assert [c.payload_type for c in offer.codecs] == [0, 8, 101]
    assert offer.telephone_event.fmtp == "0-16" and offer.ptime == 20
    assert [c.name for c in offer.audio_codecs] == ["PCMU", "PCMA"]


def test_answer_keeps_offer_order_and_dynamic_event_type():
    answer = build_answer(LINPHONE_OFFER, "127.0.0.1", 30000)
    assert answer.codec.payload_type == PCMA  # the offerer preferred PCMA to PCMU
    assert answer.remote == ("127.0.0.2", 49170)  # the video stream's c= is not ours
    assert answer.ptime == 30
    assert answer.telephone_event.payload_type == 97
    parsed = parse_sdp(answer.sdp)
    assert [c.payload_type for c in parsed.codecs] == [8, 0, 97]
    assert parsed.rtp_address == ("127.0.0.1", 30000)


def test_answer_honours_supported_codecs_and_direction():
    offer = LINPHONE_OFFER.replace(b"a=sendrecv", b"a=sendonly")
    answer = build_answer(offer, "::1", 30000, supported=(PCMU,))
    assert answer.codec.payload_type == PCMU
    parsed = parse_sdp(answer.sdp)
    assert parsed.direction == "recvonly" and parsed.address == "::1"
    assert b"IN IP6 ::1" in answer.sdp


def test_static_types_without_rtpmap_are_known():
    offer = b"v=0\r\nc=IN IP4 127.0.0.9\r\nm=audio 5004 RTP/AVP 0\r\n"
    assert build_answer(offer, "127.0.0.1", 1).codec.payload_type == PCMU


def test_no_common_codec_is_an_sdp_error():
    offer = LINPHONE_OFFER.replace(b"RTP/AVP 96 8 0 97", b"RTP/AVP 96 97")
    with pytest.raises(SdpError):
        build_answer(offer, "127.0.0.1", 1)


def test_hold_and_rejected_streams_have_no_rtp_address():
    held = parse_sdp(LINPHONE_OFFER.replace(b"IN IP4 127.0.0.2", b"IN IP4 0.0.0.0"))
    assert held.rtp_address is None
    rejected = parse_sdp(LINPHONE_OFFER.replace(b"m=audio 49170", b"m=audio 0"))
    assert rejected.rtp_address is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello",
        b"v=0\r\nm=video 1 RTP/AVP 31\r\n",
        b"v=0\r\nm=audio x RTP/AVP 0\r\n",
        b"v=0\r\nm=audio 1 RTP/AVP zero\r\n",
        b"v=0\r\nm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
        b"v=0\r\nc=IN\r\nm=audio 1 RTP/AVP 0\r\n",
    ],
)
def test_malformed_sdp_raises_sdp_error(body):
    with pytest.raises(SdpError):
        parse_sdp(body)
