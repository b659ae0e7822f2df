"""Pure parts of the diagnosis: the expectation built from a plan, the row table,
and the outcome fields the emulator does not produce (call logs may)."""

from __future__ import annotations

from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    Plan,
)
from wizard.verify.diagnose import (
    TROUBLESHOOTING_ROWS,
    Expectation,
    diagnose_sip_outcome,
    diagnose_sip_outcomes,
    ip_in_entries,
    is_cgnat,
)


def test_expectation_from_a_direct_sip_plan():
    plan = Plan(
        option="direct_sip",
        external_number="+14155550100",
        application=ApplicationPlan(name="a", app_id="111"),
        auth=AuthPlan(
            type="ip_acl_and_credential",
            ip_acl=AclPlan(name="edge", entries=["203.0.113.10"]),
            credential=CredentialPlan(username="carrier_trunk"),
        ),
    )
    exp = Expectation.from_plan(plan)
    assert exp.auth_type == "ip_acl_and_credential"
    assert exp.acl_entries == ("203.0.113.10",) and exp.username == "carrier_trunk"
    assert exp.app_id == "111" and exp.uri() == "sip:111@app.plivo.com"
    assert Expectation.from_plan(plan, app_id="222").app_id == "222"


def test_expectation_from_a_did_plan_expects_no_sip_auth():
    plan = Plan(option="did_forwarding", forwarding=ForwardingPlan(plivo_number="+14155550199"))
    exp = Expectation.from_plan(plan)
    assert exp.auth_type == "none" and exp.option == "did_forwarding"
    assert exp.plivo_number == "+14155550199"
    buy = Plan(option="did_forwarding", forwarding=ForwardingPlan(plivo_number="buy"))
    assert Expectation.from_plan(buy).plivo_number == ""


def test_seed_rows_are_all_there_with_their_solutions():
    rows = TROUBLESHOOTING_ROWS
    seed = [r for r in rows.values() if r.source == "troubleshooting"]
    assert {r.issue for r in seed} == {
        "All calls get 403 Forbidden",
        "Calls succeed but no SIPAuthType in callback",
        "Call rejected with 407 (then drops)",
        "Auth passes but no XML executes",
        "Calls work intermittently",
    }
    assert all(r.solution for r in rows.values() if r.id != "pass")


def test_unknown_app_id_leaves_a_placeholder_in_the_uri():
    assert Expectation().uri() == "sip:YOUR_APP_ID@app.plivo.com"


def test_a_403_with_no_reason_still_gives_the_seed_fix():
    d = diagnose_sip_outcome({"sip_status": 403}, Expectation(auth_type="credential"))
    assert d.verdict == "fail" and d.row == "all_403"
    assert d.fix == TROUBLESHOOTING_ROWS["all_403"].solution


def test_a_403_from_an_ip_the_plan_does_not_list_names_the_acl():
    exp = Expectation(auth_type="ip_acl", acl_entries=("203.0.113.0/29",))
    d = diagnose_sip_outcome({"sip_status": 403, "source_ip": "198.51.100.3"}, exp)
    assert "198.51.100.3" in d.sentence and "IP ACL" in d.sentence


def test_lockout_counted_from_a_call_log():
    out = {"sip_status": 403, "source_ip": "198.51.100.3", "recent_failures": 10}
    d = diagnose_sip_outcome(out, Expectation(auth_type="credential"))
    assert d.row == "lockout" and "60 seconds" in d.fix


def test_same_ips_failing_and_passing_is_not_rotation():
    outs = [
        {"sip_status": 200, "source_ip": "203.0.113.10"},
        {"sip_status": 403, "source_ip": "203.0.113.10"},
    ]
    assert diagnose_sip_outcomes(outs, Expectation()).row == "all_403"
    assert diagnose_sip_outcomes([], Expectation()).verdict == "fail"


def test_an_unexpected_status_is_reported_not_passed():
    d = diagnose_sip_outcome({"sip_status": 486, "reason": "Busy Here"}, Expectation())
    assert d.verdict == "fail" and "486" in d.sentence and "Busy Here" in d.sentence


def test_ip_helpers():
    assert ip_in_entries("198.51.100.5", ["198.51.100.0/28"])
    assert not ip_in_entries("198.51.100.50", ["198.51.100.0/28", "bogus"])
    assert not ip_in_entries("not-an-ip", ["0.0.0.0/0"])
    assert is_cgnat("100.127.255.1") and not is_cgnat("100.128.0.1") and not is_cgnat("::1")
