"""Provider templates: the fields, valid snippets, gotchas and source IPs for each provider."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    Plan,
    SearchPlan,
)
from wizard.providers.templates import (
    PASSWORD_PLACEHOLDER,
    PROVIDERS,
    ProviderSettings,
    UnknownProvider,
    format_settings,
    plan_warnings,
    settings_for,
)

APP_ID = "20468599130939380"
KEYS = [
    "generic",
    "twilio",
    "telnyx",
    "vonage",
    "bandwidth",
    "signalwire",
    "asterisk",
    "freeswitch",
    "freepbx",
    "3cx",
    "kamailio",
]


def direct(auth_type="ip_acl_and_credential", provider="generic", app_id=APP_ID) -> Plan:
    auth = AuthPlan(type=auth_type)
    if "ip_acl" in auth_type:
        auth.ip_acl = AclPlan(name="edge", entries=["203.0.113.10"])
    if "credential" in auth_type:
        auth.credential = CredentialPlan(username="carrier_trunk")
    return Plan(
        option="direct_sip",
        external_number="+14155550100",
        provider=provider,
        application=ApplicationPlan(
            name="agent", app_id=app_id, answer_url="https://a.example.com/answer"
        ),
        auth=auth,
    )


def forwarding(provider="generic", number="+14155550199") -> Plan:
    return Plan(
        option="did_forwarding",
        external_number="+14155550100",
        provider=provider,
        application=ApplicationPlan(
            name="agent", app_id=APP_ID, answer_url="https://a.example.com/answer"
        ),
        forwarding=ForwardingPlan(
            plivo_number=number, search=SearchPlan() if number == "buy" else None
        ),
    )


_INI_LINE = re.compile(
    r"^(\s*|\s*;.*|\[[A-Za-z0-9_.-]+\]|[a-z_]+=[^\n]*|\s*(exten|same) => [^\n]+)$"
)


def check_ini(text: str) -> None:
    """Asterisk config: every line a [section], key=value, `exten =>`, a comment or blank;
    every key=value line under a section."""
    section = None
    for n, line in enumerate(text.splitlines(), 1):
        assert _INI_LINE.match(line), f"line {n} is not valid config: {line!r}"
        if line.startswith("["):
            section = line
        elif line.strip() and not line.strip().startswith(";"):
            assert section, f"line {n} is outside a section: {line!r}"


def check_snippets(s: ProviderSettings) -> None:
    for snip in s.snippets:
        if snip.format == "xml":
            ET.fromstring(snip.text.encode())
        elif snip.format == "json":
            json.loads(snip.text)
        elif snip.format == "ini":
            check_ini(snip.text)
        else:
            assert snip.text.strip()


def all_values(s: ProviderSettings) -> str:
    return json.dumps(s.to_dict())


def test_the_ten_providers_are_there():
    assert list(PROVIDERS) == KEYS
    for t in PROVIDERS.values():
        assert set(t.options_supported) == {"direct_sip", "did_forwarding"}
        assert t.recommended_auth in t.auth_supported


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("auth_type", ["ip_acl", "credential", "ip_acl_and_credential"])
def test_direct_sip_settings_for_every_provider(key, auth_type):
    s = settings_for(direct(auth_type), key)
    assert s.provider == key and s.option == "direct_sip"
    assert s.sip_uri == f"sip:{APP_ID}@app.plivo.com"
    assert s.fields and all(f.label and f.value for f in s.fields)
    text = all_values(s)
    assert APP_ID in text  # the Request-URI carries the app id
    check_snippets(s)
    if "credential" in auth_type and key in ("telnyx", "vonage", "bandwidth"):
        # they cannot send digest credentials: say so first instead of showing fields
        assert "ip_acl" in s.gotchas[0] and PASSWORD_PLACEHOLDER not in text
    elif "credential" in auth_type and key == "kamailio":
        # the password stays out of kamailio.cfg: Kamailio reads it from the environment
        assert "carrier_trunk" in text and "$env(BYON_SIP_PASSWORD)" in text
        assert PASSWORD_PLACEHOLDER not in text
    elif "credential" in auth_type:
        assert "carrier_trunk" in text and PASSWORD_PLACEHOLDER in text
    else:
        assert "carrier_trunk" not in text and PASSWORD_PLACEHOLDER not in text
    assert format_settings(s).startswith(PROVIDERS[key].name)


@pytest.mark.parametrize("key", KEYS)
def test_did_forwarding_settings_forward_to_the_plivo_number(key):
    s = settings_for(forwarding(key), key)
    text = all_values(s)
    assert "14155550199" in text
    assert "carrier_trunk" not in text and PASSWORD_PLACEHOLDER not in text
    assert s.source_ips == []  # no ACL with DID forwarding
    check_snippets(s)


def test_the_real_password_appears_only_when_passed():
    plan = direct("credential", provider="asterisk")
    assert "Xk3-vQ9_mT2" not in all_values(settings_for(plan))
    shown = settings_for(plan, password_placeholder="Xk3-vQ9_mT2.pR7~")
    assert "password=Xk3-vQ9_mT2.pR7~" in shown.snippet


@pytest.mark.parametrize("key", ["twilio", "signalwire", "freeswitch", "asterisk"])
def test_hostile_password_characters_keep_snippets_valid(key):
    pw = "Ab1\"<&>';x"
    s = settings_for(direct("credential", provider=key), password_placeholder=pw)
    check_snippets(s)
    if key in ("twilio", "signalwire"):
        sip = ET.fromstring(s.snippets[0].text.encode()).find("./Dial/Sip")
        assert sip.get("password") == pw
    if key == "freeswitch":
        gw = ET.fromstring(s.snippets[0].text.encode())
        assert gw.find("./gateway/param[@name='password']").get("value") == pw
    if key == "asterisk":
        assert "password=Ab1\"<&>'\\;x\n" in s.snippets[0].text


def test_missing_app_id_shows_a_placeholder_and_says_to_apply():
    s = settings_for(direct(app_id=""), "generic")
    assert s.app_id == "{app_id}" and s.sip_uri == "sip:{app_id}@app.plivo.com"
    assert any("byon apply" in n for n in s.notes)
    check_snippets(settings_for(direct(app_id=""), "freeswitch"))
    assert settings_for(direct(app_id=""), app_id="777").sip_uri == "sip:777@app.plivo.com"


def test_buy_number_shows_a_placeholder():
    s = settings_for(forwarding(number="buy"), "twilio")
    assert "{plivo_number}" in all_values(s)
    assert any("run `byon apply`" in n for n in s.notes)


def test_gotchas_per_provider():
    generic = settings_for(direct(), "generic")
    assert any("Request-URI must carry the app id" in g for g in generic.gotchas)
    assert any("407" in g for g in generic.gotchas)
    assert any(
        "Request-URI" in g and "dialed number" in g
        for g in settings_for(direct("ip_acl"), "telnyx").gotchas
    )
    assert any("TLS" in g for g in settings_for(direct("credential"), "signalwire").gotchas)
    assert any(
        "shared" in g and "keep the credential" in g
        for g in settings_for(direct(), "twilio").gotchas
    )
    assert any("registration" in g for g in settings_for(direct("credential"), "3cx").gotchas)
    vonage = settings_for(forwarding("vonage"), "vonage")
    assert any("'+'" in g for g in vonage.gotchas)
    assert format_settings(vonage).startswith("Vonage: DID forwarding to the Plivo number +1415")
    for key in ("generic", "twilio", "signalwire", "asterisk", "freeswitch", "freepbx", "3cx"):
        assert any("407" in g for g in settings_for(direct("credential"), key).gotchas), key
    assert not any("407" in g for g in settings_for(direct("ip_acl"), "asterisk").gotchas)
    ncco = json.loads(vonage.snippets[0].text)
    assert ncco[0]["endpoint"][0]["number"] == "14155550199"


def test_unsupported_auth_type_comes_first_in_gotchas():
    s = settings_for(direct("credential"), "vonage")
    assert "Vonage" in s.gotchas[0] and "ip_acl" in s.gotchas[0]


def test_source_ips_and_unconfirmed_flags():
    telnyx = settings_for(direct("ip_acl"), "telnyx")
    assert "192.76.120.10" in telnyx.source_ips and not telnyx.source_ips_unconfirmed
    vonage = settings_for(direct("ip_acl"), "vonage")
    assert vonage.source_ips and vonage.source_ips_unconfirmed
    text = format_settings(vonage)
    assert "UNCONFIRMED" not in text
    assert "not confirmed by the provider; check https://developer.vonage.com/" in text
    assert settings_for(direct("ip_acl"), "bandwidth").source_ips_unconfirmed
    assert settings_for(direct("credential"), "signalwire").source_ips == []
    assert settings_for(direct(), "twilio").unconfirmed


def test_acl_missing_a_failover_ip_is_flagged():
    plan = direct("ip_acl", provider="telnyx")
    plan.auth.ip_acl.entries = ["192.76.120.10"]
    s = settings_for(plan)
    assert any("64.16.250.10" in g and "403" in g for g in s.gotchas)
    plan.auth.ip_acl.entries = list(PROVIDERS["telnyx"].source_ips)
    assert not any("does not cover" in g for g in settings_for(plan).gotchas)


def test_asterisk_snippet_details():
    s = settings_for(direct("ip_acl_and_credential"), "asterisk")
    pjsip, ext = s.snippets
    assert pjsip.filename == "pjsip.conf" and ext.filename == "extensions.conf"
    assert "outbound_auth=plivo-auth" in pjsip.text and "[plivo-auth]" in pjsip.text
    assert f"exten => 14155550100,1,Dial(PJSIP/{APP_ID}@plivo)" in ext.text
    acl_only = settings_for(direct("ip_acl"), "asterisk").snippets[0].text
    assert "plivo-auth" not in acl_only
    check_ini(acl_only)


def test_ini_checker_catches_bad_lines():
    with pytest.raises(AssertionError):
        check_ini("[ok]\nthis is not config\n")
    with pytest.raises(AssertionError):
        check_ini("key=value\n")


def test_freeswitch_snippet_details():
    s = settings_for(direct(), "freeswitch")
    gateway = ET.fromstring(s.snippets[0].text)
    params = {p.get("name"): p.get("value") for p in gateway.iter("param")}
    assert params["proxy"] == "app.plivo.com" and params["register"] == "false"
    assert params["username"] == "carrier_trunk"
    action = ET.fromstring(s.snippets[1].text).find(".//action")
    assert action.get("data") == f"sofia/gateway/plivo/{APP_ID}"


def test_snippet_text_and_json_shape():
    s = settings_for(direct(), "asterisk")
    assert s.snippet.startswith("; pjsip.conf") and s.snippet_language == "ini"
    d = s.to_dict()
    assert d["snippet"] == s.snippet and d["fields"][0]["label"]
    assert settings_for(direct(), "generic").snippet is None


def test_unknown_provider():
    with pytest.raises(UnknownProvider, match='did you mean "twilio"'):
        settings_for(direct(), "twillio")


def test_plan_warnings():
    assert plan_warnings(direct("ip_acl", provider="telnyx")) == []
    [w] = plan_warnings(direct("credential", provider="telnyx"))
    assert w.key == "auth.type" and "407" in w.message
    assert plan_warnings(forwarding("3cx")) == []
    assert [w.key for w in plan_warnings(direct("credential", provider="3cx"))] == ["route.option"]
