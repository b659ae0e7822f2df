"""The answer XML as a list of verbs to follow, and the tone that stands in for speech.

Only what the edge acts on is read: ``<Speak>``/``<Play>`` (a tone), ``<Wait>``,
``<Hangup>``, ``<Stream>``. Other verbs are listed so the call record can say they
were skipped. The XML was already checked (xmlcheck) before it gets here.
"""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET
from array import array
from dataclasses import dataclass, field
from typing import Any

from wizard.emulator.xmlcheck import stream_info

RATE = 8000
MAX_LOOPS = 3
MAX_WAIT = 3600.0


@dataclass(frozen=True)
class Verb:
    """One child of ``<Response>``: its name, attributes and text."""

    name: str
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def number(self, key: str, default: float, low: float = 0.0, high: float = MAX_WAIT) -> float:
        """A numeric attribute, bounded; ``default`` when absent or not a number."""
        try:
            value = float(self.attrs.get(key, default))
        except ValueError:
            return default
        return min(max(value, low), high) if math.isfinite(value) else default

    def stream(self) -> dict[str, Any]:
        """A ``<Stream>``'s settings, as xmlcheck reads them."""
        element = ET.Element(self.name, self.attrs)
        element.text = self.text
        return stream_info(element)


def parse_verbs(body: str | None) -> list[Verb]:
    """The verbs of an answer XML, in order (empty when it does not parse)."""
    try:
        root = ET.fromstring(body or "")
    except ET.ParseError:
        return []
    return [Verb(child.tag, dict(child.attrib), (child.text or "").strip()) for child in root]


def speak_seconds(verb: Verb) -> float:
    """How long the tone standing in for ``<Speak>``/``<Play>`` lasts: about a word's worth
    per word, 0.4 s to 3 s, times ``loop`` (0, Plivo's "for ever", counts as 3)."""
    loops = int(verb.number("loop", 1, 0, MAX_LOOPS)) or MAX_LOOPS
    words = max(1, len(verb.text.split()))
    return min(3.0, max(0.4, 0.25 * words)) * loops


def tone_pcm(seconds: float, freq: float = 440.0) -> bytes:
    """A sine tone as 16-bit little-endian PCM at 8 kHz."""
    count = int(seconds * RATE)
    step = 2.0 * math.pi * freq / RATE
    samples = array("h", (int(8000 * math.sin(step * i)) for i in range(count)))
    if sys.byteorder != "little":
        samples.byteswap()
    return samples.tobytes()
