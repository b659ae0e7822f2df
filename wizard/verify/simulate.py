"""Simulated test calls for demo mode: each troubleshooting row, played on the emulator.

byon's own SIP client plays the provider's part with real INVITEs to the emulator's SIP
edge over loopback (wizard/verify/sipcalls.py), from mapped source addresses; when the
edge is not running, the HTTP route (``/__emulator__/inbound``) stands in. The callback
of a call that gets through reaches whatever the application points at (the listener,
during verification) as a real signed request. Only ever run against a local emulator.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from wizard.errors import ByonError
from wizard.net import is_loopback_url
from wizard.numbers import digits_only
from wizard.plivo.facts import (
    CREDENTIAL,
    IP_ACL,
    IP_ACL_AND_CREDENTIAL,
    sip_uri,
    uses_credential,
    uses_ip_acl,
)
from wizard.verify.diagnose import (
    Diagnosis,
    Expectation,
    diagnose_sip_outcome,
    diagnose_sip_outcomes,
    ip_in_entries,
)


@dataclass(frozen=True)
class Simulation:
    """A demo scenario: its key, its title, and the troubleshooting row it ends in."""

    key: str
    title: str
    row: str  # the troubleshooting row the scenario reaches


SIMULATIONS: dict[str, Simulation] = {
    s.key: s
    for s in (
        Simulation("correct", "Correct setup", "pass"),
        Simulation("number_in_uri", "Phone number in the Request-URI", "no_sip_auth_type"),
        Simulation("wrong_ip", "Call from an IP outside the ACL (403)", "all_403"),
        Simulation(
            "missing_credentials", "Provider ignores the digest challenge (407)", "challenge_407"
        ),
        Simulation("wrong_password", "Wrong SIP password (403)", "all_403"),
        Simulation("lockout", "11 failed attempts: the IP is locked out", "lockout"),
        Simulation("open_app", "Call to an application with an open SIP URI", "open_uri"),
        Simulation("invalid_xml", "Auth passes but the answer_url returns invalid XML", "no_xml"),
        Simulation("intermittent", "Provider rotates outbound IPs", "intermittent"),
        Simulation("unknown_uri", "Request-URI names no app and no number (404)", "not_found_404"),
        Simulation("did_forwarded", "A forwarded call arrives at your Plivo number", "pass"),
        Simulation(
            "did_unassigned", "Forwarded to a number not assigned to the app", "wrong_number"
        ),
        Simulation("did_no_xml", "Forwarded call, but the answer_url returns no XML", "no_xml"),
    )
}

# The demo's call buttons, per route and auth type: each scenario offered produces exactly
# the failure it names for that auth (no "no credentials" under IP ACL, no "wrong IP" under
# credentials, which do not look at the source IP).
DEMO_LABELS = {
    "correct": "correct setup",
    "number_in_uri": "number in URI",
    "wrong_ip": "wrong IP (403)",
    "missing_credentials": "no creds (407)",
    "wrong_password": "bad password (403)",
    "lockout": "11 failures",
    "invalid_xml": "bad XML",
    "intermittent": "rotating IPs",
    "did_forwarded": "forwarded call",
    "did_unassigned": "number not the app's",
    "did_no_xml": "no XML",
}
_FOR_AUTH = {
    IP_ACL: ("correct", "number_in_uri", "wrong_ip", "lockout", "invalid_xml", "intermittent"),
    CREDENTIAL: (
        "correct", "number_in_uri", "missing_credentials", "wrong_password", "lockout",
        "invalid_xml",
    ),
    IP_ACL_AND_CREDENTIAL: (
        "correct", "number_in_uri", "wrong_ip", "missing_credentials", "wrong_password",
        "lockout", "invalid_xml", "intermittent",
    ),
}  # fmt: skip


def scenarios_for(option: str, auth_type: str | None) -> list[tuple[str, str, str]]:
    """The demo's ``(key, scenario, label)`` buttons for this route and auth type."""
    if option == "did_forwarding":
        chosen: tuple[str, ...] = ("did_forwarded", "did_unassigned", "did_no_xml")
    else:
        chosen = _FOR_AUTH.get(auth_type or "", ("correct", "number_in_uri", "invalid_xml"))
    return [(str(i), s, DEMO_LABELS[s]) for i, s in enumerate(chosen, start=1)]


BAD_IPS = ("198.51.100.200", "203.0.113.250", "192.0.2.200", "198.18.0.200")
DEFAULT_GOOD_IP = "203.0.113.10"


@dataclass
class SimulationResult:
    """A played scenario: its last SIP outcome, all outcomes, the diagnosis, the route."""

    scenario: str
    outcome: dict[str, Any]
    diagnosis: Diagnosis
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    route: str = "http"  # "sip": real INVITEs to the SIP edge; "http": the fallback route


def _good_ip(exp: Expectation) -> str:
    for entry in exp.acl_entries:
        try:
            net = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            continue
        return str(net.network_address if net.num_addresses <= 2 else net.network_address + 1)
    return DEFAULT_GOOD_IP


def _bad_ip(exp: Expectation) -> str:
    for ip in BAD_IPS:
        if not ip_in_entries(ip, exp.acl_entries):
            return ip
    raise ByonError("Every test address is inside the ACL entries; cannot simulate a wrong IP.")


def _target(target: Any, auth: tuple[str, str] | None) -> tuple[str, str, str]:
    if isinstance(target, str):
        from wizard.plivo.env import env_credentials

        auth_id, token = auth or env_credentials()
        return target.rstrip("/"), auth_id, token
    return target.api_url.rstrip("/"), target.auth_id, target.auth_token


def _require_loopback(api_url: str) -> None:
    if not is_loopback_url(api_url):
        raise ByonError(
            f"Simulated calls run only against a local emulator, not {api_url}.",
            hint="Use `byon demo` or `byon emulator`; on a real account place a test call.",
        )


async def simulate(
    target: Any,
    scenario: str,
    expectation: Expectation,
    *,
    password: str | None = None,
    number: str | None = None,
    from_: str = "+14155550142",
    auth: tuple[str, str] | None = None,
    release_lockout: bool = True,
) -> SimulationResult:
    """Play one SIMULATIONS scenario on the emulator and diagnose it.

    ``target`` is an Emulator (in-process) or the api_url of `byon emulator`. With an
    in-process emulator whose SIP edge runs, every call is a real INVITE over loopback
    (``sipcalls.SipRoute``); otherwise the HTTP route plays it. The callback of a call
    that gets through reaches whatever the application points at (the listener, during
    verification) as a real signed request.
    """
    if scenario not in SIMULATIONS:
        raise ByonError(
            f"Unknown scenario {scenario!r}.", hint=f"Pick one of: {', '.join(SIMULATIONS)}."
        )
    api_url, auth_id, token = _target(target, auth)
    _require_loopback(api_url)
    exp = expectation
    uses_cred = uses_credential(exp.auth_type or "")
    if scenario in NEEDS_PASSWORD and uses_cred and not password:
        raise ByonError(
            "This simulation needs the SIP password to play the provider's part.",
            hint="Pass the password the plan's password_env names.",
        )
    if not exp.app_id and scenario not in ("open_app", "unknown_uri"):
        raise ByonError("Simulating a call needs the application's app_id (apply the plan first).")
    from aiohttp import ClientSession, ClientTimeout

    from wizard.plivo.client import PlivoClient
    from wizard.verify import sipcalls

    source_map = {sipcalls.PROVIDER_SOURCE: _good_ip(exp), sipcalls.OUTSIDE_SOURCE: _bad_ip(exp)}
    edge = _edge_address(target)
    if edge is not None:
        # the demo's provider calls from an address inside the plan's ACL, as set up
        target.source_map.update(source_map)
    async with (
        # The control surface takes the account's Basic auth, like the REST API.
        ClientSession(
            timeout=ClientTimeout(total=30), headers=sipcalls.basic_auth(auth_id, token)
        ) as http,
        PlivoClient(auth_id, token, base_url=api_url, deadline=10.0) as client,
    ):
        route: Any = (
            sipcalls.SipRoute(http, api_url, edge)
            if edge is not None
            else sipcalls.HttpRoute(http, api_url, source_map)
        )
        play = Play(route, client, http, api_url, exp, password, from_)
        result = await play.run(scenario, number=number, release_lockout=release_lockout)
    result.route = route.name
    return result


LOCK_RELEASED = (
    "(Emulator: its clock was then moved on 61 s, so this lockout is already over and "
    "later calls from that address, the SIP probe's too, are judged afresh.)"
)
NEEDS_PASSWORD = (
    "correct", "number_in_uri", "wrong_ip", "wrong_password", "invalid_xml", "intermittent",
    "did_forwarded", "did_no_xml",
)  # fmt: skip


def _edge_address(target: Any) -> tuple[str, int] | None:
    """The UDP address of an in-process emulator's running SIP edge, else None."""
    info = target.sip_info() if hasattr(target, "sip_info") else None
    if not info or not info.get("udp"):
        return None
    host, _, port = str(info["udp"]).rpartition(":")
    return host.strip("[]"), int(port)


class Play:
    """The legs of each scenario, placed on one route, then diagnosed."""

    def __init__(self, route, client, http, api_url, exp, password, from_) -> None:
        self.route, self.client, self.http, self.api_url = route, client, http, api_url
        self.exp, self.password, self.from_ = exp, password, from_
        uses_cred = uses_credential(exp.auth_type or "")
        self.creds = {"username": exp.username, "password": password} if uses_cred else {}

    def leg(self, **change: Any) -> Any:
        """The correct call (the app's URI, the provider's source, the plan's credentials)."""
        from wizard.verify.sipcalls import Leg

        base: dict[str, Any] = {"request_uri": self.exp.uri(), "from_": self.from_, **self.creds}
        base.update(change)
        return Leg(**base)

    async def one(self, scenario: str, leg: Any, exp: Expectation | None = None):
        """Place a single leg and diagnose it against ``exp`` (else the plan's)."""
        out = await self.route.place(leg)
        diag = diagnose_sip_outcome(out, exp or self.exp)
        return SimulationResult(scenario, out, diag, [out])

    async def run(self, scenario: str, *, number: str | None, release_lockout: bool):
        """Dispatch ``scenario`` (validated by ``simulate``)."""
        from wizard.verify.sipcalls import OUTSIDE_SOURCE

        wrong = {"username": self.exp.username or "byon_user",
                 "password": (self.password or "x") + "-wrong"}  # fmt: skip
        if scenario == "correct":
            return await self.one(scenario, self.leg())
        if scenario == "number_in_uri":
            digits = digits_only(number or await self._app_number())
            return await self.one(scenario, self.leg(request_uri=sip_uri(digits)))
        if scenario == "wrong_ip":
            return await self.one(scenario, self.leg(source=OUTSIDE_SOURCE))
        if scenario == "missing_credentials":
            return await self.one(scenario, self.leg(username=None, password=None))
        if scenario == "wrong_password":
            return await self.one(scenario, self.leg(**wrong))
        if scenario == "lockout":
            return await self._lockout(self.leg(source=OUTSIDE_SOURCE, **wrong), release_lockout)
        if scenario == "open_app":
            return await self._open_app()
        if scenario == "invalid_xml":
            return await self._invalid_xml(scenario, self.leg())
        if scenario == "intermittent":
            return await self._intermittent()
        if scenario.startswith("did_"):
            return await self._did(scenario)
        return await self.one(scenario, self.leg(request_uri=sip_uri("nobody")))

    async def _app_number(self) -> str:
        if self.exp.plivo_number:
            return self.exp.plivo_number
        nums = [n for n in await self.client.list_numbers() if n.app_id == self.exp.app_id]
        if not nums:
            raise ByonError(
                f"No number of the account is assigned to app {self.exp.app_id}; cannot "
                "simulate a phone number in the Request-URI."
            )
        return nums[0].number

    async def _lockout(self, leg: Any, release: bool) -> SimulationResult:
        outcomes, failures = [], 0
        for _ in range(11):
            out = await self.route.place(leg)
            if int(out.get("sip_status") or 0) == 403:
                failures += 1
            out["recent_failures"] = failures
            outcomes.append(out)
        last = outcomes[-1]
        diag = diagnose_sip_outcome(last, self.exp)
        if release:  # the demo goes on: the emulator's clock moves past the lock
            async with self.http.post(f"{self.api_url}/__emulator__/clock", json={"advance": 61}):
                pass
            # said, so a later call from that IP passing does not contradict the diagnosis
            diag = replace(diag, fix=f"{diag.fix} {LOCK_RELEASED}".strip())
        return SimulationResult("lockout", last, diag, outcomes)

    async def _open_app(self) -> SimulationResult:
        from wizard.verify.sipcalls import OUTSIDE_SOURCE

        app_id = self.exp.app_id if self.exp.auth_type == "none" else ""
        if not app_id:
            open_apps = [a for a in await self.client.list_applications() if not a.sip_auth_type]
            if not open_apps:
                raise ByonError("The account has no application with an open SIP URI.")
            app_id = open_apps[0].app_id
        open_exp = Expectation(auth_type="none", app_id=app_id, option="direct_sip")
        leg = self.leg(request_uri=open_exp.uri(), source=OUTSIDE_SOURCE, username=None,
                       password=None)  # fmt: skip
        return await self.one("open_app", leg, open_exp)

    async def _invalid_xml(self, scenario: str, leg: Any) -> SimulationResult:
        out = await _with_broken_answer(self.client, self.exp.app_id, lambda: self.route.place(leg))
        if isinstance(out.get("callback"), dict):  # the broken server stood in for it
            # its signature was made for the stand-in's URL: kept to check it
            out["callback"]["signed_url"] = out["callback"].get("url")
            out["callback"]["url"] = self.exp.answer_url or "your answer_url"
        return SimulationResult(scenario, out, diagnose_sip_outcome(out, self.exp), [out])

    async def _intermittent(self) -> SimulationResult:
        """Calls alternate between the allowed and a disallowed source, each one signed the
        same way: the disallowed ones get the 403 the diagnosis speaks of."""
        from wizard.verify.sipcalls import OUTSIDE_SOURCE

        if not uses_ip_acl(self.exp.auth_type or ""):
            raise ByonError(
                "Rotating provider IPs only break calls under IP ACL authentication: "
                "credential auth does not check the source IP.",
                hint="Choose IP ACL (or ACL + credential) on the auth step to see this case.",
            )
        outcomes = [
            await self.route.place(self.leg()),
            await self.route.place(self.leg(source=OUTSIDE_SOURCE)),
            await self.route.place(self.leg()),
            await self.route.place(self.leg(source=OUTSIDE_SOURCE)),
        ]
        diag = diagnose_sip_outcomes(outcomes, self.exp)
        refused = [o for o in outcomes if int(o.get("sip_status") or 0) == 403]
        return SimulationResult("intermittent", (refused or outcomes)[-1], diag, outcomes)

    async def _did(self, scenario: str) -> SimulationResult:
        """DID forwarding: the provider forwards the call to the Plivo number, so it arrives
        with the number in the Request-URI and To, and no SIP authentication runs. The
        caller's number stays in From, as forwarding carriers keep the caller ID."""
        from wizard.emulator.seed import DEMO_NUMBER_FREE

        number = digits_only(self.exp.plivo_number or await self._app_number())
        if scenario == "did_unassigned":
            number = await self._unassigned_number(number) or DEMO_NUMBER_FREE
        leg = self.leg(request_uri=sip_uri(number), to=number, username=None, password=None)
        if scenario == "did_no_xml":
            return await self._invalid_xml(scenario, leg)
        out = await self.route.place(leg)
        diag = diagnose_sip_outcome(out, self.exp)
        if scenario == "did_unassigned" and diag.verdict == "fail":
            diag = unassigned_diagnosis(out, number, self.exp)
        return SimulationResult(scenario, out, diag, [out])

    async def _unassigned_number(self, own: str) -> str:
        """A number of the account that is not assigned to the plan's application."""
        for n in await self.client.list_numbers():
            if n.app_id != self.exp.app_id and digits_only(n.number) != own:
                return digits_only(n.number)
        return ""


def unassigned_diagnosis(out: dict[str, Any], number: str, exp: Expectation) -> Diagnosis:
    """The forwarded call reached a number that is not your application's."""
    reason = str(out.get("reason") or "").strip()
    said = f" (Plivo said: {reason})" if reason else ""
    mine = f" {exp.plivo_number}" if exp.plivo_number else ""
    return Diagnosis(
        "fail",
        f"The forwarded call arrived on +{number}, a number that is not assigned to your "
        f"application{said}: the provider forwards to the wrong number, or your "
        f"number{mine} is not linked to the app.",
        "Set your provider's forwarding destination to your Plivo number, and assign that "
        "number to the application (Numbers in the Plivo console, or the plan's "
        "[forwarding] table and byon apply).",
        "wrong_number",
    )


async def _with_broken_answer(client: Any, app_id: str, call: Callable[[], Awaitable[Any]]):
    """Point the (emulated) app at a local server that returns broken XML, for one call."""
    from aiohttp import web

    async def broken(_request: Any) -> Any:
        return web.Response(text="<Response><Speak>unclosed", content_type="application/xml")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", broken)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    original = await client.get_application(app_id)
    try:
        await client.update_application(app_id, answer_url=f"http://127.0.0.1:{port}/answer")
        return await call()
    finally:
        await client.update_application(
            app_id, answer_url=original.answer_url, answer_method=original.answer_method
        )
        await runner.cleanup()


async def place_test_call(
    client: Any, *, from_: str, to: str, answer_url: str, hangup_url: str | None = None
) -> str:
    """Call the external number from a Plivo number, so the call travels through the
    user's provider and back to the application. Returns Plivo's request_uuid."""
    return await client.create_call(
        from_=from_, to=to, answer_url=answer_url, answer_method="POST", hangup_url=hangup_url
    )
