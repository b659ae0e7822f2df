"""One application's live routing as a plan (``byon export``).

Decisions:
- An application with a ``sip_auth_type`` is exported as ``direct_sip`` with its
  ACL entries and credential username (``password_env`` gets the default name; the
  password itself is never readable, let alone written).
- An application without SIP auth that a rented number points at is exported as
  ``did_forwarding`` with that number (the lowest, when several do).
- An application without SIP auth and without a number is an open SIP URI: it is
  exported as ``direct_sip`` without ``[auth]``, with a warning. Such a plan does not
  load until an ``[auth]`` table is added, which is the point: apply never makes an
  open application, and export is the first step of fixing one.
- The external number is not stored at Plivo; ``external_number`` is what the
  caller passes (``--external-number``), else empty with a warning.
"""

from __future__ import annotations

import asyncio
from typing import Any

from wizard.errors import ByonError, NotFound
from wizard.numbers import with_plus
from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    Plan,
)
from wizard.plivo.facts import uses_credential, uses_ip_acl
from wizard.text import plain


async def _app(client: Any, app_id: str | None, app_name: str | None) -> Any:
    if app_id:
        try:
            return await client.get_application(app_id)
        except NotFound:
            raise ByonError(
                f"There is no application {app_id} in this account.",
                hint="List them in the Plivo console (Voice > Applications) or use --app-name.",
            ) from None
    apps = [a for a in await client.list_applications(app_name=app_name) if a.app_name == app_name]
    if not apps:
        raise ByonError(
            f"There is no application named {app_name!r} in this account.",
            hint="Check the spelling (names are case-sensitive) or pass --app APP_ID.",
        )
    if len(apps) > 1:
        raise ByonError(
            f"{len(apps)} applications are named {app_name!r}: "
            + ", ".join(a.app_id for a in apps)
            + ".",
            hint="Pass --app APP_ID to pick one.",
        )
    return apps[0]


async def export_plan(
    client: Any,
    *,
    app_id: str | None = None,
    app_name: str | None = None,
    external_number: str = "",
) -> tuple[Plan, list[str]]:
    """(plan, warnings) for one application as it is configured now."""
    app = await _app(client, app_id, app_name)
    warnings: list[str] = []
    plan = Plan(
        external_number=external_number,
        application=ApplicationPlan(
            name=app.app_name,
            app_id=app.app_id,
            answer_url=app.answer_url,
            answer_method=(app.answer_method or "POST").upper(),
            # Plivo fills hangup_url with answer_url when none was given: leave that implicit.
            hangup_url="" if app.hangup_url in ("", app.answer_url) else app.hangup_url,
        ),
    )
    auth_type = app.sip_auth_type or ""
    if auth_type:
        plan.option = "direct_sip"
        auth = AuthPlan(type=auth_type)
        acl_task = cred_task = None
        if uses_ip_acl(auth_type) and app.ip_acl_uuid:
            acl_task = client.get_ip_acl(app.ip_acl_uuid)
        if uses_credential(auth_type) and app.credential_uuid:
            cred_task = client.get_credential(app.credential_uuid)
        acl, cred = await asyncio.gather(
            acl_task if acl_task is not None else _none(),
            cred_task if cred_task is not None else _none(),
        )
        if acl is not None:
            auth.ip_acl = AclPlan(
                name=acl.name, entries=list(acl.ip_addresses), ip_acl_uuid=acl.ip_acl_uuid
            )
        if cred is not None:
            auth.credential = CredentialPlan(
                username=cred.username, credential_uuid=cred.credential_uuid
            )
        plan.auth = auth
    else:
        numbers = sorted(n.number for n in await client.list_numbers() if n.app_id == app.app_id)
        if numbers:
            plan.option = "did_forwarding"
            first = with_plus(numbers[0])
            plan.forwarding = ForwardingPlan(plivo_number=first)
            if len(numbers) > 1:
                warnings.append(
                    f"{len(numbers)} numbers point at {plain(app.app_name, 120)}; the plan "
                    f"names {plain(first, 40)}"
                )
        else:
            plan.option = "direct_sip"
            warnings.append(
                # a warning becomes a "# ..." line of the plan: one inert line, never TOML
                f"application {plain(app.app_name, 120)} ({plain(app.app_id, 80)}) accepts "
                "SIP calls with no "
                "authentication (toll-fraud risk). Add an [auth] table to the plan, then run "
                "byon apply to secure it; the plan does not load until you do."
            )
    if not external_number:
        warnings.append(
            "route.external_number is empty (Plivo does not store it): set it to the number "
            "kept at your provider, or pass --external-number"
        )
    return plan, warnings


async def _none() -> None:
    return None
