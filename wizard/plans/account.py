"""Read what a plan touches in the account, in one concurrent round of GETs.

Decisions:
- Ids in the plan win. An id that no longer exists (a plan copied from staging to
  production, a resource deleted in the console) is not an error: the resource is
  looked up by name, a note says so, and apply writes the right id back.
- Two applications (or ACLs) with the plan's name and no id in the plan: refused,
  because picking one would be a guess; the message says to set the id.
- What was found by name rather than by the plan's id is remembered
  (``AccountView.by_name``): a credential found that way was not made from this
  plan, so its password is not known to match (diff.py says so).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wizard.errors import ByonError, NotFound
from wizard.numbers import digits_only
from wizard.plivo.facts import uses_credential, uses_ip_acl

if TYPE_CHECKING:
    from wizard.plans.plan import Plan
    from wizard.plivo.client import Application, AvailableNumber, Credential, IpAcl, Number


@dataclass
class AccountView:
    """The plan's resources as they exist in the account (None: not there)."""

    auth_id: str = ""
    application: Application | None = None
    ip_acl: IpAcl | None = None
    credential: Credential | None = None
    number: Number | None = None  # the plan's number, or the app's number when buying
    available: list[AvailableNumber] = field(default_factory=list)  # search results (buy)
    notes: list[str] = field(default_factory=list)
    by_name: set[str] = field(default_factory=set)  # kinds found by name, not by the plan's id


def auth_kinds(plan: Plan) -> tuple[bool, bool]:
    """(wants an ACL, wants a credential) for a direct_sip plan."""
    if plan.option != "direct_sip" or plan.auth is None:
        return False, False
    t = plan.auth.type
    return (uses_ip_acl(t) and plan.auth.ip_acl is not None), (
        uses_credential(t) and plan.auth.credential is not None
    )


def _one(found: list[Any], kind: str, name: str, id_key: str) -> Any:
    if len(found) > 1:
        ids = ", ".join(getattr(f, id_key) for f in found)
        raise ByonError(
            f"{len(found)} {kind}s are named {name!r} in this account ({ids}).",
            hint=f"Set {id_key} in the plan to the one to use.",
        )
    return found[0] if found else None


async def _find_app(client: Any, plan: Plan, view: AccountView) -> Application | None:
    ap = plan.application
    if ap.app_id:
        try:
            return await client.get_application(ap.app_id)
        except NotFound:
            view.notes.append(f"application {ap.app_id} no longer exists; looking it up by name")
    apps = await client.list_applications(app_name=ap.name)
    found = _one([a for a in apps if a.app_name == ap.name], "application", ap.name, "app_id")
    if found is not None:
        view.by_name.add("application")
    return found


async def _find_acl(client: Any, plan: Plan, view: AccountView) -> IpAcl | None:
    acl = plan.auth.ip_acl  # type: ignore[union-attr]
    if acl.ip_acl_uuid:
        try:
            return await client.get_ip_acl(acl.ip_acl_uuid)
        except NotFound:
            view.notes.append(f"ip_acl {acl.ip_acl_uuid} no longer exists; looking it up by name")
    found = [a for a in await client.list_ip_acls() if a.name == acl.name]
    one = _one(found, "ip_acl", acl.name, "ip_acl_uuid")
    if one is not None:
        view.by_name.add("ip_acl")
    return one


async def _find_credential(client: Any, plan: Plan, view: AccountView) -> Credential | None:
    cred = plan.auth.credential  # type: ignore[union-attr]
    if cred.credential_uuid:
        try:
            got = await client.get_credential(cred.credential_uuid)
            if got.username == cred.username:
                return got
            # A username cannot change on Plivo: the plan's username is what counts.
            view.notes.append(
                f"credential {cred.credential_uuid} has username {got.username!r}, "
                f"not {cred.username!r}; looking it up by username"
            )
        except NotFound:
            view.notes.append(
                f"credential {cred.credential_uuid} no longer exists; looking it up by username"
            )
    found = [c for c in await client.list_credentials() if c.username == cred.username]
    one = _one(found, "credential", cred.username, "credential_uuid")
    if one is not None:
        view.by_name.add("credential")
    return one


async def _find_number(client: Any, plan: Plan) -> Number | list[Number] | None:
    fwd = plan.forwarding
    if fwd.plivo_number == "buy":  # type: ignore[union-attr]
        return await client.list_numbers()
    try:
        return await client.get_number(digits_only(fwd.plivo_number))  # type: ignore[union-attr]
    except NotFound:
        raise ByonError(
            f"{fwd.plivo_number} is not a number this Plivo account rents.",  # type: ignore[union-attr]
            hint='Rent it first, or set plivo_number = "buy" with a [forwarding.search].',
        ) from None


async def _search(client: Any, plan: Plan) -> list[AvailableNumber]:
    s = plan.forwarding.search  # type: ignore[union-attr]
    if s is None:
        raise ByonError(
            'plivo_number = "buy" needs a [forwarding.search] section.',
            hint="Add country_iso, type and pattern under [forwarding.search].",
        )
    return await client.search_phone_numbers(
        s.country_iso, type=s.type or None, pattern=s.pattern or None, limit=1
    )


async def _none() -> None:
    return None


async def read_account(client: Any, plan: Plan) -> AccountView:
    """Fetch everything the plan touches, in one concurrent round of GETs."""
    view = AccountView()
    want_acl, want_cred = auth_kinds(plan)
    fwd = plan.forwarding if plan.option == "did_forwarding" else None
    buying = fwd is not None and fwd.plivo_number == "buy"
    account, app, acl, cred, number, available = await asyncio.gather(
        client.get_account(),
        _find_app(client, plan, view),
        _find_acl(client, plan, view) if want_acl else _none(),
        _find_credential(client, plan, view) if want_cred else _none(),
        _find_number(client, plan) if fwd is not None else _none(),
        _search(client, plan) if buying else _none(),
    )
    if isinstance(number, list):  # buying: a number already routed to the app counts as bought
        mine = sorted(n.number for n in number if app is not None and n.app_id == app.app_id)
        number = next((n for n in number if mine and n.number == mine[0]), None)
    view.auth_id = account.auth_id
    view.application, view.ip_acl, view.credential = app, acl, cred
    view.number = number
    view.available = list(available or [])
    return view
