"""A minimal bidirectional stream agent (``byon echo-agent``), for rehearsals and tests.

It answers each Plivo stream with audio in the negotiated format: the caller's
own audio (echo) or a tone. It accepts what Plivo sends (start, media, dtmf,
playedStream, clearedAudio) and skips malformed messages instead of failing.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass, field
from typing import Any

from wizard.errors import ByonError
from wizard.stream.audio import MULAW, AudioFormat, parse_content_type, tone_samples
from wizard.stream.protocol import DEFAULT_CONTENT_TYPE, MAX_MSG_SIZE


@dataclass
class AgentStream:
    """What the echo agent saw on one stream (for tests and the log)."""

    path: str
    stream_id: str | None = None
    call_id: str | None = None
    content_type: str = DEFAULT_CONTENT_TYPE
    start_seen: bool = False
    media: int = 0
    replies: int = 0
    bad_messages: int = 0
    dtmf: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)
    cleared_acks: int = 0
    closed: bool = False  # the stream ended by the WebSocket closing, as Plivo ends it
    headers: dict[str, str] = field(default_factory=dict)


class EchoAgent:
    """A minimal bidirectional stream agent on aiohttp.

    ``mode="echo"`` answers each ``media`` with a ``playAudio`` of the same payload;
    ``mode="tone"`` answers with a tone of the same length in the negotiated
    format. A ``#`` key press is answered with ``clearAudio``. With
    ``checkpoint_every=N`` it also sends a ``checkpoint`` after every N replies.
    """

    def __init__(self, mode: str = "echo", *, checkpoint_every: int = 0) -> None:
        if mode not in ("echo", "tone"):
            raise ByonError(f"Unknown echo agent mode {mode!r}.", hint='Use "echo" or "tone".')
        self.mode = mode
        self.checkpoint_every = checkpoint_every
        self.streams: list[AgentStream] = []
        self.ws_url = ""
        self._runner: Any = None
        self._sockets: set[Any] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, ssl: Any = None) -> str:
        """Listen; returns the ws:// URL (wss:// when given an ``ssl.SSLContext``)."""
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl)
        await site.start()
        bound = self._runner.addresses[0][1]
        shown = f"[{host}]" if ":" in host else host
        scheme = "wss" if ssl is not None else "ws"
        self.ws_url = f"{scheme}://{shown}:{bound}/stream"
        return self.ws_url

    async def stop(self) -> None:
        """Close each open stream (1001 going away, 1 s at most each), then stop listening."""
        for ws in list(self._sockets):
            try:
                async with asyncio.timeout(1.0):
                    await ws.close(code=1001, message=b"agent stopping")
            except (TimeoutError, Exception):
                pass
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: Any) -> Any:
        from aiohttp import WSMsgType, web

        ws = web.WebSocketResponse(max_msg_size=MAX_MSG_SIZE)
        if not ws.can_prepare(request).ok:
            return web.Response(
                status=426,
                text="byon echo agent: connect with a WebSocket (Plivo <Stream> URL).\n",
                headers={"Upgrade": "websocket"},
            )
        await ws.prepare(request)
        stream = AgentStream(path=request.path, headers=dict(request.headers))
        self.streams.append(stream)
        self._sockets.add(ws)
        fmt = parse_content_type(DEFAULT_CONTENT_TYPE)
        position = 0  # tone phase, in samples
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    obj = json.loads(msg.data)
                    event = obj.get("event")
                    if event == "start":
                        fmt = self._on_start(stream, obj, fmt)
                    elif event == "media":
                        position = await self._on_media(ws, stream, obj, fmt, position)
                    elif event == "dtmf":
                        digit = str((obj.get("dtmf") or {}).get("digit", ""))
                        stream.dtmf.append(digit)
                        if digit == "#":
                            await ws.send_json(
                                {"event": "clearAudio", "streamId": stream.stream_id}
                            )
                    elif event == "playedStream":
                        stream.played.append(str(obj.get("name", "")))
                    elif event == "clearedAudio":
                        stream.cleared_acks += 1
                except (ValueError, LookupError, AttributeError, TypeError):  # binascii.Error too
                    stream.bad_messages += 1  # a malformed message is skipped, not fatal
        finally:
            stream.closed = True
            self._sockets.discard(ws)
            await ws.close()
        return ws

    async def _on_media(
        self, ws: Any, stream: AgentStream, obj: dict[str, Any], fmt: AudioFormat, position: int
    ) -> int:
        """Answer one media frame; returns the tone's new phase (in samples)."""
        payload = obj["media"]["payload"]
        if not isinstance(payload, str):
            raise TypeError("media.payload is not a string")
        if self.mode == "tone":
            count = len(base64.b64decode(payload, validate=True)) // fmt.bytes_per_sample
            tone = fmt.encode(tone_samples(fmt.sample_rate, position, count))
            position += count
            payload = base64.b64encode(tone).decode("ascii")
        stream.media += 1
        await ws.send_str(self._play_audio(stream, fmt, payload))
        stream.replies += 1
        if self.checkpoint_every and stream.replies % self.checkpoint_every == 0:
            name = f"cp-{stream.replies // self.checkpoint_every}"
            await ws.send_json({"event": "checkpoint", "streamId": stream.stream_id, "name": name})
        return position

    @staticmethod
    def _on_start(stream: AgentStream, obj: dict[str, Any], fmt: AudioFormat) -> AudioFormat:
        start = obj.get("start") if isinstance(obj.get("start"), dict) else {}
        stream.start_seen = True
        stream.stream_id = start.get("streamId") or obj.get("streamId")
        stream.call_id = start.get("callId")
        media_format = start.get("mediaFormat") or {}
        try:
            fmt = parse_content_type(
                f"{media_format.get('encoding', MULAW)};rate={media_format.get('sampleRate', 8000)}"
            )
        except ByonError:
            pass  # an unknown format: keep answering in μ-law 8 kHz, Plivo's usual
        stream.content_type = fmt.content_type
        return fmt

    @staticmethod
    def _play_audio(stream: AgentStream, fmt: AudioFormat, payload: str) -> str:
        return json.dumps(
            {
                "event": "playAudio",
                "media": {
                    "contentType": fmt.encoding,
                    "sampleRate": fmt.sample_rate,
                    "payload": payload,
                },
                "streamId": stream.stream_id,
            },
            separators=(",", ":"),
        )
