"""``byon audit``: risky routing in the account, each finding with its fix.

Findings:
- ``open_sip_uri``: an application with no ``sip_auth_type``; anyone who learns its
  SIP URI can place calls through it (toll fraud).
- ``wide_acl_entry``: an IP ACL entry wider than /16 (IPv4) or /48 (IPv6): it trusts
  far more hosts than any provider's edge.
- ``shared_space_acl``: an application that authenticates by IP ACL alone with an
  entry in 100.64.0.0/10 (carrier-grade NAT): other customers share those addresses.
- ``unassigned_credential``: a SIP credential no application uses; a live
  username/password pair that protects nothing.
- ``http_answer_url`` / ``http_hangup_url``: callbacks in clear text (the call's
  parameters, and the XML that steers the call, can be read or changed on the way).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

# One judgement with validation and byon apply (risks.py): one limit, one wording.
from wizard.plans.risks import in_shared_space, open_sip_uri, plain_http, wide_acl_entry
from wizard.plivo.facts import uses_credential
from wizard.text import plain

# an account's names and URLs inside a sentence: long enough for any real one
_SHOWN = 120


@dataclass(frozen=True)
class Finding:
    """One risk found in the account: its kind (see above), the resource, and the fix to run."""

    kind: str
    resource: str  # "application" | "ip_acl" | "credential"
    id: str
    name: str
    message: str
    fix: str


def _fix_open(app: Any) -> str:
    return (
        f"set sip_auth_type with an IP ACL or a credential: `byon export --app "
        f"{plain(app.app_id, _SHOWN)} "
        "-o plan.toml`, add an [auth] table, then `byon apply plan.toml`"
    )


def _app_findings(app: Any, acl_by_id: dict[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if not app.sip_auth_type:
        out.append(
            Finding(
                "open_sip_uri",
                "application",
                app.app_id,
                app.app_name,
                open_sip_uri(plain(app.app_id, _SHOWN)),
                _fix_open(app),
            )
        )
    elif app.sip_auth_type == "ip_acl":
        acl = acl_by_id.get(app.ip_acl_uuid)
        shared = [e for e in (acl.ip_addresses if acl else ()) if in_shared_space(e)]
        if shared:
            out.append(
                Finding(
                    "shared_space_acl",
                    "application",
                    app.app_id,
                    app.app_name,
                    f"authenticates by IP ACL alone, and ACL {plain(acl.name, _SHOWN)} trusts "
                    f"shared (carrier-grade NAT) space: {plain(', '.join(shared), 400)}; "
                    "other customers of "
                    "that carrier share these addresses",
                    "use sip_auth_type = ip_acl_and_credential (add [auth.credential] to "
                    "the plan and byon apply), or replace the entries with the provider's "
                    "public addresses",
                )
            )
    for field, kind in (("answer_url", "http_answer_url"), ("hangup_url", "http_hangup_url")):
        url = getattr(app, field, "") or ""
        if plain_http(url):
            out.append(
                Finding(
                    kind,
                    "application",
                    app.app_id,
                    app.app_name,
                    f"{field} {plain(url, _SHOWN)} is plain http: callbacks and the XML that "
                    "steers the "
                    "call travel unencrypted",
                    f"serve it over https and set {field} to the https:// address "
                    "(application section of the plan, then byon apply)",
                )
            )
    return out


def _acl_findings(acl: Any) -> list[Finding]:
    return [
        Finding(
            "wide_acl_entry",
            "ip_acl",
            acl.ip_acl_uuid,
            acl.name,
            f"entry {plain(wide, _SHOWN)}",
            "list only your provider's SIP signalling addresses (ask them for "
            "their outbound IPs or ranges), or add credential auth",
        )
        for entry in acl.ip_addresses
        if (wide := wide_acl_entry(entry))
    ]


def findings_for(apps: list[Any], acls: list[Any], creds: list[Any]) -> list[Finding]:
    """Pure: every finding for these resources, in a stable order."""
    out: list[Finding] = []
    acl_by_id = {a.ip_acl_uuid: a for a in acls}
    for app in sorted(apps, key=lambda a: (a.app_name, a.app_id)):
        out += _app_findings(app, acl_by_id)
    for acl in sorted(acls, key=lambda a: (a.name, a.ip_acl_uuid)):
        out += _acl_findings(acl)
    used = {
        a.credential_uuid
        for a in apps
        if a.credential_uuid and uses_credential(a.sip_auth_type or "")
    }
    for cred in sorted(creds, key=lambda c: (c.username, c.credential_uuid)):
        if cred.credential_uuid not in used:
            out.append(
                Finding(
                    "unassigned_credential",
                    "credential",
                    cred.credential_uuid,
                    cred.username,
                    f"credential {plain(cred.username, _SHOWN)} is not used by any application",
                    "delete it in the Plivo console (Voice > SIP Authentication), or assign it "
                    "to the application that needs it",
                )
            )
    return out


async def audit(client: Any, *, progress: Any = None) -> list[Finding]:
    """Read every application, ACL and credential (concurrently) and judge them."""

    def part(name: str):
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)

    apps, acls, creds = await asyncio.gather(
        client.list_applications(progress=part("applications")),
        client.list_ip_acls(progress=part("IP ACLs")),
        client.list_credentials(progress=part("credentials")),
    )
    return findings_for(apps, acls, creds)
