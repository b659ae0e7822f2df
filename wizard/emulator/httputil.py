"""Request parsing, Plivo-shaped answers and errors for the emulator's REST surface."""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

# Guess: Plivo's body limit is not documented; larger bodies get 413 in Plivo's error shape.
MAX_BODY = 1024 * 1024
MAX_LIMIT = 20


class ApiError(Exception):
    """Answered as ``{"api_id", "error"}`` with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def api_id() -> str:
    """A fresh UUID4 for the ``api_id`` Plivo puts in every response body."""
    return str(uuid.uuid4())


def answer(status: int, body: dict[str, Any] | None = None) -> web.Response:
    """A Plivo-shaped JSON answer with a new ``api_id``; a 204 has no body, as Plivo's."""
    if status == 204:
        return web.Response(status=204)
    payload = {"api_id": api_id(), **(body or {})}
    return web.json_response(payload, status=status)


def error_response(status: int, message: str, headers: dict[str, str] | None = None):
    """Plivo's error body ``{"api_id", "error"}`` with ``status`` and any extra headers."""
    return web.json_response(
        {"api_id": api_id(), "error": message}, status=status, headers=headers or None
    )


# Deeper JSON than this is refused with a 400: nothing Plivo or the control surface takes
# nests past a few levels, and Python's parser would otherwise fail with a RecursionError.
MAX_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deep ``text``'s arrays and objects nest (strings ignored), without parsing it."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_JSON_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes) -> Any:
    """JSON from a request body: 400 when malformed or nested deeper than ``MAX_DEPTH``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "malformed JSON body: send UTF-8 JSON") from None
    if json_depth(text) > MAX_DEPTH:
        raise ApiError(400, f"JSON body nested too deeply: at most {MAX_DEPTH} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError(400, "malformed JSON body: send a JSON object") from None


async def read_raw(request: web.Request) -> bytes:
    """The body, bounded by ``MAX_BODY`` (413 beyond)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, f"request body too large: the limit is {MAX_BODY} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, f"request body too large: the limit is {MAX_BODY} bytes") from None


async def read_body(request: web.Request) -> dict[str, Any]:
    """JSON (what the SDK sends) or form-encoded; an empty body is ``{}``."""
    raw = await read_raw(request)
    if not raw.strip():
        return {}
    ctype = request.content_type
    if ctype == "application/x-www-form-urlencoded":
        from urllib.parse import parse_qsl

        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "malformed form body") from None
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


async def read_control_json(request: web.Request) -> Any:
    """A control route's body: JSON only (415 otherwise); an empty body is ``None``."""
    raw = await read_raw(request)
    if not raw.strip():
        return None
    if request.content_type != "application/json":
        raise ApiError(
            415, f"the control surface takes JSON bodies, not {request.content_type or 'none'}"
        )
    return parse_json(raw)


def get_str(
    body: dict[str, Any], key: str, *, required: bool = False, nullable: bool = False
) -> str | None:
    """A string parameter; ``None`` when absent. Wrong types are a 400, never a 500."""
    if key not in body or (body[key] is None and not required):
        if required:
            raise ApiError(400, f"{key} is required")
        return None
    value = body[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{key} must be a string")
    if required and not value.strip():
        raise ApiError(400, f"{key} is required")
    return value


def get_bool(body: dict[str, Any], key: str) -> bool | None:
    """A boolean parameter, None when absent: JSON true/false or the form strings
    "true"/"false"; anything else is a 400."""
    if key not in body or body[key] is None:
        return None
    value = body[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiError(400, f"{key} must be true or false")


def get_method(body: dict[str, Any], key: str) -> str | None:
    """A callback method parameter, upper-cased; Plivo takes only GET or POST (else 400)."""
    value = get_str(body, key)
    if value is None:
        return None
    if value.upper() not in ("GET", "POST"):
        raise ApiError(400, f"{key} must be GET or POST")
    return value.upper()


def get_url(body: dict[str, Any], key: str) -> str | None:
    """A callback URL parameter: http:// or https:// (else 400); "" passes, to clear it."""
    value = get_str(body, key)
    if value and not value.startswith(("http://", "https://")):
        raise ApiError(400, f"{key} must be an http:// or https:// URL")
    return value


def _query_int(request: web.Request, key: str, default: int) -> int:
    raw = request.query.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"{key} must be an integer") from None


def paginate(request: web.Request, items: list[dict[str, Any]], base_path: str) -> dict[str, Any]:
    """Plivo's list shape; next/previous are relative paths that keep the filters."""
    limit = _query_int(request, "limit", MAX_LIMIT)
    offset = _query_int(request, "offset", 0)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise ApiError(400, "offset must be 0 or more")
    total = len(items)
    # Guess: next/previous carry the request's other filters along with limit/offset.
    extra = [(k, v) for k, v in request.query.items() if k not in ("limit", "offset")]

    def link(off: int) -> str:
        return f"{base_path}?{urlencode([*extra, ('limit', limit), ('offset', off)])}"

    meta = {
        "limit": limit,
        "offset": offset,
        "next": link(offset + limit) if offset + limit < total else None,
        "previous": link(max(0, offset - limit)) if offset > 0 else None,
        "total_count": total,
    }
    return {"meta": meta, "objects": items[offset : offset + limit]}


def basic_auth_ok(request: web.Request, auth_id: str, auth_token: str) -> bool:
    """Whether the request carries HTTP Basic ``auth_id:auth_token`` (compared in constant time)."""
    header = request.headers.get("Authorization", "")
    user = password = ""
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            user, _, password = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
    return secrets.compare_digest(user.encode(), auth_id.encode()) and secrets.compare_digest(
        password.encode(), auth_token.encode()
    )
