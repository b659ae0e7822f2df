"""Audio stream checks: act as Plivo's audio streaming towards an agent's WebSocket.

``stream_check`` connects the way Plivo does for a ``<Stream>`` element (the
upgrade signed with Plivo's V3 headers when the auth token is at hand), runs
a ``StreamSession`` (wizard/stream/session.py) and closes the WebSocket when
done, as Plivo does when a call ends. Every wait is bounded and every message
is size-capped, so a broken or hostile agent gets a verdict, never a hang.

``emulator_stream_hook`` is the emulator's seam: it follows a ``<Stream>`` from
an answer XML, briefly. The echo agent lives in wizard/stream/agent.py; its
names are re-exported here for the callers that import them from this module.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from wizard.errors import ByonError
from wizard.stream.agent import AgentStream, EchoAgent
from wizard.stream.audio import AudioFormat, parse_content_type
from wizard.stream.protocol import (
    DEFAULT_CONTENT_TYPE,
    DEFAULT_SIGNED_URL_FORM,
    MAX_MSG_SIZE,
    PLIVO_DEFAULT_CONTENT_TYPE,
    SIGNED_URL_FORMS,
    parse_extra_headers,
    signature_headers,
)
from wizard.stream.report import Handshake, StreamReport, check_url, redact_url
from wizard.stream.session import StreamSession

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "AgentStream",
    "EchoAgent",
    "Handshake",
    "StreamReport",
    "check_url",
    "emulator_stream_hook",
    "redact_url",
    "stream_check",
]

QUIET_S = 0.3  # after the last frame: stop once the agent has been quiet this long...
GRACE_S = 2.0  # ...or after this long at most
CLOSE_S = 2.0  # bound on the closing handshake
EMULATOR_SECONDS = 1.0
EMULATOR_TIMEOUT = 3.0


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
    auth_token: str | None = None,
    signed_url_form: str = DEFAULT_SIGNED_URL_FORM,
) -> StreamReport:
    """Stream generated audio to ``url`` as Plivo would and report what came back.

    ``timeout`` bounds the handshake and the wait for the first audio (counted
    from the first frame sent). ``dtmf`` is a list of (seconds into the stream,
    digit) key presses to send. ``ssl`` is an ``ssl.SSLContext`` for wss://
    (default: the system's trust store). With ``auth_token`` the upgrade carries
    Plivo's V3 signature headers over the ``signed_url_form`` of the URL ("wss" or
    "https"). Raises ByonError only for unusable arguments; every network outcome is
    a report.
    """
    fmt = parse_content_type(content_type)
    warning = check_url(url)
    if seconds <= 0 or timeout <= 0:
        raise ByonError("--seconds and --timeout must be positive.", hint="Try --seconds 3.")
    if signed_url_form not in SIGNED_URL_FORMS:
        raise ByonError(
            f"Unknown signed URL form {signed_url_form!r}.", hint='Use "wss" or "https".'
        )
    extra_headers = extra_headers or {}
    # Guess: Plivo also sends extraHeaders as HTTP headers on the upgrade (it documents
    # them only in the start message, where they go too).
    upgrade_headers = dict(extra_headers)
    if auth_token:
        upgrade_headers.update(signature_headers(url, auth_token, form=signed_url_form))
    report = StreamReport(
        url=redact_url(url),
        content_type=fmt.content_type,
        stream_id=stream_id or str(uuid.uuid4()),
        call_id=call_id or str(uuid.uuid4()),
    )
    if warning:
        report.warnings.append(warning)
    report.handshake.signed = signed_url_form if auth_token else None
    started = time.perf_counter()
    try:
        await _run_check(
            report,
            fmt,
            url,
            seconds=seconds,
            timeout=timeout,
            upgrade_headers=upgrade_headers,
            extra_headers=extra_headers,
            account_id=account_id,
            dtmf=dtmf,
            ssl=ssl,
        )
    finally:
        report.duration_ms = (time.perf_counter() - started) * 1000
    return report


async def _run_check(
    report: StreamReport,
    fmt: AudioFormat,
    url: str,
    *,
    seconds: float,
    timeout: float,
    upgrade_headers: Mapping[str, str],
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
                    headers=dict(upgrade_headers),
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
        session = StreamSession(ws, fmt, report, account_id)
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
    session: StreamSession, seconds: float, timeout: float, extra_headers: Mapping[str, str]
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
        # No in-band stop: Plivo documents none; it ends a stream by closing the WebSocket.
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


# --- emulator seam ----------------------------------------------------------


def _pick(info: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if info.get(name) not in (None, ""):
            return info[name]
    return None


async def emulator_stream_hook(
    stream_info: Any, call_uuid: str, *, auth_token: str | None = None
) -> dict[str, Any]:
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
    content_type = str(_pick(info, "contentType", "content_type") or PLIVO_DEFAULT_CONTENT_TYPE)
    bidirectional = str(_pick(info, "bidirectional") or "false").lower() == "true"
    try:
        report = await stream_check(
            url,
            content_type=content_type,
            seconds=EMULATOR_SECONDS,
            timeout=EMULATOR_TIMEOUT,
            extra_headers=parse_extra_headers(_pick(info, "extraHeaders", "extra_headers")),
            call_id=call_uuid,
            account_id=str(_pick(info, "account_id", "auth_id") or ""),
            auth_token=auth_token,
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
