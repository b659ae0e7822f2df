"""``byon sip-probe`` from the wizard's verify step: what to probe for the plan, and what the
results add to the diagnosis. UI-free: the screen calls ``Session.run_probe``."""

from __future__ import annotations

from typing import Any

from wizard.errors import ByonError
from wizard.plivo.facts import uses_credential, uses_ip_acl

# In the demo "this machine" is a stranger: the probe calls from the source the emulator
# maps outside every ACL (the provider's own address is 127.0.0.2).
DEMO_PROBE_SOURCE = "127.0.0.3"
WIZARD_TIMEOUT = 5.0


def probe_options(session: Any, plan: Any) -> Any:
    """ProbeOptions for the plan's application: the emulator's SIP edge in the demo (its
    CA trusted), Plivo's DNS otherwise; credentials when the plan uses them and the
    password is at hand (it never leaves memory)."""
    from wizard.plivo.facts import sip_uri
    from wizard.sip.client import Credentials
    from wizard.sip.probe import ProbeOptions

    app_id = getattr(plan.application, "app_id", "") or ""
    if not app_id:
        raise ByonError(
            "The probe needs the application's app_id.", hint="Apply the plan first (Review)."
        )
    auth = getattr(plan, "auth", None)
    cred = getattr(auth, "credential", None) if auth else None
    auth_type = getattr(auth, "type", "") or "" if auth is not None else ""
    creds = None
    # with an IP ACL as well, this machine (a stranger to the ACL) is refused with 403
    # before its digest is looked at: trying the credentials would only count as a failure
    # against the lockout. The 403 to the unauthenticated INVITE shows the ACL holds.
    ok_to_try = uses_credential(auth_type) and not uses_ip_acl(auth_type)
    if ok_to_try and cred is not None and cred.username and session.sip_password:
        creds = Credentials(cred.username, session.sip_password)
    if not session.is_demo:
        return ProbeOptions(request_uri=sip_uri(app_id), credentials=creds, timeout=WIZARD_TIMEOUT)
    info = session.emulator.sip_info() if session.emulator is not None else None
    if not info or not info.get("udp"):
        why = session.sip_edge_error or "it is not running"
        raise ByonError(f"The emulator's SIP edge could not start ({why}); the probe needs it.")
    host, _, port = str(info["udp"]).rpartition(":")
    tls = str(info.get("tls") or "")
    return ProbeOptions(
        request_uri=sip_uri(app_id),
        host=host.strip("[]"),
        port=int(port),
        tls_port=int(tls.rpartition(":")[2]) if tls else None,
        transport="all" if tls else "udp",
        ca_file=info.get("ca_cert") or None,
        credentials=creds,
        local_host=DEMO_PROBE_SOURCE,
        timeout=WIZARD_TIMEOUT,
    )


def probe_diagnosis(results: list[Any]) -> tuple[str, str]:
    """``(verdict, sentence)`` the probe adds to the diagnosis: "pass" when strangers are
    refused and (if tried) the credentials are taken, else "fail" with what went wrong."""
    failed = [r for r in results if not r.ok]
    by_check = {r.check: r for r in results}
    if not failed:
        parts = []
        unauth = by_check.get("unauthenticated")
        if unauth is not None:
            code = unauth.result.rsplit("_", 1)[-1]
            parts.append(f"an INVITE without credentials is refused ({code})")
        if "authenticated" in by_check:
            parts.append("the credentials are accepted")
        return "pass", "sip-probe: " + ("; ".join(parts) or "every check passed") + "."
    words = []
    for r in failed:
        name = r.check + (f" {r.transport.lower()}" if r.transport and r.check == "reach" else "")
        words.append(f"{name}: {r.detail}")
    return "fail", "sip-probe found a problem. " + " ".join(w.rstrip(".") + "." for w in words)
