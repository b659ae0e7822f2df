"""Verification: a listener for answer_url callbacks, their checks, and one event each.

The listener is an aiohttp server anyone on the internet may reach through the
user's tunnel. Each callback (GET or POST, form or query encoded) must carry a
valid X-Plivo-Signature-V3 for the PUBLIC URL Plivo called (signature.py), must
not be a replay (nonce and matched signature, remembered for 24 h across runs),
must not carry other parameters' names in its values, and a pass must agree with
Plivo's own record of the call (confirm.py). Anything else gets 403 and never
reaches the user's agent. Bodies, connections, rows and printed lines are bounded
(guard.py). Each shown callback becomes exactly one ``CallbackEvent``, emitted in
order, which the wizard shows as a row and ``byon verify --json`` as a line.

The public URL is the user's own (a tunnel or server they run); byon never
downloads or starts a tunnel.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import sys
import time
from typing import Any

from wizard.errors import ByonError
from wizard.text import plain
from wizard.verify import guard
from wizard.verify.answers import (
    default_answer_xml,
    forward,
    outbound_leg_xml,
    shown_url,
    xml_problem,
    xml_response,
)
from wizard.verify.confirm import MISMATCH, NOT_CONFIRMED, confirm_call
from wizard.verify.diagnose import (
    PASS,
    TROUBLESHOOTING_ROWS,
    Diagnosis,
    Expectation,
    diagnose_callback,
)
from wizard.verify.events import (
    COUNTED_KINDS,
    KINDS,
    PRINTED_KINDS,
    PROBE_PARAM,
    UNCONFIRMED,
    CallbackEvent,
    EventHandler,
    apply_diagnosis,
    first,
    refuse,
)
from wizard.verify.intake import MAX_BODY, Refused, public_uri, read_params, too_large
from wizard.verify.signature import (
    NONCE_HEADER,
    SIG_HEADER,
    ReplayStore,
    check_signature,
    hidden_names,
    matching_part,
    replay_key,
    signed_headers,
)
from wizard.verify.simulate import (
    SIMULATIONS,
    Simulation,
    SimulationResult,
    place_test_call,
    simulate,
)
from wizard.verify.takeover import MARK as TAKEOVER_MARK

FORWARD_TIMEOUT = 8.0  # below Plivo's own wait for an answer_url
HEADER_TIMEOUT = 10.0  # seconds from connect to complete request headers
BODY_TIMEOUT = 10.0  # seconds to receive the body once the headers are in
EVENTS_KEPT = 500  # ``Listener.events`` keeps the newest


def _format_host(host: str) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


class Listener:
    """The callback listener. ``await start(host, port)`` returns its local URL.

    ``client`` (a PlivoClient) lets a pass be confirmed against Plivo's call record;
    without it passes are "signature valid, not confirmed". ``replays`` defaults to
    the store in the state dir shared by every byon run."""

    def __init__(
        self,
        auth_token: str,
        *,
        public_url: str | None = None,
        expectation: Expectation | None = None,
        on_event: EventHandler | None = None,
        forward_to: str | None = None,
        answer_xml: str | None = None,
        client: Any = None,
        replays: ReplayStore | None = None,
        summary_every: float = guard.WINDOW,
        max_connections: int | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
    ) -> None:
        self._token = auth_token
        self.public_url = public_url.rstrip("/") if public_url else None
        self.expectation = expectation or Expectation()
        self.on_event = on_event
        self.forward_to = forward_to or None
        self.answer_xml = answer_xml
        self.client = client
        self.replays = replays
        self.events: list[CallbackEvent] = []
        self.local_url = ""
        self.tally = guard.RejectionTally(window=summary_every)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        cap = min(max_connections or guard.MAX_CONNECTIONS, guard.connection_cap())
        self._guard = guard.ConnectionGuard(cap, self.tally.dropped)
        self._runner: Any = None
        self._session: Any = None
        self._ticker: asyncio.Task[None] | None = None
        self._seq = 0
        self._next_emit = 0
        self._ready: dict[int, CallbackEvent | None] = {}
        self._emit_lock = asyncio.Lock()
        self._probes: dict[str, asyncio.Future[CallbackEvent]] = {}
        self._saving: set[asyncio.Future[None]] = set()

    def __repr__(self) -> str:
        return f"Listener(local_url={self.local_url!r}, public_url={self.public_url!r})"

    @property
    def url(self) -> str:
        """The address Plivo calls: the public URL, else the local one."""
        return self.public_url or self.local_url

    @property
    def answer_url(self) -> str:
        """The URL to set as the application's answer_url."""
        return f"{self.public_url or self.local_url}/answer"

    @property
    def hangup_url(self) -> str:
        """The URL for the application's hangup_url."""
        return f"{self.public_url or self.local_url}/hangup"

    @property
    def connections(self) -> int:
        """Connections open right now (at most the cap)."""
        return len(self._guard)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0: a free port); return the local URL."""
        from aiohttp import ClientSession, ClientTimeout, web

        # load the signature and XML code now, not on the first call (it costs ~200 ms)
        default_answer_xml(True)
        default_answer_xml(False)
        check_signature("POST", "http://127.0.0.1/", {}, "warm-up", "x", "x")
        if self.replays is None:
            self.replays = ReplayStore.in_state_dir()
        self.replays.load()
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,
            # closes a connection whose request headers are not in within this time
            keepalive_timeout=self.header_timeout,
            # a refused request's unread body is not drained: its connection is closed
            lingering_time=0,
            logger=guard.QuietLog.logger("byon.listener.http", self.tally.dropped),
        )
        await self._runner.setup()
        self._guard.attach(self._runner.server)
        # few accepts per turn of the loop: the guard closes excess sockets before the
        # process runs out of file descriptors
        site = web.TCPSite(self._runner, host, port, reuse_address=True, backlog=guard.BACKLOG)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ByonError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                hint="Pick another --listen HOST:PORT (port 0 picks a free one).",
            ) from exc
        actual_port = self._runner.addresses[0][1]  # the real port when 0 was asked for
        self.local_url = f"http://{_format_host(host)}:{actual_port}"
        self._session = ClientSession(timeout=ClientTimeout(total=FORWARD_TIMEOUT))
        self._ticker = asyncio.create_task(self._tick())
        self._guard.watch_accept_errors(asyncio.get_running_loop())
        if self.replays.problem:
            await self._notice(f"Replay protection: {self.replays.problem}.")
        return self.local_url

    async def stop(self) -> None:
        """Stop serving; the rejections not yet summarised get their line now."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._guard.unwatch_accept_errors()
            if self.replays is not None:
                await self.replays.save()  # every nonce seen is on disk before byon exits
            await self._summarise(force=True)

    async def __aenter__(self) -> Listener:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- the summaries

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.tally.window)
            await self._summarise()

    async def _summarise(self, *, force: bool = False) -> None:
        line = self.tally.summary(force=force)
        if line:
            await self._notice(line[0].upper() + line[1:], kind="summary")

    async def _notice(self, sentence: str, *, kind: str = "notice") -> None:
        event = CallbackEvent(time.time(), kind, "", self.url, {}, diagnosis=sentence)
        async with self._emit_lock:
            await self._deliver(event)

    # ---- request handling

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        if request.method not in ("GET", "POST"):
            return web.Response(status=405, text="GET or POST only\n")
        tail = request.match_info.get("tail", "").rstrip("/").rsplit("/", 1)[-1]
        kind = KINDS.get(tail)
        if kind is None:
            return web.Response(status=404, text="not a byon callback path\n")
        received = time.time()
        if request.content_length is not None and request.content_length > MAX_BODY:
            return await self._refuse_unread(request, kind, received, too_large())
        signed = request.headers.get(SIG_HEADER) and request.headers.get(NONCE_HEADER)
        if not signed and not self.tally.would_show():
            # a flood of unsigned requests: counted for the summary, body never read
            self.tally.reject()
            return web.Response(status=403, text="invalid signature\n")
        try:
            async with asyncio.timeout(self.body_timeout):
                query, body = await read_params(request)
        except (Refused, TimeoutError) as exc:
            refusal = exc if isinstance(exc, Refused) else Refused(408, "its body is too slow")
            return await self._refuse_unread(request, kind, received, refusal)
        seq = self._seq
        self._seq += 1
        event: CallbackEvent | None = None
        self._guard.busy.add(request.protocol)
        try:
            event, response = await self._process(request, kind, received, query, body)
            event.seq = seq
            # a probe is always shown: preflight waits for it
            if event.rejected and event.kind != "probe" and not self.tally.reject():
                event = None  # counted for the summary, not shown one by one
        finally:
            self._guard.busy.discard(request.protocol)
            # a cancelled handler must not stall the events queued behind it
            self._ready[seq] = event
        await self._drain()
        return response

    async def _refuse_unread(
        self, request: Any, kind: str, received: float, refusal: Refused
    ) -> Any:
        """Answer a request whose body could not be read; shown while the tally allows."""
        from aiohttp import web

        if refusal.status == 408:
            self.tally.dropped()
        if self.tally.reject():
            event = self._new_event(request, kind, received, {})
            fix = refusal.fix or "Plivo sends form- or query-encoded parameters; this was not."
            sentence = f"Unreadable callback, refused with {refusal.status}: {refusal.sentence}."
            refuse(event, refusal.status, sentence, fix)
            event.seq = self._seq
            self._ready[self._seq] = event
            self._seq += 1
            await self._drain()
        return web.Response(status=refusal.status, text="refused\n")

    def _new_event(
        self, request: Any, kind: str, received: float, params: dict[str, Any]
    ) -> CallbackEvent:
        return CallbackEvent(
            received_at=received,
            kind=kind,
            method=request.method,
            url=public_uri(self.public_url or self.local_url, request),
            params=params,
            call_uuid=first(params, "CallUUID"),
            from_=first(params, "From"),
            to=first(params, "To"),
            sip_auth_type=first(params, "SIPAuthType") or None,
            sip_auth_user=first(params, "SIPAuthUser"),
            sip_source_ip=first(params, "SIPSourceIP"),
            headers={k: v[:500] for k, v in list(request.headers.items())[:40]},
        )

    async def _drain(self) -> None:
        async with self._emit_lock:
            while self._next_emit in self._ready:
                event = self._ready.pop(self._next_emit)
                self._next_emit += 1
                if event is not None:
                    await self._deliver(event)

    async def _deliver(self, event: CallbackEvent) -> None:
        """Keep (bounded) and hand one event to the consumer; the emit lock is held."""
        self.events.append(event)
        if len(self.events) > EVENTS_KEPT * 2:
            del self.events[:-EVENTS_KEPT]
        if event.kind == "probe":
            fut = self._probes.get(first(event.params, PROBE_PARAM))
            if fut is not None and not fut.done():
                fut.set_result(event)
        if self.on_event is not None:
            try:
                result = self.on_event(event)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # a broken consumer must not drop later events
                print(f"byon: event handler failed: {plain(exc)}", file=sys.stderr)

    def _signature_problem(
        self, method: str, uri: str, body: dict[str, Any], signature: str, nonce: str
    ) -> str:
        """Why the signature does not hold ("" when it does and is new)."""
        if not signature or not nonce:
            return f"it carries no {SIG_HEADER} header"
        part = matching_part(
            method, uri, body if method == "POST" else {}, self._token, signature, nonce
        )
        if not part:
            return (
                f"its {SIG_HEADER} does not match {uri} and your auth token (wrong account, "
                "or altered on the way)"
            )
        assert self.replays is not None
        if not self.replays.remember(replay_key(nonce, part)):
            return "it replays a nonce and signature already used (a replay, not a call)"
        return ""

    async def _process(
        self,
        request: Any,
        kind: str,
        received: float,
        query: dict[str, Any],
        body: dict[str, Any],
    ) -> tuple[CallbackEvent, Any]:
        from aiohttp import web

        method = request.method
        params = {**query, **body}
        # the takeover's own mark in the answer_url is byon's, not a callback value
        shown = {k: v for k, v in params.items() if k != TAKEOVER_MARK}
        event = self._new_event(request, kind, received, shown)
        problem = self._signature_problem(
            method,
            event.url,
            body,
            request.headers.get(SIG_HEADER, ""),
            request.headers.get(NONCE_HEADER, ""),
        )
        if PROBE_PARAM in params and first(params, PROBE_PARAM) in self._probes:
            # our own probe, even when a proxy broke its signature: preflight says so
            event.kind = "probe"
        if problem:
            refuse(event, 403, f"Forged or unsigned callback, refused with 403: {problem}.")
            return event, web.Response(status=403, text="invalid signature\n")
        assert self.replays is not None
        # written in the background (grouped, atomic, fsync'd) and flushed by stop(): the
        # memory copy already refuses a replay; the file carries it to the next run
        saving = asyncio.ensure_future(self.replays.save())
        self._saving.add(saving)
        saving.add_done_callback(self._saving.discard)
        return await self._judge(event, kind, params, query, body)

    async def _judge(
        self,
        event: CallbackEvent,
        kind: str,
        params: dict[str, Any],
        query: dict[str, Any],
        body: dict[str, Any],
    ) -> tuple[CallbackEvent, Any]:
        """Judge a callback whose signature holds: names, probe, diagnosis, call record."""
        from aiohttp import web

        event.signature_valid = True
        hidden = hidden_names(params)
        if hidden:
            refuse(
                event,
                403,
                "Ambiguous callback, refused with 403: a value carries another parameter's "
                f"name ({plain('; '.join(hidden), 120)}); V3 signs parameters without "
                "separators, so it could be a re-split of different ones.",
                row="ambiguous",
                signed=True,
            )
            return event, web.Response(status=403, text="ambiguous parameters\n")
        if PROBE_PARAM in params:
            event.kind = kind = "probe"
        if kind == "probe":
            event.verdict, event.answered_with = "pass", "probe"
            return event, xml_response(default_answer_xml(True))
        if kind == "outbound":
            event.verdict, event.answered_with = "pass", "outbound"
            return event, xml_response(outbound_leg_xml())
        diag = diagnose_callback(params, self.expectation)
        apply_diagnosis(event, diag)
        if kind == "hangup":
            event.answered_with = "empty"
            return event, web.Response(status=200, text="")
        if diag.passed:
            started = time.monotonic()
            if not await self._confirm(event, params):
                return event, web.Response(status=403, text="no such call\n")
            return await self._answer(event, diag, query, body, time.monotonic() - started)
        return await self._answer(event, diag, query, body, 0.0)

    async def _confirm(self, event: CallbackEvent, params: dict[str, Any]) -> bool:
        """Check a pass against Plivo's call record; False when it must be refused."""
        outcome = await confirm_call(self.client, params)
        event.confirmed = outcome.confirmed
        if outcome.outcome == MISMATCH:
            refuse(
                event,
                403,
                f"Signed callback not backed by Plivo's call record, refused with 403: "
                f"{outcome.sentence}",
                row="record_mismatch",
                signed=True,
            )
            return False
        if not outcome.confirmed:
            event.verdict, event.row = UNCONFIRMED, "unconfirmed"
            event.diagnosis = f"{NOT_CONFIRMED}: {outcome.sentence}"
            event.fix = TROUBLESHOOTING_ROWS["unconfirmed"].solution
        return True

    async def _answer(
        self,
        event: CallbackEvent,
        diag: Diagnosis,
        query: dict[str, Any],
        body: dict[str, Any],
        spent: float,
    ) -> tuple[CallbackEvent, Any]:
        """Answer a judged answer_url callback: the agent's XML (proxy mode) or byon's own."""
        if not self.forward_to:
            event.answered_with = "default" if not self.answer_xml else "custom"
            return event, xml_response(self.answer_xml or default_answer_xml(event.passed))
        budget = max(1.0, FORWARD_TIMEOUT - spent)
        xml, failure = await forward(
            self._session, self._token, self.forward_to, event.method, query, body, budget
        )
        if not failure:
            event.answered_with = "proxy"
            return event, xml_response(xml)
        target = shown_url(self.forward_to)
        failed = (
            f"the application's answer_url {target} failed ({failure}), so no XML "
            "of yours would execute; byon answered with its own message."
        )
        if diag.passed:
            sentence = f"SIP routing passed, but {failed}"
            if event.verdict == UNCONFIRMED:
                sentence = f"{event.diagnosis} Also, {failed}"
            fix = TROUBLESHOOTING_ROWS["no_xml"].solution
            apply_diagnosis(event, Diagnosis("fail", sentence, fix, "no_xml"))
        else:
            also = f"{diag.sentence} Also, the answer_url {target} failed ({failure})."
            apply_diagnosis(event, Diagnosis(diag.verdict, also, diag.fix, diag.row))
        event.answered_with = "default (answer_url failed)"
        return event, xml_response(self.answer_xml or default_answer_xml(False))

    # ---- reachability

    def signed(self, method: str, url: str, params: dict[str, Any]) -> dict[str, str]:
        """Headers signing a request with this listener's token (the token stays here)."""
        return signed_headers(method, url, params, self._token)

    def expect_probe(self, probe_id: str) -> asyncio.Future[CallbackEvent]:
        """A future resolved with the probe's event when it arrives."""
        fut: asyncio.Future[CallbackEvent] = asyncio.get_running_loop().create_future()
        self._probes[probe_id] = fut
        return fut

    def forget_probe(self, probe_id: str) -> None:
        """Stop waiting for a probe."""
        self._probes.pop(probe_id, None)

    async def preflight(self, public_url: str | None = None, *, timeout: float = 5.0) -> float:
        """Send a signed probe to ``<public_url>/answer`` and wait for it to arrive here.

        Returns the round trip in seconds; raises ByonError saying what broke."""
        from wizard.verify.reach import preflight

        return await preflight(self, public_url, timeout=timeout)


__all__ = [
    "COUNTED_KINDS",
    "NONCE_HEADER",
    "PASS",
    "PRINTED_KINDS",
    "SIG_HEADER",
    "SIMULATIONS",
    "CallbackEvent",
    "Expectation",
    "Listener",
    "Simulation",
    "SimulationResult",
    "check_signature",
    "default_answer_xml",
    "outbound_leg_xml",
    "place_test_call",
    "signed_headers",
    "simulate",
    "xml_problem",
]
