"""`byon audit`, `export` and the error paths against a hostile Plivo API
(tests/hostile_api.py): nothing it says reaches the terminal as escapes or forged lines,
and the token never shows."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.hostile_api import EVIL, TOKEN, HostileServer

RAW = ("\x1b", "\x9b", "\x07", "\r")


@pytest.fixture
def hostile(request):
    server = HostileServer(request.param)
    yield server
    server.stop()


def assert_inert(text: str) -> None:
    for ch in RAW:
        assert ch not in text, repr(ch)
    assert not any(line.startswith("byon: FAKE") for line in text.splitlines())


@pytest.mark.parametrize("hostile", ["names"], indirect=True)
def test_audit_shows_hostile_names_inert(hostile):
    r = hostile.byon("audit")
    assert r.returncode == 1, r.stderr
    assert_inert(r.stdout + r.stderr)
    assert "\\x1b]0;PWNED-TITLE" in r.stdout and "\\nbyon: FAKE LINE" in r.stdout
    assert "application evil" in r.stdout and "credential uevil" in r.stdout


@pytest.mark.parametrize("hostile", ["names"], indirect=True)
def test_audit_json_keeps_hostile_names_exact_and_valid(hostile):
    r = hostile.byon("audit", "--json")
    assert r.returncode == 1, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows and all("\x1b" not in line for line in r.stdout.splitlines())
    assert EVIL in [row["name"] for row in rows]
    assert all("\x1b" not in row["message"] for row in rows)


@pytest.mark.parametrize("hostile", ["err", "errtext"], indirect=True)
@pytest.mark.parametrize("command", [["export", "--app", "1"], ["audit"]])
def test_api_error_text_reaches_the_terminal_inert(hostile, command):
    r = hostile.byon(*command)
    assert r.returncode == 1, r.stderr
    assert_inert(r.stdout + r.stderr)
    assert "\\x1b]0;PWNED-TITLE" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("hostile", ["echo-token"], indirect=True)
def test_a_token_echoed_in_an_error_body_is_never_printed(hostile):
    r = hostile.byon("audit")
    assert r.returncode == 1 and "is not a valid field" in r.stderr
    out = (r.stdout + r.stderr).lower()
    assert TOKEN.lower() not in out


@pytest.mark.parametrize("hostile", ["names"], indirect=True)
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_token_in_the_api_url_path_is_refused_unechoed(hostile, how):
    url = f"{hostile.url}/{TOKEN}"
    r = hostile.byon("export", "--app", "1", "--api-url", url) if how == "flag" else None
    if how == "env":
        r = hostile.byon("export", "--app", "1", PLIVO_API_URL=url)
    assert r.returncode == 2, r.stderr
    assert "contains the auth token" in r.stderr
    assert TOKEN not in r.stdout + r.stderr


@pytest.mark.parametrize("hostile", ["names"], indirect=True)
def test_export_to_stdout_escapes_c1_and_round_trips(hostile):
    r = hostile.byon("export", "--app", "123")
    assert r.returncode == 0, r.stderr
    assert_inert(r.stdout + r.stderr)
    plan = tomllib.loads(r.stdout)
    assert plan["application"]["name"] == EVIL
    assert plan["application"]["answer_url"] == "http://x.example/" + EVIL
    assert "\\u009b" in r.stdout
    # the warning naming the app is one comment line: its newline cannot start TOML
    assert not any(line.startswith("byon: FAKE") for line in r.stdout.splitlines())
