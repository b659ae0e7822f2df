"""Simulated test calls for demo mode: each troubleshooting row, played on the emulator.

The emulator's SIP edge (``/__emulator__/inbound``, over HTTP) plays the
provider's part; the callback of a call that gets through reaches whatever the
application points at (the listener, during verification) as a real signed
request. Only ever run against a local emulator.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wizard.errors import ByonError
from wizard.verify.diagnose import (
    Diagnosis,
    Expectation,
    diagnose_sip_outcome,
    diagnose_sip_outcomes,
    ip_in_entries,
)


@dataclass(frozen=True)
class Simulation:
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
    )
}

BAD_IPS = ("198.51.100.200", "203.0.113.250", "192.0.2.200", "198.18.0.200")
DEFAULT_GOOD_IP = "203.0.113.10"


@dataclass
class SimulationResult:
    scenario: str
    outcome: dict[str, Any]
    diagnosis: Diagnosis
    outcomes: list[dict[str, Any]] = field(default_factory=list)


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
        auth_id, token = auth or (
            os.environ.get("PLIVO_AUTH_ID", ""),
            os.environ.get("PLIVO_AUTH_TOKEN", ""),
        )
        return target.rstrip("/"), auth_id, token
    return target.api_url.rstrip("/"), target.auth_id, target.auth_token


def _require_loopback(api_url: str) -> None:
    host = urlsplit(api_url).hostname or ""
    if host not in ("127.0.0.1", "::1", "localhost"):
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
    """Play one SIMULATIONS scenario on the emulator's SIP edge and diagnose it.

    ``target`` is an Emulator (in-process) or the api_url of `byon emulator`.
    The call's answer_url callback reaches whatever the application points at
    (the listener, during verification) as a real signed request.
    """
    if scenario not in SIMULATIONS:
        raise ByonError(
            f"Unknown scenario {scenario!r}.", hint=f"Pick one of: {', '.join(SIMULATIONS)}."
        )
    api_url, auth_id, token = _target(target, auth)
    _require_loopback(api_url)
    from aiohttp import ClientSession, ClientTimeout

    from wizard.plivo.client import PlivoClient

    exp = expectation
    kind = exp.auth_type or ""
    uses_cred = kind in ("credential", "ip_acl_and_credential")
    if (
        scenario
        in ("correct", "number_in_uri", "wrong_ip", "wrong_password", "invalid_xml", "intermittent")
        and uses_cred
        and not password
    ):
        raise ByonError(
            "This simulation needs the SIP password to play the provider's part.",
            hint="Pass the password the plan's password_env names.",
        )
    if not exp.app_id and scenario not in ("open_app", "unknown_uri"):
        raise ByonError("Simulating a call needs the application's app_id (apply the plan first).")
    creds = {"username": exp.username, "password": password} if uses_cred else {}
    good = {"request_uri": exp.uri(), "source_ip": _good_ip(exp), "from": from_, **creds}

    async with (
        ClientSession(timeout=ClientTimeout(total=30)) as http,
        PlivoClient(auth_id, token, base_url=api_url, deadline=10.0) as client,
    ):

        async def inbound(**call: Any) -> dict[str, Any]:
            body = {k: v for k, v in call.items() if v is not None}
            async with http.post(f"{api_url}/__emulator__/inbound", json=body) as resp:
                answer = await resp.json()
                if resp.status >= 400 and "sip_status" not in answer:
                    raise ByonError(f"The emulator refused the simulated call: {answer}.")
            out = dict(answer)
            out.setdefault("source_ip", call.get("source_ip"))
            out.setdefault("request_uri", call.get("request_uri"))
            if call.get("username"):
                out.setdefault("username", call["username"])
            return out

        if scenario == "correct":
            out = await inbound(**good)
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])
        if scenario == "number_in_uri":
            num = number or exp.plivo_number
            if not num:
                nums = [n for n in await client.list_numbers() if n.app_id == exp.app_id]
                if not nums:
                    raise ByonError(
                        f"No number of the account is assigned to app {exp.app_id}; cannot "
                        "simulate a phone number in the Request-URI."
                    )
                num = nums[0].number
            digits = "".join(ch for ch in num if ch.isdigit())
            out = await inbound(**{**good, "request_uri": f"sip:{digits}@app.plivo.com"})
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])
        if scenario == "wrong_ip":
            out = await inbound(**{**good, "source_ip": _bad_ip(exp)})
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])
        if scenario == "missing_credentials":
            call = {**good, "username": None, "password": None}
            out = await inbound(**call)
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])
        if scenario == "wrong_password":
            call = {
                **good,
                "username": exp.username or "byon_user",
                "password": (password or "") + "-wrong",
            }
            out = await inbound(**call)
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])
        if scenario == "lockout":
            call = {
                **good,
                "source_ip": _bad_ip(exp),
                "username": exp.username or "byon_user",
                "password": (password or "x") + "-wrong",
            }
            outcomes = []
            failures = 0
            for _ in range(11):
                out = await inbound(**call)
                if int(out.get("sip_status") or 0) == 403:
                    failures += 1
                out["recent_failures"] = failures
                outcomes.append(out)
            last = outcomes[-1]
            diag = diagnose_sip_outcome(last, exp)
            if release_lockout:
                async with http.post(f"{api_url}/__emulator__/clock", json={"advance": 61}):
                    pass
            return SimulationResult(scenario, last, diag, outcomes)
        if scenario == "open_app":
            app_id = exp.app_id if exp.auth_type == "none" else ""
            if not app_id:
                open_apps = [a for a in await client.list_applications() if not a.sip_auth_type]
                if not open_apps:
                    raise ByonError("The account has no application with an open SIP URI.")
                app_id = open_apps[0].app_id
            open_exp = Expectation(auth_type="none", app_id=app_id, option="direct_sip")
            call = {"request_uri": open_exp.uri(), "source_ip": _bad_ip(exp), "from": from_}
            out = await inbound(**call)
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, open_exp), [out])
        if scenario == "invalid_xml":
            out = await _with_broken_answer(client, exp.app_id, lambda: inbound(**good))
            if isinstance(out.get("callback"), dict):  # the broken server stood in for it
                out["callback"]["url"] = exp.answer_url or "your answer_url"
            return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])
        if scenario == "intermittent":
            if kind not in ("ip_acl", "ip_acl_and_credential"):
                raise ByonError(
                    "Rotating provider IPs only break calls under IP ACL authentication: "
                    "credential auth does not check the source IP.",
                    hint="Choose IP ACL (or ACL + credential) on the auth step to see this case.",
                )
            outcomes = [
                await inbound(**good),
                await inbound(**{**good, "source_ip": _bad_ip(exp)}),
                await inbound(**good),
            ]
            diag = diagnose_sip_outcomes(outcomes, exp)
            return SimulationResult(scenario, outcomes[-1], diag, outcomes)
        # unknown_uri
        out = await inbound(**{**good, "request_uri": "sip:nobody@app.plivo.com"})
        return SimulationResult(scenario, out, diagnose_sip_outcome(out, exp), [out])


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
