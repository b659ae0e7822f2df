"""The changes that make an account match a plan: ``+ create``, ``~ update``, ``= unchanged``.

Pure: ``diff`` takes the plan and the account as read (account.py) and returns
``Change`` objects in an order where each comes after the ones it depends on.

Decisions:
- An existing credential's password is only changed with ``rotate_password``
  (``--rotate-password``, or the wizard's choice): Plivo cannot tell whether it
  already matches. A credential found by username, not by the plan's id, was not
  made from this plan, so its line says the password may not be the provider's
  (``Change.adopted``).
- Steps that cannot be undone (buying a number, changing a password) come after
  every step that can, so a failure never needs to undo them. Buying says its cost.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wizard.errors import ByonError
from wizard.numbers import digits_only, with_plus
from wizard.plans.account import AccountView, auth_kinds
from wizard.plans.validate import SEARCH_TYPES
from wizard.text import plain

if TYPE_CHECKING:
    from wizard.plans.plan import Plan
    from wizard.plivo.client import AvailableNumber

NEW = "(new)"  # stands for an id that this run will create
KINDS = ("ip_acl", "credential", "application", "number")
# Plivo quotes rates without a currency; accounts are billed in US dollars (guess: no
# API field names the currency, and the pricing pages quote USD).
CURRENCY = "USD"
ADOPTED = (
    "exists already and was not made from this plan: Plivo keeps its password, and calls "
    "get 403 unless your provider sends that one"
)


@dataclass
class Change:
    """One step that makes the account match the plan."""

    action: str  # "create" | "update" | "unchanged"
    kind: str  # "ip_acl" | "credential" | "application" | "number"
    name: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (old, new)
    depends_on: tuple[str, ...] = ()  # kinds that must be done first
    resource_id: str = ""  # the existing resource's id (update / unchanged)
    adopted: bool = False  # a credential found by username: its password is not known to match
    cost: dict[str, str] = field(default_factory=dict)  # buying: monthly, setup, currency

    @property
    def irreversible(self) -> bool:
        """Buying a number or changing a password cannot be taken back by the API."""
        return (self.kind == "number" and self.action == "create") or (
            self.kind == "credential" and self.action == "update"
        )


def entry_set(entries: Any) -> set[str]:
    """ACL entries as a set of networks, so "203.0.113.10" equals "203.0.113.10/32"."""
    out = set()
    for e in entries or ():
        try:
            out.add(str(ipaddress.ip_network(str(e).strip(), strict=False)))
        except ValueError:
            out.add(str(e).strip())
    return out


def _rate(value: str) -> str:
    """Plivo's "0.80000" as "0.80"; text that is not a number is shown as given."""
    try:
        return f"{float(value):.2f}"
    except (TypeError, ValueError):
        return value or "unknown"


def number_cost(number: AvailableNumber) -> dict[str, str]:
    """What buying ``number`` costs: monthly rental, one-time setup, currency."""
    return {
        "monthly": _rate(number.monthly_rental_rate),
        "setup": _rate(number.setup_rate),
        "currency": CURRENCY,
    }


def plan_purchase(plan: Plan, number: AvailableNumber, country_iso: str) -> None:
    """Make buying ``number`` a change of the plan instead of buying it now: Review then
    lists it with its cost, Apply buys it, and the bought number is written back.

    The plan says ``plivo_number = "buy"`` with a search whose pattern is the number's
    national digits, so it finds exactly that number (and a saved plan buys the same)."""
    import phonenumbers

    from wizard.plans.plan import ForwardingPlan, SearchPlan

    parsed = phonenumbers.parse(with_plus(number.number), None)
    pattern = phonenumbers.national_significant_number(parsed)
    kind = number.type if number.type in SEARCH_TYPES else "any"
    search = SearchPlan(country_iso=country_iso, type=kind, pattern=pattern)
    plan.forwarding = ForwardingPlan(plivo_number="buy", search=search)


def _acl_change(plan: Plan, view: AccountView) -> Change:
    p = plan.auth.ip_acl  # type: ignore[union-attr]
    cur = view.ip_acl
    if cur is None:
        return Change("create", "ip_acl", p.name, {"ip_addresses": (None, p.entries)})
    f: dict[str, tuple[Any, Any]] = {}
    if cur.name != p.name:
        f["name"] = (cur.name, p.name)
    if entry_set(cur.ip_addresses) != entry_set(p.entries):
        f["ip_addresses"] = (list(cur.ip_addresses), list(p.entries))
    return Change("update" if f else "unchanged", "ip_acl", p.name, f, (), cur.ip_acl_uuid)


def _credential_change(plan: Plan, view: AccountView, rotate_password: bool) -> Change:
    p = plan.auth.credential  # type: ignore[union-attr]
    cur = view.credential
    if cur is None:
        return Change("create", "credential", p.username, {"username": (None, p.username)})
    if rotate_password:
        fields = {"password": ("***", NEW)}
        return Change("update", "credential", p.username, fields, (), cur.credential_uuid)
    adopted = "credential" in view.by_name
    return Change("unchanged", "credential", p.username, {}, (), cur.credential_uuid, adopted)


def _application_change(plan: Plan, view: AccountView, created: set[str]) -> Change:
    want_acl, want_cred = auth_kinds(plan)
    ap = plan.application
    want: dict[str, Any] = {
        "answer_url": ap.answer_url,
        "answer_method": (ap.answer_method or "POST").upper(),
    }
    if ap.hangup_url:  # empty: leave Plivo's value (it defaults to answer_url)
        want["hangup_url"] = ap.hangup_url
    if want_acl or want_cred:
        want["sip_auth_type"] = plan.auth.type  # type: ignore[union-attr]
        if want_acl:
            want["ip_acl_uuid"] = view.ip_acl.ip_acl_uuid if view.ip_acl else NEW
        if want_cred:
            want["credential_uuid"] = view.credential.credential_uuid if view.credential else NEW
    deps = tuple(k for k in ("ip_acl", "credential") if k in created)
    app = view.application
    if app is None:
        fields = {k: (None, v) for k, v in want.items()}
        return Change("create", "application", ap.name, fields, deps)
    f = {}
    if app.app_name != ap.name:
        f["app_name"] = (app.app_name, ap.name)
    for k, v in want.items():
        old = getattr(app, k, "") or ""
        if k == "answer_method":
            old = (old or "POST").upper()
        if old != v:
            f[k] = (old, v)
    action = "update" if f else "unchanged"
    return Change(action, "application", ap.name, f, deps, app.app_id)


def _number_change(plan: Plan, view: AccountView, created: set[str]) -> Change | None:
    fwd = plan.forwarding if plan.option == "did_forwarding" else None
    if fwd is None:
        return None
    app = view.application
    target = app.app_id if app is not None else NEW
    app_dep = ("application",) if "application" in created else ()
    n = view.number
    if n is not None and (fwd.plivo_number == "buy" or digits_only(fwd.plivo_number) == n.number):
        if n.app_id == target:
            return Change("unchanged", "number", with_plus(n.number), {}, (), n.number)
        fields = {"app_id": (n.app_id or None, target)}
        return Change("update", "number", with_plus(n.number), fields, app_dep, n.number)
    if fwd.plivo_number != "buy":
        return None
    if not view.available:
        s = fwd.search
        raise ByonError(
            f"No number to buy matches country {s.country_iso if s else '?'}, "
            f"type {s.type if s else '?'}, pattern {s.pattern if s else '?'!r}.",
            hint="Widen [forwarding.search] (a shorter pattern, another type) and retry.",
        )
    pick = view.available[0]
    change = Change("create", "number", with_plus(pick.number), {"app_id": (None, target)}, app_dep)
    change.cost = number_cost(pick)
    return change


def diff(plan: Plan, view: AccountView, *, rotate_password: bool = False) -> list[Change]:
    """The changes that make the account match the plan, each after its dependencies."""
    changes: list[Change] = []
    want_acl, want_cred = auth_kinds(plan)
    if want_acl:
        changes.append(_acl_change(plan, view))
    if want_cred:
        changes.append(_credential_change(plan, view, rotate_password))
    created = {c.kind for c in changes if c.action == "create"}
    changes.append(_application_change(plan, view, created))
    created |= {c.kind for c in changes if c.action == "create"}
    number = _number_change(plan, view, created)
    if number is not None:
        changes.append(number)
    # Irreversible steps wait for every reversible one, so a failure never has to undo them.
    reversible = tuple(c.kind for c in changes if c.action != "unchanged" and not c.irreversible)
    for c in changes:
        if c.irreversible:
            extra = tuple(k for k in reversible if k != c.kind)
            if c.kind == "number":
                extra += tuple(x.kind for x in changes if x.irreversible and x.kind != "number")
            c.depends_on = tuple(dict.fromkeys(c.depends_on + extra))
    return _dependency_order(changes)


def _dependency_order(changes: list[Change]) -> list[Change]:
    """Stable order in which every change follows those it depends on, so running the
    list one by one (the wizard) respects the same rules as running it concurrently."""
    done: set[str] = set()
    pending = list(changes)
    ordered: list[Change] = []
    while pending:
        ready = next(c for c in pending if all(d in done for d in c.depends_on if d != c.kind))
        pending.remove(ready)
        ordered.append(ready)
        done.add(ready.kind)
    return ordered


def _fmt(v: Any) -> str:
    # old values come from the account (outside text): inert, one line, bounded
    if v is None or v == "":
        return "(none)"
    if isinstance(v, (list, tuple)):
        return plain("[" + ", ".join(str(x) for x in v) + "]", 400)
    return plain(v, 200)


def cost_text(cost: dict[str, str]) -> str:
    """``0.80 USD a month + 0.00 USD setup`` for a purchase's line and question."""
    cur = cost.get("currency", CURRENCY)
    return f"{cost.get('monthly', '?')} {cur} a month + {cost.get('setup', '?')} {cur} setup"


def render_change(c: Change) -> str:
    """One line: ``+ create ...``, ``~ update ...: field old -> new``, ``= unchanged ...``."""
    name = plain(c.name, 120)
    if c.action == "unchanged":
        return f"= unchanged {c.kind} {name}" + (f" ({ADOPTED})" if c.adopted else "")
    if c.action == "create":
        if c.kind == "ip_acl":
            n = len(c.fields["ip_addresses"][1])
            detail = f"({n} entr{'y' if n == 1 else 'ies'})"
        elif c.kind == "number":
            detail = (
                f"(buy for {cost_text(c.cost)}; app_id {_fmt(c.fields['app_id'][1])}; "
                "cannot be undone: the rental runs until you release the number)"
            )
        elif c.kind == "application":
            detail = (
                "(" + ", ".join(f"{k} {_fmt(new)}" for k, (_old, new) in c.fields.items()) + ")"
            )
        else:
            detail = ""
        return f"+ create {c.kind} {name} {detail}".rstrip()
    parts = ", ".join(f"{k} {_fmt(old)} -> {_fmt(new)}" for k, (old, new) in c.fields.items())
    tail = " (cannot be undone)" if c.irreversible else ""
    return f"~ update {c.kind} {name}: {parts}{tail}"


def change_json(c: Change) -> dict[str, Any]:
    """A change as one ``byon apply --json`` object."""
    out: dict[str, Any] = {
        "action": c.action,
        "kind": c.kind,
        "name": c.name,
        "id": c.resource_id or None,
        "fields": {k: [old, new] for k, (old, new) in c.fields.items()},
        "depends_on": list(c.depends_on),
        "line": render_change(c),
        "reversible": not c.irreversible,
    }
    if c.cost:
        out["cost"] = dict(c.cost)
    if c.adopted:
        out["adopted"] = True
    return out
