"""The simulated SIP edge: one INVITE in, an authenticated (or refused) call out.

Implements the inbound rules of shared/contracts/emulator.md, in order.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from wizard.emulator.state import ha1
from wizard.emulator.xmlcheck import MAX_XML_BYTES, check_answer
from wizard.plivo.facts import sip_uri, uses_credential, uses_ip_acl

if TYPE_CHECKING:
    from wizard.emulator.server import Emulator

LOCKOUT_FAILURES = 10  # documented: 10 failures from one IP within 60 s ...
LOCKOUT_WINDOW = 60.0
LOCKOUT_SECONDS = 60.0  # ... lock that IP out for 60 s
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


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


def ip_in_acl(source_ip: str, entries: list[str]) -> bool:
    addr = ipaddress.ip_address(source_ip)
    for entry in entries:
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SipEdge:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    # --- lockout (rule 2 and rule 7) -----------------------------------------------------
    def locked(self, ip: str) -> bool:
        # Guess: attempts from a locked IP do not extend the lock.
        until = self.emu.state.locked_until.get(ip)
        if until is None:
            return False
        if self.emu.clock.now() < until:
            return True
        del self.emu.state.locked_until[ip]
        return False

    def fail(self, ip: str) -> None:
        now = self.emu.clock.now()
        recent = [t for t in self.emu.state.failures.get(ip, []) if now - t < LOCKOUT_WINDOW]
        recent.append(now)
        if len(recent) >= LOCKOUT_FAILURES:
            self.emu.state.locked_until[ip] = now + LOCKOUT_SECONDS
            recent = []  # Guess: the count starts again after a lockout
        self.emu.state.failures[ip] = recent

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
    ) -> dict[str, Any]:
        try:
            ipaddress.ip_address(source_ip)
        except ValueError:
            raise InboundError(f"source_ip {source_ip!r} is not an IP address") from None
        if not request_uri or not isinstance(request_uri, str):
            raise InboundError(f"request_uri is required, e.g. {sip_uri('APP_ID')}")
        try:
            return await self._invite(
                request_uri, source_ip, from_, to, username, password, password_ha1, forwarded_from
            )
        finally:
            self.emu.changed()

    async def _invite(
        self, request_uri, source_ip, from_, to, username, password, password_ha1, forwarded_from
    ) -> dict[str, Any]:
        st = self.emu.state
        # Rule 2: a locked-out source IP is refused before anything else.
        if self.locked(source_ip):
            return {
                "sip_status": 403,
                "reason": f"Forbidden: source IP {source_ip} is locked out after "
                f"{LOCKOUT_FAILURES} failed authentications within {int(LOCKOUT_WINDOW)} s; "
                f"it is released {int(LOCKOUT_SECONDS)} s after the last failure",
            }
        # Rule 1: the Request-URI's user part picks the target.
        user = uri_user(request_uri)
        auth_runs = True
        app = st.applications.get(user)
        if app is None:
            number = st.numbers.get(user.lstrip("+"))
            if number is None:
                return {
                    "sip_status": 404,
                    "reason": f"Not Found: {user or request_uri!r} is neither an application id "
                    "nor a number this account rents",
                }
            app = st.applications.get(number.get("app_id") or "")
            if app is None:
                # Guess: a rented number with no application is answered 404.
                return {
                    "sip_status": 404,
                    "reason": f"Not Found: number {number['number']} has no application",
                }
            auth_runs = False  # a phone-number Request-URI skips SIP authentication
        auth_type = (app.get("sip_auth_type") or "") if auth_runs else ""
        auth_user = None
        # Rule 4: ip_acl (also the first half of rule 6).
        if uses_ip_acl(auth_type):
            acl = st.ip_acls.get(app.get("ip_acl_uuid") or "")
            if acl is None or not ip_in_acl(source_ip, acl["ip_addresses"]):
                self.fail(source_ip)
                return {
                    "sip_status": 403,
                    "reason": f"Forbidden: source IP {source_ip} is not in the application's "
                    "IP access control list",
                }
        # Rule 5: credential digest (the second half of rule 6).
        if uses_credential(auth_type):
            offered = password is not None or password_ha1 is not None
            if not username or not offered:
                # Guess: an unanswered challenge (407) is not counted as a failure.
                return {
                    "sip_status": 407,
                    "reason": "Proxy Authentication Required: the caller did not answer the "
                    "digest challenge (no username/password)",
                }
            cred = st.credentials.get(app.get("credential_uuid") or "")
            given = password_ha1 if password_ha1 is not None else ha1(username, password or "")
            if (
                cred is None
                or cred["username"] != username
                or not secrets.compare_digest(given, cred["ha1"])
            ):
                self.fail(source_ip)
                return {
                    "sip_status": 403,
                    "reason": "Forbidden: the digest credentials do not match the "
                    "application's credential",
                }
            # Guess: ip_acl_and_credential also reports SIPAuthUser (a username was checked).
            auth_user = username
        call_uuid = self.emu.ids.uuid()
        params = {
            "CallUUID": call_uuid,
            "From": from_,
            "To": to or user,  # Guess: without a To, the Request-URI's user part
            "Direction": "inbound",
            "CallStatus": "ringing",
        }
        if forwarded_from:
            params["ForwardedFrom"] = forwarded_from
        if auth_type:
            # Assumption (plivo-api.md section 12): the seed's parameter names, present only
            # when auth ran; SIPAuthUser only for credential auth.
            params["SIPAuthType"] = auth_type
            if auth_user:
                params["SIPAuthUser"] = auth_user
            params["SIPSourceIP"] = source_ip
        callback = await self.callback(app, params, call_uuid)
        return {
            "sip_status": 200,
            "reason": "OK",
            "call_uuid": call_uuid,
            "app_id": app["app_id"],
            "callback": callback,
        }

    # --- rule 8: the signed answer_url request ---------------------------------------------
    def sign(self, url: str, method: str, params: dict[str, str]) -> dict[str, str]:
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
        self, app: dict[str, Any], params: dict[str, str], call_uuid: str
    ) -> dict[str, Any]:
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
            if method == "GET":
                parts = urlsplit(url)
                query = "&".join(q for q in (parts.query, urlencode(params)) if q)
                target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
                request = self.emu.http.get(target, headers=headers, allow_redirects=False)
            else:
                request = self.emu.http.post(
                    url, data=params, headers=headers, allow_redirects=False
                )
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
            if hook is not None and checked.valid:
                try:
                    report["stream_result"] = await hook(checked.streams[0], call_uuid)
                except Exception as exc:  # the hook's failure is reported, not raised
                    report["stream_result"] = {"error": f"{type(exc).__name__}: {exc}"}
        return report
