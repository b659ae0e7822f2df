"""Step results merge into the one Plan in place: ids stay, a choice is never silently reset."""

from __future__ import annotations

import pytest

from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    Plan,
    SearchPlan,
    StreamPlan,
)
from wizard.steps import (
    NO_AUTH,
    AclChoice,
    ApplicationResult,
    AuthResult,
    CredentialChoice,
    NumberResult,
    OptionResult,
    invalid_findings,
    merge,
    offline_lines,
)


def applied_plan() -> Plan:
    """A Direct SIP plan after apply: every id known."""
    return Plan(
        external_number="+14155550100",
        application=ApplicationPlan(
            name="agent", app_id="20468599130939380", answer_url="https://a.example.com/answer"
        ),
        auth=AuthPlan(
            type="ip_acl_and_credential",
            ip_acl=AclPlan(name="edge", entries=["203.0.113.10"], ip_acl_uuid="acl-1"),
            credential=CredentialPlan(username="trunk01", credential_uuid="cred-1"),
        ),
    )


def same_auth(plan: Plan) -> AuthResult:
    auth = plan.auth
    return AuthResult(
        auth.type,
        AclChoice(auth.ip_acl.name, tuple(auth.ip_acl.entries)),
        CredentialChoice(auth.credential.username),
    )


def test_back_then_next_on_auth_keeps_every_id():
    plan = applied_plan()
    before = (plan.auth.ip_acl, plan.auth.credential)
    merge(plan, same_auth(plan))
    assert plan == applied_plan()
    assert (plan.auth.ip_acl, plan.auth.credential) == before  # the same objects, edited


def test_back_then_next_on_the_application_form_keeps_its_id():
    plan = applied_plan()
    app = plan.application
    merge(plan, ApplicationResult(app.name, app.answer_url, app_id=app.app_id))
    assert plan.application.app_id == "20468599130939380"
    assert plan.application is app


def test_picking_the_plans_own_app_keeps_its_pending_changes():
    plan = applied_plan()
    plan.application.answer_url = "https://new.example.com/answer"  # not applied yet
    merge(
        plan,
        ApplicationResult(
            "agent", "https://old.example.com/answer", app_id=plan.application.app_id, existing=True
        ),
    )
    assert plan.application.answer_url == "https://new.example.com/answer"


def test_picking_another_app_takes_its_values_and_id():
    plan = applied_plan()
    merge(plan, ApplicationResult("other", "https://o.example.com/a", app_id="9", existing=True))
    assert (plan.application.name, plan.application.app_id) == ("other", "9")


def test_a_reused_credential_then_another_username_drops_the_reused_id():
    plan = applied_plan()
    legacy = CredentialChoice("legacy_trunk", "cred-legacy", "legacy_trunk")
    merge(plan, AuthResult("credential", credential=legacy))
    assert plan.auth.credential.credential_uuid == "cred-legacy"
    # the user then types another username: the legacy id must not stay paired with it
    merge(plan, AuthResult("credential", credential=CredentialChoice("trunk01")))
    assert plan.auth.credential.username == "trunk01"
    assert plan.auth.credential.credential_uuid == ""


def test_a_reused_uuid_with_a_mismatched_username_is_not_trusted():
    plan = applied_plan()
    mixed = CredentialChoice("trunk02", "cred-legacy", "legacy_trunk")
    merge(plan, AuthResult("credential", credential=mixed))
    assert plan.auth.credential.credential_uuid == ""


def test_switching_auth_type_drops_tables_the_type_does_not_use():
    plan = applied_plan()
    merge(plan, AuthResult("credential", credential=CredentialChoice("trunk01")))
    assert plan.auth.ip_acl is None
    assert plan.auth.credential.credential_uuid == "cred-1"
    merge(plan, AuthResult(NO_AUTH))
    assert plan.auth is None


@pytest.mark.parametrize("loaded", ["ip_acl", "ip_acl_and_credential"])
def test_choosing_direct_sip_again_keeps_the_auth_type(loaded):
    plan = applied_plan()
    plan.auth.type = loaded
    merge(plan, OptionResult("direct_sip", "+14155550100"))  # "" auth type: keep
    assert plan.auth.type == loaded
    merge(plan, OptionResult("direct_sip", "+14155550100", "credential"))  # new answers
    assert plan.auth.type == "credential"


def test_option_for_a_new_plan_sets_the_recommended_type():
    plan = Plan()
    merge(plan, OptionResult("direct_sip", "+14155550100", "ip_acl"))
    assert plan.auth.type == "ip_acl"
    merge(plan, OptionResult("did_forwarding", "+14155550100"))
    assert plan.auth is None


def test_number_to_buy_keeps_its_search_and_a_rented_one_drops_it():
    plan = Plan(option="did_forwarding")
    search = SearchPlan("US", "tollfree", "8005550100")
    merge(plan, NumberResult("buy", search))
    assert plan.forwarding == ForwardingPlan("buy", search)
    merge(plan, NumberResult("+14155550199", search))
    assert plan.forwarding == ForwardingPlan("+14155550199", None)


def test_stream_is_edited_in_place():
    plan = applied_plan()
    plan.stream = StreamPlan(url="wss://a.example.com/m")
    stream = plan.stream
    app = plan.application
    new = StreamPlan(url="wss://b.example.com/m", bidirectional=False)
    merge(plan, ApplicationResult(app.name, app.answer_url, app_id=app.app_id, stream=new))
    assert plan.stream is stream and plan.stream == new
    merge(plan, ApplicationResult(app.name, app.answer_url, app_id=app.app_id))
    assert plan.stream is None


def test_unknown_result_is_refused():
    with pytest.raises(TypeError):
        merge(Plan(), object())  # type: ignore[arg-type]


def test_a_draft_has_gaps_but_no_wrong_values():
    draft = Plan(auth=AuthPlan(type="credential", credential=CredentialPlan(username="pbx")))
    assert invalid_findings(draft) == []  # no application name yet: a gap, shown on review
    draft.auth.credential.username = "x"  # present and wrong
    keys = [f.key for f in invalid_findings(draft)]
    assert keys == ["auth.credential.username"]
    draft.auth.credential.username = "pbx"
    draft.external_number = "12"
    assert [f.key for f in invalid_findings(draft)] == ["route.external_number"]


def test_acl_entry_errors_are_found_by_their_index():
    plan = applied_plan()
    plan.auth.ip_acl.entries = ["203.0.113.10", "10.0.0.1"]
    assert [f.key for f in invalid_findings(plan)] == ["auth.ip_acl.entries[1]"]


def test_offline_lines_say_what_apply_creates_and_what_it_checks():
    plan = Plan(
        external_number="+14155550100",
        application=ApplicationPlan(name="agent", answer_url="https://a.example.com/answer"),
        auth=AuthPlan(
            type="ip_acl", ip_acl=AclPlan(name="edge", entries=["203.0.113.10"], ip_acl_uuid="u1")
        ),
    )
    lines = offline_lines(plan)
    assert ("check", "? ip_acl edge (u1): checked when applied") in lines
    assert any(a == "create" and "create application agent" in t for a, t in lines)
    plan.option, plan.auth = "did_forwarding", None
    plan.forwarding = ForwardingPlan("buy", SearchPlan("US", "local", "415"))
    last = lines_text(plan)[-1]
    assert last == "+ buy a local number in US matching 415, routed to the application"


def lines_text(plan: Plan) -> list[str]:
    return [t for _a, t in offline_lines(plan)]


def test_offline_verify_steps_explain_app_id_only_while_it_is_a_placeholder():
    from wizard.plans.plan import ApplicationPlan, Plan
    from wizard.steps import offline_verify_steps

    unapplied = offline_verify_steps(Plan(), "plan.toml")
    assert "--app APP_ID" in unapplied and "APP_ID: printed by apply" in unapplied
    known = offline_verify_steps(Plan(application=ApplicationPlan(app_id="123")), "plan.toml")
    assert "--app 123" in known and "APP_ID" not in known
