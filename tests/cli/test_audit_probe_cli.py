"""`byon audit --probe`: every listed application gets the unauthenticated INVITE, so an
open SIP URI is proven against the emulator's SIP edge (loopback only)."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_sip_probe_cli import byon

EDGE_SCALE = 0.1


def env_for(edge, tmp_path) -> dict[str, str]:
    return {
        "PLIVO_AUTH_ID": edge.emu.auth_id,
        "PLIVO_AUTH_TOKEN": edge.emu.auth_token,
        "PLIVO_API_URL": edge.emu.api_url,
        "BYON_STATE_DIR": str(tmp_path),
    }


async def test_open_app_is_proven_and_a_credential_app_challenged(edge, apps, tmp_path):
    probe = ["--probe", "--probe-host", "127.0.0.1", "--probe-port", str(edge.port)]
    code, out, err = await byon("audit", "--json", *probe, env=env_for(edge, tmp_path))
    assert code == 1, err
    rows = [json.loads(line) for line in out.splitlines()]
    open_rows = [r for r in rows if r["kind"] == "open_sip_uri" and r["id"] == apps.open]
    assert open_rows and open_rows[0]["probe"]["result"] == "open"
    assert open_rows[0]["probe"]["ok"] is False
    # the credential app is listed for its http:// answer_url; its probe meets the challenge
    cred = [r for r in rows if r["id"] == apps.credential]
    assert cred and cred[0]["probe"]["result"] == "challenge_407"
    assert all("probe" not in r for r in rows if r["resource"] != "application")
    # every application listed was probed over the wire: the edge holds one record each
    listed = {r["id"] for r in rows if r["resource"] == "application"}
    records = [c for c in await edge.calls() if c["route"] == "sip"]
    assert {c["request_uri"].split("@")[0][4:] for c in records} >= listed


async def test_text_output_says_proven_open(edge, apps, tmp_path):
    probe = ["--probe", "--probe-host", "127.0.0.1", "--probe-port", str(edge.port)]
    code, out, _err = await byon("audit", *probe, env=env_for(edge, tmp_path))
    assert code == 1
    lines = out.splitlines()
    index = next(i for i, line in enumerate(lines) if f"({apps.open})" in line)
    assert lines[index + 1].startswith("  sip-probe: proven open")


async def test_without_probe_nothing_is_sent(edge, apps, tmp_path):
    code, out, _err = await byon("audit", "--json", env=env_for(edge, tmp_path))
    assert code == 1
    assert all("probe" not in json.loads(line) for line in out.splitlines())
    assert [c for c in await edge.calls() if c["route"] == "sip"] == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--probe-host", "127.0.0.1"], "only go with --probe"),
        (["--probe", "--probe-port", "0"], "--probe-port must be"),
        (["--probe", "--probe-timeout", "-1"], "--probe-timeout must be"),
    ],
)
async def test_bad_probe_options_exit_2(edge, tmp_path, argv, message):
    code, out, err = await byon("audit", *argv, env=env_for(edge, tmp_path))
    assert code == 2 and message in err and out == ""
