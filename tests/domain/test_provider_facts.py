"""Provider knowledge as data: every fact has a source and a date, bad files are refused with
the file and key named, stale facts are marked, and the wizard's advice and diagnosis use it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.domain.test_providers import KEYS, direct, forwarding
from tests.runner import run_byon
from wizard.providers.advice import advise
from wizard.providers.facts import (
    DATA_DIR,
    HINT_ROWS,
    STALE_DAYS,
    ProviderDataError,
    load_providers,
    plivo,
    providers,
)
from wizard.providers.hints import number_form_issue, provider_hint
from wizard.providers.templates import format_settings, plan_warnings, settings_for
from wizard.session import recommend
from wizard.verify.diagnose import TROUBLESHOOTING_ROWS, Expectation, diagnose_callback

TODAY = dt.date(2026, 11, 29)


def test_every_shipped_fact_has_a_source_and_a_date():
    loaded = load_providers(today=TODAY)
    assert list(loaded) == KEYS
    facts = [f for p in loaded.values() for f in p.facts] + list(plivo().facts.values())
    assert len(facts) > 150
    for f in facts:
        assert f.source.startswith("https://"), f.path
        assert isinstance(f.verified, dt.date) and f.verified <= TODAY, f.path
    # each provider says how it reaches a SIP URI, whether it answers a 407, its transport
    # and how numbers appear
    for p in loaded.values():
        for r in p.routes:
            assert {"how", "digest", "request_uri", "transport", "number_format"} <= set(r.facts)


def test_the_diagnosis_rows_a_hint_may_name_exist():
    assert set(HINT_ROWS) <= set(TROUBLESHOOTING_ROWS)


def test_stale_facts_are_marked_with_where_to_recheck():
    later = TODAY + dt.timedelta(days=STALE_DAYS + 1)
    twilio = providers()["twilio"]
    assert twilio.stale_facts(TODAY) == []
    stale = twilio.stale_facts(later)
    assert stale and all(f.stale(later) for f in stale)
    assert "re-check at https://www.twilio.com/docs/" in stale[0].caveat(later)
    out = settings_for(direct(), "twilio", today=later)
    assert out.stale and all(s.startswith("re-check at https://") for s in out.stale)
    assert "verified over 90 days ago" in format_settings(out)
    assert settings_for(direct(), "twilio", today=TODAY).stale == []


# --- bad data files: refused with the file and the key ------------------------------------------


def _broken(tmp_path: Path, edit) -> str:
    shutil.copy(DATA_DIR / "telnyx.toml", tmp_path / "telnyx.toml")
    path = tmp_path / "telnyx.toml"
    path.write_text(edit(path.read_text()))
    with pytest.raises(ProviderDataError) as info:
        load_providers(tmp_path, today=TODAY)
    return str(info.value)


TELNYX_SOURCE = (
    'source = "https://developers.telnyx.com/docs/voice/sip-trunking/routing/failover-and-retries"'
)
BROKEN = {  # id: (text in telnyx.toml, replaced by, words the refusal must hold)
    "no-source": (TELNYX_SOURCE + "\n", "", "source"),
    "no-date": ("verified = 2026-11-29\n", "", "verified"),
    "future-date": ("verified = 2026-11-29", "verified = 2031-01-01", "in the future"),
    "date-as-text": ("verified = 2026-11-29", 'verified = "last week"', "verified"),
    "bad-ip": ('"64.16.250.10"', '"64.16.250.999"', "ips.list"),
    "no-auth-note": ("[auth_note]", "[auth_notes]", "auth_note"),
    "key-mismatch": ('key = "telnyx"', 'key = "telnix"', "file's name"),
    "placeholder": ("{app_id}, or use", "{app_idd}, or use", "unknown placeholder"),
    "hint-row": ("challenge_407 =", "challenge_408 =", "not a diagnosis row"),
    "hint-auth": ('{ auth = ["credential"]', '{ auth = ["digest"]', "hints.all_403[1].auth"),
    "transport": ('transport = "udp"', 'transport = "carrier pigeon"', "transport"),
    "digest-type": ("digest = { value = false, confirmed = false }", "digest = 3", "digest"),
    "unknown-key": ("schema = 1\n", "schema = 1\nbogus = 1\n", "bogus"),
    "toml": ("[forwarding]", "[forwarding\n", "not valid TOML"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_data_file_is_refused_naming_file_and_key(tmp_path, case):
    old, new, words = BROKEN[case]
    message = _broken(tmp_path, lambda s: s.replace(old, new, 1))
    assert message.startswith("telnyx.toml: ") and words in message


def test_an_unknown_data_file_is_refused(tmp_path):
    shutil.copy(DATA_DIR / "telnyx.toml", tmp_path / "telnyx.toml")
    (tmp_path / "telnyx.toml").rename(tmp_path / "acme.toml")
    with pytest.raises(ProviderDataError, match=r"acme\.toml: not a known provider"):
        load_providers(tmp_path, today=TODAY)


# --- issue 14 #20: gotchas without gaps, repeats or leaks ---------------------------------------


def _all_settings():
    for key in KEYS:
        yield key, "did", settings_for(forwarding(key), key)
        for auth in ("ip_acl", "credential", "ip_acl_and_credential"):
            yield key, auth, settings_for(direct(auth), key)


def test_no_gotcha_is_empty_repeated_or_shouting():
    for key, auth, s in _all_settings():
        text = format_settings(s)
        assert "UNCONFIRMED" not in text, (key, auth)
        for g in s.gotchas:
            assert g.strip() and not g.rstrip().endswith(":"), (key, auth, g)
        assert len(s.gotchas) == len(set(s.gotchas)), (key, auth)


def test_3cx_with_ip_acl_has_no_empty_warning():
    s = settings_for(direct("ip_acl"), "3cx")
    assert all(len(g) > 20 for g in s.gotchas)
    assert any("Do not require - IP based" in g for g in s.gotchas)


def test_twilio_and_signalwire_say_their_warning_once():
    for key, auth in (
        ("twilio", "ip_acl"),
        ("signalwire", "ip_acl"),
        ("signalwire", "ip_acl_and_credential"),
    ):
        gotchas = settings_for(direct(auth), key).gotchas
        assert sum("shared" in g or "publishes no source IPs" in g for g in gotchas) == 1, key


def test_unconfirmed_facts_say_what_to_check_and_where():
    s = settings_for(direct("ip_acl"), "vonage")
    assert "not confirmed by the provider; check https://" in s.source_ips_note
    assert all("check https://" in u for u in s.unconfirmed)


def test_the_plus_gotcha_gives_advice():
    [g] = [g for g in settings_for(direct(), "generic").gotchas if "+14155550100" in g]
    assert "compare numbers without the '+'" in g


def test_did_forwarding_does_not_call_the_generic_carrier_a_sip_forwarder():
    s = settings_for(forwarding("generic"), "generic")
    assert s.name == "Generic carrier"
    assert "SIP URI" not in format_settings(s).splitlines()[0]


# --- the recommendation uses the provider's capabilities ----------------------------------------


def test_twilio_with_credentials_uses_twiml_and_offers_the_acl():
    advice = advise("twilio", recommend(sip=True, stable_ips=False, shared_ips=False))
    assert advice.auth_type == "credential"
    assert "Use TwiML <Dial><Sip> with the credentials" in advice.reason
    assert "Elastic SIP Trunking origination can't answer" in advice.reason
    assert any("IP ACL of Twilio's 8 ranges, shared" in a for a in advice.alternatives)


@pytest.mark.parametrize(
    ("key", "answers", "auth"),
    [
        ("telnyx", {"stable_ips": False, "shared_ips": False}, "ip_acl"),  # no digest
        ("vonage", {"stable_ips": True, "shared_ips": True}, "ip_acl"),
        ("signalwire", {"stable_ips": True, "shared_ips": False}, "credential"),  # no IPs
        ("twilio", {"stable_ips": True, "shared_ips": False}, "ip_acl_and_credential"),
        ("asterisk", {"stable_ips": True, "shared_ips": False}, "ip_acl"),
        ("generic", {"stable_ips": False, "shared_ips": False}, "credential"),
    ],
)
def test_the_auth_type_fits_the_provider(key, answers, auth):
    advice = advise(key, recommend(sip=True, **answers))
    assert advice.option == "direct_sip" and advice.auth_type == auth
    assert advice.auth_type in providers()[key].auth_supported
    if key in ("telnyx", "vonage", "signalwire"):
        assert providers()[key].name in advice.reason and "So use" in advice.reason


def test_did_forwarding_advice_names_the_providers_way():
    advice = advise("twilio", recommend(sip=False, stable_ips=False, shared_ips=False))
    assert advice.option == "did_forwarding" and "TwiML Bin" in advice.reason
    assert (
        "not confirmed"
        in advise("3cx", recommend(sip=True, stable_ips=True, shared_ips=True)).warning
    )


# --- the diagnosis names the provider's own setting ---------------------------------------------


def test_a_407_with_telnyx_points_at_the_connections_authentication():
    hint = provider_hint("telnyx", "challenge_407")
    assert "Authentication and routing" in hint and "not confirmed by the provider" in hint
    assert provider_hint("telnyx", "wrong_number") is None
    assert provider_hint("nope", "challenge_407") is None
    plan = direct("credential", provider="telnyx")
    from wizard.verify.diagnose import diagnose_sip_outcome

    d = diagnose_sip_outcome({"sip_status": 407}, Expectation.from_plan(plan))
    assert d.row == "challenge_407" and "In Telnyx" in d.fix
    assert d.fix.startswith("Your provider isn't responding")  # the seed's row stays first


# --- the advice follows the plan's auth type (walkthrough: an IP ACL fix for a plan without one)


def _fix(status: int, auth: str, key: str) -> str:
    from wizard.verify.diagnose import diagnose_sip_outcome

    expectation = Expectation.from_plan(direct(auth, key))
    return diagnose_sip_outcome({"sip_status": status}, expectation).fix


def test_a_403_fix_speaks_of_an_ip_acl_only_when_the_plan_has_one():
    """Telnyx, credential-only, bad password: the fix said "outside your Plivo IP ACL"."""
    assert "outside your Plivo IP ACL" in _fix(403, "ip_acl", "telnyx")
    assert "outside your Plivo IP ACL" in _fix(403, "ip_acl_and_credential", "telnyx")
    fix = _fix(403, "credential", "telnyx")
    assert "In Telnyx: a connection sends no SIP credentials" in fix
    for key in KEYS:  # no provider's own hint points a credential-only plan at its IP ACL
        hint = provider_hint(key, "all_403", auth_type="credential") or ""
        assert "IP ACL" not in hint, key
    assert "IP ACL" not in provider_hint("twilio", "all_403", auth_type="credential")
    assert "IP ACL" in provider_hint("twilio", "all_403", auth_type="ip_acl_and_credential")
    assert "[plivo-auth]" not in provider_hint("asterisk", "all_403", auth_type="ip_acl")


def test_a_407_on_acl_and_credential_never_says_an_ip_acl_alone_will_do():
    """The seed: on shared IPs an IP ACL alone is not sufficient; ACL + credential is chosen
    for them, so its 407 fix must not say "use ip_acl" without that condition."""
    fix = _fix(407, "ip_acl_and_credential", "generic")
    assert "use ip_acl with its egress IPs" not in fix
    assert "not enough when its egress IPs are shared" in fix and "DID forwarding" in fix
    assert "if they are yours alone" in _fix(407, "credential", "generic")
    for key in KEYS:
        hint = provider_hint(key, "challenge_407", auth_type="ip_acl_and_credential") or ""
        if "to ip_acl" in hint or "use ip_acl" in hint:
            assert "only if an IP ACL alone is enough" in hint, key


def test_a_credential_only_plan_gets_no_ip_list_to_allow():
    """The provider step showed Twilio's "allow all of them" ranges to a plan with no ACL."""
    for key in ("twilio", "telnyx", "vonage", "bandwidth"):
        out = settings_for(direct("credential", key), key)
        assert out.source_ips == [] and out.source_ips_note == "", key
        assert "Source IPs for the Plivo IP ACL" not in format_settings(out), key
    assert len(settings_for(direct("ip_acl_and_credential", "twilio"), "twilio").source_ips) == 8
    assert settings_for(direct("ip_acl", "telnyx"), "telnyx").source_ips


def test_a_number_in_another_form_than_the_provider_sends_is_flagged():
    assert number_form_issue("twilio", "+14155550100", "+12125550123") is None
    issue = number_form_issue("twilio", "14155550100", "+12125550123")
    assert issue and "To arrived as 14155550100" in issue and "+14155550100" in issue
    assert number_form_issue("vonage", "14155550100", "12125550123") is None
    assert "From arrived as +12125550123" in number_form_issue(
        "vonage", "14155550100", "+12125550123"
    )
    assert number_form_issue("generic", "14155550100", "x") is None  # unknown form: no claim
    assert number_form_issue("twilio", "20468599130939380", "anonymous") is None  # not numbers


def test_the_diagnosis_fails_a_call_whose_number_form_differs():
    plan = direct("credential", provider="twilio")
    exp = Expectation.from_plan(plan)
    good = {
        "SIPAuthType": "credential",
        "SIPAuthUser": "carrier_trunk",
        "To": "+14155550100",
        "From": "+12125550123",
    }
    assert diagnose_callback(good, exp).passed
    d = diagnose_callback({**good, "To": "14155550100"}, exp)
    assert not d.passed and d.row == "number_format"
    assert "without the '+'" in d.fix and "Twilio sends numbers as +E.164" in d.fix
    plan.provider = "generic"
    assert diagnose_callback({**good, "To": "14155550100"}, Expectation.from_plan(plan)).passed


def test_plan_warnings_say_not_confirmed_with_the_source():
    [w] = plan_warnings(direct("credential", provider="3cx"))
    assert w.key == "route.option" and "check https://www.3cx.com/" in w.message


# --- byon settings --list-providers --json ------------------------------------------------------


def _byon(*args: str) -> subprocess.CompletedProcess[str]:
    return run_byon(*args, stdin=None)


def test_list_providers_json_lists_facts_with_stale_ones_marked():
    now = json.loads(
        _byon("settings", "--list-providers", "--json", "--as-of", "2026-11-29").stdout
    )
    assert [p["key"] for p in now["providers"]] == KEYS
    assert all(p["stale"] == [] for p in now["providers"])
    for p in now["providers"]:
        assert p["facts"] and all(f["source"] and f["verified"] for f in p["facts"])
    later = json.loads(
        _byon("settings", "--list-providers", "--json", "--as-of", "2027-06-01").stdout
    )
    twilio = next(p for p in later["providers"] if p["key"] == "twilio")
    assert "routes.twiml_sip.digest" in twilio["stale"]
    assert all(f["stale"] for f in twilio["facts"])
    assert later["stale_after_days"] == 90 and later["plivo"]["facts"]
    bad = _byon("settings", "--list-providers", "--as-of", "tomorrow")
    assert bad.returncode != 0 and "not a date" in bad.stderr
