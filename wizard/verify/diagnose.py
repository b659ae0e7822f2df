"""Observed evidence -> a verdict and the seed's troubleshooting row.

Pure functions, no IO: the listener feeds callback parameters in, the
simulator (or call logs) feed SIP outcomes in, and each answer is one plain
sentence plus the fix the seed gives for that row.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from wizard.numbers import same_number
from wizard.plivo.facts import AUTH_TYPES, sip_uri, uses_credential, uses_ip_acl
from wizard.text import plain

CGNAT = ipaddress.ip_network("100.64.0.0/10")
LOCKOUT_FAILURES = 10  # Plivo locks an IP out after 10 failed attempts in 60 s


@dataclass(frozen=True)
class Row:
    """One row of the seed's troubleshooting table (or its security notes)."""

    id: str
    issue: str
    solution: str
    source: str  # "troubleshooting" | "security" | "byon"


TROUBLESHOOTING_ROWS: dict[str, Row] = {
    r.id: r
    for r in (
        Row(
            "all_403",
            "All calls get 403 Forbidden",
            "Verify your provider's outbound SIP IP matches an entry in your IP ACL, "
            "or that the credentials match exactly.",
            "troubleshooting",
        ),
        Row(
            "no_sip_auth_type",
            "Calls succeed but no SIPAuthType in callback",
            "Your provider is placing a phone number in the Request-URI instead of your app_id. "
            f"Configure the provider to send INVITEs to {sip_uri('{app_id}')}.",
            "troubleshooting",
        ),
        Row(
            "challenge_407",
            "Call rejected with 407 (then drops)",
            "Your provider isn't responding to the digest challenge. "
            "Configure the SIP credentials in your provider's setup.",
            "troubleshooting",
        ),
        Row(
            "no_xml",
            "Auth passes but no XML executes",
            "Check that the Application has a valid answer_url configured, "
            "and that your server returns valid XML.",
            "troubleshooting",
        ),
        Row(
            "intermittent",
            "Calls work intermittently",
            "Your provider may be rotating outbound IPs. "
            "Switch to credential auth, or expand your IP ACL CIDR range.",
            "troubleshooting",
        ),
        Row(
            "open_uri",
            "The application's SIP URI accepts calls with no SIP authentication",
            "Always use SIP Authentication: set sip_auth_type on the application "
            "(ip_acl, credential or ip_acl_and_credential); an open SIP URI invites toll fraud.",
            "security",
        ),
        Row(
            "cgnat",
            "The provider calls from carrier-grade NAT (shared) address space",
            "IP ACL alone is not sufficient on shared IPs: use ip_acl_and_credential.",
            "security",
        ),
        Row(
            "lockout",
            "The source IP is locked out after 10 failed attempts in 60 seconds",
            "Wait 60 seconds, and fix the cause of the failures (IP ACL entry or credentials) "
            "before calling again.",
            "security",
        ),
        Row(
            "auth_type_mismatch",
            "SIPAuthType is not the authentication the plan expects",
            "Set the application's sip_auth_type to the planned type (byon apply PLAN.toml).",
            "byon",
        ),
        Row(
            "ip_outside_acl",
            "SIPSourceIP is outside the planned IP ACL entries",
            "Add the provider's outbound SIP IP to the IP ACL, or check which IPs the "
            "provider really sends from.",
            "byon",
        ),
        Row(
            "auth_user_mismatch",
            "SIPAuthUser is not the configured username",
            "Configure your provider with the username the plan names, and remove "
            "credentials you no longer use.",
            "byon",
        ),
        Row(
            "not_found_404",
            "Call rejected with 404",
            f"Send INVITEs to {sip_uri('{app_id}')}: the Request-URI's user part must be "
            "your app_id (or a number of your account).",
            "byon",
        ),
        Row(
            "wrong_number",
            "The forwarded call arrived on another number",
            "Set your provider's forwarding destination to your Plivo number.",
            "byon",
        ),
        Row(
            "forged",
            "A callback without a valid X-Plivo-Signature-V3",
            "Ignore it: it did not come from Plivo with your auth token. If every callback "
            "fails, check that the public URL given to byon is exactly the URL Plivo calls, "
            "and that the auth token belongs to the account.",
            "byon",
        ),
        Row(
            "ambiguous",
            "A signed callback whose values carry other parameters' names",
            "Ignore it: X-Plivo-Signature-V3 signs parameters without separators, so this "
            "text could be a different set of parameters under the same signature. Place "
            "the test call again from a caller ID without such text.",
            "byon",
        ),
        Row(
            "record_mismatch",
            "A signed callback that Plivo's record of the call does not back",
            "Ignore it: it was replayed from a capture or re-split. If every call shows "
            "this, check that PLIVO_AUTH_ID is the account that owns the application.",
            "byon",
        ),
        Row(
            "unconfirmed",
            "Signature valid, not confirmed against Plivo's call record",
            "Give byon API access (PLIVO_AUTH_ID with PLIVO_AUTH_TOKEN) and a network path "
            "to api.plivo.com, then place the test call again.",
            "byon",
        ),
        Row(
            "number_format",
            "The call arrives but the agent doesn't match the number",
            "Compare numbers without the '+' in your agent, or set the provider to send the "
            "form byon's provider settings name.",
            "byon",
        ),
        Row("pass", "Verified", "", "byon"),
    )
}


@dataclass(frozen=True)
class Diagnosis:
    """The verdict on one test call: pass or fail, why in a sentence, the fix, its row."""

    verdict: str  # "pass" | "fail"
    sentence: str  # one plain sentence; "" on pass
    fix: str
    row: str  # key of TROUBLESHOOTING_ROWS

    @property
    def passed(self) -> bool:
        """Whether the call reached the application as planned."""
        return self.verdict == "pass"


@dataclass(frozen=True)
class Expectation:
    """What a correctly routed call looks like, from a plan or `--expect`.

    ``auth_type``: one of AUTH_TYPES, "none" (the application has no SIP auth;
    with DID forwarding none is expected), or None when nothing is known.
    """

    auth_type: str | None = None
    acl_entries: tuple[str, ...] = ()
    username: str = ""
    app_id: str = ""
    external_number: str = ""
    plivo_number: str = ""
    option: str = "direct_sip"
    provider: str = ""  # the plan's provider key: its own settings go into the fix
    answer_url: str = ""  # the application's own answer_url, as the user knows it

    @classmethod
    def from_plan(cls, plan: Any, *, app_id: str | None = None) -> Expectation:
        """What the plan promises; ``app_id`` stands in for the plan's once one is created.

        DID forwarding expects no SIP auth; a number still to "buy" is not known yet."""
        auth = getattr(plan, "auth", None)
        acl = getattr(auth, "ip_acl", None) if auth else None
        cred = getattr(auth, "credential", None) if auth else None
        fwd = getattr(plan, "forwarding", None)
        plivo_number = getattr(fwd, "plivo_number", "") if fwd else ""
        if plivo_number == "buy":
            plivo_number = ""
        option = plan.option
        if option == "did_forwarding":
            auth_type: str | None = "none"
        else:
            auth_type = auth.type if auth else "none"
        return cls(
            auth_type=auth_type,
            acl_entries=tuple(acl.entries) if acl else (),
            username=cred.username if cred else "",
            app_id=app_id or plan.application.app_id,
            external_number=plan.external_number,
            plivo_number=plivo_number,
            option=option,
            provider=getattr(plan, "provider", "") or "",
            answer_url=getattr(plan.application, "answer_url", "") or "",
        )

    def uri(self) -> str:
        """The SIP URI the provider dials (a placeholder until an app_id is known)."""
        return sip_uri(self.app_id or "YOUR_APP_ID")


def _row_fix(row: str, exp: Expectation) -> str:
    return TROUBLESHOOTING_ROWS[row].solution.replace(sip_uri("{app_id}"), exp.uri())


def _fail(row: str, sentence: str, exp: Expectation, fix: str | None = None) -> Diagnosis:
    fix = fix if fix is not None else _row_fix(row, exp)
    if exp.provider:
        from wizard.providers.hints import provider_hint

        hint = provider_hint(exp.provider, row, app_id=exp.app_id, auth_type=exp.auth_type or "")
        fix = f"{fix} {hint}" if hint and fix else hint or fix
    return Diagnosis("fail", sentence, fix, row)


PASS = Diagnosis("pass", "", "", "pass")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None


def ip_in_entries(ip: str, entries: tuple[str, ...] | list[str]) -> bool:
    """Whether ``ip`` is in an ACL entry (address or CIDR); bad text matches nothing."""
    addr = _ip(ip)
    if addr is None:
        return False
    for entry in entries:
        try:
            if addr in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def is_cgnat(ip: str) -> bool:
    """Whether ``ip`` is carrier-grade NAT: shared space an IP ACL cannot tell apart."""
    addr = _ip(ip)
    return addr is not None and addr.version == 4 and addr in CGNAT


def _param(params: dict[str, Any], key: str) -> str:
    value = params.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _shown(value: str) -> str:
    """An outside value as a sentence may quote it: one line, inert, short."""
    return plain(value, 60)


def _unauthenticated(exp: Expectation) -> Diagnosis:
    """A callback with no SIPAuthType: a number in the Request-URI, or an open SIP URI."""
    if exp.auth_type in AUTH_TYPES:
        return _fail(
            "no_sip_auth_type",
            "The call reached your application without SIP authentication (no "
            "SIPAuthType in the callback): your provider put a phone number in the "
            f"Request-URI instead of your app_id ({exp.uri()}).",
            exp,
            "Set the provider's SIP destination to exactly that URI: the app_id, not the "
            "phone number, is its user part.",
        )
    if exp.auth_type == "none":
        return _fail(
            "open_uri",
            f"The call reached an application whose SIP URI {exp.uri()} has no SIP "
            "authentication: anyone who knows the URI can place calls on your account "
            "(toll-fraud risk).",
            exp,
        )
    return _fail(
        "no_sip_auth_type",
        "The call reached your application without SIP authentication: either your "
        "provider put a phone number in the Request-URI (send INVITEs to "
        f"{exp.uri()}), or the application's SIP URI is open (toll-fraud risk).",
        exp,
    )


def diagnose_callback(params: dict[str, Any], expectation: Expectation) -> Diagnosis:
    """Judge one signed answer_url callback against what the plan expects."""
    exp = expectation
    auth_type = _param(params, "SIPAuthType")
    auth_user = _param(params, "SIPAuthUser")
    source_ip = _param(params, "SIPSourceIP")
    to = _param(params, "To")

    if exp.option == "did_forwarding":
        if exp.plivo_number and to and not same_number(to, exp.plivo_number):
            return _fail(
                "wrong_number",
                f"The call arrived on {_shown(to)}, not on your Plivo number {exp.plivo_number}: "
                "the provider forwards to another destination.",
                exp,
            )
        return PASS

    if not auth_type:
        return _unauthenticated(exp)

    if exp.auth_type in AUTH_TYPES and auth_type != exp.auth_type:
        return _fail(
            "auth_type_mismatch",
            f"SIPAuthType is {_shown(auth_type)} but the plan expects {exp.auth_type}: the "
            "application is not configured as planned.",
            exp,
        )
    if exp.auth_type == "none":
        return _fail(
            "auth_type_mismatch",
            f"SIPAuthType is {_shown(auth_type)} but no SIP authentication was expected: the "
            "application is not configured as planned.",
            exp,
        )
    uses_acl = uses_ip_acl(auth_type)
    if source_ip and uses_acl and exp.acl_entries and not ip_in_entries(source_ip, exp.acl_entries):
        return _fail(
            "ip_outside_acl",
            f"SIPSourceIP {_shown(source_ip)} is outside the planned ACL entries "
            f"({', '.join(exp.acl_entries)}): the account's IP ACL differs from the plan.",
            exp,
        )
    if source_ip and auth_type == "ip_acl" and is_cgnat(source_ip):
        return _fail(
            "cgnat",
            f"SIPSourceIP {_shown(source_ip)} is in carrier-grade NAT space (100.64.0.0/10), "
            "shared with other customers, and IP ACL alone lets all of them in.",
            exp,
        )
    uses_cred = uses_credential(auth_type)
    if uses_cred and exp.username and auth_user != exp.username:
        shown = _shown(auth_user) or "(none)"
        return _fail(
            "auth_user_mismatch",
            f"SIPAuthUser is {shown}, not the configured username {exp.username}: the "
            "provider authenticates with other credentials.",
            exp,
        )
    if exp.provider:
        from wizard.providers.hints import number_form_issue

        issue = number_form_issue(exp.provider, to, _param(params, "From"))
        if issue:
            return _fail("number_format", issue, exp)
    return PASS


def _reason(outcome: dict[str, Any]) -> str:
    return str(outcome.get("reason") or "").strip()


def _refused_403(outcome: dict[str, Any], exp: Expectation, low: str, said: str) -> Diagnosis:
    """A 403: a locked-out IP, an IP outside the ACL, or credentials that do not match."""
    source_ip = str(outcome.get("source_ip") or "")
    if "lock" in low or int(outcome.get("recent_failures") or 0) >= LOCKOUT_FAILURES:
        who = f"Source IP {_shown(source_ip)}" if source_ip else "The source IP"
        return _fail(
            "lockout",
            f"{who} is locked out after {LOCKOUT_FAILURES} failed attempts within 60 "
            "seconds, so every call is refused with 403.",
            exp,
        )
    ip_cause = (
        "acl" in low
        or " ip" in f" {low}"
        or (source_ip and exp.acl_entries and not ip_in_entries(source_ip, exp.acl_entries))
    )
    cred_cause = any(w in low for w in ("credential", "password", "digest", "username"))
    if ip_cause and not cred_cause:
        ip = f" {_shown(source_ip)}" if source_ip else ""
        return _fail(
            "all_403",
            f"The call was refused with 403 because the source IP{ip} is not in the "
            "application's IP ACL.",
            exp,
            "Add your provider's outbound SIP IP to the IP ACL (or fix the entry that "
            "should match it).",
        )
    if cred_cause:
        return _fail(
            "all_403",
            "The call was refused with 403 because the digest credentials do not match "
            "the application's SIP credential.",
            exp,
            "Enter the exact username and password in your provider's SIP settings "
            "(byon settings shows them), or reset the password and update both sides.",
        )
    return _fail("all_403", f"The call was refused with 403 Forbidden{said}.", exp)


def diagnose_sip_outcome(outcome: dict[str, Any], expectation: Expectation) -> Diagnosis:
    """Judge one SIP outcome (the emulator's inbound answer, or a call-log entry).

    Besides the emulator's keys (``sip_status``, ``reason``, ``callback``) the
    outcome may carry what was sent: ``source_ip``, ``request_uri``,
    ``username``, ``recent_failures`` (failures from that IP in the last 60 s).
    """
    exp = expectation
    status = int(outcome.get("sip_status") or 0)
    reason = _reason(outcome)
    low = reason.lower()
    said = f" (Plivo said: {plain(reason, 120)})" if reason else ""

    if status == 403:
        return _refused_403(outcome, exp, low, said)
    if status == 407:
        return _fail(
            "challenge_407",
            "The call was challenged with 407 and dropped: the provider did not answer "
            "the digest challenge.",
            exp,
        )
    if status == 404:
        uri = str(outcome.get("request_uri") or "")
        shown = f" {_shown(uri)}" if uri else ""
        return _fail(
            "not_found_404",
            f"The call was refused with 404: the Request-URI{shown} names neither an app_id "
            f"nor a number of your account{said}.",
            exp,
        )
    cb = outcome.get("callback") or {}
    # On the wire, a call whose XML cannot run is refused (500/503) after auth passed; over
    # the HTTP route it is reported as 200 with the callback's verdict: the same row.
    if status == 200 or (status >= 500 and cb and cb.get("xml_valid") is False):
        if cb and cb.get("xml_valid") is False:
            err = str(cb.get("xml_error") or "").strip()
            detail = f": {plain(err, 120)}" if err else ""
            url = plain(cb.get("url"), 120) or "the answer_url"
            # DID forwarding runs no SIP authentication: say what did pass
            passed = (
                "The forwarded call reached your Plivo number"
                if exp.option == "did_forwarding"
                else "SIP authentication passed"
            )
            return _fail(
                "no_xml",
                f"{passed} but no XML executes: {url} did not return valid Plivo XML{detail}.",
                exp,
            )
        params = cb.get("params") if cb else None
        if params:
            return diagnose_callback(params, exp)
        return PASS
    return _fail(
        "all_403" if 400 <= status < 500 else "no_xml",
        f"The call failed with SIP status {status or 'unknown'}{said}.",
        exp,
    )


def diagnose_sip_outcomes(outcomes: list[dict[str, Any]], expectation: Expectation) -> Diagnosis:
    """Judge a series of calls: a mix of 200 and 403 from different source IPs is rotation."""
    if not outcomes:
        return _fail("all_403", "No call reached Plivo.", expectation)
    ok_ips = {o.get("source_ip") for o in outcomes if int(o.get("sip_status") or 0) == 200}
    bad_ips = {o.get("source_ip") for o in outcomes if int(o.get("sip_status") or 0) == 403}
    ok_ips.discard(None)
    bad_ips.discard(None)
    if ok_ips and bad_ips and (bad_ips - ok_ips):
        ips = ", ".join(sorted(_shown(str(ip)) for ip in bad_ips - ok_ips))
        return _fail(
            "intermittent",
            f"Calls work intermittently: those from {ips} are refused with 403 while others "
            "pass, so your provider rotates its outbound IPs.",
            expectation,
            "Switch to credential auth, or widen the IP ACL's CIDR range to cover every "
            "address the provider sends from.",
        )
    return diagnose_sip_outcome(outcomes[-1], expectation)
