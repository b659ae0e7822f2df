"""One async client (httpx) for every Plivo resource byon uses.

INTERFACE SKELETON: the types and signatures below are the contract that the
wizard, the CLI, apply, verify and the tests build on. Bodies marked
NotImplementedError are being filled in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_API_URL = "https://api.plivo.com"
SIP_DOMAIN = "app.plivo.com"
AUTH_TYPES = ("ip_acl", "credential", "ip_acl_and_credential")

Progress = Callable[[int, int], None]  # (done, total)


def api_url_from_env(explicit: str | None = None) -> str:
    """--api-url wins, then PLIVO_API_URL, then Plivo itself."""
    return (explicit or os.environ.get("PLIVO_API_URL") or DEFAULT_API_URL).rstrip("/")


def sip_uri(app_id: str) -> str:
    return f"sip:{app_id}@{SIP_DOMAIN}"


@dataclass(frozen=True)
class Account:
    auth_id: str
    name: str = ""
    account_type: str = ""
    cash_credits: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Application:
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
    credential_uuid: str
    username: str
    realm: str = SIP_DOMAIN
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class IpAcl:
    ip_acl_uuid: str
    name: str
    ip_addresses: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Number:
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
    number: str
    country: str = ""
    region: str = ""
    type: str = ""
    setup_rate: str = ""
    monthly_rental_rate: str = ""
    voice_enabled: bool = True
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class PlivoClient:
    """Async Plivo REST client. Use as ``async with PlivoClient(...) as c:``.

    The auth token is held privately and never appears in repr, logs or errors.
    """

    def __init__(
        self,
        auth_id: str,
        auth_token: str,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        deadline: float = 30.0,
        max_concurrency: int = 8,
    ) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> PlivoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        raise NotImplementedError

    # account
    async def get_account(self) -> Account:
        raise NotImplementedError

    # applications
    async def list_applications(
        self, *, app_name: str | None = None, progress: Progress | None = None
    ) -> list[Application]:
        raise NotImplementedError

    async def get_application(self, app_id: str) -> Application:
        raise NotImplementedError

    async def create_application(
        self,
        *,
        app_name: str,
        answer_url: str,
        answer_method: str = "POST",
        hangup_url: str | None = None,
        hangup_method: str | None = None,
        sip_auth_type: str | None = None,
        ip_acl_uuid: str | None = None,
        credential_uuid: str | None = None,
    ) -> Application:
        raise NotImplementedError

    async def update_application(self, app_id: str, **fields: Any) -> None:
        raise NotImplementedError

    async def delete_application(self, app_id: str) -> None:
        raise NotImplementedError

    # SIP credentials
    async def list_credentials(self, *, progress: Progress | None = None) -> list[Credential]:
        raise NotImplementedError

    async def get_credential(self, credential_uuid: str) -> Credential:
        raise NotImplementedError

    async def create_credential(self, username: str, password: str) -> Credential:
        raise NotImplementedError

    async def update_credential(self, credential_uuid: str, password: str) -> None:
        raise NotImplementedError

    async def delete_credential(self, credential_uuid: str) -> None:
        raise NotImplementedError

    # IP ACLs
    async def list_ip_acls(self, *, progress: Progress | None = None) -> list[IpAcl]:
        raise NotImplementedError

    async def get_ip_acl(self, ip_acl_uuid: str) -> IpAcl:
        raise NotImplementedError

    async def create_ip_acl(self, name: str, ip_addresses: list[str]) -> IpAcl:
        raise NotImplementedError

    async def update_ip_acl(
        self, ip_acl_uuid: str, *, name: str | None = None, ip_addresses: list[str] | None = None
    ) -> None:
        raise NotImplementedError

    async def delete_ip_acl(self, ip_acl_uuid: str) -> None:
        raise NotImplementedError

    # rented numbers
    async def list_numbers(self, *, progress: Progress | None = None) -> list[Number]:
        raise NotImplementedError

    async def get_number(self, number: str) -> Number:
        raise NotImplementedError

    async def assign_number(self, number: str, app_id: str | None, *, alias: str | None = None):
        raise NotImplementedError

    # phone number search / buy
    async def search_phone_numbers(
        self, country_iso: str, *, type: str | None = None, pattern: str | None = None,
        limit: int = 20,
    ) -> list[AvailableNumber]:
        raise NotImplementedError

    async def buy_phone_number(self, number: str, *, app_id: str | None = None) -> Number:
        raise NotImplementedError

    # calls
    async def create_call(
        self, *, from_: str, to: str, answer_url: str, answer_method: str = "POST",
        hangup_url: str | None = None,
    ) -> str:
        """Places a call; returns Plivo's request_uuid."""
        raise NotImplementedError
