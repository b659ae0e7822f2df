"""Typed results of the Plivo client, and the parsing of Plivo's JSON into them.

Every parser is lenient (missing fields become "" or the documented default) and
keeps the full answer in ``raw``, so a field byon does not model is never lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wizard.plivo.facts import SIP_DOMAIN, sip_uri


@dataclass(frozen=True)
class Account:
    """The account as Plivo describes it: auth id, name, type and cash credit (a string)."""

    auth_id: str
    name: str = ""
    account_type: str = ""
    cash_credits: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Application:
    """A Plivo application: its callback URLs, SIP URI and SIP auth settings."""

    app_id: str
    app_name: str
    answer_url: str = ""
    answer_method: str = "POST"
    hangup_url: str = ""
    hangup_method: str = "POST"
    sip_uri: str = ""
    sip_auth_type: str = ""  # "" = open: no SIP authentication runs
    ip_acl_uuid: str = ""
    credential_uuid: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Credential:
    """A SIP credential: uuid, username and realm; Plivo never returns the password."""

    credential_uuid: str
    username: str
    realm: str = SIP_DOMAIN
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class IpAcl:
    """An IP access control list: uuid, name and the trusted addresses or CIDR ranges."""

    ip_acl_uuid: str
    name: str
    ip_addresses: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Number:
    """A number the account rents, and the application it points at."""

    number: str  # digits, no "+", as Plivo returns it
    alias: str = ""
    app_id: str = ""  # parsed from the `application` URI; "" when unassigned
    number_type: str = ""
    region: str = ""
    voice_enabled: bool = True
    monthly_rental_rate: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class AvailableNumber:
    """A number for sale from a PhoneNumber search, with its rates (strings, as Plivo sends)."""

    number: str
    country: str = ""
    region: str = ""
    type: str = ""
    setup_rate: str = ""
    monthly_rental_rate: str = ""
    voice_enabled: bool = True
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _s(value: Any) -> str:
    return "" if value is None else str(value)


def _bool(value: Any, default: bool = True) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


_APP_IN_URI = re.compile(r"/Application/([^/]+)/?$")


def app_id_from_uri(uri: Any) -> str:
    """``/v1/Account/MA…/Application/123/`` -> ``"123"``; "" for null or anything else."""
    if not uri:
        return ""
    m = _APP_IN_URI.search(str(uri))
    return m.group(1) if m else ""


def parse_account(d: dict[str, Any]) -> Account:
    """An Account from Plivo's JSON; missing fields become ""."""
    return Account(
        auth_id=_s(d.get("auth_id")),
        name=_s(d.get("name")),
        account_type=_s(d.get("account_type")),
        cash_credits=_s(d.get("cash_credits")),
        raw=d,
    )


def parse_application(d: dict[str, Any]) -> Application:
    """An Application from Plivo's JSON; methods default to POST, a missing sip_uri is built."""
    app_id = _s(d.get("app_id"))
    return Application(
        app_id=app_id,
        app_name=_s(d.get("app_name")),
        answer_url=_s(d.get("answer_url")),
        answer_method=_s(d.get("answer_method")) or "POST",
        hangup_url=_s(d.get("hangup_url")),
        hangup_method=_s(d.get("hangup_method")) or "POST",
        sip_uri=_s(d.get("sip_uri")) or (sip_uri(app_id) if app_id else ""),
        sip_auth_type=_s(d.get("sip_auth_type")),
        ip_acl_uuid=_s(d.get("ip_acl_uuid")),
        credential_uuid=_s(d.get("credential_uuid")),
        raw=d,
    )


def parse_credential(d: dict[str, Any]) -> Credential:
    """A Credential from Plivo's JSON; the realm defaults to app.plivo.com."""
    return Credential(
        credential_uuid=_s(d.get("credential_uuid")),
        username=_s(d.get("username")),
        realm=_s(d.get("realm")) or SIP_DOMAIN,
        raw=d,
    )


def parse_ip_acl(d: dict[str, Any]) -> IpAcl:
    """An IpAcl from Plivo's JSON; addresses may come as a list or one comma-separated string."""
    addresses = d.get("ip_addresses") or ()
    if isinstance(addresses, str):
        addresses = [a.strip() for a in addresses.split(",") if a.strip()]
    return IpAcl(
        ip_acl_uuid=_s(d.get("ip_acl_uuid")),
        name=_s(d.get("name")),
        ip_addresses=tuple(_s(a) for a in addresses),
        raw=d,
    )


def parse_number(d: dict[str, Any]) -> Number:
    """A Number from Plivo's JSON; app_id comes from the `application` URI (or an app_id field)."""
    return Number(
        number=_s(d.get("number")),
        alias=_s(d.get("alias")),
        app_id=app_id_from_uri(d.get("application")) or _s(d.get("app_id")),
        number_type=_s(d.get("number_type")),
        region=_s(d.get("region")),
        voice_enabled=_bool(d.get("voice_enabled")),
        monthly_rental_rate=_s(d.get("monthly_rental_rate")),
        raw=d,
    )


def parse_available_number(d: dict[str, Any]) -> AvailableNumber:
    """An AvailableNumber from a search result; voice_enabled defaults to True."""
    return AvailableNumber(
        number=_s(d.get("number")),
        country=_s(d.get("country")),
        region=_s(d.get("region")),
        type=_s(d.get("type")),
        setup_rate=_s(d.get("setup_rate")),
        monthly_rental_rate=_s(d.get("monthly_rental_rate")),
        voice_enabled=_bool(d.get("voice_enabled")),
        raw=d,
    )


def same_value(key: str, stored: Any, sent: Any) -> bool:
    """Whether a stored field holds what was sent; Plivo upper-cases HTTP methods."""
    if key.endswith("_method"):
        return _s(stored).upper() == _s(sent).upper()
    return _s(stored) == _s(sent)
