"""The <Stream> answer XML, built with plivoxml and read back with xml.etree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from wizard.errors import ByonError
from wizard.plans.plan import StreamPlan
from wizard.stream.xml import (
    StreamXmlError,
    parse_stream,
    speak_hangup_xml,
    stream_problems,
    stream_xml,
)


def test_stream_xml_matches_plivo_shape():
    xml = stream_xml(StreamPlan(url="wss://agent.example.com/media"), pretty=False)
    assert xml == (
        '<Response><Stream bidirectional="true" audioTrack="inbound" '
        'contentType="audio/x-mulaw;rate=8000" keepCallAlive="true">'
        "wss://agent.example.com/media</Stream></Response>"
    )
    assert not xml.startswith("<?xml")


def test_pretty_xml_parses_and_round_trips():
    plan = StreamPlan(
        url="wss://agent.example.com/media?x=1&y=2",
        bidirectional=False,
        keep_call_alive=False,
        content_type="audio/x-l16;rate=16000",
        audio_track="both",
    )
    xml = stream_xml(plan, status_callback_url="https://agent.example.com/status")
    assert "\n" in xml and "&amp;" in xml
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    got = parse_stream(xml)
    assert got["url"] == plan.url
    assert got["bidirectional"] is False and got["keep_call_alive"] is False
    assert got["audio_track"] == "both"
    assert got["content_type"] == "audio/x-l16;rate=16000"
    assert got["status_callback_url"] == "https://agent.example.com/status"


def test_extra_headers():
    xml = stream_xml(StreamPlan(url="wss://a.example.com/ws"), extra_headers={"tenant": "acme1"})
    assert parse_stream(xml)["extra_headers"] == "tenant=acme1"
    with pytest.raises(StreamXmlError, match="letters and digits"):
        stream_xml(StreamPlan(url="wss://a.example.com/ws"), extra_headers={"a b": "c"})


@pytest.mark.parametrize("track", ["outbound", "both"])
def test_bidirectional_with_outbound_audio_is_refused(track):
    plan = StreamPlan(url="wss://a.example.com/ws", bidirectional=True, audio_track=track)
    with pytest.raises(StreamXmlError) as info:
        stream_xml(plan)
    assert isinstance(info.value, ByonError)
    assert "bidirectional" in str(info.value) and "inbound" in str(info.value)


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        (StreamPlan(url="https://a.example.com/ws"), "wss://"),
        (StreamPlan(url=""), "required"),
        (StreamPlan(url="wss://a.example.com/ws", content_type="audio/wav"), "content type"),
        (StreamPlan(url="wss://a.example.com/ws", audio_track="left"), "audio track"),
    ],
)
def test_bad_stream_settings_are_refused(plan, words):
    assert any(words in p for p in stream_problems(plan))
    with pytest.raises(StreamXmlError, match=words):
        stream_xml(plan)


def test_ws_url_is_accepted():
    plan = StreamPlan(url="ws://a.example.com/ws")
    assert parse_stream(stream_xml(plan))["url"] == "ws://a.example.com/ws"


def test_speak_hangup_xml_escapes_text():
    xml = speak_hangup_xml("Calls <work> & pass")
    root = ET.fromstring(xml)
    assert [c.tag for c in root] == ["Speak", "Hangup"]
    assert root[0].text == "Calls <work> & pass"
    assert root[0].get("voice") == "WOMAN"
    assert parse_stream(xml) is None


def test_parse_stream_defaults_and_garbage():
    got = parse_stream("<Response><Stream>  wss://x.example/ws </Stream></Response>")
    assert got["url"] == "wss://x.example/ws"
    assert got["bidirectional"] is False and got["audio_track"] == "inbound"
    assert got["content_type"] == "audio/x-l16;rate=8000" and got["stream_timeout"] == 86400
    assert parse_stream("<Response") is None
    assert parse_stream(b"<Response><Speak>hi</Speak></Response>") is None
    nested = parse_stream('<Response><Stream streamTimeout="60">wss://x/y</Stream></Response>')
    assert nested["stream_timeout"] == 60
