"""How the listener answers: byon's own XML, or the user's agent's XML (proxy mode)."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

from wizard.verify.signature import signed_headers

# The most of an agent's answer byon reads: the listener's own request limit. Plivo XML
# for a call is a few KB; a larger answer is refused rather than held in memory.
MAX_ANSWER = 64 * 1024


@functools.cache
def default_answer_xml(passed: bool | None = True) -> str:
    """byon's own answer: one sentence for the caller, then hang up."""
    from wizard.stream.xml import speak_hangup_xml

    if passed:
        return speak_hangup_xml(
            "Verification passed. This call reached your Plivo application. Goodbye."
        )
    return speak_hangup_xml(
        "This call reached your Plivo application, but verification found a problem. "
        "See byon for the diagnosis. Goodbye."
    )


def outbound_leg_xml() -> str:
    """The test call's own leg: wait while its inbound leg is verified."""
    from plivo import plivoxml

    resp = plivoxml.ResponseElement()
    resp.add(plivoxml.WaitElement().set_length(15))
    resp.add(plivoxml.HangupElement())
    return resp.to_string(False)


def xml_problem(body: str) -> str:
    """ "" when ``body`` is Plivo XML (a <Response> root), else what is wrong."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        return f"not well-formed XML ({exc})"
    if root.tag != "Response":
        return f"the root element is <{root.tag}>, not <Response>"
    return ""


async def forward(
    session: Any,
    auth_token: str,
    target: str,
    method: str,
    query: dict[str, Any],
    body: dict[str, Any],
    budget: float,
) -> tuple[str, str]:
    """Send the same params, signed again, to the original answer_url ``target``.

    Returns (xml, "") or ("", what failed)."""
    from aiohttp import ClientError, ClientTimeout

    timeout = ClientTimeout(total=budget)
    try:
        if method == "GET":
            url = add_query(target, query)
            headers = signed_headers("GET", url, {}, auth_token)
            async with session.get(url, headers=headers, timeout=timeout) as resp:
                status, text = resp.status, await _bounded_text(resp)
        else:
            headers = signed_headers("POST", target, body, auth_token)
            async with session.post(target, data=body, headers=headers, timeout=timeout) as resp:
                status, text = resp.status, await _bounded_text(resp)
    except TimeoutError:
        return "", f"no answer within {budget:g} s"
    except ClientError as exc:
        return "", _without_userinfo(str(exc) or type(exc).__name__, target)
    if not 200 <= status < 300:
        return "", f"HTTP {status}"
    if text is None:
        return "", f"it answered more than {MAX_ANSWER // 1024} KiB (byon stopped reading)"
    bad = xml_problem(text)
    if bad:
        return "", f"it returned {bad}"
    return text, ""


def shown_url(url: str) -> str:
    """``url`` as a diagnosis shows it: a user name and password in it become ``***``."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, parts.fragment))


def _without_userinfo(text: str, url: str) -> str:
    """An error about ``url`` made fit to show: a user name and password written into the
    answer_url never reach the diagnosis (nor a log), and the text is one bounded line."""
    from wizard.errors import scrub
    from wizard.text import plain

    parts = urlsplit(url)
    if parts.username or parts.password:
        userinfo = parts.netloc.rpartition("@")[0]
        text = text.replace(userinfo + "@", "***@")
        text = scrub(text, [parts.password, parts.username])
    return plain(text, 300)


async def _bounded_text(resp: Any) -> str | None:
    """The answer's text, or None when it is longer than MAX_ANSWER (not read further)."""
    if resp.content_length is not None and resp.content_length > MAX_ANSWER:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > MAX_ANSWER:
            return None
        chunks.append(chunk)
    data = b"".join(chunks)
    try:
        return data.decode(resp.charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know: read it as UTF-8
        return data.decode("utf-8", errors="replace")


def add_query(url: str, params: dict[str, Any]) -> str:
    """``url`` with ``params`` appended to its query."""
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode(params, doseq=True)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def xml_response(xml: str) -> Any:
    """An aiohttp response carrying Plivo XML."""
    from aiohttp import web

    return web.Response(text=xml, content_type="application/xml")
