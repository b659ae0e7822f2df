"""Test audio synthesis and the G.711 μ-law / L16 codecs."""

from __future__ import annotations

import itertools
import math
import warnings
from array import array

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.errors import ByonError
from wizard.stream.audio import (
    CONTENT_TYPES,
    AudioFormat,
    mulaw_decode,
    mulaw_encode,
    parse_content_type,
    signal_frames,
    synth_samples,
    tone_samples,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop  # removed in 3.13; where present it is the reference codec
    except ImportError:
        audioop = None


@pytest.mark.skipif(audioop is None, reason="audioop (reference codec) is gone in Python 3.13+")
def test_mulaw_matches_the_reference_codec_for_every_sample():
    every = array("h", range(-32768, 32768))
    assert mulaw_encode(every) == audioop.lin2ulaw(every.tobytes(), 2)
    codes = bytes(range(256))
    assert mulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)


def test_mulaw_known_values():
    # G.711: silence encodes as 0xFF; full scale positive/negative as 0x80/0x00.
    assert mulaw_encode([0]) == b"\xff"
    assert mulaw_encode([32767, -32768]) == b"\x80\x00"
    assert list(mulaw_decode(b"\xff\x7f\x80\x00")) == [0, 0, 32124, -32124]


@given(st.lists(st.integers(-32768, 32767), max_size=200))
def test_mulaw_round_trip_error_is_bounded(samples):
    decoded = mulaw_decode(mulaw_encode(samples))
    for original, back in zip(samples, decoded, strict=True):
        # Logarithmic quantisation: the step grows with the magnitude (at most 1/16 of it + 1 step).
        assert abs(original - back) <= max(16, abs(original) // 16 + 4)


def test_mulaw_decode_is_a_left_inverse_on_codes():
    codes = bytes(c for c in range(256) if c != 0x7F)  # 0x7F and 0xFF both decode to 0
    assert mulaw_encode(mulaw_decode(codes)) == codes


@pytest.mark.parametrize(
    ("content_type", "encoding", "rate", "frame_bytes"),
    [
        ("audio/x-mulaw;rate=8000", "audio/x-mulaw", 8000, 160),
        ("audio/x-l16;rate=8000", "audio/x-l16", 8000, 320),
        ("audio/x-l16;rate=16000", "audio/x-l16", 16000, 640),
        ("AUDIO/X-L16; rate=16000", "audio/x-l16", 16000, 640),
        ("audio/x-mulaw", "audio/x-mulaw", 8000, 160),
    ],
)
def test_parse_content_type(content_type, encoding, rate, frame_bytes):
    fmt = parse_content_type(content_type)
    assert (fmt.encoding, fmt.sample_rate, fmt.frame_bytes) == (encoding, rate, frame_bytes)
    assert fmt.content_type in CONTENT_TYPES


@pytest.mark.parametrize(
    "bad", ["audio/x-mulaw;rate=16000", "audio/wav", "", "audio/x-l16;rate=44100", "x;rate=abc"]
)
def test_parse_content_type_rejects_what_plivo_does_not_stream(bad):
    with pytest.raises(ByonError) as err:
        parse_content_type(bad)
    assert "Unsupported content type" in str(err.value)
    assert "audio/x-mulaw;rate=8000" in str(err.value)  # says what to use instead


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_signal_frames_are_20ms_in_the_format(content_type):
    fmt = parse_content_type(content_type)
    frames = list(signal_frames(fmt, 1.0))
    assert len(frames) == 50
    assert {len(f) for f in frames} == {fmt.frame_bytes}
    assert fmt.silence() == (
        b"\xff" * 160 if fmt.encoding == "audio/x-mulaw" else bytes(fmt.frame_bytes)
    )


def test_l16_is_little_endian():
    fmt = AudioFormat("audio/x-l16", 8000)
    assert fmt.encode([1, -2]) == b"\x01\x00\xfe\xff"
    assert list(fmt.decode(b"\x01\x00\xfe\xff")) == [1, -2]


def test_test_signal_has_tone_chirp_and_silence():
    rate = 8000
    one_second = synth_samples(rate, 0, rate)
    tone, chirp, quiet = one_second[:4800], one_second[4800:6400], one_second[6400:]
    assert max(tone) > 9000 and min(tone) < -9000
    assert max(chirp) > 9000
    assert set(quiet) == {0}
    # 440 Hz: 264 zero crossings in 0.6 s (two per period).
    crossings = sum(1 for a, b in itertools.pairwise(tone) if (a < 0) != (b < 0))
    assert abs(crossings - 528) <= 4
    # Generated on demand: any stretch equals the same stretch of the whole.
    assert synth_samples(rate, 1234, 100) == one_second[1234:1334]


def test_tone_frequency():
    samples = tone_samples(16000, 0, 16000, freq=660.0)
    crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    assert abs(crossings - 1320) <= 4
    assert max(samples) == pytest.approx(0.25 * 32767, rel=0.01)
    assert not math.isclose(sum(abs(s) for s in samples), 0)
