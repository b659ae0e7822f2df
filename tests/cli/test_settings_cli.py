"""`byon settings` as a user runs it: a subprocess of the installed console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runner import run_byon
from wizard.providers.templates import PROVIDERS

PLAN = """\
version = 1

[route]
option = "direct_sip"
external_number = "+14155550100"
provider = "asterisk"   # the PBX in front of the carrier

[application]
name = "ai-agent-inbound"
app_id = "20468599130939380"
answer_url = "https://agent.example.com/answer"

[auth]
type = "ip_acl_and_credential"

[auth.ip_acl]
name = "carrier-edge"
entries = ["203.0.113.10"]

[auth.credential]
username = "carrier_trunk"
password_env = "BYON_SIP_PASSWORD"
"""


def byon(*args: str, env_password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if env_password:
        env["BYON_SIP_PASSWORD"] = env_password
    return run_byon(*args, env=env, stdin=None)


@pytest.fixture
def plan_file(tmp_path) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN)
    return path


def test_settings_for_a_valid_plan(plan_file):
    out = byon("settings", str(plan_file), env_password="Sup3rSecretPassw0rd")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(
        "Asterisk (PJSIP): Direct SIP to Plivo application 20468599130939380"
    )
    assert "Dial(PJSIP/20468599130939380@plivo)" in out.stdout
    assert "password=<your SIP password>" in out.stdout
    assert "Sup3rSecretPassw0rd" not in out.stdout + out.stderr  # never read, never printed


def test_provider_option_overrides_the_plan(plan_file):
    out = byon("settings", str(plan_file), "--provider", "twilio", "--json")
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    data = json.loads(line)
    assert data["provider"] == "twilio" and data["sip_uri"] == "sip:20468599130939380@app.plivo.com"
    assert any(f["label"] == "username" and f["value"] == "carrier_trunk" for f in data["fields"])
    assert data["source_ips"] and data["gotchas"]


def test_list_providers():
    out = byon("settings", "--list-providers")
    assert out.returncode == 0, out.stderr
    keys = [line.split()[0] for line in out.stdout.splitlines()]
    assert keys == list(PROVIDERS)
    data = json.loads(byon("settings", "--list-providers", "--json").stdout)
    assert [p["key"] for p in data["providers"]] == list(PROVIDERS)


def test_invalid_plan_exits_2_with_file_line_key(plan_file):
    plan_file.write_text(PLAN.replace("option =", "optoin ="))
    out = byon("settings", str(plan_file))
    assert out.returncode == 2
    assert f"{plan_file}:4: route.optoin: unknown key in [route]" in out.stderr
    assert 'did you mean "option"' in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_bad_value_exits_2(plan_file):
    plan_file.write_text(PLAN.replace('"203.0.113.10"', '"192.168.1.10"'))
    out = byon("settings", str(plan_file))
    assert out.returncode == 2
    assert f"{plan_file}:18: auth.ip_acl.entries[0]:" in out.stderr and "private" in out.stderr


def test_missing_file_and_missing_argument(tmp_path):
    out = byon("settings", str(tmp_path / "nope.toml"))
    assert out.returncode == 2 and "no such file" in out.stderr
    out = byon("settings")
    assert out.returncode == 2 and "--list-providers" in out.stderr


def test_unknown_provider_option_exits_2(plan_file):
    out = byon("settings", str(plan_file), "--provider", "twillio")
    assert out.returncode == 2 and 'did you mean "twilio"' in out.stderr


def test_without_app_id_shows_placeholder_and_note(plan_file):
    plan_file.write_text(PLAN.replace('app_id = "20468599130939380"\n', ""))
    out = byon("settings", str(plan_file))
    assert out.returncode == 0
    assert "PJSIP/{app_id}@plivo" in out.stdout and "run `byon apply` first" in out.stdout


def test_warnings_go_to_stderr(plan_file):
    plan_file.write_text(PLAN.replace("https://agent", "http://agent"))
    out = byon("settings", str(plan_file))
    assert out.returncode == 0
    assert f"{plan_file}:11: application.answer_url: warning:" in out.stderr


PROBE = """
import sys, io, contextlib
from wizard.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & {"textual", "aiohttp", "plivo", "httpx"})
print(code, ",".join(heavy))
"""


@pytest.mark.parametrize("extra", [["--help"], ["--list-providers"], ["PLAN"]])
def test_settings_imports_no_heavy_module(plan_file, extra):
    argv = [str(plan_file) if a == "PLAN" else a for a in extra]
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "settings", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    code, _, heavy = out.stdout.strip().partition(" ")
    assert code == "0", out.stderr
    assert heavy == "", f"byon settings {' '.join(extra)} imported {heavy}"


def test_kamailio_prints_a_complete_config_that_kamailio_accepts(plan_file, tmp_path):
    out = byon("settings", str(plan_file), "--provider", "kamailio", "--snippet", "kamailio.cfg")
    assert out.returncode == 0, out.stderr
    cfg = out.stdout
    assert cfg.startswith("#!KAMAILIO\n") and '#!define PLIVO_EDGE "app.plivo.com"' in cfg
    assert 'loadmodule "uac.so"' in cfg and "uac_auth()" in cfg and "failure_route[" in cfg
    assert '"sip:" + PLIVO_APP_ID + "@app.plivo.com"' in cfg
    assert "$env(BYON_SIP_PASSWORD)" in cfg
    human = byon("settings", str(plan_file), "--provider", "kamailio")
    assert "kamailio.cfg (checked with kamailio -c" in human.stdout
    kamailio = shutil.which("kamailio") or "/usr/sbin/kamailio"
    if not Path(kamailio).exists():
        pytest.skip("kamailio is not installed (apt-get install kamailio)")
    path = tmp_path / "kamailio.cfg"
    path.write_text(cfg)
    env = {**os.environ, "BYON_SIP_PASSWORD": "Sup3rSecretPassw0rd"}
    checked = subprocess.run(
        [kamailio, "-c", "-f", str(path)], capture_output=True, text=True, env=env, check=False
    )
    assert checked.returncode == 0, checked.stderr[-2000:]


@pytest.mark.parametrize("provider", ["asterisk", "freeswitch"])
def test_pbx_snippets_say_they_were_not_run_against_a_real_server(plan_file, provider):
    out = byon("settings", str(plan_file), "--provider", provider)
    assert out.returncode == 0, out.stderr
    assert "not run against a real server" in out.stdout


def test_an_unknown_snippet_name_exits_2_naming_the_ones_there(plan_file):
    out = byon("settings", str(plan_file), "--snippet", "kamailio.cfg")
    assert out.returncode == 2 and out.stdout == ""
    assert "pjsip.conf, extensions.conf" in out.stderr
