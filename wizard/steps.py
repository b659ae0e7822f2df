"""What each wizard step hands back, and how it goes into the one Plan.

UI-free (no Textual). A step screen returns one of the frozen results below; `merge`
edits the App's Plan in place. It never builds a new Plan or a new table: ids the
account gave us stay unless the result names another resource. Back then Next is
harmless, and a loaded plan keeps what the user chose.

Also here: what a draft plan may lack (`byon --plan` opens a draft, refuses an invalid
one) and the lines an offline review shows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from wizard.plans.plan import (
    AclPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    SearchPlan,
    StreamPlan,
)
from wizard.plivo.facts import uses_credential, uses_ip_acl

if TYPE_CHECKING:
    from wizard.plans.findings import Finding
    from wizard.plans.plan import Plan

NO_AUTH = "none"  # the auth step's "None (open)": the plan then has no [auth]


@dataclass(frozen=True)
class OptionResult:
    """The option step: the route, the user's number, and an auth type to set ("" keeps)."""

    option: str
    external_number: str
    auth_type: str = ""
    provider: str = ""  # "" keeps the plan's provider


@dataclass(frozen=True)
class AclChoice:
    """The IP ACL as typed; ``reused_uuid`` when the user picked one from the account."""

    name: str
    entries: tuple[str, ...]
    reused_uuid: str = ""


@dataclass(frozen=True)
class CredentialChoice:
    """The credential as typed. A reused credential's uuid counts only for its username."""

    username: str
    reused_uuid: str = ""
    reused_username: str = ""


@dataclass(frozen=True)
class AuthResult:
    """The auth step: one of AUTH_TYPES or NO_AUTH, with the parts that type uses."""

    type: str
    ip_acl: AclChoice | None = None
    credential: CredentialChoice | None = None


@dataclass(frozen=True)
class ApplicationResult:
    """The application step. ``existing``: picked from the account (its id is ``app_id``);
    otherwise the form, where ``app_id`` is the id the form edits ("" for a new one)."""

    name: str
    answer_url: str
    answer_method: str = "POST"
    hangup_url: str = ""
    app_id: str = ""
    existing: bool = False
    stream: StreamPlan | None = None


@dataclass(frozen=True)
class NumberResult:
    """The number step: a rented number (E.164), or "buy" with the search that finds it."""

    plivo_number: str
    search: SearchPlan | None = None


StepResult = OptionResult | AuthResult | ApplicationResult | NumberResult


def merge(plan: Plan, result: StepResult) -> None:
    """Write one step's result into the plan, in place, keeping the ids it still owns."""
    if isinstance(result, OptionResult):
        _merge_option(plan, result)
    elif isinstance(result, AuthResult):
        _merge_auth(plan, result)
    elif isinstance(result, ApplicationResult):
        _merge_application(plan, result)
    elif isinstance(result, NumberResult):
        _merge_number(plan, result)
    else:  # a new step type must say how it merges
        raise TypeError(f"no merge for {type(result).__name__}")


def _merge_option(plan: Plan, r: OptionResult) -> None:
    plan.external_number = r.external_number
    plan.option = r.option
    if r.provider:
        plan.provider = r.provider
    if r.option == "direct_sip":
        if plan.auth is None:
            plan.auth = AuthPlan(type=r.auth_type or "credential")
        elif r.auth_type:
            plan.auth.type = r.auth_type
        plan.forwarding = None
    else:
        plan.auth = None


def _merge_auth(plan: Plan, r: AuthResult) -> None:
    if r.type == NO_AUTH:
        plan.auth = None
        return
    auth = plan.auth if plan.auth is not None else AuthPlan()
    plan.auth = auth
    auth.type = r.type
    if uses_ip_acl(r.type) and r.ip_acl is not None:
        acl = auth.ip_acl if auth.ip_acl is not None else AclPlan()
        auth.ip_acl = acl
        acl.name = r.ip_acl.name
        acl.entries = list(r.ip_acl.entries)
        if r.ip_acl.reused_uuid:
            acl.ip_acl_uuid = r.ip_acl.reused_uuid
    else:
        auth.ip_acl = None  # a type without ip_acl must not carry the table (validate refuses)
    if uses_credential(r.type) and r.credential is not None:
        choice = r.credential
        cred = auth.credential if auth.credential is not None else CredentialPlan()
        auth.credential = cred
        if choice.reused_uuid and choice.reused_username == choice.username:
            cred.credential_uuid = choice.reused_uuid
        elif choice.username != cred.username:
            cred.credential_uuid = ""  # that id belongs to another username
        cred.username = choice.username
    else:
        auth.credential = None


def _merge_application(plan: Plan, r: ApplicationResult) -> None:
    app = plan.application
    if not (r.existing and r.app_id == app.app_id):
        # the same existing app again keeps the plan's values: they may be pending changes
        app.name, app.answer_url = r.name, r.answer_url
        app.answer_method, app.hangup_url = r.answer_method or "POST", r.hangup_url
        app.app_id = r.app_id
    if r.stream is None:
        plan.stream = None
    elif plan.stream is None:
        plan.stream = StreamPlan(**{f.name: getattr(r.stream, f.name) for f in fields(StreamPlan)})
    else:
        for f in fields(StreamPlan):
            setattr(plan.stream, f.name, getattr(r.stream, f.name))


def _merge_number(plan: Plan, r: NumberResult) -> None:
    fwd = plan.forwarding if plan.forwarding is not None else ForwardingPlan()
    plan.forwarding = fwd
    fwd.plivo_number = r.plivo_number
    fwd.search = r.search if r.plivo_number == "buy" else None
    plan.auth = None


# --- drafts -------------------------------------------------------------------------------------


def invalid_findings(plan: Plan) -> list[Finding]:
    """Errors about values the plan has (an empty value is a draft's gap, not an error).

    `byon --plan` opens a plan saved part-way through the wizard and shows its gaps on
    the review step; a value that is present but wrong is refused before the UI starts."""
    from wizard.plans.plan import plan_to_dict
    from wizard.plans.validate import validate_plan

    data = plan_to_dict(plan)
    return [f for f in validate_plan(plan) if f.is_error and not _empty(_value(data, f.key))]


def _value(data: dict, key: str) -> object:
    node: object = data
    base, _, index = key.partition("[")
    for part in base.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    if index and isinstance(node, list):
        i = int(index.rstrip("]"))
        return node[i] if i < len(node) else None
    return node


def _empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


# --- offline review -------------------------------------------------------------------------------


def offline_lines(plan: Plan) -> list[tuple[str, str]]:
    """(action, line) for what `byon apply` would do, told from the plan alone.

    Without an account nothing can be compared: a resource the plan names by id is
    "checked when applied"; every other one will be created."""
    from copy import deepcopy

    from wizard.plans.apply import AccountView, diff, render_change

    ids = {
        "application": plan.application.app_id,
        "ip_acl": plan.auth.ip_acl.ip_acl_uuid if plan.auth and plan.auth.ip_acl else "",
        "credential": (
            plan.auth.credential.credential_uuid if plan.auth and plan.auth.credential else ""
        ),
    }
    bare = deepcopy(plan)
    bare.forwarding = None  # a number cannot be looked up offline: described below
    out: list[tuple[str, str]] = []
    for change in diff(bare, AccountView()):
        rid = ids.get(change.kind, "")
        if rid:
            out.append(("check", f"? {change.kind} {change.name} ({rid}): checked when applied"))
        else:
            out.append((change.action, render_change(change)))
    fwd = plan.forwarding if plan.option == "did_forwarding" else None
    if fwd is not None and fwd.plivo_number == "buy":
        s = fwd.search or SearchPlan()
        what = f"a {s.type} number in {s.country_iso}" + (
            f" matching {s.pattern}" if s.pattern else ""
        )
        out.append(("create", f"+ buy {what}, routed to the application"))
    elif fwd is not None and fwd.plivo_number:
        out.append(("update", f"~ route number {fwd.plivo_number} to the application"))
    return out


def offline_verify_steps(plan: Plan, plan_path: str) -> str:
    """What to run to verify once the plan is applied (the offline verify step says it)."""
    app_id = plan.application.app_id
    verify = f"byon verify --plan {plan_path} --public-url URL"
    verify += f" --app {app_id}" if app_id else " --app APP_ID"
    # APP_ID is explained only when the command still holds the placeholder
    what = "URL: your public https address forwarding to the listener"
    if not app_id:
        what += "; APP_ID: printed by apply"
    return (
        "Nothing can be called yet: the plan is not applied. Once it is:\n"
        f"  1. byon apply {plan_path}   (with PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN set)\n"
        f"  2. byon settings {plan_path}   (what to type into your provider's console)\n"
        f"  3. {verify}\n"
        f"     ({what}), then place a test call."
    )
