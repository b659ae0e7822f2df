"""findings_for() on constructed resources: each rule fires, and only when it should."""

from __future__ import annotations

from wizard.plans.audit import findings_for
from wizard.plivo.client import Application, Credential, IpAcl


def app(app_id="1", name="a", **kw):
    kw.setdefault("answer_url", "https://x.example/ans")
    return Application(app_id, name, sip_uri=f"sip:{app_id}@app.plivo.com", **kw)


def kinds(found):
    return [(f.kind, f.id) for f in found]


def test_clean_account_has_no_findings():
    acl = IpAcl("acl", "edge", ("203.0.113.10",))
    cred = Credential("c", "trunk")
    a = app(sip_auth_type="ip_acl_and_credential", ip_acl_uuid="acl", credential_uuid="c")
    assert findings_for([a], [acl], [cred]) == []


def test_open_app_is_a_toll_fraud_finding_with_the_fix():
    (f,) = findings_for([app("42", "open")], [], [])
    assert f.kind == "open_sip_uri" and f.resource == "application" and f.id == "42"
    assert "toll-fraud" in f.message and "sip:42@app.plivo.com" in f.message
    assert "byon export --app 42" in f.fix and "byon apply" in f.fix


def test_wide_acl_entries():
    acl = IpAcl("acl", "edge", ("203.0.0.0/16", "10.0.0.0/8", "2001:db8::/24", "2001:db8::/48"))
    found = findings_for([], [acl], [])
    assert [f.message.split()[1] for f in found] == ["10.0.0.0/8", "2001:db8::/24"]
    assert all(f.kind == "wide_acl_entry" for f in found)


def test_shared_space_only_without_a_credential():
    acl = IpAcl("acl", "cgnat", ("100.64.1.0/24",))
    alone = app("1", sip_auth_type="ip_acl", ip_acl_uuid="acl")
    both = app("2", sip_auth_type="ip_acl_and_credential", ip_acl_uuid="acl", credential_uuid="c")
    found = findings_for([alone, both], [acl], [Credential("c", "t")])
    assert kinds(found) == [("shared_space_acl", "1")]


def test_unassigned_credential():
    used = Credential("c1", "used")
    spare = Credential("c2", "spare")
    a = app(sip_auth_type="credential", credential_uuid="c1")
    assert kinds(findings_for([a], [], [used, spare])) == [("unassigned_credential", "c2")]


def test_credential_uuid_left_on_an_ip_acl_app_does_not_count_as_use():
    a = app(sip_auth_type="ip_acl", ip_acl_uuid="acl", credential_uuid="c1")
    found = findings_for([a], [IpAcl("acl", "e", ("203.0.113.1",))], [Credential("c1", "u")])
    assert kinds(found) == [("unassigned_credential", "c1")]


def test_http_urls():
    a = app(
        answer_url="http://x.example/ans",
        hangup_url="http://x.example/hang",
        sip_auth_type="credential",
        credential_uuid="c",
    )
    found = findings_for([a], [], [Credential("c", "u")])
    assert [f.kind for f in found] == ["http_answer_url", "http_hangup_url"]
    assert "https://" in found[0].fix
