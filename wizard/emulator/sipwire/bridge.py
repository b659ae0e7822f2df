"""The stream bridge: a call's RTP to an agent over Plivo's stream protocol, and back.

The caller's audio goes to the agent as ``media`` events in the ``<Stream>``'s contentType
(transcoded from PCMU/PCMA), as it arrives. The agent's ``playAudio`` goes back to the
caller as RTP in the call's codec, paced at 20 ms by the RTP session; ``clearAudio`` drops
what has not been played; ``checkpoint`` is answered with ``playedStream`` once the audio
queued before it has played. Message shapes: shared/reference/plivo-stream.md.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import sys
import time
import uuid
from array import array
from typing import Any

from wizard.errors import ByonError
from wizard.sip import media
from wizard.sip.rtp import RtpPacket, RtpSession
from wizard.sip.sdp import PCMU
from wizard.stream.audio import L16, MULAW, AudioFormat, parse_content_type

log = logging.getLogger("byon.emulator.sip")
MAX_MSG_SIZE = 1 << 20
CONNECT_TIMEOUT = 5.0
MAX_PENDING = 500  # media events waiting for a slow agent (10 s); older ones are dropped
FRAME_BYTES = media.SAMPLES_PER_FRAME  # one G.711 byte per sample
_LITTLE = sys.byteorder == "little"


def _samples(pcm: bytes) -> array:
    out = array("h")
    out.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not _LITTLE:
        out.byteswap()
    return out


def _pcm(samples: array) -> bytes:
    if not _LITTLE:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def upsample2(pcm: bytes) -> bytes:
    """8 kHz -> 16 kHz PCM by linear interpolation."""
    src = _samples(pcm)
    out = array("h", bytes(4 * len(src)))
    for i, sample in enumerate(src):
        nxt = src[i + 1] if i + 1 < len(src) else sample
        out[2 * i] = sample
        out[2 * i + 1] = (sample + nxt) // 2
    return _pcm(out)


def downsample2(pcm: bytes) -> bytes:
    """16 kHz -> 8 kHz PCM by averaging pairs."""
    src = _samples(pcm)
    return _pcm(array("h", [(src[i] + src[i + 1]) // 2 for i in range(0, len(src) - 1, 2)]))


def to_stream(payload_type: int, payload: bytes, fmt: AudioFormat) -> bytes:
    """One RTP payload (PCMU/PCMA) in the stream's format."""
    if fmt.encoding == MULAW:
        if payload_type == PCMU:
            return payload
        return media.ulaw_encode(media.decode(payload_type, payload))
    pcm = media.decode(payload_type, payload)
    return upsample2(pcm) if fmt.sample_rate == 16000 else pcm


def from_stream(fmt: AudioFormat, data: bytes, payload_type: int) -> bytes:
    """Agent audio in ``fmt`` as G.711 bytes of ``payload_type`` (8 kHz)."""
    if fmt.encoding == MULAW:
        if payload_type == PCMU:
            return data
        return media.encode(payload_type, media.ulaw_decode(data))
    pcm = data[: len(data) - len(data) % 2]
    if fmt.sample_rate == 16000:
        pcm = downsample2(pcm)
    return media.encode(payload_type, pcm)


def extra_headers_text(value: Any) -> str:
    """``<Stream extraHeaders="k=v,k2=v2">`` as Plivo sends it in ``start``: ``"k=v;k2=v2"``."""
    pairs = []
    for pair in str(value or "").split(","):
        key, sep, val = pair.partition("=")
        if sep and key.strip():
            pairs.append(f"{key.strip()}={val.strip()}")
    return ";".join(pairs)


class StreamBridge:
    """One ``<Stream>`` of one call. ``start()`` connects; ``done`` is set when it ends."""

    def __init__(
        self,
        http: Any,
        info: dict[str, Any],
        *,
        call_uuid: str,
        account_id: str,
        rtp: RtpSession,
    ) -> None:
        self.http = http
        self.info = info
        self.url = str(info.get("url") or "")
        self.call_uuid = call_uuid
        self.account_id = account_id
        self.rtp = rtp
        self.bidirectional = bool(info.get("bidirectional"))
        self.send_inbound = info.get("audio_track", "inbound") in ("inbound", "both")
        self.stream_id = str(uuid.uuid4())
        self.done = asyncio.Event()
        self.summary: dict[str, Any] = {
            "url": self.url,
            "stream_id": self.stream_id,
            "content_type": str(info.get("content_type") or ""),
            "bidirectional": self.bidirectional,
            "connected": False,
            "error": None,
            "media_sent": 0,
            "media_dropped": 0,
            "play_audio": 0,
            "frames_played": 0,
            "cleared": 0,
            "checkpoints": 0,
            "bad_messages": 0,
            "ended_by": None,
        }
        try:
            self.fmt = parse_content_type(self.summary["content_type"])
        except ByonError:
            # Guess: a contentType Plivo does not stream falls back to its default, L16 8 kHz.
            self.fmt = AudioFormat(L16, 8000)
            self.summary["error"] = f"unsupported contentType {self.summary['content_type']!r}"
        self._ws: Any = None
        self._seq = 0
        self._chunk = 0
        self._pending: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._remainder = b""
        self._tasks: list[asyncio.Task] = []

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def start_message(self) -> dict[str, Any]:
        """Plivo's ``start`` event (sequence numbers start at 1, as Plivo documents)."""
        return {
            "event": "start",
            "sequenceNumber": self._next_seq(),
            "streamId": self.stream_id,
            "start": {
                "callId": self.call_uuid,
                "streamId": self.stream_id,
                "accountId": self.account_id,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": self.fmt.encoding, "sampleRate": self.fmt.sample_rate},
            },
            "extra_headers": extra_headers_text(self.info.get("extra_headers")),
        }

    async def start(self) -> bool:
        """Connect to the agent and send ``start``; False (and ``done``) when it cannot."""
        import aiohttp

        try:
            self._ws = await asyncio.wait_for(
                self.http.ws_connect(self.url, max_msg_size=MAX_MSG_SIZE, autoping=True),
                CONNECT_TIMEOUT,
            )
            await self._ws.send_str(json.dumps(self.start_message(), separators=(",", ":")))
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            self.summary["error"] = f"the agent at {self.url} could not be reached ({reason})"
            await self._close_ws()
            self.done.set()
            return False
        self.summary["connected"] = True
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sender()), loop.create_task(self._receiver())]
        return True

    # -- caller -> agent ----------------------------------------------------------------
    def on_caller_audio(self, packet: RtpPacket) -> None:
        """An RTP packet from the caller: queue it for the agent as a ``media`` event."""
        if self.done.is_set() or self._ws is None or not self.send_inbound:
            return
        try:
            data = to_stream(packet.payload_type, packet.payload, self.fmt)
        except ValueError:
            return
        if self._pending.qsize() >= MAX_PENDING:
            with contextlib.suppress(asyncio.QueueEmpty):
                self._pending.get_nowait()
            self.summary["media_dropped"] += 1
        self._chunk += 1
        self._pending.put_nowait(
            {
                "event": "media",
                "sequenceNumber": self._next_seq(),
                "streamId": self.stream_id,
                "media": {
                    "track": "inbound",
                    "timestamp": str(int(time.time() * 1000)),
                    "chunk": self._chunk,
                    "payload": base64.b64encode(data).decode("ascii"),
                },
            }
        )

    async def _sender(self) -> None:
        try:
            while (message := await self._pending.get()) is not None:
                await self._ws.send_str(json.dumps(message, separators=(",", ":")))
                if message.get("event") == "media":
                    self.summary["media_sent"] += 1
        except (ConnectionError, RuntimeError, OSError):
            self._end("closed")

    # -- agent -> caller ----------------------------------------------------------------
    async def _receiver(self) -> None:
        from aiohttp import WSMsgType

        try:
            async for msg in self._ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    obj = json.loads(msg.data)
                    if not isinstance(obj, dict):
                        raise ValueError("not an object")
                    if self._on_message(obj):
                        return
                except (ValueError, LookupError, TypeError, binascii.Error):
                    self.summary["bad_messages"] += 1  # skipped, never fatal
        except (ConnectionError, RuntimeError, OSError):
            pass
        finally:
            self._end("agent" if self.summary["ended_by"] is None else self.summary["ended_by"])

    def _on_message(self, obj: dict[str, Any]) -> bool:
        """Handle one agent message; True when the agent ended the stream."""
        event = obj.get("event")
        if event == "playAudio" and self.bidirectional:
            self._play(obj["media"])
        elif event == "clearAudio":
            self.rtp.clear()
            self._remainder = b""
            self.summary["cleared"] += 1
            self._send({"event": "clearedAudio", "streamId": self.stream_id})
        elif event == "checkpoint":
            name = str(obj.get("name", ""))[:100]
            self._tasks.append(asyncio.get_running_loop().create_task(self._played(name)))
        elif event == "stop":
            self.summary["ended_by"] = "agent"
            return True
        return False

    def _play(self, media_obj: dict[str, Any]) -> None:
        data = base64.b64decode(media_obj["payload"], validate=True)
        fmt = self.fmt
        content_type = media_obj.get("contentType")
        if content_type:
            rate = media_obj.get("sampleRate") or 8000
            try:
                fmt = parse_content_type(f"{str(content_type).split(';')[0]};rate={int(rate)}")
            except (ByonError, ValueError):
                self.summary["bad_messages"] += 1
                return
        coded = self._remainder + from_stream(fmt, data, self.rtp.payload_type)
        whole = len(coded) - len(coded) % FRAME_BYTES
        self._remainder = coded[whole:]
        frames = [coded[i : i + FRAME_BYTES] for i in range(0, whole, FRAME_BYTES)]
        self.summary["play_audio"] += 1
        self.summary["frames_played"] += len(frames)
        self.rtp.play(frames)

    async def _played(self, name: str) -> None:
        await self.rtp.drain()
        self.summary["checkpoints"] += 1
        self._send({"event": "playedStream", "streamId": self.stream_id, "name": name})

    def _send(self, obj: dict[str, Any]) -> None:
        if not self.done.is_set():
            self._pending.put_nowait({**obj, "sequenceNumber": self._next_seq()})

    # -- ending -------------------------------------------------------------------------
    def _end(self, who: str) -> None:
        if self.summary["ended_by"] is None:
            self.summary["ended_by"] = who
        self.done.set()

    async def wait(self, timeout: float | None = None) -> None:
        """Until the stream ends (agent stop or close) or ``timeout`` (streamTimeout)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout)
        if not self.done.is_set():
            self._end("timeout")

    async def close(self, who: str = "call") -> None:
        """End the stream: close the WebSocket (Plivo's end of a stream when the call ends)."""
        self._end(who)
        self._pending.put_nowait(None)
        await self._close_ws()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        for task in self._tasks:
            if task is not current:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _close_ws(self) -> None:
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await self._ws.close()
