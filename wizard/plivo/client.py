"""One async client (httpx) for every Plivo resource byon uses.

Shapes follow shared/reference/plivo-api.md. The client walks every page of a
list (pages fetched concurrently once the total is known), retries transient
failures within a total deadline, and never blindly repeats a create: after an
ambiguous failure it first looks the resource up by its natural key.

httpx is imported inside the client, so importing this module for its types
(or ``sip_uri``) stays cheap.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import logging
import os
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from wizard.errors import (
    AuthError,
    BadRequest,
    ByonError,
    Conflict,
    NetworkError,
    NotFound,
    PlivoError,
    RateLimited,
    ServerError,
    scrub,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_API_URL = "https://api.plivo.com"
SIP_DOMAIN = "app.plivo.com"
AUTH_TYPES = ("ip_acl", "credential", "ip_acl_and_credential")

Progress = Callable[[int, int], None]  # (done, total)
# told of every HTTP attempt: (method, path after the account prefix, status or error name,
# seconds). Never bodies, query values or headers, so nothing secret can reach it.
RequestHook = Callable[[str, str, "int | str", float], None]

USER_AGENT = "byon/0.1"
PAGE_LIMIT = 20  # Plivo's maximum page size
OK_STATUSES = frozenset({200, 201, 202, 204})
CREDENTIAL_PATH = "SipAuth/Credential"
# Assumption (plivo-api.md section 12): the IP ACL resource sits under SipAuth/ with this
# path and the id field `ip_acl_uuid`; Plivo's pages read so far do not show it.
IP_ACL_PATH = "SipAuth/IPAccessControlList"
BACKOFF_BASE = 0.2  # seconds before the first retry; doubles each time
BACKOFF_CAP = 5.0
SHORTEST_ATTEMPT = 0.05  # never start an attempt with less time than this

log = logging.getLogger("byon.plivo")

# The deadline of the outermost call in progress: a lookup made while recovering a create
# shares the create's deadline instead of starting a fresh one.
_deadline_at: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "byon_plivo_deadline", default=None
)


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


# ---------------------------------------------------------------- parsing


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


def normalize_number(number: str) -> str:
    """Plivo writes numbers as digits without "+"; accept "+1 415-555 0100" too."""
    return re.sub(r"[\s+\-().]", "", str(number))


def parse_account(d: dict[str, Any]) -> Account:
    return Account(
        auth_id=_s(d.get("auth_id")),
        name=_s(d.get("name")),
        account_type=_s(d.get("account_type")),
        cash_credits=_s(d.get("cash_credits")),
        raw=d,
    )


def parse_application(d: dict[str, Any]) -> Application:
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
    return Credential(
        credential_uuid=_s(d.get("credential_uuid")),
        username=_s(d.get("username")),
        realm=_s(d.get("realm")) or SIP_DOMAIN,
        raw=d,
    )


def parse_ip_acl(d: dict[str, Any]) -> IpAcl:
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


def error_text(error: Any) -> str:
    """Plivo's `error` is usually a string, sometimes a dict or list: flatten it for a sentence."""
    if error is None:
        return ""
    if isinstance(error, str):
        return error.strip()
    if isinstance(error, dict):
        parts = []
        for key, value in error.items():
            text = error_text(value)
            parts.append(f"{key}: {text}" if text else str(key))
        return "; ".join(parts)
    if isinstance(error, list | tuple):
        return "; ".join(t for t in (error_text(v) for v in error) if t)
    return str(error)


def merge_pages(pages: list[list[dict[str, Any]]], key: str) -> list[dict[str, Any]]:
    """Concatenate pages in order, keeping the first copy of each id.

    Offsets shift when the account changes during a walk, so a page can repeat
    an object that an earlier page already returned.
    """
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for page in pages:
        for obj in page:
            ident = obj.get(key) if isinstance(obj, dict) else None
            if ident is not None:
                if str(ident) in seen:
                    continue
                seen.add(str(ident))
            out.append(obj)
    return out


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter; Plivo's Retry-After, when given, is a floor."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt))
    delay = random.uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def parse_retry_after(value: str | None) -> float | None:
    """Seconds, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    import datetime as _dt

    now = _dt.datetime.now(when.tzinfo or _dt.UTC)
    return max(0.0, (when - now).total_seconds())


# ---------------------------------------------------------------- the client


class _Secret:
    """Shows as ``***`` in repr/str, so ``vars(client)`` or a debugger shows no token."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__


@dataclass(frozen=True)
class _Op:
    """What a request is for, in words the user knows; used in error messages."""

    action: str  # "create application 'sales'"
    kind: str = ""  # what a 404 says is missing: "Application"
    ident: str = ""


@dataclass(frozen=True)
class _Recovered:
    """A create whose answer was lost, found by its natural key."""

    value: Any


# How a request may be repeated after a failure.
IDEMPOTENT = "idempotent"  # GET, DELETE, update POST: repeat freely
CREATE = "create"  # after an ambiguous failure, look up by natural key before repeating
NO_REPEAT = "no-repeat"  # Call/: a repeat could ring someone twice; repeat only when unsent


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
        import httpx

        self._auth_id = auth_id
        self._base_url = api_url_from_env(base_url)
        self._timeout = float(timeout)
        self._deadline = float(deadline)
        self._max_concurrency = max(1, int(max_concurrency))
        # Kept only to scrub it out of any text that might reach a message.
        self._token = _Secret(auth_token)
        self._prefix = f"/v1/Account/{quote(auth_id, safe='')}/"
        self._sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
        self.on_request: RequestHook | None = None  # the wizard's activity pane listens here
        host = urlsplit(self._base_url).hostname or ""
        self._http = httpx.AsyncClient(
            base_url=self._base_url,
            auth=httpx.BasicAuth(auth_id, auth_token),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=self._timeout,
            follow_redirects=False,
            # A proxy from the environment must never carry loopback (emulator) traffic.
            trust_env=host not in ("127.0.0.1", "::1", "localhost"),
            limits=httpx.Limits(max_connections=max(10, self._max_concurrency * 2)),
        )

    @classmethod
    def from_env(cls, api_url: str | None = None, **kwargs: Any) -> PlivoClient:
        """A client from PLIVO_AUTH_ID / PLIVO_AUTH_TOKEN (the names Plivo's SDKs use)."""
        auth_id = os.environ.get("PLIVO_AUTH_ID", "").strip()
        token = os.environ.get("PLIVO_AUTH_TOKEN", "").strip()
        missing = [n for n, v in (("PLIVO_AUTH_ID", auth_id), ("PLIVO_AUTH_TOKEN", token)) if not v]
        if missing:
            raise ByonError(
                f"Plivo credentials are missing: {' and '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set.",
                hint="Export PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN (shown on the Plivo console's "
                "overview page), or run `byon demo` to try byon without an account.",
            )
        return cls(auth_id, token, base_url=api_url, **kwargs)

    @property
    def auth_id(self) -> str:
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
        return self._base_url

    def __repr__(self) -> str:
        return f"PlivoClient(auth_id={self._auth_id!r}, base_url={self._base_url!r})"

    async def __aenter__(self) -> PlivoClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    close = aclose

    # ------------------------------------------------------------ transport

    def _path(self, resource: str = "", *ids: str) -> str:
        parts = [p.strip("/") for p in (resource, *(quote(str(i), safe="") for i in ids)) if p]
        return self._prefix + "".join(f"{p}/" for p in parts)

    def _scrub(self, text: str, extra: tuple[str, ...] = ()) -> str:
        return scrub(text, (self._token.reveal(), *extra))

    def _scrub_obj(self, obj: Any, extra: tuple[str, ...]) -> Any:
        if isinstance(obj, str):
            return self._scrub(obj, extra)
        if isinstance(obj, dict):
            return {k: self._scrub_obj(v, extra) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self._scrub_obj(v, extra) for v in obj]
        return obj

    async def _request(
        self,
        method: str,
        path: str,
        *,
        op: _Op,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        mode: str = IDEMPOTENT,
        recover: Callable[[], Awaitable[Any]] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> Any:
        """Send one logical request; retry per ``mode`` within the deadline.

        Returns the decoded JSON ({} for an empty body), or ``_Recovered`` when
        ``recover`` found the resource a lost create had made.
        """
        import httpx

        loop = asyncio.get_running_loop()
        outer = _deadline_at.get()
        deadline_at = loop.time() + self._deadline
        if outer is not None:
            deadline_at = min(deadline_at, outer)
        token = _deadline_at.set(deadline_at)
        try:
            attempt = 0
            while True:
                remaining = deadline_at - loop.time()
                timeout = max(SHORTEST_ATTEMPT, min(self._timeout, remaining))
                retry_after: float | None = None
                try:
                    resp = await self._send(method, path, params, body, timeout)
                except httpx.TransportError as exc:
                    log.debug("%s %s -> %s", method, path, type(exc).__name__)
                    failure: PlivoError = self._network_error(exc, method, path, secrets)
                    # Refused or never connected: the request was not sent, so no side effect.
                    unsent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                    unsent = unsent or isinstance(exc, httpx.PoolTimeout)
                    ambiguous = not unsent
                else:
                    status = resp.status_code
                    log.debug("%s %s -> %s", method, path, status)
                    if status in OK_STATUSES:
                        return self._decode(resp, method, path, op, secrets)
                    if status == 404 and method == "DELETE" and attempt > 0:
                        # An earlier attempt deleted it but its answer was lost: the goal holds.
                        return {}
                    if status == 409 and mode == CREATE and attempt > 0 and recover:
                        # An earlier attempt did create it after all (duplicate name refused).
                        found = await recover()
                        if found is not None:
                            return _Recovered(found)
                    failure = self._http_error(resp, method, path, op, secrets)
                    if status == 429:
                        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                        ambiguous = False
                    elif status >= 500:
                        ambiguous = True  # the server may have acted before failing
                    else:
                        raise failure
                if ambiguous and mode == NO_REPEAT:
                    failure.hint = (
                        "The request may have reached Plivo, so byon did not repeat it "
                        "(that could place a second call). Check the Plivo console's call logs."
                    )
                    raise failure
                delay = backoff_delay(attempt, retry_after)
                if loop.time() + delay > deadline_at:
                    if retry_after is not None and retry_after > deadline_at - loop.time():
                        failure.message += (
                            f" Plivo asked to wait {retry_after:g} s, longer than the"
                            f" {self._deadline:g} s allowed for one request."
                        )
                        failure.args = (failure.message,)
                    raise failure
                log.debug("retrying %s %s in %.2f s", method, path, delay)
                await self._sleep(delay)
                if ambiguous and mode == CREATE and recover is not None:
                    found = await recover()
                    if found is not None:
                        return _Recovered(found)
                attempt += 1
        finally:
            _deadline_at.reset(token)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        timeout: float,
    ) -> httpx.Response:
        kwargs: dict[str, Any] = {"timeout": timeout}
        if params:
            kwargs["params"] = {
                k: (("true" if v else "false") if isinstance(v, bool) else v)
                for k, v in params.items()
                if v is not None
            }
        if method == "POST" or (method == "DELETE" and body):
            kwargs["json"] = {k: v for k, v in (body or {}).items() if v is not None}
        started = asyncio.get_running_loop().time()
        try:
            resp = await self._http.request(method, path, **kwargs)
        except Exception as exc:
            self._tell(method, path, type(exc).__name__, started)
            raise
        self._tell(method, path, resp.status_code, started)
        return resp

    def _tell(self, method: str, path: str, status: int | str, started: float) -> None:
        if self.on_request is None:
            return
        short = path[len(self._prefix) - 1 :] if path.startswith(self._prefix) else path
        try:  # a broken listener must never break a request
            self.on_request(method, short, status, asyncio.get_running_loop().time() - started)
        except Exception:
            log.debug("request hook failed", exc_info=True)

    def _decode(self, resp: httpx.Response, method: str, path: str, op: _Op, secrets) -> Any:
        if resp.status_code == 204 or not resp.content:
            return {}
        try:
            data = resp.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        raise ServerError(
            f"Plivo answered {resp.status_code} to the request to {op.action}, "
            "but the body is not a JSON object.",
            status=resp.status_code,
            method=method,
            path=path,
            hint="Check that --api-url points at Plivo's REST API.",
        )

    def _network_error(self, exc: Exception, method: str, path: str, secrets) -> NetworkError:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer within {self._timeout:g} s ({type(exc).__name__})"
        elif isinstance(exc, httpx.RemoteProtocolError):
            reason = f"the connection closed before an answer ({exc})"
        else:
            reason = str(exc) or type(exc).__name__
        reason = self._scrub(reason, secrets)
        return NetworkError(
            f"Could not reach Plivo at {self._base_url}: {reason}.",
            method=method,
            path=path,
            hint="Check the network or --api-url.",
        )

    def _http_error(
        self, resp: httpx.Response, method: str, path: str, op: _Op, secrets
    ) -> PlivoError:
        status = resp.status_code
        try:
            payload = resp.json()
            error = payload.get("error") if isinstance(payload, dict) else payload
        except ValueError:
            error = resp.text[:200] or None
        error = self._scrub_obj(error, secrets)
        text = error_text(error)
        said = f": {text}" if text else ""
        common = {"status": status, "error": error, "method": method, "path": path}
        if status == 401:
            return AuthError(
                f"Plivo refused the credentials for auth id {self._auth_id}: "
                "check PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN.",
                **common,
            )
        if status == 404:
            what = f"{op.kind} {op.ident}".strip() if op.kind else f"The resource at {path}"
            plivo = f" (Plivo: {text})" if text else ""
            return NotFound(
                f"{what} not found{plivo}.",
                hint="It may have been deleted, or belong to another account.",
                **common,
            )
        if status == 409:
            return Conflict(
                f"Plivo refused to {op.action} because of a conflict{said}.",
                hint="The name may already be taken, or the resource is still in use "
                "(unassign it first).",
                **common,
            )
        if status == 429:
            return RateLimited(
                f"Plivo kept rate-limiting the request to {op.action}{said}.",
                hint="Wait a minute and try again; Plivo allows about 300 requests per 5 s.",
                **common,
            )
        if status >= 500:
            return ServerError(
                f"Plivo answered {status} (a server error) to the request to {op.action}{said}.",
                hint="The fault is on Plivo's side; try again in a few minutes.",
                **common,
            )
        if status == 403:
            return BadRequest(
                f"Plivo refused access to {op.action}{said}.",
                hint="Plivo answers 403 when the account's API IP whitelist or geo "
                "permissions block the request.",
                **common,
            )
        return BadRequest(
            f"Plivo rejected the request to {op.action} ({status}){said}.",
            hint="Correct the value Plivo names and try again.",
            **common,
        )

    async def _list(
        self,
        resource: str,
        key: str,
        op: _Op,
        *,
        params: dict[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> list[dict[str, Any]]:
        """Every object of a list: the first page gives the total, the rest come concurrently."""
        path = self._path(resource)
        base = {k: v for k, v in (params or {}).items() if v is not None}
        first = await self._request("GET", path, op=op, params={**base, "limit": PAGE_LIMIT})
        meta = first.get("meta") or {}
        objects = list(first.get("objects") or [])
        try:
            total = int(meta["total_count"])
        except (KeyError, TypeError, ValueError):
            return await self._list_sequential(path, op, base, objects, meta, progress, key)
        step = _positive_int(meta.get("limit")) or PAGE_LIMIT
        offsets = list(range(step, total, step))
        pages: list[list[dict[str, Any]]] = [objects] + [[] for _ in offsets]
        done = len(objects)
        if progress:
            progress(min(done, total), total)
        sem = asyncio.Semaphore(self._max_concurrency)

        async def fetch(index: int, offset: int) -> None:
            nonlocal done
            async with sem:
                page = await self._request(
                    "GET", path, op=op, params={**base, "limit": step, "offset": offset}
                )
            pages[index] = list(page.get("objects") or [])
            done += len(pages[index])
            if progress:
                progress(min(done, total), total)

        tasks = [asyncio.ensure_future(fetch(i, off)) for i, off in enumerate(offsets, 1)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return merge_pages(pages, key)

    async def _list_sequential(self, path, op, base, objects, meta, progress, key):
        """Fallback when a list answer has no total_count: follow pages until a short one."""
        pages = [objects]
        offset = len(objects)
        while objects and meta.get("next") and len(objects) >= PAGE_LIMIT:
            if progress:
                progress(offset, 0)
            page = await self._request(
                "GET", path, op=op, params={**base, "limit": PAGE_LIMIT, "offset": offset}
            )
            meta = page.get("meta") or {}
            objects = list(page.get("objects") or [])
            pages.append(objects)
            offset += len(objects)
        merged = merge_pages(pages, key)
        if progress:
            progress(len(merged), len(merged))
        return merged

    async def _create(
        self,
        resource: str,
        body: dict[str, Any],
        op: _Op,
        lookup: Callable[[], Awaitable[Any]],
        *,
        secrets: tuple[str, ...] = (),
        ids: tuple[str, ...] = (),
    ) -> Any:
        return await self._request(
            "POST",
            self._path(resource, *ids),
            op=op,
            body=body,
            mode=CREATE,
            recover=lookup,
            secrets=secrets,
        )

    # ------------------------------------------------------------ account

    async def get_account(self) -> Account:
        data = await self._request("GET", self._path(), op=_Op("read the account"))
        return parse_account(data)

    # ------------------------------------------------------------ applications

    async def list_applications(
        self, *, app_name: str | None = None, progress: Progress | None = None
    ) -> list[Application]:
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

    async def find_application_by_name(self, app_name: str) -> Application | None:
        apps = await self.list_applications(app_name=app_name)
        return apps[0] if apps else None

    async def get_application(self, app_id: str) -> Application:
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
                if all(_same(k, app.raw.get(k), v) for k, v in sent.items()):
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
        await self._request(
            "DELETE",
            self._path("Application", app_id),
            op=_Op(f"delete application {app_id}", "Application", app_id),
        )

    # ------------------------------------------------------------ SIP credentials

    async def list_credentials(self, *, progress: Progress | None = None) -> list[Credential]:
        rows = await self._list(
            CREDENTIAL_PATH, "credential_uuid", _Op("list SIP credentials"), progress=progress
        )
        return [parse_credential(r) for r in rows]

    async def find_credential_by_username(self, username: str) -> Credential | None:
        for cred in await self.list_credentials():
            if cred.username == username:
                return cred
        return None

    async def get_credential(self, credential_uuid: str) -> Credential:
        data = await self._request(
            "GET",
            self._path(CREDENTIAL_PATH, credential_uuid),
            op=_Op(f"read credential {credential_uuid}", "Credential", credential_uuid),
        )
        return parse_credential(data)

    async def create_credential(self, username: str, password: str) -> Credential:
        async def lookup() -> Credential | None:
            return await self.find_credential_by_username(username)

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
        await self._request(
            "POST",
            self._path(CREDENTIAL_PATH, credential_uuid),
            op=_Op(f"update credential {credential_uuid}", "Credential", credential_uuid),
            body={"password": password},
            secrets=(password,),
        )

    async def delete_credential(self, credential_uuid: str) -> None:
        await self._request(
            "DELETE",
            self._path(CREDENTIAL_PATH, credential_uuid),
            op=_Op(f"delete credential {credential_uuid}", "Credential", credential_uuid),
        )

    # ------------------------------------------------------------ IP ACLs

    async def list_ip_acls(self, *, progress: Progress | None = None) -> list[IpAcl]:
        rows = await self._list(
            IP_ACL_PATH, "ip_acl_uuid", _Op("list IP access control lists"), progress=progress
        )
        return [parse_ip_acl(r) for r in rows]

    async def find_ip_acl_by_name(self, name: str) -> IpAcl | None:
        for acl in await self.list_ip_acls():
            if acl.name == name:
                return acl
        return None

    async def get_ip_acl(self, ip_acl_uuid: str) -> IpAcl:
        data = await self._request(
            "GET",
            self._path(IP_ACL_PATH, ip_acl_uuid),
            op=_Op(f"read IP access control list {ip_acl_uuid}", "IP ACL", ip_acl_uuid),
        )
        return parse_ip_acl(data)

    async def create_ip_acl(self, name: str, ip_addresses: list[str]) -> IpAcl:
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
        await self._request(
            "DELETE",
            self._path(IP_ACL_PATH, ip_acl_uuid),
            op=_Op(f"delete IP access control list {ip_acl_uuid}", "IP ACL", ip_acl_uuid),
        )

    # ------------------------------------------------------------ rented numbers

    async def list_numbers(self, *, progress: Progress | None = None) -> list[Number]:
        rows = await self._list("Number", "number", _Op("list rented numbers"), progress=progress)
        return [parse_number(r) for r in rows]

    async def get_number(self, number: str) -> Number:
        n = normalize_number(number)
        data = await self._request(
            "GET", self._path("Number", n), op=_Op(f"read number {n}", "Number", n)
        )
        return parse_number(data)

    async def assign_number(
        self, number: str, app_id: str | None, *, alias: str | None = None
    ) -> None:
        """Point a rented number at an application; ``app_id=None`` unassigns it."""
        n = normalize_number(number)
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
        n = normalize_number(number)

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


def _same(key: str, stored: Any, sent: Any) -> bool:
    """Whether a stored field holds what was sent; Plivo upper-cases HTTP methods."""
    if key.endswith("_method"):
        return _s(stored).upper() == _s(sent).upper()
    return _s(stored) == _s(sent)


def _positive_int(value: Any) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return 0
    return n if n > 0 else 0
