"""Provider routes and Call create: the emulator plays the external provider's part."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from wizard.emulator.callrecords import (
    INVALID_DESTINATION,
    OUT_OF_SERVICE,
    close_call,
    completed,
    new_record,
    open_call,
)
from wizard.emulator.records import CallRecord
from wizard.emulator.state import REALM, ha1
from wizard.numbers import digits_only
from wizard.plivo.facts import sip_uri

if TYPE_CHECKING:
    from wizard.emulator.server import Emulator

# Guess: the address a forwarding provider's calls come from when the route names none
# (TEST-NET-2, documentation-only space).
DEFAULT_PROVIDER_IP = "198.51.100.10"


class RouteError(ValueError):
    """A provider route that cannot be used; the message names the field."""


def _text(route: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = route.get(key)
    if value is None or value == "":
        if required:
            raise RouteError(f"{key} is required")
        return None
    if not isinstance(value, str):
        raise RouteError(f"{key} must be a string")
    return value


def parse_route(route: Any) -> dict[str, Any]:
    """Validated route; a SIP password is kept only as its HA1 digest."""
    if not isinstance(route, dict):
        raise RouteError("a provider route is a JSON object")
    raw_number = _text(route, "number", required=True)
    assert raw_number is not None
    number = digits_only(raw_number)
    if not number.isdigit():
        raise RouteError(f"number {raw_number!r} is not a phone number")
    mode = route.get("mode")
    if mode == "forward":
        target = _text(route, "target", required=True)
        assert target is not None
        target = digits_only(target)
        if not target.isdigit():
            raise RouteError("target must be the Plivo number calls are forwarded to")
        source_ip = _text(route, "source_ip", required=False) or DEFAULT_PROVIDER_IP
        _check_ip(source_ip)
        return {"number": number, "mode": "forward", "target": target, "source_ip": source_ip}
    if mode == "sip":
        request_uri = _text(route, "request_uri", required=True)
        source_ip = _text(route, "source_ip", required=True)
        assert source_ip is not None
        _check_ip(source_ip)
        username = _text(route, "username", required=False)
        password = _text(route, "password", required=False)
        if password is not None and username is None:
            raise RouteError("a password needs a username")
        return {
            "number": number,
            "mode": "sip",
            "request_uri": request_uri,
            "source_ip": source_ip,
            "username": username,
            "ha1": ha1(username, password, REALM) if username and password is not None else None,
        }
    raise RouteError('mode must be "forward" or "sip"')


def _check_ip(value: str) -> None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise RouteError(f"source_ip {value!r} is not an IP address") from None


def call_api_record(entry: dict[str, Any]) -> CallRecord:
    """The ``GET /__emulator__/calls`` record of one Call API call (its provider route kept
    as ``provider_route``: ``route`` there names how the call reached the edge)."""
    record = CallRecord("call_api", source=entry.get("source_ip"), call_uuid=entry.get("call_uuid"))
    record.sip_status, record.reason = entry.get("sip_status"), entry.get("reason") or ""
    record.extra = {k: v for k, v in entry.items() if k not in ("route", "sip_status", "reason")}
    record.extra["provider_route"] = entry.get("route")
    return record


async def place_call(
    emu: Emulator, request_uuid: str, from_: str, to: str, call_uuid: str | None = None
) -> dict[str, Any]:
    """Deliver one outbound leg (``call_uuid``, default the request_uuid, as Plivo names an
    outbound call); the leg's record and the inbound outcome are appended to ``emu.calls``."""
    dest = digits_only(to)
    now = emu.clock.now()
    entry: dict[str, Any] = {"request_uuid": request_uuid, "from": from_, "to": to, "time": now}
    leg = new_record(
        call_uuid or request_uuid, from_, to, direction="outbound", initiated=now,
        request_uuid=request_uuid,
    )  # fmt: skip
    open_call(emu, leg)  # live (ringing) while the provider delivers the call
    try:
        outcome = await _deliver(emu, entry, dest, from_, to)
    except BaseException:
        close_call(leg, OUT_OF_SERVICE, "Error", emu.clock.now())
        raise
    entry.update(outcome)
    _end_leg(leg, entry, emu.clock.now())
    entry["outbound_leg"] = leg
    emu.state.calls.append(entry)
    emu.records.add(call_api_record(entry))
    emu.changed()
    return entry


def _end_leg(leg: dict[str, Any], entry: dict[str, Any], now: float) -> None:
    """The outbound leg ends with its delivery: answered when Plivo answered the inbound leg
    (which the HTTP route answers and ends at once), failed otherwise."""
    if entry.get("sip_status") == 200:
        completed(leg, now, now)
    elif entry.get("route") is None:
        # Guess: the emulator cannot reach a number no route names: an invalid destination
        close_call(leg, INVALID_DESTINATION, "Plivo", now)
    else:
        # Guess: the provider's INVITE was refused, so its carrier fails the call back
        close_call(leg, OUT_OF_SERVICE, "Carrier", now)


async def _deliver(
    emu: Emulator, entry: dict[str, Any], dest: str, from_: str, to: str
) -> dict[str, Any]:
    """Play the provider's part for one destination; ``entry`` gets the route and legs."""
    route = emu.state.providers.get(dest)
    if route is not None and route["mode"] == "sip":
        entry["route"] = "sip"
        entry["legs"] = ["caller -> provider", "provider -> Plivo (SIP INVITE)"]
        entry["request_uri"] = route["request_uri"]
        entry["source_ip"] = route["source_ip"]
        outcome = await emu.edge.invite(
            request_uri=route["request_uri"],
            source_ip=route["source_ip"],
            from_=from_,
            to=dest,
            username=route.get("username"),
            password_ha1=route.get("ha1"),
            route=None,
        )
    elif route is not None:
        entry["route"] = "forward"
        entry["legs"] = [
            "caller -> provider",
            "provider -> Plivo number (outbound forward)",
            "Plivo number inbound",
        ]
        # A forwarded call reaches Plivo on the number: phone-number Request-URI semantics.
        entry["request_uri"] = sip_uri(route["target"])
        entry["source_ip"] = route["source_ip"]
        outcome = await emu.edge.invite(
            request_uri=entry["request_uri"],
            source_ip=route["source_ip"],
            from_=from_,
            to=route["target"],
            forwarded_from=dest,
            route=None,
        )
    elif dest in emu.state.numbers:
        # Guess: calling a number this account rents arrives on it directly, as an inbound call.
        entry["route"] = "plivo_number"
        entry["legs"] = ["Plivo -> Plivo number"]
        entry["request_uri"] = sip_uri(dest)
        entry["source_ip"] = DEFAULT_PROVIDER_IP
        outcome = await emu.edge.invite(
            request_uri=entry["request_uri"],
            source_ip=DEFAULT_PROVIDER_IP,
            from_=from_,
            to=dest,
            route=None,
        )
    else:
        entry["route"] = None
        outcome = {
            "sip_status": None,
            "reason": f"no provider route is registered for {to}, so the call went nowhere; "
            "register one with POST /__emulator__/provider",
        }
    return outcome
