"""The simulated SIP edge: one INVITE in, an authenticated (or refused) call out.

The rules 1-7 of shared/contracts/emulator.md are ``auth.decide`` (shared with the SIP edge
on the wire, ``sipwire``); this module adds the HTTP route's side and rule 8, the signed
answer_url request, which both edges use.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from wizard.emulator.auth import (
    LOCKOUT_FAILURES,
    LOCKOUT_SECONDS,
    LOCKOUT_WINDOW,
    Proof,
    decide,
    fail,
    ip_in_acl,
    locked,
)
from wizard.emulator.callrecords import carried
from wizard.emulator.records import CallRecord
from wizard.emulator.state import ha1
from wizard.emulator.xmlcheck import MAX_XML_BYTES, check_answer
from wizard.net import is_loopback_url
from wizard.plivo.facts import sip_uri

if TYPE_CHECKING:
    import aiohttp

    from wizard.emulator.server import Emulator

__all__ = [
    "LOCKOUT_FAILURES",
    "LOCKOUT_SECONDS",
    "LOCKOUT_WINDOW",
    "InboundError",
    "SipEdge",
    "ip_in_acl",
    "uri_user",
]


class InboundError(ValueError):
    """The simulated INVITE itself is malformed (not a SIP answer: a 400 from the control API)."""


def uri_user(request_uri: str) -> str:
    """The user part of ``sip:USER@host;params`` (also accepts bare ``USER``)."""
    text = request_uri.strip()
    for scheme in ("sips:", "sip:"):
        if text.lower().startswith(scheme):
            text = text[len(scheme) :]
            break
    user = text.split("@", 1)[0] if "@" in text else text.split(";", 1)[0]
    return user.split(";", 1)[0].strip()


def signed_request(
    http: aiohttp.ClientSession,
    url: str,
    method: str,
    params: dict[str, str],
    headers: dict[str, str],
) -> Any:
    """The request context for a signed callback: GET merges ``params`` into the query,
    anything else POSTs them as a form; redirects are never followed (as Plivo)."""
    if method == "GET":
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(params)) if q)
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        return http.get(target, headers=headers, allow_redirects=False)
    return http.post(url, data=params, headers=headers, allow_redirects=False)


def answer_params(
    call_uuid: str, from_: str, to: str, decision: Any, source_ip: str
) -> dict[str, str]:
    """The answer_url parameters of rule 8 for a call that passed ``decision``."""
    params = {
        "CallUUID": call_uuid,
        "From": from_,
        "To": to,
        "Direction": "inbound",
        "CallStatus": "ringing",
    }
    if decision.auth_type:
        # Assumption (plivo-api.md section 12): the seed's parameter names, present only
        # when auth ran; SIPAuthUser only when a username was checked.
        params["SIPAuthType"] = decision.auth_type
        if decision.auth_user:
            params["SIPAuthUser"] = decision.auth_user
        params["SIPSourceIP"] = source_ip
    return params


class SipEdge:
    """The HTTP side of the edge (``POST /__emulator__/inbound``, Call API routes)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    # --- lockout (rule 2 and rule 7), shared with the wire edge ---------------------------
    def locked(self, ip: str) -> bool:
        """Is ``ip`` locked out now?"""
        return locked(self.emu, ip)

    def fail(self, ip: str) -> None:
        """Count one failed authentication for ``ip``."""
        fail(self.emu, ip)

    # --- the INVITE ------------------------------------------------------------------------
    async def invite(
        self,
        *,
        request_uri: str,
        source_ip: str,
        from_: str,
        to: str | None = None,
        username: str | None = None,
        password: str | None = None,
        password_ha1: str | None = None,
        forwarded_from: str | None = None,
        route: str | None = "http",
    ) -> dict[str, Any]:
        """One INVITE over HTTP: ``{sip_status, reason, call_uuid?, callback?}``.
        ``route`` names the call record kept for it (None: the caller keeps its own)."""
        try:
            ipaddress.ip_address(source_ip)
        except ValueError:
            raise InboundError(f"source_ip {source_ip!r} is not an IP address") from None
        if not request_uri or not isinstance(request_uri, str):
            raise InboundError(f"request_uri is required, e.g. {sip_uri('APP_ID')}")
        proof = None
        if username and (password is not None or password_ha1 is not None):
            given = password_ha1 if password_ha1 is not None else ha1(username, password or "")
            proof = Proof.from_password(username, given)
        try:
            result = await self._invite(request_uri, source_ip, from_, to, proof, forwarded_from)
        finally:
            self.emu.changed()
        if route is not None:
            record = CallRecord(route, source=source_ip, call_uuid=result.get("call_uuid"))
            record.sip_status, record.reason = result["sip_status"], result["reason"]
            record.extra = {"request_uri": request_uri, "callback": result.get("callback")}
            self.emu.records.add(record)
        return result

    async def _invite(
        self, request_uri, source_ip, from_, to, proof, forwarded_from
    ) -> dict[str, Any]:
        user = uri_user(request_uri)
        decision = decide(
            self.emu, request_uri=request_uri, user=user, source_ip=source_ip, proof=proof
        )
        if not decision.ok:
            return {"sip_status": decision.status, "reason": decision.reason}
        assert decision.app is not None
        call_uuid = self.emu.ids.uuid()
        # Guess: without a To, the Request-URI's user part
        params = answer_params(call_uuid, from_, to or user, decision, source_ip)
        if forwarded_from:
            params["ForwardedFrom"] = forwarded_from
        with carried(self.emu, call_uuid, params):  # live while the answer_url is fetched
            callback = await self.callback(decision.app, params, call_uuid)
        return {
            "sip_status": 200,
            "reason": "OK",
            "call_uuid": call_uuid,
            "app_id": decision.app["app_id"],
            "callback": callback,
        }

    # --- rule 8: the signed answer_url request ---------------------------------------------
    @staticmethod
    def load_signer() -> None:
        """Import the SDK's signer ahead of the first callback (the import pulls in its REST
        client: about 0.25 s, which a call would otherwise wait for)."""
        import plivo.utils.signature_v3  # noqa: F401

    def sign(self, url: str, method: str, params: dict[str, str]) -> dict[str, str]:
        """The X-Plivo-Signature-V3 headers of a callback, with the account's auth token."""
        from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

        nonce = self.emu.ids.nonce()
        if method == "GET":
            base = construct_get_url(url, dict(params))
        else:
            base = construct_post_url(url, dict(params))
        signature = get_signature_v3(self.emu.state.auth_token, base.decode("utf-8"), nonce)
        if isinstance(signature, bytes):
            signature = signature.decode("ascii")
        return {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}

    async def callback(
        self,
        app: dict[str, Any],
        params: dict[str, str],
        call_uuid: str,
        *,
        follow_stream: bool = True,
    ) -> dict[str, Any]:
        """Request the app's answer_url, signed (rule 8); the report says if the XML is valid.
        ``follow_stream`` runs the emulator's stream hook (the wire edge bridges instead)."""
        url = app.get("answer_url") or ""
        method = (app.get("answer_method") or "POST").upper()
        report: dict[str, Any] = {
            "url": url,
            "method": method,
            "http_status": None,
            "params": params,
            "signature_headers": {},
            "xml_valid": False,
            "xml_error": None,
            "body": None,
            "stream": None,
        }
        if not url:
            report["xml_error"] = "the application has no answer_url, so no XML can execute"
            return report
        # A design choice, not Plivo's: by default the emulator never calls out of the machine.
        if not self.emu.remote_callbacks and not is_loopback_url(url):
            report["xml_error"] = (
                f"answer_url {url} could not be reached: this emulator only calls answer URLs "
                "on this machine (localhost, 127.0.0.1, ::1)"
            )
            return report
        headers = self.sign(url, method, params)
        report["signature_headers"] = headers
        import aiohttp

        try:
            request = signed_request(self.emu.http, url, method, params, headers)
            async with asyncio.timeout(self.emu.callback_timeout):
                async with request as resp:
                    body = b""
                    while len(body) <= MAX_XML_BYTES:
                        chunk = await resp.content.read(MAX_XML_BYTES + 1 - len(body))
                        if not chunk:
                            break
                        body += chunk
                    report["http_status"] = resp.status
                    ctype = resp.headers.get("Content-Type", "")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            report["xml_error"] = f"answer_url {url} could not be reached ({reason})"
            return report
        report["body"] = body[:MAX_XML_BYTES].decode("utf-8", errors="replace")
        checked = check_answer(report["http_status"], ctype, body)
        report["xml_valid"] = checked.valid
        report["xml_error"] = checked.error
        if checked.streams:
            report["stream"] = checked.streams[0]
            hook = self.emu.on_stream
            if hook is not None and checked.valid and follow_stream:
                try:
                    report["stream_result"] = await hook(checked.streams[0], call_uuid)
                except Exception as exc:  # the hook's failure is reported, not raised
                    report["stream_result"] = {"error": f"{type(exc).__name__}: {exc}"}
        return report
