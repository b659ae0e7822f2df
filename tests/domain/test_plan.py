"""Plan files: loading, and every rule of plan-toml.md, with the file, line and key in each
message."""

from __future__ import annotations

import pytest

from tests.domain.plan_samples import EXAMPLE, FORWARDING
from wizard.errors import PlanError
from wizard.plans.plan import (
    ForwardingPlan,
    LineIndex,
    PlanErrors,
    SearchPlan,
    StreamPlan,
    format_warnings,
    load_plan,
    load_plan_or_exit,
    load_plan_with_warnings,
    loads_plan,
    loads_plan_with_warnings,
)


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
