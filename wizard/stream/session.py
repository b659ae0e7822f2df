"""One live stream towards an agent, byon playing Plivo's part.

``StreamSession`` sends ``start`` and a ``media`` frame every 20 ms (never
pausing, because common agents block until a second message arrives), reads
the agent's ``playAudio``, ``checkpoint`` and ``clearAudio``, and plays the
returned audio out at real time to answer checkpoints when Plivo would.
Every failure is noted once and counted, so a flooding peer stays one line.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Mapping
from typing import Any

from wizard.errors import ByonError
from wizard.stream.audio import L16, MULAW, AudioFormat, parse_content_type, signal_frames
from wizard.stream.protocol import (
    DEFAULT_CONTENT_TYPE,
    FIRST_SEQUENCE,
    MAX_MSG_SIZE,
    dtmf_message,
    media_message,
    start_message,
)
from wizard.stream.report import FRAME_S, StreamReport, clip
from wizard.text import plain


class StreamSession:
    """One stream in progress, byon playing Plivo: the sender, the receiver and the playout
    queue."""

    def __init__(self, ws: Any, fmt: AudioFormat, report: StreamReport, account_id: str) -> None:
        self.ws = ws
        self.fmt = fmt
        self.report = report
        self.account_id = account_id
        self.loop = asyncio.get_running_loop()
        self.send_lock = asyncio.Lock()
        self.sequence = 0
        self.first_sent: float | None = None
        self.first_audio = asyncio.Event()
        self.signal_done = asyncio.Event()
        self.stop_sending = asyncio.Event()
        self.last_message = self.loop.time()
        self.play_end = 0.0  # loop time at which the queued audio finishes playing
        self.pending: dict[object, tuple[str, asyncio.TimerHandle]] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._noted: dict[str, list[Any]] = {}
        self._received_formats: dict[tuple[Any, Any], int] = {}
        self.problems: list[str] = []
        self.dtmf: list[tuple[float, str]] = []

    # -- bookkeeping --------------------------------------------------------
    def note(self, kind: str, sentence: str) -> None:
        """Record one kind of failure once, counting repeats (a flood stays one line)."""
        if kind in self._noted:
            self._noted[kind][1] += 1
        else:
            self._noted[kind] = [sentence, 1]

    def finish(self) -> None:
        """Move the noted failures (with repeat counts) and the format findings into the report."""
        for sentence, count in self._noted.values():
            suffix = f" ({count} times)" if count > 1 else ""
            self.report.errors.append(sentence + suffix)
        received = [
            {"contentType": ct, "sampleRate": rate, "messages": n}
            for (ct, rate), n in self._received_formats.items()
        ]
        self.report.format = {
            "expected": {"encoding": self.fmt.encoding, "sampleRate": self.fmt.sample_rate},
            "received": received,
            "problems": self.problems,
        }
        if self.report.audio_received:
            self.report.format_ok = not self.problems

    def problem(self, sentence: str) -> None:
        """Keep a format problem once; at most 10, so a misbehaving agent stays readable."""
        if sentence not in self.problems and len(self.problems) < 10:
            self.problems.append(sentence)

    async def send(self, obj: dict[str, Any]) -> None:
        """Send one JSON message; the lock keeps media frames and replies from interleaving."""
        async with self.send_lock:
            await self.ws.send_str(json.dumps(obj, separators=(",", ":")))

    # -- Plivo -> agent -----------------------------------------------------
    def start_message(self, extra_headers: Mapping[str, str]) -> dict[str, Any]:
        """Plivo's ``start``; the media frames that follow count on from its sequence number."""
        self.sequence = FIRST_SEQUENCE
        r = self.report
        return start_message(
            call_id=r.call_id,
            stream_id=r.stream_id,
            account_id=self.account_id,
            fmt=self.fmt,
            extra_headers=extra_headers,
        )

    async def send_media(self, seconds: float, no_audio_timeout: float) -> None:
        """A frame every 20 ms on a fixed schedule: the signal, then silence until audio comes."""
        frames = signal_frames(self.fmt, seconds)
        silence = self.fmt.silence()
        t0 = self.loop.time()
        dtmf = sorted(self.dtmf)
        index = 0
        while not self.stop_sending.is_set():
            due = t0 + index * FRAME_S
            delay = due - self.loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                lag = -delay
                self.report.send_lag_max_ms = max(self.report.send_lag_max_ms, lag * 1000)
                if lag > FRAME_S:
                    self.report.late_frames += 1
            if self.stop_sending.is_set():
                break
            payload = next(frames, None)
            if payload is None:
                # The test audio is over: end like a caller going quiet, unless the agent
                # has not answered yet (Plivo keeps streaming silence meanwhile).
                self.signal_done.set()
                if self.first_audio.is_set():
                    break
                payload = silence
            self.sequence += 1
            index += 1
            message = media_message(self.sequence, self.report.stream_id, index, payload)
            if self.first_sent is None:
                self.first_sent = time.perf_counter()
            await self.send(message)
            self.report.frames_sent += 1
            while dtmf and dtmf[0][0] <= index * FRAME_S:
                _, digit = dtmf.pop(0)
                self.sequence += 1
                await self.send(dtmf_message(self.sequence, self.report.stream_id, digit))
            if not self.first_audio.is_set() and index * FRAME_S >= no_audio_timeout:
                break

    # -- agent -> Plivo -----------------------------------------------------
    async def receive(self) -> None:
        """Read the agent's frames until the socket closes or breaks; closing early is a failure."""
        from aiohttp import WSMsgType

        while True:
            msg = await self.ws.receive()
            self.last_message = self.loop.time()
            if msg.type == WSMsgType.TEXT:
                await self.on_text(msg.data)
            elif msg.type == WSMsgType.BINARY:
                self.note(
                    "binary",
                    "The agent sent a binary frame; Plivo expects JSON text frames "
                    "(send playAudio as text).",
                )
            elif msg.type == WSMsgType.ERROR:
                self.on_error(msg.data)
                return
            elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                self.report.close_code = self.ws.close_code
                if not self.stop_sending.is_set() and not self.report.agent_stopped:
                    self.note(
                        "closed",
                        f"The agent closed the stream early (close code {self.ws.close_code}) "
                        "while audio was still being sent.",
                    )
                return

    def on_error(self, exc: Any) -> None:
        """Note a broken WebSocket; code 1009 means the agent's frame passed MAX_MSG_SIZE."""
        code = getattr(exc, "code", None)
        if code == 1009:
            self.note(
                "too_big",
                f"The agent sent a frame over {MAX_MSG_SIZE // (1 << 20)} MiB; byon dropped the "
                "stream (a playAudio message should carry well under a second of audio).",
            )
        else:
            self.note("ws_error", f"The WebSocket broke: {exc}.")

    async def on_text(self, text: str) -> None:
        """One agent message, untrusted: bad JSON is noted (clipped), never raised; at most 50
        event names are counted; playAudio, checkpoint, clearAudio and stop are acted on."""
        try:
            obj = json.loads(text)
        except ValueError:
            self.note(
                "garbage",
                f"The agent sent a message that is not JSON: {clip(text)}. "
                "Plivo ignores it; send JSON objects.",
            )
            return
        if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
            self.note(
                "no_event",
                f'The agent sent JSON without an "event" field: {clip(text)}.',
            )
            return
        event = obj["event"]
        events = self.report.events
        if event not in events and len(events) >= 50:
            event = "(other)"  # bound the report on a peer inventing event names
        events[event] = events.get(event, 0) + 1
        sid = obj.get("streamId")
        if event in ("playAudio", "checkpoint", "clearAudio") and sid not in (
            None,
            self.report.stream_id,
        ):
            warning = f"The agent's {event} names streamId {clip(str(sid))}, not this stream's."
            if warning not in self.report.warnings and len(self.report.warnings) < 10:
                self.report.warnings.append(warning)
        if event == "playAudio":
            self.on_play_audio(obj)
        elif event == "checkpoint":
            name = obj.get("name")
            self.on_checkpoint(name if isinstance(name, str) else "")
        elif event == "clearAudio":
            await self.on_clear_audio()
        elif event == "stop":
            # The agent ends the stream in-band; Plivo would move on with the call.
            self.report.agent_stopped = True
            self.stop_sending.set()

    def on_play_audio(self, obj: dict[str, Any]) -> None:
        """Take one playAudio: check payload and format, time the first audio, and queue its
        playing time so checkpoints are answered when Plivo would answer them."""
        media = obj.get("media")
        if not isinstance(media, dict) or not isinstance(media.get("payload"), str):
            self.note("no_payload", "The agent sent playAudio without media.payload.")
            return
        try:
            audio = base64.b64decode(media["payload"], validate=True)
        except (binascii.Error, ValueError):
            self.note("bad_b64", "The agent sent playAudio whose payload is not valid base64.")
            return
        if not audio:
            self.note("empty", "The agent sent playAudio with an empty payload.")
            return
        content_type = media.get("contentType")
        rate = media.get("sampleRate")
        key = (content_type, rate)
        if key in self._received_formats or len(self._received_formats) < 10:
            self._received_formats[key] = self._received_formats.get(key, 0) + 1
        fmt = self.judge_format(content_type, rate, len(audio))
        now = self.loop.time()
        if not self.report.audio_received:
            self.report.audio_received = True
            start = self.first_sent if self.first_sent is not None else time.perf_counter()
            self.report.first_audio_ms = (time.perf_counter() - start) * 1000
            self.first_audio.set()
        self.report.frames_received += 1
        self.report.bytes_received += len(audio)
        seconds = len(audio) / fmt.bytes_per_second
        self.report.audio_ms_received += seconds * 1000
        self.play_end = max(self.play_end, now) + seconds

    def judge_format(self, content_type: Any, rate: Any, size: int) -> AudioFormat:
        """Compare one playAudio's declared format with the stream's; return what to play it as."""
        want = self.fmt
        # the agent's words go into a sentence: inert, one line, bounded
        encoding = (
            plain(str(content_type).split(";")[0].strip().lower(), 60) if content_type else ""
        )
        try:
            rate_val = int(rate) if rate is not None else None
        except (TypeError, ValueError):
            rate_val = None
        if rate_val is None and "rate=" in str(content_type or ""):
            try:
                rate_val = parse_content_type(str(content_type)).sample_rate
            except ByonError:
                rate_val = None
        if not encoding:
            self.problem("playAudio has no media.contentType; Plivo needs it to play the audio.")
        elif rate_val is None:
            self.problem("playAudio has no valid media.sampleRate; Plivo needs it.")
        elif encoding == MULAW and want.encoding == L16:
            self.problem(
                "The agent answered μ-law to an L16 stream; many frameworks (Pipecat's Plivo "
                "serializer among them) only speak μ-law 8 kHz, so set "
                f'contentType="{DEFAULT_CONTENT_TYPE}" on the <Stream>.'
            )
        elif (encoding, rate_val) != (want.encoding, want.sample_rate):
            self.problem(
                f"The agent answered {encoding} at {rate_val} Hz but the stream negotiated "
                f"{want.encoding} at {want.sample_rate} Hz: set the agent's output to "
                f"{want.content_type} (or change the <Stream> contentType)."
            )
        if encoding == "audio/x-l16" and size % 2:
            self.problem("An audio/x-l16 payload has an odd number of bytes (16-bit samples).")
        try:
            return parse_content_type(f"{encoding};rate={rate_val}")
        except ByonError:
            return want

    def on_checkpoint(self, name: str) -> None:
        """Answer playedStream once the audio queued before it has played, as Plivo would;
        past 1,000 pending, the oldest is answered at once."""
        # playedStream goes back once everything queued before the checkpoint has played.
        delay = max(0.0, self.play_end - self.loop.time())
        key = object()
        self.pending[key] = (name, self.loop.call_later(delay, self._fire_checkpoint, key))
        if len(self.pending) > 1000:  # a peer spamming checkpoints: answer the oldest now
            self._fire_checkpoint(next(iter(self.pending)))

    def _fire_checkpoint(self, key: object) -> None:
        entry = self.pending.pop(key, None)
        if entry is None:
            return
        name, handle = entry
        handle.cancel()
        self._answered(name)
        task = asyncio.ensure_future(self._send_quietly({"event": "playedStream"}, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answered(self, name: str) -> None:
        if len(self.report.checkpoints_answered) < 100:
            self.report.checkpoints_answered.append(name)

    async def _send_quietly(self, obj: dict[str, Any], name: str | None = None) -> None:
        obj = {**obj, "streamId": self.report.stream_id}
        if name is not None:
            obj["name"] = name
        try:
            await self.send(obj)
        except Exception:
            pass  # the stream is closing; the receiver records why

    async def on_clear_audio(self) -> None:
        """Drop the queued audio, answer every pending checkpoint, then send clearedAudio."""
        self.play_end = self.loop.time()
        pending, self.pending = list(self.pending.values()), {}
        for name, handle in pending:
            handle.cancel()
            self._answered(name)
            await self._send_quietly({"event": "playedStream"}, name)
        self.report.clears_answered += 1
        await self._send_quietly({"event": "clearedAudio"})
