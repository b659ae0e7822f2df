"""One async client (httpx) for every Plivo resource byon uses.

Shapes follow shared/reference/plivo-api.md. The client walks every page of a
list (pages fetched concurrently once the total is known), retries transient
failures within a total deadline, and never blindly repeats a create: after an
ambiguous failure it first looks the resource up by its natural key.

httpx is imported inside the client, so importing this module for its types
(or ``sip_uri``) stays cheap. The transport (retries, paging) is in http.py, the
typed results in types.py, the error sentences in errors.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from wizard import __version__
from wizard.errors import NetworkError, NotFound, PlivoError, basic_form, scrub
from wizard.net import is_loopback_host
from wizard.numbers import digits_only
from wizard.plivo.env import DEFAULT_API_URL, api_url_from_env
from wizard.plivo.errors import error_text, http_error, network_error
from wizard.plivo.facts import AUTH_TYPES, SIP_DOMAIN, sip_uri
from wizard.plivo.http import (
    BACKOFF_CAP,
    IDEMPOTENT,
    NO_REPEAT,
    PAGE_LIMIT,
    SCRUBBED_LOGGERS,
    Op,
    Progress,
    Recovered,
    RequestHook,
    ScrubLog,
    Secret,
    Transport,
    backoff_delay,
    merge_pages,
    parse_retry_after,
    tls_context_for,
)
from wizard.plivo.types import (
    Account,
    Application,
    AvailableNumber,
    Credential,
    IpAcl,
    Number,
    _s,
    app_id_from_uri,
    parse_account,
    parse_application,
    parse_available_number,
    parse_credential,
    parse_ip_acl,
    parse_number,
    same_value,
)

if TYPE_CHECKING:
    import httpx

# Names other modules import from here, where they lived before the split.
__all__ = [
    "AUTH_TYPES",
    "BACKOFF_CAP",
    "DEFAULT_API_URL",
    "IDEMPOTENT",
    "PAGE_LIMIT",
    "SIP_DOMAIN",
    "Account",
    "Application",
    "AvailableNumber",
    "Credential",
    "IpAcl",
    "Number",
    "PlivoClient",
    "Progress",
    "api_url_from_env",
    "app_id_from_uri",
    "backoff_delay",
    "error_text",
    "merge_pages",
    "parse_available_number",
    "parse_number",
    "parse_retry_after",
    "sip_uri",
]

_Op, _Recovered, _Secret = Op, Recovered, Secret  # the names the resource methods use

USER_AGENT = f"byon/{__version__}"
CREDENTIAL_PATH = "SipAuth/Credential"
# Assumption (plivo-api.md section 12): the IP ACL resource sits under SipAuth/ with this
# path and the id field `ip_acl_uuid`; Plivo's pages read so far do not show it.
IP_ACL_PATH = "SipAuth/IPAccessControlList"


class PlivoClient(Transport):
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
        import httpx

        self._auth_id = auth_id
        self._base_url = api_url_from_env(base_url, token=auth_token)
        self._timeout = float(timeout)
        self._deadline = float(deadline)
        self._max_concurrency = max(1, int(max_concurrency))
        # Kept only to scrub them out of any text that might reach a message or a log.
        self._token = _Secret(auth_token)
        self._basic = _Secret(basic_form(auth_id, auth_token))
        self._log_filter = ScrubLog(self._secrets)
        for name in SCRUBBED_LOGGERS:
            logging.getLogger(name).addFilter(self._log_filter)
        self._prefix = f"/v1/Account/{quote(auth_id, safe='')}/"
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self.on_request: RequestHook | None = None  # the wizard's activity pane listens here
        host = urlsplit(self._base_url).hostname or ""
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            verify=tls_context_for(self._base_url),
            auth=httpx.BasicAuth(auth_id, auth_token),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=self._timeout,
            follow_redirects=False,
            # A proxy from the environment must never carry loopback (emulator) traffic.
            trust_env=not is_loopback_host(host),
            limits=httpx.Limits(max_connections=max(10, self._max_concurrency * 2)),
        )

    @property
    def auth_id(self) -> str:
        """The account's auth id (MA… or SA…): the half of the pair that is safe to show."""
        return self._auth_id

    @property
    def deadline(self) -> float:
        """Seconds one call may spend on retries before its typed error is raised."""
        return self._deadline

    @deadline.setter
    def deadline(self, seconds: float) -> None:
        self._deadline = float(seconds)

    @property
    def base_url(self) -> str:
        """The checked REST base in use (--api-url, else PLIVO_API_URL, else Plivo's)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"PlivoClient(auth_id={self._auth_id!r}, base_url={self._base_url!r})"

    async def __aenter__(self) -> PlivoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool and take this client's scrub filter off the shared loggers."""
        for name in SCRUBBED_LOGGERS:
            logging.getLogger(name).removeFilter(self._log_filter)
        await self._http.aclose()

    close = aclose

    # ------------------------------------------------------------ transport

    def _path(self, resource: str = "", *ids: str) -> str:
        parts = [p.strip("/") for p in (resource, *(quote(str(i), safe="") for i in ids)) if p]
        return self._prefix + "".join(f"{p}/" for p in parts)

    def _secrets(self) -> tuple[str, ...]:
        return (self._token.reveal(), self._basic.reveal())

    def _scrub(self, text: str, extra: tuple[str, ...] = ()) -> str:
        return scrub(text, (*self._secrets(), *extra))

    def _scrub_obj(self, obj: Any, extra: tuple[str, ...]) -> Any:
        if isinstance(obj, str):
            return self._scrub(obj, extra)
        if isinstance(obj, dict):
            # keys too: a server may name a field after the secret it was sent
            return {self._scrub_obj(k, extra): self._scrub_obj(v, extra) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self._scrub_obj(v, extra) for v in obj]
        return obj

    def _network_error(self, exc: Exception, method: str, path: str, secrets) -> NetworkError:
        return network_error(
            exc,
            method,
            path,
            base_url=self._base_url,
            timeout=self._timeout,
            scrub=lambda text: self._scrub(text, secrets),
        )

    def _http_error(
        self, resp: httpx.Response, method: str, path: str, op: _Op, secrets
    ) -> PlivoError:
        return http_error(
            resp,
            method,
            path,
            op,
            auth_id=self._auth_id,
            scrub=lambda error: self._scrub_obj(error, secrets),
        )

    # ------------------------------------------------------------ account

    async def get_account(self) -> Account:
        """The account's name, type and credit; AuthError when the id/token pair is refused."""
        data = await self._request("GET", self._path(), op=_Op("read the account"))
        return parse_account(data)

    # ------------------------------------------------------------ applications

    async def list_applications(
        self, *, app_name: str | None = None, progress: Progress | None = None
    ) -> list[Application]:
        """Every application, all pages; an ``app_name`` match must be exact (Plivo's is loose)."""
        rows = await self._list(
            "Application",
            "app_id",
            _Op("list applications"),
            params={"app_name": app_name},
            progress=progress,
        )
        apps = [parse_application(r) for r in rows]
        if app_name is not None:  # the server filter is a convenience; the match must be exact
            apps = [a for a in apps if a.app_name == app_name]
        return apps

    async def get_application(self, app_id: str) -> Application:
        """One application by id, with its SIP auth fields; NotFound when there is none."""
        data = await self._request(
            "GET",
            self._path("Application", app_id),
            op=_Op(f"read application {app_id}", "Application", app_id),
        )
        return parse_application(data)

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
        """Create an app; after a lost answer, a same-named app holding exactly these fields
        is taken as ours, never made twice. hangup_url defaults to answer_url, as at Plivo."""
        body = {
            "app_name": app_name,
            "answer_url": answer_url,
            "answer_method": answer_method,
            "hangup_url": hangup_url,
            "hangup_method": hangup_method,
            # Not in SDK 4.63.0; sent as raw JSON fields as the SipAuth docs describe.
            "sip_auth_type": sip_auth_type,
            "ip_acl_uuid": ip_acl_uuid,
            "credential_uuid": credential_uuid,
        }
        sent = {k: v for k, v in body.items() if v is not None}

        async def lookup() -> Application | None:
            # Ours only if it carries what we sent: a same-named app that differs is someone
            # else's, and a new one is still needed.
            for app in await self.list_applications(app_name=app_name):
                if all(same_value(k, app.raw.get(k), v) for k, v in sent.items()):
                    return app
            return None

        data = await self._create(
            "Application", body, _Op(f"create application '{app_name}'"), lookup
        )
        if isinstance(data, _Recovered):
            return data.value
        merged = {"hangup_url": answer_url, "hangup_method": "POST", **sent, **data}
        return parse_application(merged)

    async def update_application(self, app_id: str, **fields: Any) -> None:
        """Change the given fields; None values are not sent, "" clears (sip_auth_type="")."""
        await self._request(
            "POST",
            self._path("Application", app_id),
            op=_Op(f"update application {app_id}", "Application", app_id),
            body=fields,
        )

    async def delete_application(self, app_id: str) -> None:
        """Delete an application; a 404 after a lost first answer counts as done."""
        await self._request(
            "DELETE",
            self._path("Application", app_id),
            op=_Op(f"delete application {app_id}", "Application", app_id),
        )

    # ------------------------------------------------------------ SIP credentials

    async def list_credentials(self, *, progress: Progress | None = None) -> list[Credential]:
        """Every SIP credential (username and realm only: Plivo never returns a password)."""
        rows = await self._list(
            CREDENTIAL_PATH, "credential_uuid", _Op("list SIP credentials"), progress=progress
        )
        return [parse_credential(r) for r in rows]

    async def get_credential(self, credential_uuid: str) -> Credential:
        """One SIP credential by uuid; NotFound when it is gone."""
        data = await self._request(
            "GET",
            self._path(CREDENTIAL_PATH, credential_uuid),
            op=_Op(f"read credential {credential_uuid}", "Credential", credential_uuid),
        )
        return parse_credential(data)

    async def create_credential(self, username: str, password: str) -> Credential:
        """Create a SIP credential; the password is scrubbed from errors and logs and never kept.
        After a lost answer the username (unique per account) finds the one made."""

        async def lookup() -> Credential | None:
            found = [c for c in await self.list_credentials() if c.username == username]
            return found[0] if found else None

        data = await self._create(
            CREDENTIAL_PATH,
            {"username": username, "password": password},
            _Op(f"create SIP credential '{username}'"),
            lookup,
            secrets=(password,),
        )
        if isinstance(data, _Recovered):
            return data.value
        # The password never goes into `raw`: only what Plivo answered, plus the username.
        return parse_credential({"username": username, **data})

    async def update_credential(self, credential_uuid: str, password: str) -> None:
        """Set a credential's new password (Plivo cannot rename one); the password is scrubbed."""
        await self._request(
            "POST",
            self._path(CREDENTIAL_PATH, credential_uuid),
            op=_Op(f"update credential {credential_uuid}", "Credential", credential_uuid),
            body={"password": password},
            secrets=(password,),
        )

    async def delete_credential(self, credential_uuid: str) -> None:
        """Delete a SIP credential; Plivo refuses (409) while an application still uses it."""
        await self._request(
            "DELETE",
            self._path(CREDENTIAL_PATH, credential_uuid),
            op=_Op(f"delete credential {credential_uuid}", "Credential", credential_uuid),
        )

    # ------------------------------------------------------------ IP ACLs

    async def list_ip_acls(self, *, progress: Progress | None = None) -> list[IpAcl]:
        """Every IP access control list with its addresses (path assumed: plivo-api.md §12)."""
        rows = await self._list(
            IP_ACL_PATH, "ip_acl_uuid", _Op("list IP access control lists"), progress=progress
        )
        return [parse_ip_acl(r) for r in rows]

    async def get_ip_acl(self, ip_acl_uuid: str) -> IpAcl:
        """One IP access control list by uuid; NotFound when it is gone."""
        data = await self._request(
            "GET",
            self._path(IP_ACL_PATH, ip_acl_uuid),
            op=_Op(f"read IP access control list {ip_acl_uuid}", "IP ACL", ip_acl_uuid),
        )
        return parse_ip_acl(data)

    async def create_ip_acl(self, name: str, ip_addresses: list[str]) -> IpAcl:
        """Create an IP ACL; after a lost answer, one with this name and exactly these addresses
        is taken as ours (names need not be unique)."""
        wanted = sorted(ip_addresses)

        async def lookup() -> IpAcl | None:
            # Names need not be unique: ours is the one with exactly these entries.
            for acl in await self.list_ip_acls():
                if acl.name == name and sorted(acl.ip_addresses) == wanted:
                    return acl
            return None

        body = {"name": name, "ip_addresses": list(ip_addresses)}
        data = await self._create(
            IP_ACL_PATH, body, _Op(f"create IP access control list '{name}'"), lookup
        )
        if isinstance(data, _Recovered):
            return data.value
        return parse_ip_acl({**body, **data})

    async def update_ip_acl(
        self, ip_acl_uuid: str, *, name: str | None = None, ip_addresses: list[str] | None = None
    ) -> None:
        """Rename an IP ACL and/or replace its addresses; a None argument is left unchanged."""
        await self._request(
            "POST",
            self._path(IP_ACL_PATH, ip_acl_uuid),
            op=_Op(f"update IP access control list {ip_acl_uuid}", "IP ACL", ip_acl_uuid),
            body={
                "name": name,
                "ip_addresses": None if ip_addresses is None else list(ip_addresses),
            },
        )

    async def delete_ip_acl(self, ip_acl_uuid: str) -> None:
        """Delete an IP access control list; Plivo refuses (409) while an application uses it."""
        await self._request(
            "DELETE",
            self._path(IP_ACL_PATH, ip_acl_uuid),
            op=_Op(f"delete IP access control list {ip_acl_uuid}", "IP ACL", ip_acl_uuid),
        )

    # ------------------------------------------------------------ rented numbers

    async def list_numbers(self, *, progress: Progress | None = None) -> list[Number]:
        """Every number the account rents, with the app each points at ("" when unassigned)."""
        rows = await self._list("Number", "number", _Op("list rented numbers"), progress=progress)
        return [parse_number(r) for r in rows]

    async def get_number(self, number: str) -> Number:
        """One rented number; takes "+1415…" or digits (Plivo's paths use digits only)."""
        n = digits_only(number)
        data = await self._request(
            "GET", self._path("Number", n), op=_Op(f"read number {n}", "Number", n)
        )
        return parse_number(data)

    async def assign_number(
        self, number: str, app_id: str | None, *, alias: str | None = None
    ) -> None:
        """Point a rented number at an application; ``app_id=None`` unassigns it."""
        n = digits_only(number)
        # Assumption: an empty app_id detaches the number (the SDK cannot send null).
        await self._request(
            "POST",
            self._path("Number", n),
            op=_Op(f"assign number {n}", "Number", n),
            body={"app_id": app_id or "", "alias": alias},
        )

    # ------------------------------------------------------------ search / buy

    async def search_phone_numbers(
        self,
        country_iso: str,
        *,
        type: str | None = None,
        pattern: str | None = None,
        limit: int = 20,
    ) -> list[AvailableNumber]:
        """Numbers for sale in a country (one page: ``limit`` is held to Plivo's 1..20)."""
        data = await self._request(
            "GET",
            self._path("PhoneNumber"),
            op=_Op(f"search numbers in {country_iso}"),
            params={
                "country_iso": country_iso,
                "type": type,
                "pattern": pattern,
                "limit": max(1, min(PAGE_LIMIT, int(limit))),
            },
        )
        return [parse_available_number(o) for o in data.get("objects") or []]

    async def buy_phone_number(self, number: str, *, app_id: str | None = None) -> Number:
        """Rent a number, optionally pointed at an app; never bought twice (a lost answer is
        checked with a read), and a bought number not yet readable is still returned."""
        n = digits_only(number)

        async def lookup() -> Number | None:
            try:
                return await self.get_number(n)
            except NotFound:
                return None

        data = await self._create(
            "PhoneNumber", {"app_id": app_id}, _Op(f"buy number {n}"), lookup, ids=(n,)
        )
        if isinstance(data, _Recovered):
            return data.value
        try:
            return await self.get_number(n)
        except PlivoError:
            # Bought, but not readable yet (Plivo answers "pending" where the country needs
            # verification): report what is known rather than fail a purchase that happened.
            return Number(number=n, app_id=app_id or "", raw=data)

    # ------------------------------------------------------------ calls

    async def create_call(
        self,
        *,
        from_: str,
        to: str,
        answer_url: str,
        answer_method: str = "POST",
        hangup_url: str | None = None,
    ) -> str:
        """Places a call; returns Plivo's request_uuid."""
        data = await self._request(
            "POST",
            self._path("Call"),
            op=_Op(f"place a call to {to}"),
            body={
                "from": from_,
                "to": to,
                "answer_url": answer_url,
                "answer_method": answer_method,
                "hangup_url": hangup_url,
            },
            mode=NO_REPEAT,
        )
        uuid = data.get("request_uuid")
        if isinstance(uuid, list):
            return ",".join(str(u) for u in uuid)
        return _s(uuid)

    # ------------------------------------------------------------ call records
    # Plivo's own record of a call, so a signed callback can be checked against it
    # (wizard/verify/confirm.py). Both answer None when Plivo has no such call.

    async def get_live_call(self, call_uuid: str) -> Any:
        """The call in progress (``GET Call/{uuid}/?status=live``), a CallRecord, or None."""
        from wizard.plivo.calls import parse_live_call

        try:
            data = await self._request(
                "GET",
                self._path("Call", call_uuid),
                op=_Op(f"read live call {call_uuid}", "Live call", call_uuid),
                params={"status": "live"},
            )
        except NotFound:
            return None
        return parse_live_call(data)

    async def get_call_record(self, call_uuid: str) -> Any:
        """The ended call's detail record (``GET Call/{uuid}/``), a CallRecord, or None."""
        from wizard.plivo.calls import parse_call_detail

        try:
            data = await self._request(
                "GET",
                self._path("Call", call_uuid),
                op=_Op(f"read the record of call {call_uuid}", "Call", call_uuid),
            )
        except NotFound:
            return None
        return parse_call_detail(data)
