"""The emulator: Plivo's REST surface plus a loopback-only control surface, on one server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from wizard.emulator.clock import VirtualClock
from wizard.emulator.faults import Fault, FaultQueue, parse_fault
from wizard.emulator.records import CallRecords
from wizard.emulator.seed import (
    DEMO_AUTH_ID,
    DEMO_AUTH_TOKEN,
    DEMO_RANDOM_SEED,
    DEMO_SOURCE_MAP,
)
from wizard.emulator.state import (
    IdGen,
    build_state,
    load_state,
    save_atomically,
    without_secrets,
)

__all__ = ["DEMO_AUTH_ID", "DEMO_AUTH_TOKEN", "Emulator"]

RATE_WINDOW = 5.0
StreamHook = Callable[[dict[str, Any], str], Awaitable[Any]]


def format_url(host: str, port: int) -> str:
    """The URL a client should use for a bound address: a wildcard host becomes loopback
    and an IPv6 literal gets brackets."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


# requests kept in the log (GET /__emulator__/log): far more than a test or a rehearsal makes
LOG_KEPT = 10_000


class Emulator:
    """In-process Plivo emulator.

    ``await emu.start(host, port)`` serves REST at ``emu.api_url`` with
    ``emu.auth_id``/``emu.auth_token``; ``await emu.stop()`` ends it.
    The control surface (/__emulator__/...) is also reachable in-process via
    ``inbound``, ``register_provider``, ``advance``, ``add_fault``, ``reset``,
    ``dump_state``.
    """

    def __init__(
        self,
        *,
        seed: str | None = None,  # None (empty account) or "demo"
        state_file: str | Path | None = None,
        auth_id: str | None = None,  # default: DEMO_* when seed="demo", else random
        auth_token: str | None = None,
        remote_callbacks: bool = False,  # False: only answer URLs on this machine are called
        callback_timeout: float = 5.0,  # Guess: how long the edge waits for answer_url
        rate_limit: int | None = None,  # e.g. 300: Plivo's non-call requests per 5 s; None = off
    ) -> None:
        if seed not in (None, "demo"):
            raise ValueError(f"unknown seed {seed!r}; the only seed is 'demo'")
        self.seed = seed
        self.state_file = Path(state_file) if state_file else None
        self.remote_callbacks = remote_callbacks
        self.callback_timeout = callback_timeout
        # Off by default so benchmarks and bulk tests are not throttled; the clock drives it.
        self.rate_limit = rate_limit
        self.recent_requests: list[float] = []
        self.clock = VirtualClock()
        self.faults = FaultQueue()
        self.log: list[dict[str, Any]] = []
        # bumped by each reset: a request that began before one belongs to the account
        # that reset replaced, and must neither change nor log into the new one
        self.generation = 0
        self.on_stream: StreamHook | None = None
        # Called with each REST log entry (the CLI prints them).
        self.on_request: Callable[[dict[str, Any]], None] | None = None
        self.api_url = ""
        self.http: Any = None  # aiohttp.ClientSession while running
        self.records = CallRecords()  # GET /__emulator__/calls: every INVITE, any route
        # loopback source -> the public address it stands for (ACL, SIPSourceIP, lockout)
        self.source_map: dict[str, str] = dict(DEMO_SOURCE_MAP) if seed == "demo" else {}
        self.sip: Any = None  # the SIP edge on the wire (sipwire.SipWire) once started
        self._runner: Any = None
        if self.state_file is not None and self.state_file.exists():
            self.state = load_state(self.state_file)
            if auth_id or auth_token:
                self.state.auth_id = auth_id or self.state.auth_id
                self.state.auth_token = auth_token or self.state.auth_token
                self.state.account["auth_id"] = self.state.auth_id
            self.clock.offset = self.state.clock_offset
            self.ids = IdGen()  # a seeded stream would repeat the ids already in the file
        else:
            self.ids = IdGen(DEMO_RANDOM_SEED if seed == "demo" else None)
            self.state = build_state(
                seed=seed, ids=self.ids, auth_id=auth_id, auth_token=auth_token
            )
            self.changed()
        from wizard.emulator.sip import SipEdge

        self.edge = SipEdge(self)

    # --- identity ----------------------------------------------------------------------------
    @property
    def auth_id(self) -> str:
        """The account's auth_id: ``MA`` plus 18 characters, the form the SDK checks."""
        return self.state.auth_id

    @property
    def auth_token(self) -> str:
        """The account's auth token: Basic auth for REST and control; it signs the callbacks."""
        return self.state.auth_token

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Outcomes of calls placed with Call create, in order."""
        return self.state.calls

    def __repr__(self) -> str:
        return f"Emulator(api_url={self.api_url!r}, auth_id={self.auth_id!r})"

    # --- lifecycle -----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the REST and control routes on ``host:port`` (0: a free port); returns api_url."""
        import aiohttp
        from aiohttp import web

        from wizard.emulator.app import build_app

        self.http = aiohttp.ClientSession()
        app: web.Application = build_app(self)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            await self.http.close()
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.api_url = format_url(host, bound_port)
        return self.api_url

    async def __aenter__(self) -> Emulator:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start_sip(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls_port: int | None = 0,
        timer_scale: float = 1.0,
    ) -> dict[str, Any]:
        """Start the SIP edge on the wire: UDP and TCP on ``port``, TLS on ``tls_port`` (None:
        no TLS). Answers ``sip_info()``; the REST server must be started first."""
        from wizard.emulator.sipwire import SipWire

        if self.http is None:
            raise RuntimeError("start the emulator before its SIP edge")
        if self.sip is None:
            wire = SipWire(self, timer_scale=timer_scale)
            await wire.start(host, port, tls_port=tls_port)
            self.sip = wire
        return self.sip_info()

    def sip_info(self) -> dict[str, Any] | None:
        """``{"udp", "tcp", "tls", "domain", "ca_cert"}`` of the running SIP edge, else None."""
        return self.sip.info() if self.sip is not None else None

    def map_source(self, ip: str) -> str:
        """The address a loopback source stands for (itself when unmapped)."""
        return self.source_map.get(ip, ip)

    async def stop(self) -> None:
        """Stop the SIP edge, the HTTP server and the callback client; a second call is a no-op."""
        if self.sip is not None:
            await self.sip.stop()
            self.sip = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.http is not None:
            await self.http.close()
            self.http = None

    # --- persistence -------------------------------------------------------------------------
    def changed(self) -> None:
        """Persist after every change (atomically) when a state file is in use."""
        if self.state_file is not None:
            self.state.clock_offset = self.clock.offset
            save_atomically(self.state_file, self.state.to_json())

    # --- control surface, in-process ---------------------------------------------------------
    async def inbound(
        self,
        *,
        request_uri: str,
        source_ip: str,
        from_: str,
        to: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> dict[str, Any]:
        """One SIP INVITE reaching Plivo: ``{sip_status, reason, call_uuid?, callback?}``."""
        return await self.edge.invite(
            request_uri=request_uri,
            source_ip=source_ip,
            from_=from_,
            to=to,
            username=username,
            password=password,
        )

    def register_provider(self, route: dict[str, Any]) -> None:
        """Add an external number's provider route, as ``POST /__emulator__/provider`` does."""
        from wizard.emulator.calls import parse_route

        parsed = parse_route(route)
        self.state.providers[parsed["number"]] = parsed
        self.changed()

    async def place_call(
        self, request_uuid: str, from_: str, to: str, call_uuid: str | None = None
    ) -> dict[str, Any]:
        """Deliver one Call create leg through the provider route of ``to`` (calls.place_call)."""
        from wizard.emulator.calls import place_call

        return await place_call(self, request_uuid, from_, to, call_uuid)

    def advance(self, seconds: float) -> None:
        """Move the virtual clock forward and persist the offset (``POST /__emulator__/clock``)."""
        self.clock.advance(seconds)
        self.changed()

    def add_fault(self, fault: dict[str, Any] | Fault) -> None:
        """Queue a fault, given as a Fault or as the control surface's JSON object."""
        self.faults.add(fault if isinstance(fault, Fault) else parse_fault(fault))

    def reset(self, seed: Any = ...) -> None:
        """Back to a fresh account (the starting seed unless another is given); keeps the keys."""
        if seed is not ...:
            if seed not in (None, "demo"):
                raise ValueError(f"unknown seed {seed!r}; the only seed is 'demo'")
            self.seed = seed  # type: ignore[assignment]
        self.ids = IdGen(DEMO_RANDOM_SEED if self.seed == "demo" else None)
        auth_id, auth_token = self.state.auth_id, self.state.auth_token
        self.state = build_state(
            seed=self.seed, ids=self.ids, auth_id=auth_id, auth_token=auth_token
        )
        self.generation += 1
        self.clock.offset = 0.0
        self.faults.clear()
        self.log.clear()
        self.records.clear()
        self.recent_requests.clear()
        self.changed()

    def dump_state(self, *, secrets: bool = False) -> dict[str, Any]:
        """Everything, as ``GET /__emulator__/state`` serves it: no token and no HA1 unless
        ``secrets`` (in-process only, for tests that check a stored digest)."""
        out = self.state.to_json()
        out["now"] = self.clock.now()
        out["faults"] = self.faults.describe()
        return out if secrets else without_secrets(out)

    def rate_limited(self, path: str) -> bool:
        """Documented: 300 non-call API requests per 5 s per account, then 429."""
        if self.rate_limit is None or path.rstrip("/").endswith("/Call"):
            return False
        now = self.clock.now()
        self.recent_requests = [t for t in self.recent_requests if now - t < RATE_WINDOW]
        if len(self.recent_requests) >= self.rate_limit:
            return True
        self.recent_requests.append(now)
        return False

    def record(self, method: str, path: str, status: int) -> None:
        """Log one REST request and pass it to ``on_request`` (the CLI prints each)."""
        entry = {"method": method, "path": path, "status": status}
        self.log.append(entry)
        if len(self.log) > LOG_KEPT:  # a long-running `byon emulator` keeps the newest only
            del self.log[: len(self.log) - LOG_KEPT]
        if self.on_request is not None:
            self.on_request(entry)
