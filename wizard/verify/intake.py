"""What arrives at the listener: the URL a request was signed for, and its parameters.

Bounded before anything is judged: at most MAX_BODY bytes and MAX_PARAMS parameters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

MAX_BODY = 64 * 1024  # Plivo's callbacks are a few hundred bytes
MAX_PARAMS = 100


class Refused(Exception):
    """A request answered with ``status`` before its signature could be judged."""

    def __init__(self, status: int, sentence: str, fix: str = "") -> None:
        super().__init__(sentence)
        self.status = status
        self.sentence = sentence
        self.fix = fix


def too_large() -> Refused:
    """The refusal of a body over MAX_BODY (413)."""
    return Refused(
        413,
        f"its body is larger than {MAX_BODY // 1024} KiB",
        "Plivo's callbacks are a few hundred bytes: this did not come from Plivo.",
    )


def public_uri(base: str, request: Any) -> str:
    """The URL Plivo called (``base`` is the public URL), as the signature covers it."""
    parts = urlsplit(base.rstrip("/"))
    origin, prefix = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    path = request.rel_url.raw_path
    # a tunnel may keep or strip the public URL's path prefix: accept both
    if prefix and not (path == prefix or path.startswith(prefix + "/")):
        path = prefix + path
    query = request.rel_url.raw_query_string
    return f"{origin}{path}" + (f"?{query}" if query else "")


async def read_params(request: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(query params, form params); Refused for a body too large or unreadable."""
    from aiohttp import web

    query = {k: _multi(request.rel_url.query, k) for k in request.rel_url.query}
    body: dict[str, Any] = {}
    if request.method == "POST":
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            raise too_large() from None
        except (ValueError, UnicodeDecodeError, web.HTTPException) as exc:
            raise Refused(400, f"it is unreadable ({exc})") from None
        body = {k: _multi(form, k) for k in form if isinstance(form.get(k), str)}
    if len(query) + len(body) > MAX_PARAMS:
        raise Refused(400, f"it carries more than {MAX_PARAMS} parameters")
    return query, body


def _multi(mapping: Any, key: str) -> Any:
    values = [v for v in mapping.getall(key) if isinstance(v, str)]
    return values[0] if len(values) == 1 else values
