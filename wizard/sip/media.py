"""G.711 payloads (ITU-T G.711): μ-law (PCMU, 0) and A-law (PCMA, 8) to and from 16-bit PCM.

PCM here is signed 16-bit little-endian bytes at 8 kHz, the L16 format Plivo streams.
μ-law comes from byon's audio module (imported in ``_mulaw`` only, so a move of
that module is a one-line change); A-law is table based, as in the classic g711.c.
"""

from __future__ import annotations

import sys
from array import array
from types import ModuleType

from wizard.sip.sdp import PCMA, PCMU

SAMPLES_PER_FRAME = 160  # 20 ms at 8 kHz
_LITTLE = sys.byteorder == "little"
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _mulaw() -> ModuleType:
    from wizard.stream import audio  # the one place the μ-law codec is imported from

    return audio


def _alaw_encode_one(pcm: int) -> int:
    pcm >>= 3  # A-law works on 13-bit samples
    if pcm >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        pcm = -pcm - 1
    seg = next((i for i, end in enumerate(_SEG_AEND) if pcm <= end), 8)
    if seg >= 8:
        return 0x7F ^ mask
    aval = seg << 4
    aval |= (pcm >> 1 if seg < 2 else pcm >> seg) & 0x0F
    return aval ^ mask


def _alaw_decode_one(code: int) -> int:
    code ^= 0x55
    t = (code & 0x0F) << 4
    seg = (code & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if code & 0x80 else -t


# Indexed by the 13-bit sample (sample >> 3) offset to be non-negative: every input exact.
_ALAW_ENCODE = bytes(_alaw_encode_one((i - 4096) << 3) for i in range(8192))
_ALAW_DECODE = array("h", (_alaw_decode_one(c) for c in range(256)))


def _samples(pcm: bytes) -> array:
    samples = array("h")
    samples.frombytes(bytes(pcm[: len(pcm) - len(pcm) % 2]))
    if not _LITTLE:
        samples.byteswap()
    return samples


def _pcm(samples: array) -> bytes:
    if not _LITTLE:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def alaw_encode(pcm: bytes) -> bytes:
    """16-bit little-endian PCM -> G.711 A-law bytes (silence is 0xD5)."""
    table = _ALAW_ENCODE
    return bytes([table[(s >> 3) + 4096] for s in _samples(pcm)])


def alaw_decode(payload: bytes) -> bytes:
    """G.711 A-law bytes -> 16-bit little-endian PCM."""
    table = _ALAW_DECODE
    return _pcm(array("h", [table[b] for b in payload]))


def ulaw_encode(pcm: bytes) -> bytes:
    """16-bit little-endian PCM -> G.711 μ-law bytes (silence is 0xFF)."""
    return _mulaw().mulaw_encode(_samples(pcm))


def ulaw_decode(payload: bytes) -> bytes:
    """G.711 μ-law bytes -> 16-bit little-endian PCM."""
    return _pcm(_mulaw().mulaw_decode(bytes(payload)))


def encode(payload_type: int, pcm: bytes) -> bytes:
    """PCM -> the RTP payload of ``payload_type`` (PCMU or PCMA)."""
    if payload_type == PCMU:
        return ulaw_encode(pcm)
    if payload_type == PCMA:
        return alaw_encode(pcm)
    raise ValueError(f"payload type {payload_type} is not G.711")


def decode(payload_type: int, payload: bytes) -> bytes:
    """The RTP payload of ``payload_type`` (PCMU or PCMA) -> PCM."""
    if payload_type == PCMU:
        return ulaw_decode(payload)
    if payload_type == PCMA:
        return alaw_decode(payload)
    raise ValueError(f"payload type {payload_type} is not G.711")


def silence(payload_type: int, samples: int = SAMPLES_PER_FRAME) -> bytes:
    """One frame of silence in ``payload_type``."""
    return encode(payload_type, bytes(2 * samples))


def frames(payload_type: int, pcm: bytes, samples: int = SAMPLES_PER_FRAME) -> list[bytes]:
    """``pcm`` cut into 20 ms payloads of ``payload_type``; the last one padded with silence."""
    size = 2 * samples
    chunks = [bytes(pcm[i : i + size]) for i in range(0, len(pcm), size)]
    return [encode(payload_type, c.ljust(size, b"\0")) for c in chunks]
