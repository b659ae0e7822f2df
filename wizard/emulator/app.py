"""The aiohttp application: REST routes behind Basic auth, faults and the request log;
the control surface behind a loopback check and the same Basic auth (health excepted)."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from wizard.emulator.calls import RouteError, parse_route
from wizard.emulator.faults import Fault, FaultError, parse_fault
from wizard.emulator.httputil import (
    MAX_BODY,
    ApiError,
    basic_auth_ok,
    error_response,
    read_control_json,
)
from wizard.emulator.rest import RestApi
from wizard.emulator.sip import InboundError
from wizard.emulator.state import without_secrets
from wizard.net import is_loopback_host

if TYPE_CHECKING:
    from wizard.emulator.server import Emulator

CONTROL = "/__emulator__"
HEALTH = f"{CONTROL}/health"
log = logging.getLogger("byon.emulator")
# Guess: the wait an injected 429 asks for when the fault names none (Plivo documents none)
DEFAULT_RETRY_AFTER = 1


def _drop(request: web.Request) -> web.Response:
    """Close the connection with no answer: what a client sees when a server vanishes."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)  # never reaches the client


def _fault_answer(fault: Fault) -> web.Response:
    headers = {}
    seconds = fault.retry_after
    if seconds is None and fault.status == 429:
        seconds = DEFAULT_RETRY_AFTER  # the contract's 429 always says when to come back
    if seconds is not None:
        headers["Retry-After"] = str(int(seconds) if seconds == int(seconds) else seconds)
    messages = {
        429: "too many requests",
        500: "internal server error",
        502: "bad gateway",
        503: "service unavailable",
    }
    status = fault.status or 500
    text = fault.message or messages.get(status, "injected fault")
    return error_response(status, text, headers)


def build_app(emu: Emulator) -> web.Application:
    """The aiohttp app: Plivo's REST routes (with faults and rate limits), then control routes."""
    rest = RestApi(emu)

    async def run_rest(request: web.Request, handler) -> web.StreamResponse:
        try:
            rest.authenticate(request)
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.headers)
        except web.HTTPNotFound:
            return error_response(404, f"resource not found: {request.method} {request.path}")
        except web.HTTPMethodNotAllowed:
            return error_response(405, f"method {request.method} not allowed on {request.path}")
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, f"request body too large: the limit is {MAX_BODY} bytes")
        except Exception as exc:  # a bug in the emulator: still answer in Plivo's shape
            log.exception("emulator error on %s %s", request.method, request.path)
            return error_response(500, f"emulator error: {type(exc).__name__}")

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith(CONTROL):
            return await _run_control(emu, request, handler)
        method, path = request.method, request.path
        fault = emu.faults.take(method, path)
        generation = emu.generation

        def record(status: int) -> None:
            if emu.generation == generation:  # a reset came meanwhile: not this account's
                emu.record(method, path, status)

        async def inject() -> web.StreamResponse | None:
            """The fault's answer (drop or status), or None after its latency."""
            if fault.drop:
                record(0)
                return _drop(request)
            if fault.status is not None:
                record(fault.status)
                return _fault_answer(fault)
            await asyncio.sleep((fault.latency_ms or 0) / 1000)
            return None

        if fault is not None and fault.when == "before" and (answer := await inject()) is not None:
            return answer
        if emu.generation != generation:
            # delayed across a reset: the account it addressed is gone; answer nothing
            return _drop(request)
        if emu.rate_limited(path):
            record(429)
            # Guess: Plivo documents no rate-limit headers, so none are sent.
            return error_response(429, "too many requests: the API allows 300 requests per 5 s")
        response = await run_rest(request, handler)
        if fault is not None and fault.when == "after" and (answer := await inject()) is not None:
            return answer
        record(response.status)
        return response

    app = web.Application(middlewares=[middleware], client_max_size=MAX_BODY)
    for method, path, handler in rest.routes():
        app.router.add_route(method, path, handler)
        app.router.add_route(method, path + "/", handler)
    control = Control(emu)
    for method, path, handler in control.routes():
        app.router.add_route(method, f"{CONTROL}/{path}", handler)
        app.router.add_route(method, f"{CONTROL}/{path}/", handler)
    return app


async def _run_control(emu: Emulator, request: web.Request, handler) -> web.StreamResponse:
    """A control route: loopback peers only, the account's Basic auth (health excepted),
    and every failure answered in JSON."""
    if not _loopback(request):
        return error_response(403, "the emulator's control surface only answers loopback")
    public = request.method in ("GET", "HEAD") and request.path.rstrip("/") == HEALTH
    if not public and not basic_auth_ok(request, emu.auth_id, emu.auth_token):
        # Any local process can reach loopback: the control surface takes the
        # account's own keys, like the REST API.
        return error_response(
            401,
            "the control surface needs the account's Basic auth (auth_id:auth_token)",
            {"WWW-Authenticate": 'Basic realm="byon emulator"'},
        )
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.message)
    except web.HTTPNotFound:
        return error_response(404, f"no control endpoint {request.path}")
    except web.HTTPMethodNotAllowed:
        return error_response(405, f"method {request.method} not allowed on {request.path}")
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, f"request body too large: the limit is {MAX_BODY} bytes")
    except Exception as exc:  # a bug in the emulator: still answer in JSON
        log.exception("emulator error on %s %s", request.method, request.path)
        return error_response(500, f"emulator error: {type(exc).__name__}")


def _loopback(request: web.Request) -> bool:
    return is_loopback_host(request.remote or "")


def _ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


class Control:
    """``/__emulator__/...``: inbound, provider, clock, faults, log, calls, state, reset."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def _json(self, request: web.Request) -> dict[str, Any]:
        data = await read_control_json(request)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return data

    async def health(self, request: web.Request) -> web.Response:
        """Unauthenticated: only says the emulator is up (no account data)."""
        return _ok({"status": "ok"})

    async def inbound(self, request: web.Request) -> web.Response:
        """POST inbound: one simulated SIP INVITE at Plivo's edge (emulator.md's call rules);
        answers ``sip_status``, ``reason`` and, on 200, ``call_uuid`` and the callback."""
        body = await self._json(request)
        fields: dict[str, str | None] = {}
        for key in ("request_uri", "source_ip", "from", "to", "username", "password"):
            value = body.get(key)
            if value is not None and not isinstance(value, str):
                raise ApiError(400, f"{key} must be a string")
            fields[key] = value
        for key in ("request_uri", "source_ip", "from"):
            if not fields[key]:
                raise ApiError(400, f"{key} is required")
        try:
            result = await self.emu.edge.invite(
                request_uri=fields["request_uri"] or "",
                source_ip=fields["source_ip"] or "",
                from_=fields["from"] or "",
                to=fields["to"],
                username=fields["username"],
                password=fields["password"],
            )
        except InboundError as exc:
            raise ApiError(400, str(exc)) from None
        return _ok(result)

    async def provider_add(self, request: web.Request) -> web.Response:
        """POST provider: how an external number's provider routes calls (forward or sip);
        the route is echoed without its password's HA1."""
        body = await self._json(request)
        try:
            route = parse_route(body)
        except RouteError as exc:
            raise ApiError(400, str(exc)) from None
        self.emu.state.providers[route["number"]] = route
        self.emu.changed()
        return _ok({"message": "registered", "route": without_secrets(route)}, 201)

    async def provider_list(self, request: web.Request) -> web.Response:
        """GET provider: every registered provider route, without HA1 digests."""
        return _ok({"providers": without_secrets(list(self.emu.state.providers.values()))})

    async def clock_get(self, request: web.Request) -> web.Response:
        """GET clock: the emulator's time and its offset from wall time (beyond emulator.md)."""
        return _ok({"now": self.emu.clock.now(), "offset": self.emu.clock.offset})

    async def clock_advance(self, request: web.Request) -> web.Response:
        """POST clock ``{"advance": seconds}``: expire lockouts and rate limits without sleeping."""
        body = await self._json(request)
        seconds = body.get("advance")
        if (
            not isinstance(seconds, int | float)
            or isinstance(seconds, bool)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            raise ApiError(400, "advance must be a number of seconds >= 0")
        self.emu.advance(seconds)
        return _ok({"now": self.emu.clock.now(), "offset": self.emu.clock.offset})

    async def faults_add(self, request: web.Request) -> web.Response:
        """POST faults: queue one fault or a list of them; all are validated before any is added."""
        spec = await read_control_json(request)
        specs = spec if isinstance(spec, list) else [spec]
        if not specs:
            raise ApiError(400, "no fault given: send one fault object or a list of them")
        try:
            parsed = [parse_fault(s) for s in specs]
        except FaultError as exc:
            raise ApiError(400, str(exc)) from None
        for fault in parsed:
            self.emu.add_fault(fault)
        return _ok({"message": "added", "faults": self.emu.faults.describe()}, 201)

    async def faults_get(self, request: web.Request) -> web.Response:
        """GET faults: the faults still queued, with their remaining counts."""
        return _ok({"faults": self.emu.faults.describe()})

    async def faults_clear(self, request: web.Request) -> web.Response:
        """DELETE faults: drop every queued fault."""
        self.emu.faults.clear()
        return _ok({"faults": []})

    async def log_get(self, request: web.Request) -> web.Response:
        """GET log: every REST request since the last reset or clear, in order, with its status."""
        return _ok({"requests": self.emu.log})

    async def log_clear(self, request: web.Request) -> web.Response:
        """DELETE log: forget the request log, so a test counts only its own requests."""
        self.emu.log.clear()
        return _ok({"requests": []})

    async def calls_get(self, request: web.Request) -> web.Response:
        """GET calls: every call the edge carried (HTTP, SIP wire, Call API), without secrets."""
        return _ok({"calls": without_secrets(self.emu.records.to_json())})

    async def state_get(self, request: web.Request) -> web.Response:
        """GET state: the whole account for inspection; never the auth token or an HA1."""
        return _ok(self.emu.dump_state())  # without the token or any HA1

    async def reset(self, request: web.Request) -> web.Response:
        """POST reset: a fresh account with the same keys; ``{"seed": "demo" | null}`` also
        switches the seed the account is rebuilt from."""
        body = await self._json(request)
        if "seed" in body:
            if body["seed"] not in (None, "demo"):
                raise ApiError(400, 'seed must be "demo" or null')
            self.emu.reset(body["seed"])
        else:
            self.emu.reset()
        return _ok({"message": "reset", "seed": self.emu.seed})

    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path under ``/__emulator__/``, handler) for each control endpoint; build_app
        mounts each with and without a trailing slash."""
        return [
            ("GET", "health", self.health),
            ("POST", "inbound", self.inbound),
            ("POST", "provider", self.provider_add),
            ("GET", "provider", self.provider_list),
            ("GET", "clock", self.clock_get),
            ("POST", "clock", self.clock_advance),
            ("POST", "faults", self.faults_add),
            ("GET", "faults", self.faults_get),
            ("DELETE", "faults", self.faults_clear),
            ("GET", "log", self.log_get),
            ("DELETE", "log", self.log_clear),
            ("GET", "calls", self.calls_get),
            ("GET", "state", self.state_get),
            ("POST", "reset", self.reset),
        ]
