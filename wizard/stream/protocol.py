"""Plivo's audio-stream protocol, as byon speaks it towards an agent: messages, limits, signing.

Message shapes follow Plivo's "Stream Event Protocol" page (Plivo sends ``start``,
``media``, ``dtmf``, ``playedStream`` and ``clearedAudio``; there is no ``stop``:
a stream ends when the WebSocket closes) and shared/reference/plivo-stream.md.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from typing import Any

from wizard.stream.audio import AudioFormat

MAX_MSG_SIZE = 1 << 20  # 1 MiB: far above any real playAudio chunk, far below a memory problem
# What byon writes into <Stream contentType=...>: many agent frameworks (Pipecat's Plivo
# serializer among them) only speak μ-law at 8 kHz, whatever the stream negotiated.
DEFAULT_CONTENT_TYPE = "audio/x-mulaw;rate=8000"
# What Plivo streams when <Stream> names no contentType (Plivo's <Stream> docs).
PLIVO_DEFAULT_CONTENT_TYPE = "audio/x-l16;rate=8000"
FIRST_SEQUENCE = 1  # Plivo documents sequenceNumber as starting at 1 with start
SIGNED_URL_FORMS = ("wss", "https")
# Guess: Plivo does not say which form of the stream URL it signs on the upgrade; the
# wss:// URL as written in <Stream> is the likelier one.
DEFAULT_SIGNED_URL_FORM = "wss"


def parse_extra_headers(value: Any) -> dict[str, str]:
    """``<Stream extraHeaders="k=v,k2=v2">`` (or a mapping) -> dict; pairs without '=' dropped."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for pair in str(value or "").replace(";", ",").split(","):
        key, sep, val = pair.partition("=")
        if sep and key.strip():
            out[key.strip()] = val.strip()
    return out


def extra_headers_text(headers: Mapping[str, str]) -> str:
    """The ``start`` message's ``extra_headers`` as Plivo sends it: ``"k1=v1;k2=v2"``."""
    return ";".join(f"{k}={v}" for k, v in headers.items())


def start_message(
    *,
    call_id: str,
    stream_id: str,
    account_id: str,
    fmt: AudioFormat,
    extra_headers: Mapping[str, str],
) -> dict[str, Any]:
    """Plivo's ``start``. The top-level ``streamId`` is extra: some agents' parsers read it."""
    return {
        "event": "start",
        "sequenceNumber": FIRST_SEQUENCE,
        "streamId": stream_id,
        "start": {
            "callId": call_id,
            "streamId": stream_id,
            "accountId": account_id,
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": fmt.encoding, "sampleRate": fmt.sample_rate},
        },
        "extra_headers": extra_headers_text(extra_headers),
    }


def media_message(sequence: int, stream_id: str, chunk: int, payload: bytes) -> dict[str, Any]:
    """One 20 ms ``media`` frame of the caller's audio."""
    return {
        "event": "media",
        "sequenceNumber": sequence,
        "streamId": stream_id,
        "media": {
            "track": "inbound",
            "timestamp": str(int(time.time() * 1000)),
            "chunk": chunk,
            "payload": base64.b64encode(payload).decode("ascii"),
        },
    }


def dtmf_message(sequence: int, stream_id: str, digit: str) -> dict[str, Any]:
    """A caller's key press."""
    return {
        "event": "dtmf",
        "sequenceNumber": sequence,
        "streamId": stream_id,
        "dtmf": {"digit": digit, "track": "inbound"},
    }


def signed_url(url: str, form: str = DEFAULT_SIGNED_URL_FORM) -> str:
    """The URL the upgrade's signature covers: the ws(s):// URL itself, or its http(s) twin."""
    if form not in SIGNED_URL_FORMS:
        raise ValueError(f"signed URL form must be one of {', '.join(SIGNED_URL_FORMS)}")
    if form == "https":
        if url.startswith("wss://"):
            return "https://" + url[len("wss://") :]
        if url.startswith("ws://"):
            return "http://" + url[len("ws://") :]
    return url


def signature_headers(
    url: str, auth_token: str, *, form: str = DEFAULT_SIGNED_URL_FORM, nonce: str | None = None
) -> dict[str, str]:
    """The ``X-Plivo-Signature-V3`` headers Plivo puts on the WebSocket upgrade (a GET with
    no parameters), signed with the account's auth token."""
    import secrets

    from plivo.utils.signature_v3 import construct_get_url, get_signature_v3

    nonce = nonce or str(secrets.randbelow(10**20))
    base = construct_get_url(signed_url(url, form), {})
    signature = get_signature_v3(auth_token, base.decode("utf-8"), nonce)
    if isinstance(signature, bytes):
        signature = signature.decode("ascii")
    return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}
