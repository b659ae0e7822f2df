"""Is an answer_url reply XML that Plivo would execute? (plivo-api.md sections 8 and 10)"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

MAX_XML_BYTES = 100 * 1024
XML_CONTENT_TYPES = ("text/xml", "application/xml")
VERBS = frozenset(
    {
        "Conference", "Dial", "DTMF", "GetDigits", "GetInput", "Hangup", "Message", "Play",
        "PreAnswer", "Record", "Redirect", "Speak", "Wait", "MultiPartyCall", "Stream",
    }
)  # fmt: skip
_BOOL = {"true": True, "false": False}


@dataclass
class XmlReport:
    """Whether an answer would execute, why not, and each <Stream>'s settings."""

    valid: bool
    error: str | None = None
    streams: list[dict[str, Any]] = field(default_factory=list)


def stream_info(elem: ET.Element) -> dict[str, Any]:
    """A <Stream>'s URL and attributes with Plivo's defaults filled in (plivo-api.md 10)."""
    attrs = elem.attrib
    return {
        "url": (elem.text or "").strip(),
        "bidirectional": _BOOL.get(attrs.get("bidirectional", "false").lower(), False),
        "audio_track": attrs.get("audioTrack", "inbound"),
        "content_type": attrs.get("contentType", "audio/x-l16;rate=8000"),
        "stream_timeout": attrs.get("streamTimeout", "86400"),
        "status_callback_url": attrs.get("statusCallbackUrl"),
        "status_callback_method": attrs.get("statusCallbackMethod", "POST"),
        "extra_headers": attrs.get("extraHeaders"),
        "keep_call_alive": _BOOL.get(attrs.get("keepCallAlive", "false").lower(), False),
    }


def check_answer(status: int, content_type: str, body: bytes) -> XmlReport:
    """Would Plivo execute this answer_url reply? 2xx, at most 100 KB, an XML type, a
    <Response> of known verbs, and each <Stream> a ws(s):// URL with a valid audioTrack."""
    if not 200 <= status < 300:
        return XmlReport(False, f"answer_url returned HTTP {status}, not 2xx")
    if len(body) > MAX_XML_BYTES:
        return XmlReport(False, f"the XML is larger than {MAX_XML_BYTES // 1024} KB")
    ctype = content_type.split(";")[0].strip().lower()
    if ctype not in XML_CONTENT_TYPES:
        shown = ctype or "none"
        return XmlReport(False, f"Content-Type is {shown}; Plivo needs text/xml or application/xml")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return XmlReport(False, f"the answer is not well-formed XML: {exc}")
    if root.tag != "Response":
        return XmlReport(False, f"the root element is <{root.tag}>, not <Response>")
    streams = []
    for child in root:
        if child.tag not in VERBS:
            return XmlReport(False, f"<{child.tag}> is not a Plivo XML verb")
        if child.tag == "Stream":
            info = stream_info(child)
            # Guess: ws:// is accepted too, so agents on this machine can be rehearsed.
            if not info["url"].startswith(("wss://", "ws://")):
                return XmlReport(False, "<Stream> must contain a wss:// URL", [info])
            if info["bidirectional"] and info["audio_track"] in ("outbound", "both"):
                return XmlReport(
                    False, "a bidirectional <Stream> must use audioTrack=inbound", [info]
                )
            streams.append(info)
    return XmlReport(True, None, streams)
