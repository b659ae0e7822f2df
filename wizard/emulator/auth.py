"""The inbound auth rules 1-7 of emulator.md, as one decision for every way an INVITE arrives.

The HTTP route (``POST /__emulator__/inbound``, Call API provider routes) and the SIP edge on
the wire both ask ``decide``; they differ only in how the caller proves who it is: a
password (or its HA1) over HTTP, a digest response on the wire. That difference is a ``Proof``.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wizard.numbers import digits_only
from wizard.plivo.facts import uses_credential, uses_ip_acl

if TYPE_CHECKING:  # wizard.sip loads only with the wire edge: the HTTP route stays light
    from wizard.emulator.server import Emulator
    from wizard.sip.digest import DigestCredentials

LOCKOUT_FAILURES = 10  # documented: 10 failures from one IP within 60 s ...
LOCKOUT_WINDOW = 60.0
LOCKOUT_SECONDS = 60.0  # ... lock that IP out for 60 s


@dataclass(frozen=True)
class Proof:
    """What the caller answered the digest challenge with: a username, and a check of a
    stored HA1 against its answer. ``nonce`` says whether the challenge answered is current."""

    username: str
    matches: Callable[[str], bool]
    nonce: str = "valid"  # wizard.sip.digest.NonceState: "valid", "stale" or "unknown"

    @classmethod
    def from_password(cls, username: str, given_ha1: str) -> Proof:
        """The HTTP route's proof: the HA1 of the password the caller would answer with."""
        return cls(username, lambda stored: secrets.compare_digest(given_ha1, stored))

    @classmethod
    def from_digest(cls, creds: DigestCredentials, method: str, nonce: str) -> Proof:
        """The wire's proof: a digest response, hashed with the ``uri`` exactly as sent."""
        from wizard.sip.digest import verify_response

        return cls(
            creds.username,
            lambda stored: verify_response(creds, method=method, ha1=stored),
            nonce,
        )


@dataclass
class Decision:
    """The outcome of rules 1-7: a SIP status, a sentence, and what a 200 needs."""

    status: int  # 200, 403, 404 or 407
    reason: str
    user: str = ""  # the Request-URI's user part
    app: dict[str, Any] | None = None
    auth_type: str = ""  # SIPAuthType: empty when auth did not run (open app, number URI)
    auth_user: str | None = None
    stale: bool = False  # 407 because the answered nonce expired (RFC 2617 stale=true)

    @property
    def ok(self) -> bool:
        """True when the call goes on to the answer_url."""
        return self.status == 200


def ip_in_acl(source_ip: str, entries: list[str]) -> bool:
    """True when ``source_ip`` falls inside one of the ACL's addresses or CIDR ranges."""
    addr = ipaddress.ip_address(source_ip)
    for entry in entries:
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


def locked(emu: Emulator, ip: str) -> bool:
    """Rule 2: is ``ip`` locked out now (on the emulator's virtual clock)?"""
    # Guess: attempts from a locked IP do not extend the lock.
    until = emu.state.locked_until.get(ip)
    if until is None:
        return False
    if emu.clock.now() < until:
        return True
    del emu.state.locked_until[ip]
    return False


def fail(emu: Emulator, ip: str) -> None:
    """Rule 7: count one failure; the 10th within 60 s locks ``ip`` out for 60 s."""
    now = emu.clock.now()
    recent = [t for t in emu.state.failures.get(ip, []) if now - t < LOCKOUT_WINDOW]
    recent.append(now)
    if len(recent) >= LOCKOUT_FAILURES:
        emu.state.locked_until[ip] = now + LOCKOUT_SECONDS
        recent = []  # Guess: the count starts again after a lockout
    emu.state.failures[ip] = recent


def _target(emu: Emulator, user: str, request_uri: str) -> Decision:
    """Rule 1: the app the Request-URI's user part names (auth runs), or a number's app."""
    st = emu.state
    app = st.applications.get(user)
    if app is not None:
        return Decision(200, "OK", user, app, app.get("sip_auth_type") or "")
    number = st.numbers.get(digits_only(user))
    if number is None:
        return Decision(
            404,
            f"Not Found: {user or request_uri!r} is neither an application id "
            "nor a number this account rents",
            user,
        )
    app = st.applications.get(number.get("app_id") or "")
    if app is None:
        # Guess: a rented number with no application is answered 404.
        return Decision(404, f"Not Found: number {number['number']} has no application", user)
    return Decision(200, "OK", user, app, "")  # a phone-number Request-URI skips SIP auth


def _credential(emu: Emulator, decision: Decision, proof: Proof | None, source_ip: str) -> None:
    """Rule 5 (and the second half of 6): 407 without an answer, 403 for a wrong one."""
    assert decision.app is not None
    if proof is None or proof.nonce != "valid":
        # Guess: an unanswered challenge (407) is not counted as a failure; neither is an
        # answer to an expired nonce (RFC 2617: stale=true) or to one this edge never issued.
        stale = proof is not None and proof.nonce == "stale"
        why = (
            "the nonce answered has expired (stale=true: answer the new challenge)"
            if stale
            else "the caller did not answer the digest challenge (no username/password)"
        )
        decision.status, decision.reason, decision.stale = (
            407,
            f"Proxy Authentication Required: {why}",
            stale,
        )
        return
    cred = emu.state.credentials.get(decision.app.get("credential_uuid") or "")
    if cred is None or cred["username"] != proof.username or not proof.matches(cred["ha1"]):
        fail(emu, source_ip)
        decision.status = 403
        decision.reason = (
            "Forbidden: the digest credentials do not match the application's credential"
        )
        return
    # Guess: ip_acl_and_credential also reports SIPAuthUser (a username was checked).
    decision.auth_user = proof.username


def decide(
    emu: Emulator, *, request_uri: str, user: str, source_ip: str, proof: Proof | None
) -> Decision:
    """Rules 1-7 of emulator.md for one INVITE from ``source_ip`` (already mapped).

    Mutates only the failure counter and lockouts; the caller does the answer_url (rule 8).
    """
    # Rule 2: a locked-out source IP is refused before anything else.
    if locked(emu, source_ip):
        return Decision(
            403,
            f"Forbidden: source IP {source_ip} is locked out after {LOCKOUT_FAILURES} failed "
            f"authentications within {int(LOCKOUT_WINDOW)} s; it is released "
            f"{int(LOCKOUT_SECONDS)} s after the last failure",
            user,
        )
    decision = _target(emu, user, request_uri)
    if not decision.ok:
        return decision
    assert decision.app is not None
    # Rule 4: ip_acl (also the first half of rule 6). Rule 3: no sip_auth_type is open.
    if uses_ip_acl(decision.auth_type):
        acl = emu.state.ip_acls.get(decision.app.get("ip_acl_uuid") or "")
        if acl is None or not ip_in_acl(source_ip, acl["ip_addresses"]):
            fail(emu, source_ip)
            decision.status = 403
            decision.reason = (
                f"Forbidden: source IP {source_ip} is not in the application's "
                "IP access control list"
            )
            return decision
    if uses_credential(decision.auth_type):
        _credential(emu, decision, proof, source_ip)
    return decision
