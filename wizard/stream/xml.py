"""Answer XML: the ``<Stream>`` an answer_url returns, built with the plivo SDK's plivoxml.

plivo is imported inside the functions: it is slow to import and only these
functions need it. Reading XML back (``parse_stream``) uses the standard library.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

from wizard.errors import ByonError
from wizard.plans.validate import (
    check_audio_track,
    check_content_type,
    check_stream_tracks,
    check_stream_url,
)
from wizard.stream.protocol import PLIVO_DEFAULT_CONTENT_TYPE

if TYPE_CHECKING:
    from wizard.plans.plan import StreamPlan


class StreamXmlError(ByonError):
    """The stream settings break a Plivo rule, so no XML is produced."""


def stream_problems(stream: StreamPlan) -> list[str]:
    """Every rule the stream settings break (empty when the XML can be built)."""
    checks = [
        check_stream_url(stream.url),
        check_content_type(stream.content_type),
        check_audio_track(stream.audio_track),
    ]
    if not checks[2]:
        checks.append(check_stream_tracks(stream.bidirectional, stream.audio_track))
    return [c for c in checks if c]


def stream_xml(
    stream: StreamPlan,
    *,
    pretty: bool = True,
    status_callback_url: str | None = None,
    extra_headers: dict[str, str] | None = None,
) -> str:
    """The ``<Response><Stream ...>wss://...</Stream></Response>`` for a stream plan."""
    problems = stream_problems(stream)
    if problems:
        raise StreamXmlError("; ".join(problems))
    from plivo import exceptions, plivoxml

    headers = None
    if extra_headers:
        headers = ",".join(f"{k}={v}" for k, v in extra_headers.items())
        if len(headers.encode()) > 512 or not all(
            k.isalnum() and v.isalnum() for k, v in extra_headers.items()
        ):
            raise StreamXmlError(
                "extra headers must be letters and digits only (key=value), 512 bytes in all"
            )
    try:
        element = plivoxml.StreamElement(
            stream.url,
            bidirectional=stream.bidirectional,
            audioTrack=stream.audio_track,
            contentType=stream.content_type,
            keepCallAlive=stream.keep_call_alive,
            statusCallbackUrl=status_callback_url,
            extraHeaders=headers,
        )
        response = plivoxml.ResponseElement()
        response.add(element)
    except (exceptions.PlivoRestError, ValueError) as exc:
        raise StreamXmlError(f"Plivo's XML library refused the stream settings: {exc}") from None
    return _text(response.to_string(pretty=pretty))


def speak_hangup_xml(text: str, *, voice: str = "WOMAN", language: str = "en-US") -> str:
    """``<Response><Speak>text</Speak><Hangup/></Response>``: says one sentence, then ends."""
    from plivo import plivoxml

    response = plivoxml.ResponseElement()
    response.add_speak(text, voice=voice, language=language)
    response.add_hangup()
    return _text(response.to_string(pretty=False))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() == "true"


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _root(xml_text: str | bytes) -> ET.Element | None:
    try:
        return ET.fromstring(xml_text)
    except ET.ParseError:
        return None


def parse_stream(xml_text: str | bytes) -> dict[str, Any] | None:
    """The first ``<Stream>`` in answer XML as a dict, or None (no Stream, or not XML).

    Keys: url, bidirectional, audio_track, content_type, keep_call_alive,
    stream_timeout, status_callback_url, status_callback_method, extra_headers,
    attributes (the raw attributes). Missing attributes take Plivo's defaults.
    """
    root = _root(xml_text)
    if root is None:
        return None
    for el in root.iter():
        if _local(el.tag) == "Stream":
            a = dict(el.attrib)
            timeout = a.get("streamTimeout")
            return {
                "url": (el.text or "").strip(),
                "bidirectional": bool(_bool(a.get("bidirectional"))),
                "audio_track": a.get("audioTrack", "inbound"),
                "content_type": a.get("contentType", PLIVO_DEFAULT_CONTENT_TYPE),
                "keep_call_alive": bool(_bool(a.get("keepCallAlive"))),
                "stream_timeout": int(timeout) if timeout and timeout.isdigit() else 86400,
                "status_callback_url": a.get("statusCallbackUrl", ""),
                "status_callback_method": a.get("statusCallbackMethod", "POST"),
                "extra_headers": a.get("extraHeaders", ""),
                "attributes": a,
            }
    return None
