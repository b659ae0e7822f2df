"""The transport under the Plivo client: retries within a deadline, paging, request modes.

``Transport`` is the half of ``PlivoClient`` that talks HTTP: one logical request
(retried per its mode within the call's deadline; a create is looked up by its
natural key before it is ever repeated), and whole lists walked page by page.
The client (client.py) adds the resources on top.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import functools
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.errors import PlivoError, ServerError, scrub

if TYPE_CHECKING:
    import httpx

Progress = Callable[[int, int], None]  # (done, total)
# told of every HTTP attempt: (method, path after the account prefix, status or error name,
# seconds). Never bodies, query values or headers, so nothing secret can reach it.
RequestHook = Callable[[str, str, "int | str", float], None]

PAGE_LIMIT = 20  # Plivo's maximum page size
# The most pages one list reads: 500 pages of 20 is 10,000 objects, far beyond any
# account's applications, ACLs or credentials, and about 8 s of Plivo's 300 requests per
# 5 s. A larger total_count is a broken or hostile answer: refused before it queues
# millions of requests (or, at 10**10, a list of offsets no memory holds).
MAX_PAGES = 500
OK_STATUSES = frozenset({200, 201, 202, 204})
# Plivo's answers are a few KiB (a page is 20 objects): a body past this is not Plivo's,
# and reading it whole could take all the memory there is
MAX_BODY = 10 * 1024 * 1024
BACKOFF_BASE = 0.2  # seconds before the first retry; doubles each time
BACKOFF_CAP = 5.0
SHORTEST_ATTEMPT = 0.05  # never start an attempt with less time than this

log = logging.getLogger("byon.plivo")

# The deadline of the outermost call in progress: a lookup made while recovering a create
# shares the create's deadline instead of starting a fresh one.
_deadline_at: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "byon_plivo_deadline", default=None
)


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


class Secret:
    """Shows as ``***`` in repr/str, so ``vars(client)`` or a debugger shows no token."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the Authorization header and the scrubbing of messages only."""
        return self._value

    def __repr__(self) -> str:
        return "***"

    __str__ = __repr__


@dataclass(frozen=True)
class Op:
    """What a request is for, in words the user knows; used in error messages."""

    action: str  # "create application 'sales'"
    kind: str = ""  # what a 404 says is missing: "Application"
    ident: str = ""


@dataclass(frozen=True)
class Recovered:
    """A create whose answer was lost, found by its natural key."""

    value: Any


# How a request may be repeated after a failure.
IDEMPOTENT = "idempotent"  # GET, DELETE, update POST: repeat freely
CREATE = "create"  # after an ambiguous failure, look up by natural key before repeating
NO_REPEAT = "no-repeat"  # Call/: a repeat could ring someone twice; repeat only when unsent


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle costs ~40 ms, and
    the wizard, its demo and every command would otherwise load it for each client."""
    import httpx

    return httpx.create_ssl_context()


@functools.cache
def plain_http_context() -> ssl.SSLContext:
    """The context for a client that speaks only plain http (the emulator on loopback,
    the one place check_api_url allows http): no CA bundle loaded, which saves each
    `byon` command against the emulator ~35 ms. It still demands a valid certificate, so
    TLS over it could never succeed unverified."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def tls_context_for(url: str) -> ssl.SSLContext:
    """``tls_context()`` for an https URL, ``plain_http_context()`` for plain http."""
    return tls_context() if url.lower().startswith("https:") else plain_http_context()


SCRUBBED_LOGGERS = ("byon", "byon.plivo", "httpx")


class ScrubLog(logging.Filter):
    """Takes a client's secrets out of every record its loggers (and httpx's) write."""

    def __init__(self, secrets: Callable[[], tuple[str, ...]]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the secrets; never drop it."""
        text = record.getMessage()
        clean = scrub(text, self._secrets())
        if clean != text:
            record.msg, record.args = clean, ()
        return True


class Transport:
    """Requests with retries and paging; ``PlivoClient`` supplies the connection and errors."""

    async def _request(
        self,
        method: str,
        path: str,
        *,
        op: Op,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        mode: str = IDEMPOTENT,
        recover: Callable[[], Awaitable[Any]] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> Any:
        """Send one logical request; retry per ``mode`` within the deadline.

        Returns the decoded JSON ({} for an empty body), or ``Recovered`` when
        ``recover`` found the resource a lost create had made.
        """
        loop = asyncio.get_running_loop()
        outer = _deadline_at.get()
        deadline_at = loop.time() + self._deadline
        if outer is not None:
            deadline_at = min(deadline_at, outer)
        token = _deadline_at.set(deadline_at)
        try:
            return await self._attempts(
                method, path, op, params, body, mode, recover, secrets, deadline_at
            )
        finally:
            _deadline_at.reset(token)

    async def _attempts(
        self,
        method: str,
        path: str,
        op: Op,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        mode: str,
        recover: Callable[[], Awaitable[Any]] | None,
        secrets: tuple[str, ...],
        deadline_at: float,
    ) -> Any:
        """The retry loop of ``_request``, until an answer, a final error or the deadline."""
        import httpx

        loop = asyncio.get_running_loop()
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
                        return Recovered(found)
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
                    return Recovered(found)
            attempt += 1

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
            resp = await self._bounded(self._http.build_request(method, path, **kwargs))
        except Exception as exc:
            self._tell(method, path, type(exc).__name__, started)
            raise
        self._tell(method, path, resp.status_code, started)
        return resp

    async def _bounded(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read its answer, at most MAX_BODY bytes of it (decoded)."""
        import httpx

        resp = await self._http.send(request, stream=True)
        chunks, size = [], 0
        try:
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise ServerError(
                        f"The API answered more than {MAX_BODY // (1024 * 1024)} MiB to "
                        f"{request.method} {request.url.path}; byon stopped reading. Plivo's "
                        "answers are a few KiB.",
                        status=resp.status_code,
                        method=request.method,
                        path=request.url.path,
                        hint="Check that --api-url points at Plivo's REST API.",
                    )
                chunks.append(chunk)
        finally:
            await resp.aclose()
        # the body as read (already decoded): a Response that will not decode it again
        headers = [
            (k, v)
            for k, v in resp.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            resp.status_code, headers=headers, content=b"".join(chunks), request=request
        )

    def _tell(self, method: str, path: str, status: int | str, started: float) -> None:
        hook = getattr(self, "on_request", None)
        if hook is None:
            return
        prefix = getattr(self, "_prefix", "")
        short = path[len(prefix) - 1 :] if prefix and path.startswith(prefix) else path
        try:  # a broken listener must never break a request
            hook(method, short, status, asyncio.get_running_loop().time() - started)
        except Exception:
            log.debug("request hook failed", exc_info=True)

    def _decode(self, resp: httpx.Response, method: str, path: str, op: Op, secrets) -> Any:
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

    async def _list(
        self,
        resource: str,
        key: str,
        op: Op,
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
        step = positive_int(meta.get("limit")) or PAGE_LIMIT
        if total > step * MAX_PAGES:
            raise too_many(op, total, step)
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
            if len(pages) >= MAX_PAGES:
                raise too_many(op, offset, PAGE_LIMIT, more=True)
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
        op: Op,
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


def too_many(op: Op, total: int, step: int, *, more: bool = False) -> ServerError:
    """The sentence for a list longer than byon reads (MAX_PAGES pages)."""
    count = f"more than {total:,}" if more else f"{total:,}"
    return ServerError(
        f"The answer to the request to {op.action} claims {count} objects in pages "
        f"of {step}; byon reads at most {MAX_PAGES} pages ({MAX_PAGES * step:,} objects), so "
        "it stopped before sending the rest.",
        hint="Check that --api-url points at Plivo's REST API; a real account this large "
        "is not something byon can audit or export.",
    )


def positive_int(value: Any) -> int:
    """``value`` as an int when it is one above 0, else 0."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return 0
    return n if n > 0 else 0
