"""Test audio for stream checks: synthesis and the three formats Plivo streams.

Plivo's ``<Stream contentType>`` takes ``audio/x-mulaw;rate=8000`` (G.711
μ-law), ``audio/x-l16;rate=8000`` and ``audio/x-l16;rate=16000`` (16-bit
little-endian PCM), mono, sent in 20 ms frames. The μ-law codec is pure Python
with lookup tables because ``audioop`` is gone from the standard library in 3.13.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from wizard.errors import ByonError

FRAME_MS = 20
MULAW = "audio/x-mulaw"
L16 = "audio/x-l16"
CONTENT_TYPES = (f"{MULAW};rate=8000", f"{L16};rate=8000", f"{L16};rate=16000")

# G.711 μ-law constants (ITU-T G.711, as in the classic Sun g711.c).
_BIAS = 0x84
_CLIP = 32635
_SEG_END = (0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF, 0x7FFF)


def _encode_one(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sample < 0 else sample, _CLIP) + _BIAS
    segment = 0
    while segment < 7 and magnitude > _SEG_END[segment]:
        segment += 1
    mantissa = (magnitude >> (segment + 3)) & 0x0F
    return ~(sign | (segment << 4) | mantissa) & 0xFF


def _decode_one(code: int) -> int:
    code = ~code & 0xFF
    magnitude = (((code & 0x0F) << 3) + _BIAS) << ((code & 0x70) >> 4)
    return _BIAS - magnitude if code & 0x80 else magnitude - _BIAS


# Encoding looks at the top 14 bits only (G.711 works on 14-bit samples), so a
# 16384-entry table indexed by (sample >> 2) covers every 16-bit input exactly.
_ENCODE = bytes(_encode_one((i - 8192) << 2) for i in range(16384))
_DECODE = array("h", (_decode_one(c) for c in range(256)))
_LITTLE = sys.byteorder == "little"


def _samples_from_l16(data: bytes) -> array:
    samples = array("h")
    samples.frombytes(data[: len(data) - len(data) % 2])
    if not _LITTLE:
        samples.byteswap()
    return samples


def _l16_from_samples(samples: array) -> bytes:
    if not _LITTLE:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def mulaw_encode(samples: array | list[int]) -> bytes:
    """Signed 16-bit samples -> G.711 μ-law bytes (silence is 0xFF)."""
    table = _ENCODE
    return bytes([table[(s >> 2) + 8192] for s in samples])


def mulaw_decode(data: bytes) -> array:
    """G.711 μ-law bytes -> signed 16-bit samples."""
    table = _DECODE
    return array("h", [table[b] for b in data])


@dataclass(frozen=True)
class AudioFormat:
    """One of Plivo's stream content types, parsed."""

    encoding: str  # "audio/x-mulaw" or "audio/x-l16"
    sample_rate: int  # 8000 or 16000

    @property
    def content_type(self) -> str:
        """The form ``<Stream contentType>`` takes, e.g. ``audio/x-l16;rate=16000``."""
        return f"{self.encoding};rate={self.sample_rate}"

    @property
    def bytes_per_sample(self) -> int:
        """1 for μ-law, 2 for 16-bit L16."""
        return 1 if self.encoding == MULAW else 2

    @property
    def samples_per_frame(self) -> int:
        """Samples in one 20 ms frame, the unit Plivo streams in (160 at 8 kHz)."""
        return self.sample_rate * FRAME_MS // 1000

    @property
    def frame_bytes(self) -> int:
        """Bytes in one 20 ms frame: 160 for μ-law at 8 kHz, 640 for L16 at 16 kHz."""
        return self.samples_per_frame * self.bytes_per_sample

    @property
    def bytes_per_second(self) -> int:
        """Bytes per second of audio: how long a received payload takes to play."""
        return self.sample_rate * self.bytes_per_sample

    def encode(self, samples: array | list[int]) -> bytes:
        """Signed 16-bit samples as this format's bytes (L16 little-endian, as Plivo sends)."""
        if self.encoding == MULAW:
            return mulaw_encode(samples)
        return _l16_from_samples(array("h", samples))

    def decode(self, data: bytes) -> array:
        """This format's bytes as signed 16-bit samples; an odd last L16 byte is dropped."""
        if self.encoding == MULAW:
            return mulaw_decode(data)
        return _samples_from_l16(data)

    def silence(self) -> bytes:
        """One 20 ms frame of silence, streamed while the agent has not answered yet."""
        return self.encode([0] * self.samples_per_frame)


def parse_content_type(value: str) -> AudioFormat:
    """``audio/x-mulaw;rate=8000`` -> AudioFormat; ByonError for anything Plivo does not stream."""
    parts = [p.strip() for p in str(value).split(";") if p.strip()]
    encoding = parts[0].lower() if parts else ""
    rate: int | None = None
    for part in parts[1:]:
        key, _, val = part.partition("=")
        if key.strip().lower() == "rate":
            try:
                rate = int(val.strip())
            except ValueError:
                rate = None
    if encoding == MULAW and rate in (None, 8000):
        return AudioFormat(MULAW, 8000)
    if encoding == L16 and rate in (8000, 16000):
        return AudioFormat(L16, rate)
    if encoding == L16 and rate is None:
        return AudioFormat(L16, 8000)
    raise ByonError(
        f"Unsupported content type {value!r}.",
        hint="Use one of: " + ", ".join(CONTENT_TYPES) + ".",
    )


def synth_samples(sample_rate: int, start: int, count: int) -> array:
    """Samples ``start..start+count`` of the test signal, 16-bit signed.

    The signal repeats every second: 0.6 s of a 440 Hz tone, a 0.2 s chirp
    rising 300 Hz -> 3000 Hz (so an agent's speech detection sees energy across
    the voice band), then 0.2 s of silence. Built sample by sample so any stretch
    of a long check can be made on demand without holding it all in memory.
    """
    amplitude = 0.3 * 32767
    out = array("h", bytes(2 * count))
    chirp_len = 0.2
    f0, f1 = 300.0, 3000.0
    k = (f1 - f0) / chirp_len
    two_pi = 2.0 * math.pi
    for i in range(count):
        n = start + i
        t = (n % sample_rate) / sample_rate
        if t < 0.6:
            value = math.sin(two_pi * 440.0 * t)
        elif t < 0.8:
            tc = t - 0.6
            value = math.sin(two_pi * (f0 * tc + 0.5 * k * tc * tc))
        else:
            value = 0.0
        out[i] = int(amplitude * value)
    return out


def tone_samples(sample_rate: int, start: int, count: int, freq: float = 660.0) -> array:
    """A steady sine tone (the echo agent's "tone" answer)."""
    amplitude = 0.25 * 32767
    step = 2.0 * math.pi * freq / sample_rate
    return array("h", [int(amplitude * math.sin(step * (start + i))) for i in range(count)])


def signal_frames(fmt: AudioFormat, seconds: float) -> Iterator[bytes]:
    """20 ms frames of the test signal in ``fmt``, ``seconds`` long (at least one frame)."""
    total = max(1, round(seconds * 1000 / FRAME_MS))
    per = fmt.samples_per_frame
    for index in range(total):
        yield fmt.encode(synth_samples(fmt.sample_rate, index * per, per))
