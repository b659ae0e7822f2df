"""Verification: a listener for answer_url callbacks, signature checks, verdicts.

The listener is an aiohttp server. Each callback (GET or POST, form or query
encoded) has its X-Plivo-Signature-V3 checked with the account's auth token
against the PUBLIC URL Plivo called; unsigned, forged and replayed callbacks
get 403. Every callback becomes exactly one ``CallbackEvent``, emitted in
arrival order, which the wizard shows as a row and ``byon verify --json``
prints as a line.

The public URL is the user's own (a tunnel or server they run); byon never
downloads or starts a tunnel.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import ipaddress
import secrets
import sys
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

from wizard.errors import ByonError
from wizard.verify.diagnose import (
    PASS,
    TROUBLESHOOTING_ROWS,
    Diagnosis,
    Expectation,
    diagnose_callback,
)
from wizard.verify.simulate import (
    SIMULATIONS,
    Simulation,
    SimulationResult,
    place_test_call,
    simulate,
)

SIG_HEADER = "X-Plivo-Signature-V3"
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"
PROBE_PARAM = "ByonProbe"
FORWARD_TIMEOUT = 8.0  # below Plivo's own wait for an answer_url
SEEN_LIMIT = 200_000  # nonce+signature pairs remembered for replay protection
KINDS = {"": "answer", "answer": "answer", "hangup": "hangup", "outbound": "outbound"}
COUNTED_KINDS = ("answer",)
PRINTED_KINDS = ("answer", "hangup")

EventHandler = Callable[["CallbackEvent"], "Awaitable[None] | None"]


# --------------------------------------------------------------------------- events


@dataclass
class CallbackEvent:
    received_at: float
    kind: str  # "answer" | "hangup" | "probe" | "outbound" (a test call's own leg)
    method: str
    url: str  # the public URL the callback was checked against
    params: dict[str, Any]
    call_uuid: str = ""
    from_: str = ""
    to: str = ""
    sip_auth_type: str | None = None
    sip_auth_user: str = ""
    sip_source_ip: str = ""
    signature_valid: bool = False
    verdict: str = "fail"
    diagnosis: str = ""
    fix: str = ""
    answered_with: str = ""  # "default" | "proxy" | "403" | ...
    row: str = ""
    seq: int = 0
    # the request's headers as received (bounded), for the wizard's call details
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_json(self) -> dict[str, Any]:
        return {
            "call_uuid": self.call_uuid,
            "from": self.from_,
            "to": self.to,
            "sip_auth_type": self.sip_auth_type,
            "sip_auth_user": self.sip_auth_user,
            "sip_source_ip": self.sip_source_ip,
            "signature_valid": self.signature_valid,
            "verdict": self.verdict,
            "diagnosis": self.diagnosis,
            "kind": self.kind,
            "time": _iso_ms(self.received_at),
            "fix": self.fix,
        }


def _iso_ms(ts: float) -> str:
    ms = int(ts * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{ms:03d}Z"


def _first(params: dict[str, Any], key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "")


# --------------------------------------------------------------------------- signing


def signed_headers(
    method: str, url: str, params: dict[str, Any] | None, auth_token: str, nonce: str | None = None
) -> dict[str, str]:
    """The X-Plivo-Signature-V3 headers Plivo would send for this request."""
    from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

    nonce = nonce or secrets.token_hex(16)
    params = dict(params or {})
    if method.upper() == "GET":
        base = construct_get_url(url, params).decode("utf-8")
    else:
        base = construct_post_url(url, params).decode("utf-8")
    sig = get_signature_v3(auth_token.encode("utf-8"), base, nonce.encode("utf-8"))
    return {SIG_HEADER: sig.decode("ascii"), NONCE_HEADER: nonce}


def check_signature(
    method: str, url: str, params: dict[str, Any], auth_token: str, signature: str, nonce: str
) -> bool:
    from plivo.utils.signature_v3 import validate_v3_signature

    # The SDK's argument checker (inspect-based) costs more than the HMAC itself; its checks
    # (str arguments, GET/POST) hold here already, so call the validator's own body.
    validate = getattr(validate_v3_signature, "__wrapped__", validate_v3_signature)
    try:
        # the GET branch merges the URL query into params in place: hand it a copy
        return bool(validate(method, url, nonce, auth_token, signature, dict(params)))
    except Exception:
        return False


# --------------------------------------------------------------------------- answer XML


@functools.cache
def default_answer_xml(passed: bool | None = True) -> str:
    if passed:
        text = "Verification passed. This call reached your Plivo application. Goodbye."
    else:
        text = (
            "This call reached your Plivo application, but verification found a problem. "
            "See byon for the diagnosis. Goodbye."
        )
    try:
        from wizard.stream.xml import speak_hangup_xml  # type: ignore[attr-defined]

        return speak_hangup_xml(text)
    except (ImportError, AttributeError, NotImplementedError):
        from plivo import plivoxml

        resp = plivoxml.ResponseElement()
        resp.add(plivoxml.SpeakElement(text))
        resp.add(plivoxml.HangupElement())
        return resp.to_string(False)


def outbound_leg_xml() -> str:
    # the test call's own leg only has to stay up while the inbound leg is verified
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


# --------------------------------------------------------------------------- listener


def _origin_and_prefix(url: str) -> tuple[str, str]:
    parts = urlsplit(url.rstrip("/"))
    return f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")


def _format_host(host: str) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return host


class Listener:
    """The callback listener. ``await start(host, port)`` returns its local URL."""

    def __init__(
        self,
        auth_token: str,
        *,
        public_url: str | None = None,
        expectation: Expectation | None = None,
        on_event: EventHandler | None = None,
        forward_to: str | None = None,
        answer_xml: str | None = None,
    ) -> None:
        self._token = auth_token
        self.public_url = public_url.rstrip("/") if public_url else None
        self.expectation = expectation or Expectation()
        self.on_event = on_event
        self.forward_to = forward_to or None
        self.answer_xml = answer_xml
        self.events: list[CallbackEvent] = []
        self.local_url = ""
        self._runner: Any = None
        self._session: Any = None
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._seq = 0
        self._next_emit = 0
        self._ready: dict[int, CallbackEvent | None] = {}
        self._emit_lock = asyncio.Lock()
        self._probes: dict[str, asyncio.Future[CallbackEvent]] = {}

    def __repr__(self) -> str:
        return f"Listener(local_url={self.local_url!r}, public_url={self.public_url!r})"

    @property
    def url(self) -> str:
        return self.public_url or self.local_url

    @property
    def answer_url(self) -> str:
        return f"{self.public_url or self.local_url}/answer"

    @property
    def hangup_url(self) -> str:
        return f"{self.public_url or self.local_url}/hangup"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        from aiohttp import ClientSession, ClientTimeout, web

        # load the signature and XML code now, not on the first call (it costs ~200 ms)
        default_answer_xml(True)
        default_answer_xml(False)
        check_signature("POST", "http://127.0.0.1/", {}, "warm-up", "x", "x")
        app = web.Application(client_max_size=256 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ByonError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}.",
                hint="Pick another --listen HOST:PORT (port 0 picks a free one).",
            ) from exc
        sock = site._server.sockets[0]  # the real port when 0 was asked for
        actual_port = sock.getsockname()[1]
        self.local_url = f"http://{_format_host(host)}:{actual_port}"
        self._session = ClientSession(timeout=ClientTimeout(total=FORWARD_TIMEOUT))
        return self.local_url

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Listener:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- request handling

    def _public_uri(self, request: Any) -> str:
        base = self.public_url or self.local_url
        origin, prefix = _origin_and_prefix(base)
        path = request.rel_url.raw_path
        # a tunnel may keep or strip the public URL's path prefix: accept both
        if prefix and not (path == prefix or path.startswith(prefix + "/")):
            path = prefix + path
        query = request.rel_url.raw_query_string
        return f"{origin}{path}" + (f"?{query}" if query else "")

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        if request.method not in ("GET", "POST"):
            return web.Response(status=405, text="GET or POST only\n")
        tail = request.match_info.get("tail", "").rstrip("/").rsplit("/", 1)[-1]
        kind = KINDS.get(tail)
        if kind is None:
            return web.Response(status=404, text="not a byon callback path\n")
        seq = self._seq
        self._seq += 1
        received = time.time()
        event: CallbackEvent | None = None
        try:
            try:
                event, response = await self._process(request, kind, received)
            except (ValueError, UnicodeDecodeError, web.HTTPException) as exc:
                event = CallbackEvent(
                    received_at=received,
                    kind=kind,
                    method=request.method,
                    url=self._public_uri(request),
                    params={},
                    diagnosis=f"Unreadable callback, refused with 400: {exc}.",
                    fix="Plivo sends form- or query-encoded parameters; this request was not.",
                    answered_with="400",
                    row="forged",
                )
                response = web.Response(status=400, text="unreadable callback\n")
            event.seq = seq
        finally:
            # a cancelled handler must not stall the events queued behind it
            self._ready[seq] = event
        await self._drain()
        return response

    async def _drain(self) -> None:
        async with self._emit_lock:
            while self._next_emit in self._ready:
                event = self._ready.pop(self._next_emit)
                self._next_emit += 1
                if event is None:
                    continue
                self.events.append(event)
                if event.kind == "probe":
                    fut = self._probes.get(_first(event.params, PROBE_PARAM))
                    if fut is not None and not fut.done():
                        fut.set_result(event)
                if self.on_event is not None:
                    try:
                        result = self.on_event(event)
                        if inspect.isawaitable(result):
                            await result
                    except Exception as exc:  # a broken consumer must not drop later events
                        print(f"byon: event handler failed: {exc}", file=sys.stderr)

    async def _process(self, request: Any, kind: str, received: float) -> tuple[Any, Any]:
        from aiohttp import web

        method = request.method
        query = {k: _multi(request.rel_url.query, k) for k in request.rel_url.query}
        body: dict[str, Any] = {}
        if method == "POST":
            form = await request.post()
            body = {k: _multi(form, k) for k in form if isinstance(form.get(k), str)}
        params = {**query, **body}
        uri = self._public_uri(request)
        signature = request.headers.get(SIG_HEADER, "")
        nonce = request.headers.get(NONCE_HEADER, "")

        event = CallbackEvent(
            received_at=received,
            kind=kind,
            method=method,
            url=uri,
            params=params,
            call_uuid=_first(params, "CallUUID"),
            from_=_first(params, "From"),
            to=_first(params, "To"),
            sip_auth_type=_first(params, "SIPAuthType") or None,
            sip_auth_user=_first(params, "SIPAuthUser"),
            sip_source_ip=_first(params, "SIPSourceIP"),
            headers={k: v[:500] for k, v in list(request.headers.items())[:40]},
        )

        problem = ""
        if not signature or not nonce:
            problem = f"it carries no {SIG_HEADER} header"
        elif not check_signature(
            method, uri, body if method == "POST" else {}, self._token, signature, nonce
        ):
            problem = (
                f"its {SIG_HEADER} does not match {uri} and your auth token (wrong account, "
                "or altered on the way)"
            )
        else:
            key = (nonce, signature)
            if key in self._seen:
                problem = "it replays a nonce and signature already used (a replay, not a call)"
            else:
                self._seen[key] = None
                if len(self._seen) > SEEN_LIMIT:
                    self._seen.popitem(last=False)
        if PROBE_PARAM in params and _first(params, PROBE_PARAM) in self._probes:
            # our own probe, even when a proxy broke its signature: preflight says so
            event.kind = "probe"
        if problem:
            event.signature_valid = False
            event.verdict = "fail"
            event.row = "forged"
            event.diagnosis = f"Forged or unsigned callback, refused with 403: {problem}."
            event.fix = TROUBLESHOOTING_ROWS["forged"].solution
            event.answered_with = "403"
            return event, web.Response(status=403, text="invalid signature\n")

        event.signature_valid = True
        if PROBE_PARAM in params:
            event.kind = kind = "probe"
        if kind == "probe":
            event.verdict, event.answered_with = "pass", "probe"
            return event, _xml_response(default_answer_xml(True))
        if kind == "outbound":
            event.verdict, event.answered_with = "pass", "outbound"
            return event, _xml_response(outbound_leg_xml())

        diag = diagnose_callback(params, self.expectation)
        _apply(event, diag)
        if kind == "hangup":
            event.answered_with = "empty"
            return event, web.Response(status=200, text="")
        if self.forward_to:
            xml, failure = await self._forward(method, query, body)
            if failure:
                _apply(
                    event,
                    Diagnosis(
                        "fail",
                        "SIP routing passed, but the "
                        f"application's answer_url {self.forward_to} failed ({failure}), so no "
                        "XML of yours would execute; byon answered with its own message.",
                        TROUBLESHOOTING_ROWS["no_xml"].solution,
                        "no_xml",
                    )
                    if diag.passed
                    else Diagnosis(
                        diag.verdict,
                        f"{diag.sentence} Also, the answer_url {self.forward_to} failed "
                        f"({failure}).",
                        diag.fix,
                        diag.row,
                    ),
                )
                event.answered_with = "default (answer_url failed)"
                return event, _xml_response(self.answer_xml or default_answer_xml(False))
            event.answered_with = "proxy"
            return event, _xml_response(xml)
        event.answered_with = "default" if not self.answer_xml else "custom"
        return event, _xml_response(self.answer_xml or default_answer_xml(diag.passed))

    async def _forward(
        self, method: str, query: dict[str, Any], body: dict[str, Any]
    ) -> tuple[str, str]:
        """Send the same params to the original answer_url; (xml, "") or ("", failure)."""
        from aiohttp import ClientError

        target = self.forward_to or ""
        try:
            if method == "GET":
                url = _add_query(target, query)
                headers = signed_headers("GET", url, {}, self._token)
                async with self._session.get(url, headers=headers) as resp:
                    status, text = resp.status, await resp.text()
            else:
                headers = signed_headers("POST", target, body, self._token)
                async with self._session.post(target, data=body, headers=headers) as resp:
                    status, text = resp.status, await resp.text()
        except TimeoutError:
            return "", f"no answer within {FORWARD_TIMEOUT:g} s"
        except ClientError as exc:
            return "", str(exc) or type(exc).__name__
        if not 200 <= status < 300:
            return "", f"HTTP {status}"
        bad = xml_problem(text)
        if bad:
            return "", f"it returned {bad}"
        return text, ""

    # ---- reachability

    async def preflight(self, public_url: str | None = None, *, timeout: float = 5.0) -> float:
        """Send a signed probe to ``<public_url>/answer`` and wait for it to arrive here.

        Returns the round trip in seconds; raises ByonError saying what broke.
        """
        from aiohttp import (
            ClientConnectorCertificateError,
            ClientConnectorDNSError,
            ClientConnectorError,
            ClientError,
            ClientSession,
            ClientSSLError,
            ClientTimeout,
        )

        base = (public_url or self.public_url or self.local_url).rstrip("/")
        url = f"{base}/answer"
        probe_id = uuid.uuid4().hex
        params = {PROBE_PARAM: probe_id, "CallUUID": f"probe-{probe_id}"}
        headers = signed_headers("POST", url, params, self._token)
        fut: asyncio.Future[CallbackEvent] = asyncio.get_running_loop().create_future()
        self._probes[probe_id] = fut
        hint = f"Make sure {base} forwards to this listener at {self.local_url}."
        start = time.monotonic()
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=timeout)) as session,
                session.post(url, data=params, headers=headers) as resp,
            ):
                status = resp.status
                await resp.read()
            try:
                event = await asyncio.wait_for(
                    asyncio.shield(fut), max(0.5, timeout - (time.monotonic() - start))
                )
            except TimeoutError:
                raise ByonError(
                    f"{url} answered HTTP {status}, but the probe never reached this "
                    "listener: the public URL leads to another server.",
                    hint=hint,
                ) from None
            if not event.signature_valid:
                raise ByonError(
                    f"The probe reached the listener, but its signature did not match "
                    f"{event.url}: the tunnel or proxy changes the URL on the way "
                    "(host, scheme or path), so real callbacks would be refused too.",
                    hint="Give the public URL exactly as Plivo will call it, path prefix included.",
                )
            return time.monotonic() - start
        except ClientConnectorDNSError as exc:
            raise ByonError(
                f"The host in {base} does not resolve (DNS): {exc.os_error or exc}.", hint=hint
            ) from None
        except (ClientConnectorCertificateError, ClientSSLError) as exc:
            raise ByonError(
                f"TLS failed for {url}: {exc}. Plivo needs a valid certificate too.", hint=hint
            ) from None
        except ClientConnectorError as exc:
            raise ByonError(
                f"Nothing accepts connections at {base} ({exc.os_error or exc}): the tunnel "
                "or server is not running or points elsewhere.",
                hint=hint,
            ) from None
        except TimeoutError:
            raise ByonError(
                f"No answer from {url} within {timeout:g} s: a firewall or a stalled tunnel "
                "is in the way.",
                hint=hint,
            ) from None
        except ClientError as exc:
            raise ByonError(
                f"The probe to {url} failed: {exc or type(exc).__name__}.", hint=hint
            ) from None
        finally:
            self._probes.pop(probe_id, None)


async def preflight(listener: Listener, public_url: str | None = None, timeout: float = 5.0):
    return await listener.preflight(public_url, timeout=timeout)


def _multi(mapping: Any, key: str) -> Any:
    values = [v for v in mapping.getall(key) if isinstance(v, str)]
    return values[0] if len(values) == 1 else values


def _add_query(url: str, params: dict[str, Any]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    extra = urlencode(params, doseq=True)
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _xml_response(xml: str) -> Any:
    from aiohttp import web

    return web.Response(text=xml, content_type="application/xml")


def _apply(event: CallbackEvent, diag: Diagnosis) -> None:
    event.verdict = diag.verdict
    event.diagnosis = diag.sentence
    event.fix = diag.fix
    event.row = diag.row


# --------------------------------------------------------------------------- test calls

__all__ = [
    "PASS",
    "SIMULATIONS",
    "CallbackEvent",
    "Expectation",
    "Listener",
    "Simulation",
    "SimulationResult",
    "check_signature",
    "default_answer_xml",
    "place_test_call",
    "preflight",
    "signed_headers",
    "simulate",
]
