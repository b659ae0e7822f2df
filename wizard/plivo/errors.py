"""Plivo's failures as byon's typed errors (wizard/errors.py), each a sentence with a hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wizard.errors import (
    AuthError,
    BadRequest,
    Conflict,
    NetworkError,
    NotFound,
    PlivoError,
    RateLimited,
    ServerError,
)
from wizard.text import plain

if TYPE_CHECKING:
    import httpx

    from wizard.plivo.http import Op

# Plivo's own words in a sentence: enough for any real error, and no screenful of a
# hostile server's text
ERROR_TEXT_LIMIT = 300


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


def network_error(
    exc: Exception,
    method: str,
    path: str,
    *,
    base_url: str,
    timeout: float,
    scrub: Callable[[str], str],
) -> NetworkError:
    """A sentence for a request that got no answer; ``scrub`` removes secrets from it."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        reason = f"no answer within {timeout:g} s ({type(exc).__name__})"
    elif isinstance(exc, httpx.RemoteProtocolError):
        reason = f"the connection closed before an answer ({exc})"
    else:
        reason = str(exc) or type(exc).__name__
    # the base URL is scrubbed too: a token may sit in it (check_api_url refuses that, but
    # a client may be built with any URL); secrets go first, so a cut never halves one
    where = plain(scrub(base_url))
    reason = plain(scrub(reason), ERROR_TEXT_LIMIT)
    return NetworkError(
        f"Could not reach Plivo at {where}: {reason}.",
        method=method,
        path=path,
        hint="Check the network or --api-url.",
    )


def http_error(
    resp: httpx.Response,
    method: str,
    path: str,
    op: Op,
    *,
    auth_id: str,
    scrub: Callable[[Any], Any],
) -> PlivoError:
    """The typed error for a non-2xx answer, in words the user knows."""
    status = resp.status_code
    try:
        payload = resp.json()
        error = payload.get("error") if isinstance(payload, dict) else payload
    except ValueError:
        error = resp.text[:200] or None
    error = scrub(error)
    # the one place an answer's text becomes part of a sentence: secrets out (keys and
    # echoes in any letter case included), then inert and bounded for any terminal
    text = plain(scrub(error_text(error)), ERROR_TEXT_LIMIT)
    said = f": {text}" if text else ""
    common = {"status": status, "error": error, "method": method, "path": path}
    if status == 401:
        return AuthError(
            f"Plivo refused the credentials for auth id {auth_id}: "
            "check PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN.",
            **common,
        )
    if status == 404:
        what = f"{op.kind} {plain(op.ident, 80)}".strip() if op.kind else f"The resource at {path}"
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
