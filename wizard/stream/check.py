"""Audio stream checks: act as Plivo's audio streaming towards an agent's WebSocket.

``stream_check`` connects the way Plivo does for a ``<Stream>`` element: it
sends ``start``, then a ``media`` frame every 20 ms (never pausing, because
common agents block until a second message arrives), then ``stop``, while it
reads the agent's ``playAudio``, ``checkpoint`` and ``clearAudio`` messages and
plays the returned audio out at real time. Every wait is bounded and every
message is size-capped, so a broken or hostile agent gets a verdict, never a hang.

``EchoAgent`` is the other side: a minimal bidirectional agent that answers
each stream with audio, for rehearsals and tests.

Message shapes follow shared/reference/plivo-stream.md; fields marked
[inferred] there are sent the same way here.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wizard.errors import ByonError
from wizard.stream.audio import (
    FRAME_MS,
    MULAW,
    AudioFormat,
    parse_content_type,
    signal_frames,
    tone_samples,
)

MAX_MSG_SIZE = 1 << 20  # 1 MiB: far above any real playAudio chunk, far below a memory problem
QUIET_S = 0.3  # after the last frame: stop once the agent has been quiet this long...
GRACE_S = 2.0  # ...or after this long at most
CLOSE_S = 2.0  # bound on the closing handshake
FRAME_S = FRAME_MS / 1000
DEFAULT_CONTENT_TYPE = "audio/x-mulaw;rate=8000"
EMULATOR_SECONDS = 1.0
EMULATOR_TIMEOUT = 3.0


def check_url(url: str) -> str:
    """Return a warning ("" if none) for a usable stream URL; ByonError when unusable."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ByonError(
            f"{redact_url(url)!r} is not a WebSocket URL.",
            hint="Give the agent's stream URL, starting with wss:// (or ws:// for a local test).",
        )
    try:
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise ByonError(
            f"{redact_url(url)!r} has an invalid port.", hint="Check the URL."
        ) from None
    if parts.scheme == "ws":
        return (
            "ws:// is unencrypted: Plivo streams only to wss:// URLs, "
            "so use ws:// for local rehearsals only."
        )
    return ""


_SECRET_PARAM = re.compile(r"(?i)([?&][^=&#]*(?:token|key|secret|auth|pass|sig)[^=&#]*=)[^&#]*")


_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:]*):[^/@]*@")


def redact_url(url: str) -> str:
    """The URL for reports: a password in it, and query values that look like credentials,
    become ``***``."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1:***@", url))


@dataclass
class Handshake:
    ok: bool = False
    status: int | None = None  # 101 on success, the HTTP status otherwise
    tls: bool = False
    tls_version: str | None = None
    subprotocol: str | None = None
    error: str = ""


@dataclass
class StreamReport:
    """What one stream check observed. ``to_json`` is the ``--json`` object."""

    url: str
    content_type: str
    stream_id: str
    call_id: str
    handshake: Handshake = field(default_factory=Handshake)
    audio_received: bool = False
    frames_sent: int = 0
    frames_received: int = 0  # playAudio messages carrying audio
    bytes_received: int = 0  # decoded audio bytes
    audio_ms_received: float = 0.0
    format_ok: bool | None = None  # None: no audio to judge
    format: dict[str, Any] = field(default_factory=dict)
    first_audio_ms: float | None = None
    events: dict[str, int] = field(default_factory=dict)  # agent messages by event name
    checkpoints_answered: list[str] = field(default_factory=list)
    clears_answered: int = 0
    send_lag_max_ms: float = 0.0
    late_frames: int = 0  # frames sent more than one frame period behind schedule
    agent_stopped: bool = False
    close_code: int | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.audio_received and bool(self.format_ok) and not self.errors

    @property
    def verdict(self) -> str:
        if self.ok:
            return (
                f"The agent answered with audio {self.first_audio_ms:.1f} ms after the first "
                f"frame, in the negotiated format ({self.content_type})."
            )
        if self.errors:
            return self.errors[0]
        if self.audio_received and not self.format_ok:
            problems = self.format.get("problems") or ["unexpected audio format"]
            return problems[0]
        return "The agent sent no audio back."

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        out["verdict"] = self.verdict
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    def human(self) -> str:
        hs = self.handshake
        lines = [f"stream check: {self.url} ({self.content_type})"]
        if hs.ok:
            tls = f"TLS {hs.tls_version or 'yes'}" if hs.tls else "no TLS"
            sub = hs.subprotocol or "none"
            lines.append(f"  handshake     ok: HTTP {hs.status}, {tls}, subprotocol {sub}")
        else:
            status = f" (HTTP {hs.status})" if hs.status else ""
            lines.append(f"  handshake     failed{status}: {hs.error}")
        if hs.ok:
            secs = self.frames_sent * FRAME_S
            lines.append(f"  audio sent    {self.frames_sent} frames ({secs:.1f} s)")
        if self.audio_received:
            lines.append(
                f"  audio back    yes: {self.frames_received} messages, {self.bytes_received} "
                f"bytes ({self.audio_ms_received / 1000:.2f} s of audio)"
            )
            lines.append(f"  first audio   {self.first_audio_ms:.1f} ms after the first frame sent")
            fmt = "ok" if self.format_ok else "MISMATCH"
            lines.append(f"  format        {fmt}: expected {self.content_type}")
            for problem in self.format.get("problems", []):
                lines.append(f"                {problem}")
        elif hs.ok:
            lines.append("  audio back    none")
        if self.checkpoints_answered or self.clears_answered:
            lines.append(
                f"  playback      {len(self.checkpoints_answered)} checkpoint(s) answered, "
                f"{self.clears_answered} clearAudio answered"
            )
        for warning in self.warnings:
            lines.append(f"  warning: {warning}")
        for error in self.errors:
            if error != hs.error:
                lines.append(f"  error: {error}")
        lines.append(("PASS: " if self.ok else "FAIL: ") + self.verdict)
        return "\n".join(lines)


def _clip(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


class _Session:
    """One stream in progress: the sender, the receiver and the playout queue."""

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
        if sentence not in self.problems and len(self.problems) < 10:
            self.problems.append(sentence)

    async def send(self, obj: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_str(json.dumps(obj, separators=(",", ":")))

    # -- Plivo -> agent -----------------------------------------------------
    def start_message(self, extra_headers: Mapping[str, str]) -> dict[str, Any]:
        r = self.report
        return {
            "event": "start",
            "sequenceNumber": 0,
            "streamId": r.stream_id,
            "start": {
                "callId": r.call_id,
                "streamId": r.stream_id,
                "accountId": self.account_id,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": self.fmt.encoding, "sampleRate": self.fmt.sample_rate},
            },
            "extra_headers": json.dumps(dict(extra_headers)),
        }

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
            message = {
                "event": "media",
                "sequenceNumber": self.sequence,
                "streamId": self.report.stream_id,
                "media": {
                    "track": "inbound",
                    "timestamp": str(int(time.time() * 1000)),
                    "chunk": index,
                    "payload": base64.b64encode(payload).decode("ascii"),
                },
            }
            if self.first_sent is None:
                self.first_sent = time.perf_counter()
            await self.send(message)
            self.report.frames_sent += 1
            while dtmf and dtmf[0][0] <= index * FRAME_S:
                _, digit = dtmf.pop(0)
                self.sequence += 1
                await self.send(
                    {
                        "event": "dtmf",
                        "sequenceNumber": self.sequence,
                        "streamId": self.report.stream_id,
                        "dtmf": {"digit": digit, "track": "inbound"},
                    }
                )
            if not self.first_audio.is_set() and index * FRAME_S >= no_audio_timeout:
                break

    async def send_stop(self) -> None:
        self.sequence += 1
        r = self.report
        await self.send(
            {
                "event": "stop",
                "sequenceNumber": self.sequence,
                "streamId": r.stream_id,
                "stop": {
                    "callId": r.call_id,
                    "streamId": r.stream_id,
                    "accountId": self.account_id,
                },
            }
        )

    # -- agent -> Plivo -----------------------------------------------------
    async def receive(self) -> None:
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
        try:
            obj = json.loads(text)
        except ValueError:
            self.note(
                "garbage",
                f"The agent sent a message that is not JSON: {_clip(text)}. "
                "Plivo ignores it; send JSON objects.",
            )
            return
        if not isinstance(obj, dict) or not isinstance(obj.get("event"), str):
            self.note(
                "no_event",
                f'The agent sent JSON without an "event" field: {_clip(text)}.',
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
            warning = f"The agent's {event} names streamId {_clip(str(sid))}, not this stream's."
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
        encoding = str(content_type).split(";")[0].strip().lower() if content_type else ""
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
        self.play_end = self.loop.time()
        pending, self.pending = list(self.pending.values()), {}
        for name, handle in pending:
            handle.cancel()
            self._answered(name)
            await self._send_quietly({"event": "playedStream"}, name)
        self.report.clears_answered += 1
        await self._send_quietly({"event": "clearedAudio"})


async def stream_check(
    url: str,
    *,
    content_type: str = DEFAULT_CONTENT_TYPE,
    seconds: float = 3.0,
    timeout: float = 10.0,
    extra_headers: Mapping[str, str] | None = None,
    call_id: str | None = None,
    stream_id: str | None = None,
    account_id: str = "",
    dtmf: Sequence[tuple[float, str]] = (),
    ssl: Any = None,
) -> StreamReport:
    """Stream generated audio to ``url`` as Plivo would and report what came back.

    ``timeout`` bounds the handshake and the wait for the first audio (counted
    from the first frame sent). ``dtmf`` is a list of (seconds into the stream,
    digit) key presses to send. ``ssl`` is an ``ssl.SSLContext`` for wss://
    (default: the system's trust store). Raises ByonError only for unusable
    arguments; every network outcome is a report.
    """
    fmt = parse_content_type(content_type)
    warning = check_url(url)
    if seconds <= 0 or timeout <= 0:
        raise ByonError("--seconds and --timeout must be positive.", hint="Try --seconds 3.")
    report = StreamReport(
        url=redact_url(url),
        content_type=fmt.content_type,
        stream_id=stream_id or str(uuid.uuid4()),
        call_id=call_id or str(uuid.uuid4()),
    )
    if warning:
        report.warnings.append(warning)
    started = time.perf_counter()
    try:
        await _run_check(
            report, fmt, url, seconds, timeout, extra_headers or {}, account_id, dtmf, ssl
        )
    finally:
        report.duration_ms = (time.perf_counter() - started) * 1000
    return report


async def _run_check(
    report: StreamReport,
    fmt: AudioFormat,
    url: str,
    seconds: float,
    timeout: float,
    extra_headers: Mapping[str, str],
    account_id: str,
    dtmf: Sequence[tuple[float, str]],
    ssl: Any,
) -> None:
    import aiohttp

    hs = report.handshake
    hs.tls = url.startswith("wss:")
    session_timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout)
    async with aiohttp.ClientSession(timeout=session_timeout) as http:
        try:
            async with asyncio.timeout(timeout):
                ws = await http.ws_connect(
                    url,
                    headers=dict(extra_headers),
                    max_msg_size=MAX_MSG_SIZE,
                    ssl=ssl if ssl is not None else True,
                    autoping=True,
                    timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=CLOSE_S),
                )
        except Exception as exc:  # every failure mode becomes a sentence
            hs.status = getattr(exc, "status", None) if _is_handshake_error(exc) else None
            hs.error = _handshake_sentence(exc, url, timeout)
            report.errors.append(hs.error)
            return
        hs.ok, hs.status, hs.subprotocol = True, 101, ws.protocol
        ssl_object = ws.get_extra_info("ssl_object")
        if ssl_object is not None:
            hs.tls, hs.tls_version = True, ssl_object.version()
        session = _Session(ws, fmt, report, account_id)
        session.dtmf = list(dtmf)
        try:
            await _drive(session, seconds, timeout, extra_headers)
        finally:
            session.stop_sending.set()
            for _name, handle in session.pending.values():
                handle.cancel()
            for task in list(session._tasks):
                task.cancel()
            try:
                async with asyncio.timeout(CLOSE_S):
                    await ws.close()
            except (TimeoutError, Exception):
                pass  # a peer that will not close cleanly is dropped
            session.finish()


async def _drive(
    session: _Session, seconds: float, timeout: float, extra_headers: Mapping[str, str]
) -> None:
    report = session.report
    loop = session.loop
    receiver = asyncio.create_task(session.receive())
    sender: asyncio.Task[None] | None = None
    # Safety net over the whole exchange, whatever the peer does.
    hard_limit = seconds + timeout + GRACE_S + CLOSE_S + 2.0
    try:
        async with asyncio.timeout(hard_limit):
            await session.send(session.start_message(extra_headers))
            sender = asyncio.create_task(session.send_media(seconds, timeout))
            if not await _first(receiver, sender, session.first_audio.wait(), timeout + 1.0):
                if report.agent_stopped:
                    session.note(
                        "stopped_silent", "The agent ended the stream (stop) without sending audio."
                    )
                elif not receiver.done():
                    session.note(
                        "no_audio",
                        f"No audio came back within {timeout:g} s of the first frame: the agent "
                        "accepted the stream but never sent playAudio. Check that it answers "
                        "bidirectional streams and that its output format is set.",
                    )
                return
            await _first(receiver, sender, session.signal_done.wait(), seconds + timeout)
            # Let the agent's last replies and the playout queue drain, briefly.
            grace_end = loop.time() + GRACE_S
            while not receiver.done() and not session.stop_sending.is_set():
                now = loop.time()
                quiet = now - session.last_message >= QUIET_S
                drained = session.play_end <= now and not session.pending
                if (quiet and drained) or now >= grace_end:
                    break
                await asyncio.sleep(0.05)
    except TimeoutError:
        session.note("stuck", "The agent stopped reading the stream; byon gave up on it.")
    finally:
        session.stop_sending.set()
        if sender is not None:
            await _settle(sender)
            failed = sender.done() and not sender.cancelled() and sender.exception() is not None
            if failed and not receiver.done():
                session.note("send_failed", f"Sending audio failed: {sender.exception()}.")
        if not receiver.done():
            try:
                async with asyncio.timeout(CLOSE_S):
                    await session.send_stop()
            except (TimeoutError, Exception):
                pass
        receiver.cancel()
        await _settle(receiver)


async def _first(
    receiver: asyncio.Task[None], sender: asyncio.Task[None], waiter: Any, limit: float
) -> bool:
    """Wait for ``waiter``; False when the receiver or sender ended first, or on ``limit``."""
    wait_task = asyncio.ensure_future(waiter)
    try:
        done, _ = await asyncio.wait(
            {receiver, sender, wait_task}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
        return wait_task in done
    finally:
        if not wait_task.done():
            wait_task.cancel()
            await _settle(wait_task)


async def _settle(task: asyncio.Future[Any]) -> None:
    if not task.done():
        task.cancel()
    try:
        async with asyncio.timeout(CLOSE_S):
            await asyncio.gather(task, return_exceptions=True)
    except TimeoutError:
        pass


def _is_handshake_error(exc: BaseException) -> bool:
    import aiohttp

    return isinstance(exc, aiohttp.WSServerHandshakeError)


def _handshake_sentence(exc: BaseException, url: str, timeout: float) -> str:
    return redact_url(_handshake_reason(exc, url, timeout))


def _handshake_reason(exc: BaseException, url: str, timeout: float) -> str:
    import aiohttp

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]  # never echo user:password@
    if isinstance(exc, TimeoutError):
        return (
            f"No answer to the WebSocket handshake from {host} within {timeout:g} s: "
            "check that the agent is running and reachable."
        )
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        status = exc.status
        if status and status != 101:
            return (
                f"The server answered HTTP {status} instead of a WebSocket upgrade: "
                "check the URL's path and that the agent serves WebSockets there."
            )
        return f"The WebSocket handshake was refused: {exc.message}. Check the agent's URL."
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return f"The TLS certificate of {host} was refused: {exc.certificate_error}."
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return f"The TLS handshake with {host} failed: {exc}."
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return (
                f"Could not connect to {host}: connection refused, nothing listens there. "
                "Start the agent or check the URL's host and port."
            )
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"Could not connect to {host}: the host name does not resolve. Check the URL."
        return f"Could not connect to {host}: {exc.os_error.strerror or exc}."
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return (
            f"{host} closed the connection during the WebSocket handshake: "
            "check that the URL points at the agent's WebSocket endpoint."
        )
    if isinstance(exc, aiohttp.ClientError | OSError):
        return f"The WebSocket handshake with {host} failed: {exc or type(exc).__name__}."
    return f"The WebSocket handshake with {host} failed: {type(exc).__name__}: {exc}."


# --- the echo agent ---------------------------------------------------------


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
    stop_seen: bool = False
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
                    elif event == "stop":
                        stream.stop_seen = True
                        break
                except (ValueError, LookupError, AttributeError, TypeError):  # binascii.Error too
                    stream.bad_messages += 1  # a malformed message is skipped, not fatal
        finally:
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


# --- emulator seam ----------------------------------------------------------


def _parse_extra_headers(value: Any) -> dict[str, str]:
    """``<Stream extraHeaders="k=v,k2=v2">`` -> dict."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for pair in str(value or "").split(","):
        key, sep, val = pair.partition("=")
        if sep and key.strip():
            out[key.strip()] = val.strip()
    return out


def _pick(info: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if info.get(name) not in (None, ""):
            return info[name]
    return None


async def emulator_stream_hook(stream_info: Any, call_uuid: str) -> dict[str, Any]:
    """Follow a ``<Stream>`` from an answer XML the way Plivo would, briefly (1 s of audio).

    ``stream_info`` is the element's attributes plus its URL (``url``, or the
    element text under ``text``/``content``); a bare string is taken as the URL.
    Never raises: every outcome is the report's dict.
    """
    info: Mapping[str, Any] = stream_info if isinstance(stream_info, Mapping) else {}
    url = (
        str(stream_info).strip()
        if not info
        else str(_pick(info, "url", "ws_url", "text", "content") or "").strip()
    )
    # Plivo's default contentType is audio/x-l16;rate=8000 (plivo-api.md section 10).
    content_type = str(_pick(info, "contentType", "content_type") or "audio/x-l16;rate=8000")
    bidirectional = str(_pick(info, "bidirectional") or "false").lower() == "true"
    try:
        report = await stream_check(
            url,
            content_type=content_type,
            seconds=EMULATOR_SECONDS,
            timeout=EMULATOR_TIMEOUT,
            extra_headers=_parse_extra_headers(_pick(info, "extraHeaders", "extra_headers")),
            call_id=call_uuid,
            account_id=str(_pick(info, "account_id", "auth_id") or ""),
        )
    except ByonError as exc:
        return {"ok": False, "url": url, "content_type": content_type, "verdict": str(exc)}
    except Exception as exc:  # the emulator must keep serving whatever happens here
        return {
            "ok": False,
            "url": url,
            "content_type": content_type,
            "verdict": f"The stream check failed unexpectedly: {type(exc).__name__}: {exc}",
        }
    out = report.to_dict()
    out["bidirectional"] = bidirectional
    if not bidirectional:
        out["warnings"].append(
            'The <Stream> is not bidirectional="true": Plivo will not play the agent\'s audio '
            "to the caller."
        )
    return out
