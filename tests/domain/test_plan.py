"""Plan files: every rule of plan-toml.md, with the file, line and key in each message."""

from __future__ import annotations

import os
import stat
import tomllib

import pytest

from wizard.errors import PlanError
from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    LineIndex,
    Plan,
    PlanErrors,
    SearchPlan,
    StreamPlan,
    dump_plan,
    format_warnings,
    load_plan,
    load_plan_or_exit,
    load_plan_with_warnings,
    loads_plan,
    loads_plan_with_warnings,
    save_plan,
    write_back_ids,
)

# The example from plan-toml.md, minus [forwarding] (it is direct_sip).
EXAMPLE = """\
version = 1

[account]
auth_id = "MAXXXXXXXXXXXXXXXXXX"          # optional; the token comes from PLIVO_AUTH_TOKEN

[route]
option = "direct_sip"                     # "direct_sip" | "did_forwarding"
external_number = "+14155550100"          # the number kept at the other provider, E.164
provider = "generic"                      # key of a provider template

[application]
name = "ai-agent-inbound"
app_id = ""                               # filled in by apply/export
answer_url = "https://agent.example.com/answer"
answer_method = "POST"                    # "GET" | "POST"
hangup_url = ""                           # optional

[auth]                                    # direct_sip only
type = "ip_acl_and_credential"            # "ip_acl" | "credential" | "ip_acl_and_credential"

[auth.ip_acl]                             # required when type includes ip_acl
name = "carrier-edge"
ip_acl_uuid = ""
entries = ["203.0.113.10", "198.51.100.0/28"]

[auth.credential]                         # required when type includes credential
username = "carrier_trunk"
credential_uuid = ""
password_env = "BYON_SIP_PASSWORD"

[stream]                                  # optional
url = "wss://agent.example.com/media"
bidirectional = true
keep_call_alive = true
content_type = "audio/x-mulaw;rate=8000"
"""

FORWARDING = """\
version = 1

[route]
option = "did_forwarding"
external_number = "+14155550100"
provider = "twilio"

[application]
name = "fwd-agent"
answer_url = "https://agent.example.com/answer"

[forwarding]
plivo_number = "buy"

[forwarding.search]
country_iso = "US"
type = "local"
pattern = "415"
"""


def err(text: str, filename: str = "plan.toml") -> PlanError:
    with pytest.raises(PlanError) as info:
        loads_plan(text, filename=filename)
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


# --- loading good plans -------------------------------------------------------------------------


def test_the_contract_example_loads():
    plan = loads_plan(EXAMPLE)
    assert plan.option == "direct_sip"
    assert plan.auth_id == "MAXXXXXXXXXXXXXXXXXX"
    assert plan.auth.type == "ip_acl_and_credential"
    assert plan.auth.ip_acl.entries == ["203.0.113.10", "198.51.100.0/28"]
    assert plan.auth.credential.password_env == "BYON_SIP_PASSWORD"
    assert plan.stream == StreamPlan(url="wss://agent.example.com/media")
    assert plan.forwarding is None


def test_forwarding_plan_loads():
    plan = loads_plan(FORWARDING)
    assert plan.forwarding == ForwardingPlan("buy", SearchPlan("US", "local", "415"))
    assert plan.auth is None and plan.stream is None


def test_load_from_file_sets_source(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    assert load_plan(path).source == path


def test_numbers_are_normalized_on_load():
    plan = loads_plan(EXAMPLE.replace('"+14155550100"', '"+1 415 555 0100"'))
    assert plan.external_number == "+14155550100"


def test_warnings_are_returned_not_raised(tmp_path):
    text = EXAMPLE.replace("https://agent", "http://agent").replace(
        '"198.51.100.0/28"', '"20.0.0.0/8"'
    )
    plan, warnings = loads_plan_with_warnings(text)
    assert plan.application.answer_url.startswith("http://")
    assert {w.key for w in warnings} == {"application.answer_url", "auth.ip_acl.entries[1]"}
    path = tmp_path / "w.toml"
    path.write_text(text)
    assert len(load_plan_with_warnings(path)[1]) == 2


# --- refusals, each naming file:line: key --------------------------------------------------------


def test_version_is_required():
    text = EXAMPLE.replace("version = 1\n", "")
    e = err(text)
    assert e.key == "version" and "missing key" in str(e)
    assert str(e).startswith("plan.toml:1: version:")


@pytest.mark.parametrize("value", ["2", "0", '"1"', "true", "1.0"])
def test_unknown_version_is_refused(value):
    e = err(EXAMPLE.replace("version = 1", f"version = {value}"))
    assert str(e).startswith("plan.toml:1: version: version")
    assert "version = 1" in str(e)


def test_unknown_key_names_file_line_key_and_suggests():
    text = EXAMPLE.replace('external_number = "+14155550100"', 'external_nubmer = "+14155550100"')
    first = err(text)
    assert first.key == "route.external_nubmer"
    assert first.line == line_of(text, "external_nubmer")
    assert 'did you mean "external_number"?' in str(first)
    assert "allowed: option, external_number, provider" in str(first)
    assert str(first).startswith(f"plan.toml:{first.line}: route.external_nubmer: unknown key")
    assert not isinstance(first, PlanErrors)


def test_unknown_table_is_refused():
    text = EXAMPLE + "\n[routing]\noption = 'x'\n"
    e = err(text)
    assert e.key == "routing" and e.line == line_of(text, "[routing]")
    assert "unknown table at the top level" in str(e) and 'did you mean "route"' in str(e)


def test_unknown_key_in_nested_table():
    text = EXAMPLE.replace('ip_acl_uuid = ""', 'ip_acl_uid = ""')
    e = err(text)
    assert e.key == "auth.ip_acl.ip_acl_uid"
    assert e.line == line_of(text, "ip_acl_uid")
    assert "in [auth.ip_acl]" in str(e) and 'did you mean "ip_acl_uuid"' in str(e)


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("bidirectional = true", 'bidirectional = "yes"', "stream.bidirectional", "true or false"),
        (
            'entries = ["203.0.113.10", "198.51.100.0/28"]',
            'entries = "203.0.113.10"',
            "auth.ip_acl.entries",
            "list of strings",
        ),
        (
            'entries = ["203.0.113.10", "198.51.100.0/28"]',
            'entries = ["203.0.113.10", 5]',
            "auth.ip_acl.entries[1]",
            "must be a string",
        ),
        ('name = "ai-agent-inbound"', "name = 42", "application.name", "must be a string"),
        (
            "keep_call_alive = true",
            "keep_call_alive = 1",
            "stream.keep_call_alive",
            "true or false",
        ),
        ("[auth.credential]", "[auth.credential.x]", "auth.credential.x", "unknown table"),
    ],
)
def test_wrong_types_are_refused(old, new, key, words):
    text = EXAMPLE.replace(old, new)
    e = err(text)
    assert e.key == key and words in str(e)
    assert e.line == line_of(text, new)


def test_table_given_as_a_value_is_refused():
    text = "stream = 5\n" + EXAMPLE.split("[stream]")[0]
    e = err(text)
    assert e.key == "stream" and e.line == 1 and "must be a table [stream]" in str(e)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('password = "Hunter2Hunter2"', "password_env"),
        ('sip_password = "Hunter2Hunter2"', "password_env"),
        ('auth_token = "abcdefghijklmnopqrstuvwxyz"', "PLIVO_AUTH_TOKEN"),
    ],
)
def test_secrets_are_refused_without_echoing_them(line, words):
    text = EXAMPLE.replace('password_env = "BYON_SIP_PASSWORD"', line)
    e = err(text)
    assert "secrets never go in plan files" in str(e) and words in str(e)
    assert e.line == line_of(text, line)
    assert line.split('"')[1] not in str(e)


def test_secret_in_account_table_is_refused():
    text = EXAMPLE.replace('auth_id = "MAXXXXXXXXXXXXXXXXXX"', 'auth_token = "s3cr3t-token-value"')
    e = err(text)
    assert e.key == "account.auth_token" and "s3cr3t" not in str(e)


def test_toml_syntax_error_names_the_line():
    text = EXAMPLE.replace('name = "carrier-edge"', 'name = "carrier-edge')
    e = err(text)
    assert e.line == line_of(text, 'name = "carrier-edge')
    assert str(e).startswith(f"plan.toml:{e.line}: not valid TOML")


def test_toml_error_at_end_of_document():
    text = "version = 1\n[route\n"
    e = err(text)
    assert e.line is not None and "not valid TOML" in str(e)


def test_validation_errors_name_their_line():
    text = EXAMPLE.replace('"+14155550100"', '"+1415"')
    e = err(text)
    assert e.key == "route.external_number"
    assert e.line == line_of(text, "external_number")
    assert "E.164" in str(e)


def test_bad_acl_entry_points_at_its_own_line():
    text = EXAMPLE.replace(
        'entries = ["203.0.113.10", "198.51.100.0/28"]',
        'entries = [\n  "203.0.113.10",\n  "10.0.0.1",  # the office\n]',
    )
    e = err(text)
    assert e.key == "auth.ip_acl.entries[1]"
    assert e.line == line_of(text, '"10.0.0.1"')
    assert "private" in str(e)


def test_all_errors_are_reported_one_per_line():
    text = EXAMPLE.replace('"+14155550100"', '"+1415"').replace(
        'username = "carrier_trunk"', 'username = "x"'
    )
    e = err(text)
    assert isinstance(e, PlanErrors) and len(e.problems) == 2
    lines = str(e).splitlines()
    assert lines[0].startswith(
        f"plan.toml:{line_of(text, 'external_number')}: route.external_number:"
    )
    assert lines[1].startswith(f"plan.toml:{line_of(text, 'username')}: auth.credential.username:")


def test_cross_rules_from_a_file():
    e = err(EXAMPLE.replace('option = "direct_sip"', 'option = "did_forwarding"'))
    keys = {p.key for p in getattr(e, "problems", [e])}
    assert {"auth", "forwarding"} <= keys
    text = FORWARDING.replace("[forwarding.search]", "[stream]\nurl = 'wss://a.example/ws'\n[x]")
    assert err(text).key == "x"
    no_search = FORWARDING.split("[forwarding.search]")[0]
    e = err(no_search)
    assert e.key == "forwarding.plivo_number" and e.line == line_of(no_search, "plivo_number")


def test_missing_tables_and_required_keys():
    e = err("version = 1\n")
    keys = [p.key for p in e.problems]
    assert keys == ["route", "application"]
    e = err(EXAMPLE.replace('type = "ip_acl_and_credential"', ""))
    assert e.key == "auth.type" and e.line == line_of(EXAMPLE, "[auth]")


def test_empty_external_number_is_a_warning_export_cannot_fill_it():
    text = EXAMPLE.replace('"+14155550100"', '""')
    plan, warnings = loads_plan_with_warnings(text)
    assert plan.external_number == ""
    assert [w.key for w in warnings] == ["route.external_number"]
    missing = EXAMPLE.replace('external_number = "+14155550100"', "")
    assert loads_plan(missing).external_number == ""


def test_check_false_loads_a_draft():
    draft = 'version = 1\n[route]\noption = "direct_sip"\nexternal_number = ""\n' + (
        '[application]\nname = ""\nanswer_url = ""\n'
    )
    with pytest.raises(PlanError):
        loads_plan(draft)
    assert loads_plan(draft, check=False).application.name == ""
    with pytest.raises(PlanError):  # keys and types are still enforced
        loads_plan(draft + "typo = 1\n", check=False)


def test_unreadable_files(tmp_path):
    with pytest.raises(PlanError, match="no such file"):
        load_plan(tmp_path / "missing.toml")
    with pytest.raises(PlanError, match="directory"):
        load_plan(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"version = 1\n# caf\xe9\n")
    with pytest.raises(PlanError, match="UTF-8") as info:
        load_plan(bad)
    assert str(bad) in str(info.value)


def test_load_plan_or_exit(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.replace("option =", "optoin ="))
    with pytest.raises(SystemExit) as info:
        load_plan_or_exit(bad)
    assert info.value.code == 2
    out = capsys.readouterr()
    assert f"{bad}:{line_of(EXAMPLE, 'option =')}: route.optoin: unknown key" in out.err
    warn = tmp_path / "warn.toml"
    warn.write_text(EXAMPLE.replace("https://agent", "http://agent"))
    assert load_plan_or_exit(warn).application.answer_url.startswith("http://")
    err_text = capsys.readouterr().err
    assert f"{warn}:{line_of(EXAMPLE, 'answer_url')}: application.answer_url: warning:" in err_text


def test_line_index_handles_dotted_quoted_and_multiline():
    text = (
        "version = 1\n"
        'route.option = "direct_sip"\n'
        's = """\nfake = 1\n"""\n'
        '[ "application" ]\n'
        '"name" = "x"\n'
        "[auth.ip_acl]\n"
        "entries = [\n  '1.2.3.4',\n]\n"
    )
    idx = LineIndex(text)
    assert idx.line_of("route.option") == 2
    assert "fake" not in idx.keys
    assert idx.line_of("application.name") == 7
    assert idx.line_of("application.missing") == 6
    assert idx.line_of("auth.ip_acl.entries[0]", "1.2.3.4") == 10
    assert idx.line_of("nothing.at.all") == 1


# --- dumping ------------------------------------------------------------------------------------


def full_plan() -> Plan:
    return Plan(
        option="direct_sip",
        external_number="+14155550100",
        provider="asterisk",
        auth_id="MAXXXXXXXXXXXXXXXXXX",
        application=ApplicationPlan(
            name="agent",
            app_id="123",
            answer_url="https://a.example.com/answer",
            hangup_url="https://a.example.com/hangup",
        ),
        auth=AuthPlan(
            type="ip_acl_and_credential",
            ip_acl=AclPlan(name="edge", entries=["203.0.113.10"], ip_acl_uuid="acl-1"),
            credential=CredentialPlan(username="trunk_1", credential_uuid="cred-1"),
        ),
        stream=StreamPlan(url="wss://a.example.com/ws", bidirectional=False, audio_track="both"),
    )


def test_dump_round_trips_and_keeps_contract_order():
    plan = full_plan()
    text = dump_plan(plan)
    assert loads_plan(text) == plan
    order = [ln for ln in text.splitlines() if ln.startswith("[")]
    assert order == [
        "[account]",
        "[route]",
        "[application]",
        "[auth]",
        "[auth.ip_acl]",
        "[auth.credential]",
        "[stream]",
    ]
    route = text.split("[route]")[1]
    assert route.index("option") < route.index("external_number") < route.index("provider")


def test_dump_omits_empty_sections_and_never_a_secret(monkeypatch):
    monkeypatch.setenv("BYON_SIP_PASSWORD", "Sup3rSecretPassw0rd")
    plan = loads_plan(FORWARDING)
    text = dump_plan(plan)
    assert "[auth" not in text and "[stream]" not in text and "[account]" not in text
    assert "Sup3rSecretPassw0rd" not in text and "password =" not in text
    assert loads_plan(text) == plan
    data = tomllib.loads(dump_plan(full_plan()))
    assert data["auth"]["credential"] == {
        "username": "trunk_1",
        "credential_uuid": "cred-1",
        "password_env": "BYON_SIP_PASSWORD",
    }


# --- atomic writes ------------------------------------------------------------------------------


def test_save_plan_new_file_is_atomic_and_loadable(tmp_path):
    path = save_plan(full_plan(), tmp_path / "new.toml")
    assert load_plan(path) == full_plan()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.toml"]


def test_save_plan_keeps_mode_and_comments(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    os.chmod(path, 0o640)
    plan = loads_plan(EXAMPLE)
    plan.application.answer_url = "https://agent.example.com/v2/answer"
    plan.auth.ip_acl.entries.append("192.0.2.7")
    save_plan(plan, path)
    text = path.read_text()
    assert "# filled in by apply/export" in text and "# optional" in text
    assert 'answer_url = "https://agent.example.com/v2/answer"' in text
    assert load_plan(path) == plan
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_save_plan_structural_change_rewrites_whole(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    plan = loads_plan(EXAMPLE)
    plan.stream = None
    save_plan(plan, path)
    assert load_plan(path) == plan and "[stream]" not in path.read_text()


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    plan = loads_plan(EXAMPLE)
    plan.application.name = "changed"
    with pytest.raises(PlanError, match="cannot be written \\(disk full\\)"):
        save_plan(plan, path)
    assert path.read_text() == EXAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_write_back_ids_keeps_comments_and_layout(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(EXAMPLE)
    write_back_ids(
        path,
        {
            "application.app_id": "20468599130939380",
            "auth.ip_acl.ip_acl_uuid": "acl-uuid-1",
            "auth.credential.credential_uuid": "cred-uuid-1",
        },
    )
    text = path.read_text()
    before, after = EXAMPLE.splitlines(), text.splitlines()
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (
            'app_id = ""                               # filled in by apply/export',
            'app_id = "20468599130939380"              # filled in by apply/export',
        ),
        ('ip_acl_uuid = ""', 'ip_acl_uuid = "acl-uuid-1"'),
        ('credential_uuid = ""', 'credential_uuid = "cred-uuid-1"'),
    ]
    plan = load_plan(path)
    assert plan.application.app_id == "20468599130939380"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.toml"]


def test_write_back_inserts_a_missing_key_after_its_header(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(FORWARDING)
    write_back_ids(path, {"application.app_id": "42", "forwarding.plivo_number": "+14155550199"})
    text = path.read_text()
    assert 'app_id = "42"' in text.split("[application]")[1].splitlines()[1]
    assert 'plivo_number = "+14155550199"' in text
    assert "[forwarding.search]" in text  # kept: it says how the number was chosen
    plan = load_plan(path)
    assert plan.forwarding.plivo_number == "+14155550199" and plan.application.app_id == "42"


def test_write_back_to_an_inline_table_falls_back_to_a_full_dump(tmp_path):
    path = tmp_path / "inline.toml"
    text = EXAMPLE.split("[auth]")[0] + (
        '[auth]\ntype = "credential"\n'
        'credential = { username = "carrier_trunk", password_env = "PW" }\n'
    )
    path.write_text(text)
    write_back_ids(path, {"auth.credential.credential_uuid": "cred-9"})
    assert load_plan(path).auth.credential.credential_uuid == "cred-9"


def test_write_back_refuses_an_id_for_a_missing_table(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text(FORWARDING)
    with pytest.raises(PlanError) as info:
        write_back_ids(path, {"auth.ip_acl.ip_acl_uuid": "x"})
    assert info.value.key == "auth.ip_acl.ip_acl_uuid" and str(path) in str(info.value)
    assert "no [auth.ip_acl] table" in str(info.value)
    with pytest.raises(PlanError, match="not an id apply learns"):
        write_back_ids(path, {"application.name": "x"})
    assert path.read_text() == FORWARDING


def test_write_back_keeps_crlf_line_endings(tmp_path):
    path = tmp_path / "crlf.toml"
    path.write_bytes(FORWARDING.replace("\n", "\r\n").encode())
    write_back_ids(path, {"application.app_id": "7"})
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert load_plan(path).application.app_id == "7"


def test_unwritable_directory_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError, match="cannot be written") as info:
        save_plan(full_plan(), tmp_path / "no" / "such" / "dir.toml")
    assert "dir.toml" in str(info.value)


def test_write_back_through_a_symlink_is_refused_and_the_target_kept(tmp_path):
    """Attack: byon-plan.toml is a link to a file the user did not mean to change."""
    target = tmp_path / "real.toml"
    target.write_text(EXAMPLE)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    with pytest.raises(PlanError, match="symbolic link"):
        write_back_ids(link, {"application.app_id": "5"})
    assert link.is_symlink() and target.read_text() == EXAMPLE
    with pytest.raises(PlanError, match="symbolic link"):
        save_plan(loads_plan(EXAMPLE), link)
    assert target.read_text() == EXAMPLE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.toml", "real.toml"]


# --- each plan-toml.md validation rule, from a file, with file:line: key ---------------------

ENTRIES = 'entries = ["203.0.113.10", "198.51.100.0/28"]'


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('"+14155550100"', '"4155550100"', "route.external_number", "E.164"),
        (ENTRIES, 'entries = ["0.0.0.0/0"]', "auth.ip_acl.entries[0]", "every address"),
        (ENTRIES, 'entries = ["192.168.0.0/24"]', "auth.ip_acl.entries[0]", "private"),
        (ENTRIES, 'entries = ["127.0.0.1"]', "auth.ip_acl.entries[0]", "loopback"),
        (ENTRIES, 'entries = ["169.254.1.1"]', "auth.ip_acl.entries[0]", "link-local"),
        (ENTRIES, 'entries = ["203.0.113.9/24"]', "auth.ip_acl.entries[0]", "203.0.113.0/24"),
        (ENTRIES, "entries = []", "auth.ip_acl.entries", "at least one"),
        (
            ENTRIES,
            "entries = [" + ", ".join(f'"20.0.{i}.1"' for i in range(51)) + "]",
            "auth.ip_acl.entries",
            "at most 50",
        ),
        ('username = "carrier_trunk"', 'username = "c t"', "auth.credential.username", "3-64"),
        (
            'password_env = "BYON_SIP_PASSWORD"',
            'password_env = "BYON SIP"',
            "auth.credential.password_env",
            "environment variable",
        ),
        (
            '"https://agent.example.com/answer"',
            '"agent.example.com/answer"',
            "application.answer_url",
            "absolute http:// or https:// URL",
        ),
        ('hangup_url = ""', 'hangup_url = "ftp://x/y"', "application.hangup_url", "http"),
        ('"wss://agent.example.com/media"', '"https://a/m"', "stream.url", "wss://"),
        ('type = "ip_acl_and_credential"', 'type = "digest"', "auth.type", "ip_acl_and_credential"),
        ('option = "direct_sip"', 'option = "sip"', "route.option", "did_forwarding"),
        ('provider = "generic"', 'provider = "twilo"', "route.provider", 'did you mean "twilio"'),
        ('answer_method = "POST"', 'answer_method = "PUT"', "application.answer_method", "GET"),
        ('name = "ai-agent-inbound"', 'name = "ai agent"', "application.name", "1-255"),
        ('name = "carrier-edge"', 'name = "  "', "auth.ip_acl.name", "needs a name"),
        (
            'content_type = "audio/x-mulaw;rate=8000"',
            'content_type = "audio/x-mulaw"',
            "stream.content_type",
            "audio/x-l16;rate=16000",
        ),
    ],
)
def test_every_rule_names_file_line_and_key(old, new, key, words):
    assert old in EXAMPLE
    text = EXAMPLE.replace(old, new)
    e = err(text, filename="plans/prod.toml")
    assert e.key == key, str(e)
    assert str(e).startswith(f"plans/prod.toml:{line_of(text, new)}: {key}: "), str(e)
    assert words in str(e)


def test_cgnat_depends_on_the_auth_type():
    shared = EXAMPLE.replace(ENTRIES, 'entries = ["100.64.12.0/24"]')
    assert loads_plan(shared).auth.ip_acl.entries == ["100.64.12.0/24"]
    acl_only = shared.split("[auth.credential]")[0].replace(
        'type = "ip_acl_and_credential"', 'type = "ip_acl"'
    )
    e = err(acl_only)
    assert e.key == "auth.ip_acl.entries[0]" and "ip_acl_and_credential" in str(e)


def test_http_answer_url_and_ws_stream_are_warnings_with_lines():
    text = EXAMPLE.replace("https://agent", "http://agent").replace("wss://", "ws://")
    _, warnings = loads_plan_with_warnings(text)
    assert sorted(format_warnings(warnings, "p.toml", text)) == [
        f"p.toml:{line_of(text, 'answer_url')}: application.answer_url: warning: answer_url "
        "uses http://: Plivo's callbacks (caller numbers, SIP details) travel unencrypted; "
        "use https://",
        f"p.toml:{line_of(text, 'ws://')}: stream.url: warning: stream.url uses ws://: the "
        "call's audio would travel unencrypted; use wss://",
    ]
