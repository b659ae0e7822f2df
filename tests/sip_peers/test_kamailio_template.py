"""The kamailio.cfg that `byon settings --provider kamailio` prints, run unchanged in a real
Kamailio between SIPp (the caller, no credentials) and the emulator's SIP edge: only the
PLIVO_EDGE define is rewritten to the edge's loopback address, and Kamailio's listening
address is given on its command line. Kamailio answers the edge's 407 with ``uac_auth()``
and the plan's credential, read from the environment (issue 13, item 2)."""

from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path

import pytest

from tests.emulator.helpers import make_app, make_credential, rest_client
from tests.kamailio_run import KAMAILIO, MISSING, running
from tests.sip_peers.peers import free_port, private_file, run, sipp_scenario, tool
from tests.sipedge_fixtures import WAIT
from wizard.providers.render_kamailio import rewrite_edge

pytestmark = pytest.mark.skipif(KAMAILIO is None, reason=MISSING)

EDGE_SCALE = 1.0  # real RFC 3261 timers on the edge: Kamailio and SIPp keep their own
EXTERNAL = "+14155550100"
USERNAME = "carrier_trunk"
PASSWORD_ENV = "BYON_SIP_PASSWORD"

PLAN = """\
version = 1

[route]
option = "direct_sip"
external_number = "{external}"
provider = "kamailio"

[application]
name = "ai-agent-inbound"
app_id = "{app_id}"
answer_url = "{answer_url}"

[auth]
type = "credential"

[auth.credential]
username = "{username}"
password_env = "{password_env}"
"""


async def printed_cfg(plan: Path, cwd: Path) -> str:
    """What `byon settings PLAN --provider kamailio --snippet kamailio.cfg` prints on stdout
    (its warnings, e.g. about an http:// answer_url, go to stderr)."""
    args = [sys.executable, "-m", "wizard", "settings", str(plan), "--provider", "kamailio"]
    proc = await asyncio.create_subprocess_exec(
        *args, "--snippet", "kamailio.cfg", cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(60):  # a hang guard
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


async def test_the_printed_kamailio_cfg_carries_a_call_to_the_app_with_the_credential(
    edge, answers, tmp_path
):
    sipp = tool("sipp")
    answers.reply = WAIT  # SIPp hangs up after a short hold
    password = "Pw" + secrets.token_hex(8)
    async with rest_client(edge.emu) as api:
        cred = await make_credential(api, USERNAME, password)
        app_id = await make_app(
            api, app_name="kamailio-trunk", answer_url=answers.url + "/answer",
            sip_auth_type="credential", credential_uuid=cred,
        )  # fmt: skip
    plan = private_file(
        tmp_path / "plan.toml",
        PLAN.format(
            external=EXTERNAL, app_id=app_id, answer_url=answers.url + "/answer",
            username=USERNAME, password_env=PASSWORD_ENV,
        ),
    )  # fmt: skip
    printed = await printed_cfg(plan, tmp_path)
    assert password not in printed and f"$env({PASSWORD_ENV})" in printed
    cfg = rewrite_edge(printed, f"127.0.0.1:{edge.port}")  # the only change

    port = free_port()
    with running(cfg, tmp_path, port, {PASSWORD_ENV: password}):
        scenario = sipp_scenario(tmp_path, "uac_via_proxy.xml")
        args = [
            sipp, f"127.0.0.1:{port}", "-sf", str(scenario), "-s", EXTERNAL,
            "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
            "-t", "u1", "-m", "1", "-nostdin", "-timeout", "20", "-timeout_error",
            # a 200 OK sent again (its ACK crossed it on a loaded machine) must not end the
            # call; a real early hangup still fails: the BYE then gets no 200 within 20 s
            "-default_behaviors", "all,-abortunexp",
        ]  # fmt: skip
        code, out = await run(args, tmp_path, timeout=40)
        assert code == 0, out[-3000:]  # INVITE, 200, ACK and BYE through Kamailio
        assert password not in " ".join(args)

    assert password not in (tmp_path / "kamailio.log").read_text(errors="replace")

    [form] = answers.answers()  # the app's answer_url, fetched by the edge
    assert form["SIPAuthType"] == "credential" and form["SIPAuthUser"] == USERNAME
    assert form["To"] == EXTERNAL  # the dialled number reaches the app as the caller sent it
    [record] = [r for r in await edge.calls() if r["route"] == "sip"]
    assert record["sip_status"] == 200
    assert record["ladder"][0]["line"] == f"INVITE sip:{app_id}@app.plivo.com SIP/2.0"
    lines = [s["line"].split(" ")[1] if s["dir"] == "out" else s["line"].split(" ")[0]
             for s in record["ladder"]]  # fmt: skip
    assert lines[:3] == ["INVITE", "100", "407"]  # the edge challenged; Kamailio answered it
    assert "BYE" in lines and lines[-1] == "200"  # the caller's BYE followed the recorded route
