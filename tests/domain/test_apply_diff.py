"""diff() and its rendering on constructed objects: no network."""

from __future__ import annotations

import pytest

from wizard.errors import ByonError, PlanError
from wizard.plans.account import AccountView
from wizard.plans.diff import NEW, Change, diff, render_change
from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    Plan,
    SearchPlan,
    set_id,
)
from wizard.plivo.client import Application, AvailableNumber, Credential, IpAcl, Number


def sip_plan(auth_type: str = "ip_acl_and_credential") -> Plan:
    auth = AuthPlan(type=auth_type)
    if "ip_acl" in auth_type:
        auth.ip_acl = AclPlan(name="carrier-edge", entries=["203.0.113.10", "198.51.100.0/28"])
    if "credential" in auth_type:
        auth.credential = CredentialPlan(username="carrier_trunk")
    return Plan(
        option="direct_sip",
        external_number="+14155550100",
        application=ApplicationPlan(name="ai-agent-inbound", answer_url="https://a.example/ans"),
        auth=auth,
    )


def fwd_plan(number: str = "+14155550199") -> Plan:
    return Plan(
        option="did_forwarding",
        external_number="+14155550100",
        application=ApplicationPlan(name="ai-agent-inbound", answer_url="https://a.example/ans"),
        forwarding=ForwardingPlan(
            plivo_number=number,
            search=SearchPlan("US", "local", "415") if number == "buy" else None,
        ),
    )


ACL = IpAcl("acl-1", "carrier-edge", ("203.0.113.10/32", "198.51.100.0/28"))
CRED = Credential("cred-1", "carrier_trunk")
APP = Application(
    "111",
    "ai-agent-inbound",
    answer_url="https://a.example/ans",
    sip_auth_type="ip_acl_and_credential",
    ip_acl_uuid="acl-1",
    credential_uuid="cred-1",
)


def by_kind(changes: list[Change]) -> dict[str, Change]:
    return {c.kind: c for c in changes}


def test_empty_account_creates_everything_in_dependency_order():
    changes = diff(sip_plan(), AccountView())
    assert [(c.action, c.kind) for c in changes] == [
        ("create", "ip_acl"),
        ("create", "credential"),
        ("create", "application"),
    ]
    app = by_kind(changes)["application"]
    assert set(app.depends_on) == {"ip_acl", "credential"}
    assert app.fields["sip_auth_type"] == (None, "ip_acl_and_credential")
    assert app.fields["ip_acl_uuid"] == (None, NEW)
    lines = [render_change(c) for c in changes]
    assert lines[0] == "+ create ip_acl carrier-edge (2 entries)"
    assert lines[1] == "+ create credential carrier_trunk"
    assert lines[2].startswith("+ create application ai-agent-inbound (answer_url https://a.")


def test_matching_account_is_all_unchanged():
    view = AccountView(application=APP, ip_acl=ACL, credential=CRED)
    changes = diff(sip_plan(), view)
    assert [c.action for c in changes] == ["unchanged"] * 3
    assert [render_change(c) for c in changes] == [
        "= unchanged ip_acl carrier-edge",
        "= unchanged credential carrier_trunk",
        "= unchanged application ai-agent-inbound",
    ]


def test_acl_entries_compare_as_networks_not_strings():
    acl = IpAcl("acl-1", "carrier-edge", ("198.51.100.0/28", "203.0.113.10"))
    view = AccountView(application=APP, ip_acl=acl, credential=CRED)
    assert by_kind(diff(sip_plan(), view))["ip_acl"].action == "unchanged"


def test_changed_answer_url_renders_old_and_new():
    plan = sip_plan()
    plan.application.answer_url = "https://b.example/ans"
    view = AccountView(application=APP, ip_acl=ACL, credential=CRED)
    app = by_kind(diff(plan, view))["application"]
    assert app.action == "update"
    assert render_change(app) == (
        "~ update application ai-agent-inbound: "
        "answer_url https://a.example/ans -> https://b.example/ans"
    )
    assert app.depends_on == ()


def test_open_app_gets_auth_set():
    open_app = Application("111", "ai-agent-inbound", answer_url="https://a.example/ans")
    view = AccountView(application=open_app, ip_acl=ACL, credential=CRED)
    app = by_kind(diff(sip_plan(), view))["application"]
    assert app.action == "update"
    assert app.fields["sip_auth_type"] == ("", "ip_acl_and_credential")
    assert app.fields["ip_acl_uuid"] == ("", "acl-1")
    assert "sip_auth_type (none) -> ip_acl_and_credential" in render_change(app)


def test_credential_is_only_rotated_on_request():
    view = AccountView(application=APP, ip_acl=ACL, credential=CRED)
    assert by_kind(diff(sip_plan(), view))["credential"].action == "unchanged"
    changes = diff(sip_plan(), view, rotate_password=True)
    cred = by_kind(changes)["credential"]
    assert cred.action == "update" and cred.irreversible
    assert "password *** -> (new)" in render_change(cred)


def test_a_credential_found_by_username_says_its_password_is_not_known():
    """Planned offline: the password typed at the provider may not be the one Plivo has."""
    found_by_name = AccountView(
        application=APP, ip_acl=ACL, credential=CRED, by_name={"credential"}
    )
    cred = by_kind(diff(sip_plan(), found_by_name))["credential"]
    assert cred.action == "unchanged" and cred.adopted
    assert "not made from this plan" in render_change(cred) and "403" in render_change(cred)
    by_id = AccountView(application=APP, ip_acl=ACL, credential=CRED)
    assert not by_kind(diff(sip_plan(), by_id))["credential"].adopted
    rotated = by_kind(diff(sip_plan(), found_by_name, rotate_password=True))["credential"]
    assert rotated.action == "update" and not rotated.adopted


def test_a_password_change_runs_after_every_step_that_can_be_undone():
    old = Application("111", "ai-agent-inbound", answer_url="https://old.example/ans")
    view = AccountView(application=old, ip_acl=ACL, credential=CRED)
    changes = diff(sip_plan(), view, rotate_password=True)
    assert [c.kind for c in changes if c.action != "unchanged"] == ["application", "credential"]
    assert "(cannot be undone)" in render_change(changes[-1])


def test_acl_entries_change_is_an_update_with_both_lists():
    plan = sip_plan("ip_acl")
    plan.auth.ip_acl.entries = ["203.0.113.10"]
    app = Application(
        "111",
        "ai-agent-inbound",
        answer_url="https://a.example/ans",
        sip_auth_type="ip_acl",
        ip_acl_uuid="acl-1",
    )
    acl = by_kind(diff(plan, AccountView(application=app, ip_acl=ACL)))["ip_acl"]
    assert acl.action == "update"
    assert acl.fields["ip_addresses"] == (list(ACL.ip_addresses), ["203.0.113.10"])


def test_forwarding_assigns_the_plans_number():
    num = Number("14155550199", app_id="")
    changes = diff(fwd_plan(), AccountView(number=num))
    assert [(c.action, c.kind) for c in changes] == [
        ("create", "application"),
        ("update", "number"),
    ]
    n = changes[1]
    assert n.depends_on == ("application",)
    assert render_change(n) == "~ update number +14155550199: app_id (none) -> (new)"


def test_forwarding_number_already_routed_is_unchanged():
    app = Application("111", "ai-agent-inbound", answer_url="https://a.example/ans")
    num = Number("14155550199", app_id="111")
    changes = diff(fwd_plan(), AccountView(application=app, number=num))
    assert [c.action for c in changes] == ["unchanged", "unchanged"]


def test_buy_picks_the_first_search_result_and_runs_last():
    view = AccountView(
        available=[
            AvailableNumber("14155550111", setup_rate="0.00000", monthly_rental_rate="0.80000"),
            AvailableNumber("14155550112"),
        ]
    )
    changes = diff(fwd_plan("buy"), view)
    n = by_kind(changes)["number"]
    assert n.action == "create" and n.name == "+14155550111" and n.irreversible
    assert "application" in n.depends_on
    assert render_change(n) == (
        "+ create number +14155550111 (buy for 0.80 USD a month + 0.00 USD setup; "
        "app_id (new); cannot be undone: the rental runs until you release the number)"
    )
    assert n.cost == {"monthly": "0.80", "setup": "0.00", "currency": "USD"}


def test_buy_with_nothing_available_says_what_to_do():
    with pytest.raises(ByonError) as exc:
        diff(fwd_plan("buy"), AccountView())
    assert "Widen [forwarding.search]" in str(exc.value)


def test_buy_waits_for_every_reversible_step():
    app = Application("111", "ai-agent-inbound", answer_url="https://old.example/ans")
    view = AccountView(application=app, available=[AvailableNumber("14155550111")])
    n = by_kind(diff(fwd_plan("buy"), view))["number"]
    # The app is only updated (its id is known), yet the purchase still waits for it.
    assert n.depends_on == ("application",)


def test_set_id_is_the_one_way_ids_enter_a_plan():
    plan = sip_plan()
    plan.application.app_id = "111"
    ids = {"application": "111", "ip_acl": "acl-1", "credential": "cred-1"}
    assert [k for k, v in ids.items() if set_id(plan, k, v)] == ["ip_acl", "credential"]
    assert plan.auth.ip_acl.ip_acl_uuid == "acl-1"
    assert plan.auth.credential.credential_uuid == "cred-1"
    fwd = fwd_plan("buy")
    assert set_id(fwd, "number", "14155550111") and fwd.forwarding.plivo_number == "+14155550111"
    with pytest.raises(PlanError, match=r"no \[auth.ip_acl\] table"):
        set_id(fwd, "ip_acl", "x")
