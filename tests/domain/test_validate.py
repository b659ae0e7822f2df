"""Every validation rule, good and bad, with the sentence a user sees."""

from __future__ import annotations

import pytest

from wizard.plans import validate as v
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

# --- E.164 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["+14155550100", "+442071838750", "+4915123456789"])
def test_e164_accepts_valid_numbers(number):
    assert v.check_e164(number) is None


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("", "required"),
        ("14155550100", "must start with +"),
        ("+1415", "not a valid number"),
        ("+99912345678", "not"),
        ("+1-call-me", "not"),
        ("buy", "must start with +"),
    ],
)
def test_e164_refuses_with_a_clear_sentence(number, words):
    msg = v.check_e164(number)
    assert msg is not None and words in msg
    assert "+14155550100" in msg  # says what is allowed


def test_normalize_e164_removes_formatting():
    assert v.check_e164("+1 (415) 555-0100") is None
    assert v.normalize_e164("+1 (415) 555-0100") == "+14155550100"


# --- ACL entries --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry", ["203.0.113.10", "198.51.100.0/28", "8.8.8.8", "54.172.60.0/30", "2600:1f18::/48"]
)
def test_acl_entry_accepts_public_addresses_and_ranges(entry):
    assert v.check_acl_entry(entry, "ip_acl") is None


def test_acl_entry_with_host_bits_suggests_the_network():
    msg = v.check_acl_entry("198.51.100.7/28", "ip_acl")
    assert "host bits" in msg and "198.51.100.0/28" in msg


@pytest.mark.parametrize(
    ("entry", "label"),
    [
        ("10.1.2.3", "private"),
        ("172.16.0.0/12", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.10.10", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("ff02::1", "multicast"),
        ("::", "unspecified"),
        ("8.0.0.0/6", "private"),  # a range that swallows 10.0.0.0/8
    ],
)
def test_acl_entry_refuses_non_public_space(entry, label):
    msg = v.check_acl_entry(entry, "ip_acl_and_credential")
    assert msg is not None and label in msg and "public" in msg


@pytest.mark.parametrize("entry", ["0.0.0.0/0", "::/0"])
def test_acl_entry_refuses_everything(entry):
    assert "every address" in v.check_acl_entry(entry, "ip_acl")


def test_shared_cgnat_space_needs_a_credential_too():
    msg = v.check_acl_entry("100.64.1.1", "ip_acl")
    assert "shared/CGNAT" in msg and "ip_acl_and_credential" in msg
    assert v.check_acl_entry("100.64.1.1", "ip_acl_and_credential") is None
    assert v.check_acl_entry("100.64.0.0/10", "ip_acl") is not None


@pytest.mark.parametrize(
    "entry", ["not-an-ip", "1.2.3.4.5", "1.2.3.4/33", "", " 1.2.3.4", "300.1.1.1"]
)
def test_acl_entry_refuses_garbage(entry):
    msg = v.check_acl_entry(entry, "ip_acl")
    assert msg is not None and ("like" in msg or "spaces" in msg)


def test_wide_ranges_are_a_warning_not_an_error():
    assert v.check_acl_entry("20.0.0.0/8", "ip_acl") is None
    assert "wider than /16" in v.acl_entry_warning("20.0.0.0/8")
    assert v.acl_entry_warning("20.1.0.0/16") is None
    assert v.acl_entry_warning("2600::/32") is not None
    assert v.acl_entry_warning("203.0.113.10") is None


def test_acl_entries_list_rules():
    assert v.check_acl_entries(["203.0.113.10"], "ip_acl") == []
    [empty] = v.check_acl_entries([], "ip_acl")
    assert empty.level == "error" and "at least one" in empty.message
    many = [f"20.0.{i}.1" for i in range(51)]
    errs = [f for f in v.check_acl_entries(many, "ip_acl") if f.is_error]
    assert len(errs) == 1 and "at most 50" in errs[0].message
    assert [f for f in v.check_acl_entries(many[:50], "ip_acl") if f.is_error] == []
    dup = v.check_acl_entries(["203.0.113.10", "8.8.8.8", "203.0.113.10/32"], "ip_acl")
    assert [(f.key, f.level) for f in dup] == [("auth.ip_acl.entries[2]", "error")]
    assert "repeats entry 1" in dup[0].message
    wide = v.check_acl_entries(["20.0.0.0/8"], "ip_acl")
    assert [(f.key, f.level) for f in wide] == [("auth.ip_acl.entries[0]", "warning")]


# --- credentials --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["abc", "carrier_trunk", "a.b-c_d", "x" * 64])
def test_username_ok(name):
    assert v.check_username(name) is None


@pytest.mark.parametrize("name", ["ab", "x" * 65, "has space", "bad@char", ""])
def test_username_refused(name):
    assert "3-64 characters" in v.check_username(name)


def test_password_rules_and_message_never_repeats_it():
    assert v.check_password("Abcdefghij12") is None
    for pw, lack in [
        ("abcdefghij12", "upper-case"),
        ("ABCDEFGHIJ12", "lower-case"),
        ("Abcdefghijkl", "digit"),
        ("Abc123", "6 characters"),
        ("A1" + "b" * 127, "129 characters"),
    ]:
        msg = v.check_password(pw)
        assert msg is not None and lack in msg and "12-128" in msg
        assert pw not in msg


def test_password_strength_meter():
    assert v.password_strength("") == (0, "empty")
    assert v.password_strength("abc")[0] == 0
    assert v.password_strength("aaaaaaaaaaaa")[0] <= 1
    weak, _ = v.password_strength("abcdefghij12")  # breaks Plivo's rule: capped
    assert weak <= 1
    strong, label = v.password_strength("Xk3-vQ9_mT2.pR7~wL4zN8sY")
    assert strong == 4 and label == "very strong"


def test_env_name_never_echoes_what_may_be_a_password():
    assert v.check_env_name("BYON_SIP_PASSWORD") is None
    assert "environment variable" in v.check_env_name("1BAD")
    msg = v.check_env_name("Hunter2 pass!")
    assert "never goes in the plan" in msg and "Hunter2" not in msg
    assert v.env_name_warning("BYON_SIP_PASSWORD") is None
    warning = v.env_name_warning("Xk3vQ9mT2pR7")
    assert "password itself" in warning and "Xk3vQ9mT2pR7" not in warning


def test_auth_id_error_does_not_echo_a_pasted_token():
    msg = v.check_auth_id("s3cr3t-token-value-123")
    assert "PLIVO_AUTH_TOKEN" in msg and "s3cr3t" not in msg


# --- URLs, app, stream --------------------------------------------------------------------------


def test_urls():
    assert v.check_url("https://agent.example.com/answer", "answer_url") is None
    assert v.url_warning("https://agent.example.com/answer", "answer_url") is None
    assert "http://" in v.url_warning("http://agent.example.com/a", "answer_url")
    assert v.check_url("http://agent.example.com/a", "answer_url") is None
    for bad in ["agent.example.com/answer", "ftp://x/y", "https://", "/answer", "https://a b/"]:
        msg = v.check_url(bad, "answer_url")
        assert msg is not None and "answer_url" in msg
    assert "required" in v.check_url("", "answer_url")
    assert "cannot reach" in v.url_warning("https://127.0.0.1:8080/answer", "answer_url")


def test_stream_urls():
    assert v.check_stream_url("wss://agent.example.com/media") is None
    assert v.check_stream_url("ws://agent.example.com/media") is None
    assert "unencrypted" in v.stream_url_warning("ws://agent.example.com/media")
    assert "wss://" in v.check_stream_url("https://agent.example.com/media")


def test_small_checks():
    assert v.check_app_name("ai-agent_1") is None
    assert "1-255" in v.check_app_name("has space")
    assert v.check_app_name("x" * 255) is None
    assert v.check_app_name("x" * 256) is not None
    assert v.check_acl_name("Carrier Edge (EU)") is None
    for bad in ["", "   ", "a\nb", "x" * 256]:
        assert "1-255 characters" in v.check_acl_name(bad)
    assert v.check_auth_type("ip_acl") is None
    assert "ip_acl_and_credential" in v.check_auth_type("digest")
    for ct in v.CONTENT_TYPES:
        assert v.check_content_type(ct) is None
    assert "audio/x-mulaw;rate=8000" in v.check_content_type("audio/wav")
    assert v.check_country_iso("GB") is None
    assert "two capital letters" in v.check_country_iso("gb")
    assert v.check_country_iso("XX") is not None
    assert v.check_answer_method("GET") is None and v.check_answer_method("PUT")
    assert v.check_app_id("20468599130939380") is None and v.check_app_id("") is None
    assert "all digits" in v.check_app_id("abc")
    assert v.check_auth_id("MAXXXXXXXXXXXXXXXXXX") is None
    assert v.check_search_pattern("415") is None and v.check_search_pattern("4a")
    assert v.check_search_type("tollfree") is None and v.check_search_type("cheap")
    assert "bidirectional" in v.check_stream_tracks(True, "both")
    assert v.check_stream_tracks(False, "both") is None
    assert v.check_stream_tracks(True, "inbound") is None


# --- validate_plan: the cross rules -------------------------------------------------------------


def direct(**auth) -> Plan:
    return Plan(
        option="direct_sip",
        external_number="+14155550100",
        application=ApplicationPlan(name="agent", answer_url="https://agent.example.com/answer"),
        auth=AuthPlan(**auth) if auth else None,
    )


def forwarding(number="+14155550199", search=None) -> Plan:
    return Plan(
        option="did_forwarding",
        external_number="+14155550100",
        application=ApplicationPlan(name="agent", answer_url="https://agent.example.com/answer"),
        forwarding=ForwardingPlan(plivo_number=number, search=search),
    )


def errors(plan: Plan) -> dict[str, str]:
    return {f.key: f.message for f in v.validate_plan(plan) if f.is_error}


CRED = CredentialPlan(username="carrier_trunk")
ACL = AclPlan(name="edge", entries=["203.0.113.10"])


def test_valid_plans_have_no_errors():
    assert errors(direct(type="credential", credential=CRED)) == {}
    assert errors(direct(type="ip_acl", ip_acl=ACL)) == {}
    assert errors(direct(type="ip_acl_and_credential", ip_acl=ACL, credential=CRED)) == {}
    assert errors(forwarding()) == {}
    assert errors(forwarding("buy", SearchPlan(country_iso="US", pattern="415"))) == {}


def test_direct_sip_without_auth_is_refused_saying_why():
    assert "toll fraud" in errors(direct())["auth"]


def test_auth_with_did_forwarding_is_refused():
    plan = forwarding()
    plan.auth = AuthPlan(type="credential", credential=CRED)
    assert "direct_sip only" in errors(plan)["auth"]


def test_acl_table_required_iff_type_includes_ip_acl():
    assert "[auth.ip_acl]" in errors(direct(type="ip_acl"))["auth.ip_acl"]
    assert (
        "only when type includes ip_acl"
        in errors(direct(type="credential", credential=CRED, ip_acl=ACL))["auth.ip_acl"]
    )


def test_credential_table_required_iff_type_includes_credential():
    assert (
        "[auth.credential]"
        in errors(direct(type="ip_acl_and_credential", ip_acl=ACL))["auth.credential"]
    )
    assert (
        "only when type includes credential"
        in errors(direct(type="ip_acl", ip_acl=ACL, credential=CRED))["auth.credential"]
    )


def test_forwarding_table_rules():
    plan = forwarding()
    plan.forwarding = None
    assert "[forwarding]" in errors(plan)["forwarding"]
    plan = direct(type="credential", credential=CRED)
    plan.forwarding = ForwardingPlan(plivo_number="+14155550199")
    assert "did_forwarding only" in errors(plan)["forwarding"]
    assert "[forwarding.search]" in errors(forwarding("buy"))["forwarding.plivo_number"]
    assert "E.164" in errors(forwarding("415-555"))["forwarding.plivo_number"]
    assert "same number" in errors(forwarding("+14155550100"))["forwarding.plivo_number"]
    bad = errors(forwarding("buy", SearchPlan(country_iso="usa", type="cheap", pattern="x")))
    assert set(bad) == {
        "forwarding.search.country_iso",
        "forwarding.search.type",
        "forwarding.search.pattern",
    }


def test_field_rules_are_keyed():
    plan = direct(type="credential", credential=CredentialPlan(username="x", password_env="a b"))
    plan.version = 2
    plan.option = "direct_sip"
    plan.external_number = "12"
    plan.provider = "twillio"
    plan.application = ApplicationPlan(name="a b", answer_url="ftp://x", answer_method="PUT")
    plan.stream = StreamPlan(url="http://x", content_type="audio/wav", audio_track="both")
    got = errors(plan)
    assert set(got) >= {
        "version",
        "route.external_number",
        "route.provider",
        "application.name",
        "application.answer_url",
        "application.answer_method",
        "auth.credential.username",
        "auth.credential.password_env",
        "stream.url",
        "stream.content_type",
        "stream.audio_track",
    }
    assert 'did you mean "twilio"' in got["route.provider"]


def test_bidirectional_stream_with_outbound_track_is_refused():
    plan = direct(type="credential", credential=CRED)
    plan.stream = StreamPlan(
        url="wss://a.example.com/ws", bidirectional=True, audio_track="outbound"
    )
    assert "bidirectional" in errors(plan)["stream.audio_track"]
    plan.stream.bidirectional = False
    assert errors(plan) == {}


def test_warnings_are_not_errors():
    plan = direct(type="ip_acl", ip_acl=AclPlan(name="edge", entries=["20.0.0.0/8"]))
    plan.application.answer_url = "http://agent.example.com/answer"
    plan.stream = StreamPlan(url="ws://agent.example.com/media")
    found = v.validate_plan(plan)
    assert not [f for f in found if f.is_error]
    assert {f.key for f in found} == {
        "application.answer_url",
        "auth.ip_acl.entries[0]",
        "stream.url",
    }


def test_provider_that_cannot_do_digest_warns():
    plan = direct(type="credential", credential=CRED)
    plan.provider = "vonage"
    [w] = v.validate_plan(plan)
    assert w.level == "warning" and w.key == "auth.type" and "ip_acl" in w.message
    plan.provider = "3cx"
    assert any(f.key == "route.option" for f in v.validate_plan(plan))


def test_empty_name_and_username_say_they_are_required():
    from wizard.plans.validate import check_app_name, check_username

    assert check_username("").startswith("a SIP username is required")
    assert check_app_name("").startswith("an application name is required")
    assert "''" not in check_username("") + check_app_name("")
