"""Credentials and the API base from the environment, secrets scrubbed by value, and the
version in one place (issue 10 #13, #18; issue 11 item 2)."""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path

import httpx
import pytest

from wizard import __version__
from wizard.errors import ByonError, PlivoError, basic_form, scrub
from wizard.plans.validate import check_env_name
from wizard.plivo.client import USER_AGENT, PlivoClient
from wizard.plivo.env import (
    DEFAULT_API_URL,
    api_url_from_env,
    check_api_url,
    credentials_from_env,
    env_credentials,
    is_credential_variable,
)

ROOT = Path(__file__).resolve().parents[2]


def test_credentials_from_env_names_what_is_missing(monkeypatch):
    monkeypatch.delenv("PLIVO_AUTH_ID", raising=False)
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", "tok-secret-value")
    with pytest.raises(ByonError) as info:
        credentials_from_env()
    msg = str(info.value)
    assert "PLIVO_AUTH_ID is not set" in msg and "byon demo" in msg
    assert "tok-secret-value" not in msg
    monkeypatch.delenv("PLIVO_AUTH_TOKEN")
    with pytest.raises(ByonError, match="PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN are not set"):
        credentials_from_env()


def test_credentials_from_env_strips_and_checks_the_plan_account(monkeypatch):
    monkeypatch.setenv("PLIVO_AUTH_ID", "MAONE000000000000000\n")
    monkeypatch.setenv("PLIVO_AUTH_TOKEN", " tok-secret-value\n")  # pasted with a newline
    assert credentials_from_env() == ("MAONE000000000000000", "tok-secret-value")
    assert env_credentials() == ("MAONE000000000000000", "tok-secret-value")
    with pytest.raises(ByonError, match="the plan is for account MATWO"):
        credentials_from_env("MATWO000000000000000")
    monkeypatch.delenv("PLIVO_AUTH_ID")
    assert credentials_from_env("MATWO000000000000000")[0] == "MATWO000000000000000"


def test_api_url_from_env(monkeypatch):
    monkeypatch.delenv("PLIVO_API_URL", raising=False)
    assert api_url_from_env() == DEFAULT_API_URL
    monkeypatch.setenv("PLIVO_API_URL", "http://127.0.0.1:8123/")
    assert api_url_from_env() == "http://127.0.0.1:8123"
    assert api_url_from_env("https://api.plivo.com/") == "https://api.plivo.com"


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://MAXXXXXXXXXXXXXXXXXX:tok-in-url@api.plivo.com", "user name or password"),
        ("https://tok-in-url@api.plivo.com", "user name or password"),
        ("ftp://api.plivo.com", "scheme"),
        ("api.plivo.com", "scheme"),
        ("https://", "names no host"),
        ("http://[::1", "not a valid URL"),
        ("http://127.0.0.1:99999", "not a valid URL"),
        ("http://127.0.0.1:0", "port 0"),
        ("https://api.plivo.com/?token=x", "no query"),
        ("http://api.plivo.com", "unencrypted"),
        ("https://api.plivo.com/\x1b[2J", "control characters"),
    ],
)
def test_unusable_api_urls_are_refused_without_repeating_them(url, words):
    with pytest.raises(ByonError) as info:
        check_api_url(url)
    msg = str(info.value)
    assert words in msg
    assert "tok-in-url" not in msg and "\x1b" not in msg


def test_the_client_refuses_credentials_in_its_base_url():
    with pytest.raises(ByonError, match="user name or password"):
        PlivoClient("MAXXXXXXXXXXXXXXXXXX", "tok", base_url="https://u:tok-x@api.plivo.com")


@pytest.mark.parametrize(
    "name",
    ["PLIVO_AUTH_TOKEN", "PLIVO_AUTH_ID", "PLIVO_API_URL", "plivo_auth_token", "BYON_API_TOKEN",
     "BYON_TOKEN", "BYON_AUTH_ID", "BYON_STATE_DIR", "BYON_SECRET"],
)  # fmt: skip
def test_password_env_may_not_name_a_credential_variable(name):
    """Attack (issue 10 #18): password_env = "PLIVO_AUTH_TOKEN" sent the token to Plivo
    as a SIP password."""
    assert is_credential_variable(name)
    problem = check_env_name(name)
    assert problem and name in problem and "credential" in problem


@pytest.mark.parametrize("name", ["BYON_SIP_PASSWORD", "BYON_TEST_SIP_PASSWORD", "SIP_PW"])
def test_ordinary_password_variables_are_fine(name):
    assert not is_credential_variable(name) and check_env_name(name) is None


def test_scrub_finds_basic_credentials_anywhere_and_secrets_in_every_form():
    token = "tok-" + uuid.uuid4().hex
    basic = basic_form("MAXXXXXXXXXXXXXXXXXX", token)
    text = (
        f"echo: basic {basic} / header Basic {basic}; url https://x/?t={token}; "
        f"b64 {base64.b64encode(token.encode()).decode()}; pct {token.replace('-', '%2D')}"
    )
    clean = scrub(text, [token, basic])
    assert token not in clean and basic not in clean
    assert clean.count("***") >= 4
    assert scrub("Plivo uses basic authentication here", []) == (
        "Plivo uses basic authentication here"
    )
    assert "Basic ***" in scrub("Authorization: Basic dXNlcjpwYXNzd29yZA==", [])


async def test_client_errors_and_logs_scrub_a_basic_value_outside_authorization(caplog):
    """Attack (issue 10 #13): an answer echoing the Basic value outside the header."""
    caplog.set_level(logging.DEBUG)
    token = "tok-" + uuid.uuid4().hex
    basic = basic_form("MAXXXXXXXXXXXXXXXXXX", token)
    c = PlivoClient("MAXXXXXXXXXXXXXXXXXX", token, base_url="http://127.0.0.1:9")
    try:
        from wizard.plivo.client import _Op

        resp = httpx.Response(400, json={"error": f"bad credentials {basic} (token {token})"})
        err = c._http_error(resp, "GET", "/p/", _Op("read"), ())
        assert isinstance(err, PlivoError)
        assert token not in str(err) and basic not in str(err) and basic not in repr(err.error)
        logging.getLogger("httpx").warning("request with %s and %s", basic, token)
        logging.getLogger("byon.plivo").warning("echo %s", f"x{basic}x")
    finally:
        await c.aclose()
    assert caplog.records
    assert token not in caplog.text and basic not in caplog.text


def test_one_version_string():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "wizard.__version__"}
    out = subprocess.run(
        [sys.executable, "-m", "wizard", "--version"], capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == f"byon {__version__}"
    assert f"byon/{__version__}" == USER_AGENT
