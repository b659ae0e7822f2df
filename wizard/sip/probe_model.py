"""The probe's inputs and outputs: options, one result per check, the time budget.

Pure data and input checks (no network): ``wizard.sip.probe`` runs the checks.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.plivo.facts import sip_uri
from wizard.sip.client import Credentials
from wizard.sip.errors import SipParseError
from wizard.sip.resolve import SrvLookup, dnspython_srv
from wizard.sip.uri import parse_uri

CHECKS = ("dns", "reach", "unauthenticated", "authenticated")
TRANSPORTS = ("UDP", "TCP", "TLS")
DEFAULT_TIMEOUT = 5.0
_USER_OK = re.compile(r"[!#-&(-\[\]-~]+\Z")  # printable ASCII but space, quotes and backslash


class ProbeInputError(ValueError):
    """Bad input to the probe (exit 2): the message is a sentence for the user."""


@dataclass
class ProbeOptions:
    """What to probe and how. ``request_uri`` is ``sip:{app_id}@app.plivo.com`` by default."""

    request_uri: str
    host: str | None = None  # send here instead of resolving the URI's host
    port: int | None = None  # UDP/TCP port (default: SRV, else 5060)
    tls_port: int | None = None  # TLS port (default: SRV, else 5061)
    transport: str = "all"  # udp, tcp, tls or all
    credentials: Credentials | None = None
    call_seconds: float = 0.0  # > 0: let the authenticated call be answered and hold it
    timeout: float = DEFAULT_TIMEOUT  # the whole run's budget while the far end is silent
    ca_file: str | None = None
    local_host: str | None = None  # bind here (the demo: 127.0.0.3); default: the route's
    wait_for_guard: bool = False  # wait for the lockout guard instead of stopping
    guard_folder: Path | None = None  # None: byon's state dir
    srv_lookup: SrvLookup | None = dnspython_srv
    timer_scale: float = 1.0  # RFC 3261 timers times this (tests and the demo on loopback)

    @property
    def uri_host(self) -> str:
        """The Request-URI's host (what DNS resolves and TLS verifies)."""
        return parse_uri(self.request_uri).host

    @property
    def transports(self) -> list[str]:
        """The transports asked for, in the order they are tried."""
        return list(TRANSPORTS) if self.transport.lower() == "all" else [self.transport.upper()]


@dataclass
class CheckResult:
    """One check's line: ``result`` is a fixed token for scripts, ``detail`` a sentence."""

    check: str
    ok: bool
    result: str
    detail: str
    ms: float = 0.0
    transport: str | None = None  # reach, unauthenticated and authenticated
    extra: dict[str, Any] = field(default_factory=dict)  # TLS facts, statuses, call_id

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object: the contract's keys first, then what is known besides."""
        out: dict[str, Any] = {
            "check": self.check,
            "ok": self.ok,
            "result": self.result,
            "detail": self.detail,
            "ms": round(self.ms, 1),
        }
        if self.transport:
            out["transport"] = self.transport.lower()
        out.update(self.extra)
        return out


def request_uri_for(app_id: str | None = None, uri: str | None = None) -> str:
    """The Request-URI from ``--app`` or ``--uri`` (exactly one); ProbeInputError when bad."""
    if bool(app_id) == bool(uri):
        raise ProbeInputError("give exactly one of --app APP_ID or --uri SIP_URI")
    if app_id is not None:
        app_id = app_id.strip()
        if not app_id.isdigit() or len(app_id) > 40:
            raise ProbeInputError(
                f"{app_id[:40]!r} is not a Plivo application id (digits only, e.g. "
                "12345678901234567); use --uri for any other SIP URI"
            )
        return sip_uri(app_id)
    assert uri is not None
    try:
        parsed = parse_uri(uri.strip())
    except SipParseError as exc:
        raise ProbeInputError(f"--uri is not a SIP URI ({exc}); e.g. {sip_uri('1234')}") from None
    if parsed.scheme not in ("sip", "sips") or not parsed.user:
        raise ProbeInputError(f"--uri needs a sip: URI with a user part, e.g. {sip_uri('1234')}")
    return str(parsed)


def check_options(opts: ProbeOptions) -> None:
    """Refuse what cannot run (ProbeInputError) before any packet leaves."""
    if opts.transport.lower() not in ("udp", "tcp", "tls", "all"):
        raise ProbeInputError(f"--transport must be udp, tcp, tls or all, not {opts.transport!r}")
    for name, port in (("--port", opts.port), ("--tls-port", opts.tls_port)):
        if port is not None and not 0 < port < 65536:
            raise ProbeInputError(f"{name} must be between 1 and 65535, not {port}")
    if not 0 < opts.timeout <= 300:
        raise ProbeInputError(
            f"--timeout must be more than 0 and at most 300 s, not {opts.timeout}"
        )
    if not 0 <= opts.call_seconds <= 3600:
        raise ProbeInputError(f"--call must be between 0 and 3600 s, not {opts.call_seconds}")
    if opts.call_seconds and opts.credentials is None:
        raise ProbeInputError("--call needs --username and --password-env (it holds that call)")
    if opts.ca_file is not None and not Path(opts.ca_file).is_file():
        raise ProbeInputError(f"--ca-file {opts.ca_file} is not a readable file")
    if opts.host is not None and not opts.host.strip():
        raise ProbeInputError("--host is empty")
    if opts.local_host is not None:
        try:
            ipaddress.ip_address(opts.local_host)
        except ValueError:
            raise ProbeInputError(
                f"--bind takes a local IP address, not {opts.local_host[:60]!r}"
            ) from None
    user = opts.credentials.username if opts.credentials else None
    if user is not None and not (0 < len(user) <= 128 and _USER_OK.match(user)):
        raise ProbeInputError(
            "--username must be 1-128 characters without spaces, quotes or control characters"
        )


class Budget:
    """The run's time budget: how much of ``--timeout`` is left."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self, share: float = 1.0, floor: float = 0.05) -> float:
        """``share`` of what is left, never below ``floor`` seconds."""
        return max(floor, (self.end - time.monotonic()) * share)


def exit_code(results: list[CheckResult]) -> int:
    """0 when every check met expectations, else 1 (bad input is 2, before any check)."""
    return 0 if results and all(r.ok for r in results) else 1


@functools.lru_cache(maxsize=8)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verify against the system's CAs, or only against ``ca_file`` when given (loaded
    once per process: reading the system's store takes a noticeable while)."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
