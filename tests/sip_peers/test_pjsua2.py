"""PJSUA2 (PJSIP's own API) calls a credential app with digest, over UDP and TCP; the
answer_url callback carries SIPAuthUser."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tests.sip_peers.peers import run
from tests.sipedge_fixtures import PROVIDER_IP, WAIT, until

EDGE_SCALE = 1.0
SCRIPT = Path(__file__).with_name("pjsua_call.py")


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_pjsua2_call_with_digest(edge, apps, answers, tmp_path, transport):
    if importlib.util.find_spec("pjsua2") is None:
        pytest.skip("the pjsua2 package is not installed (pip install '.[test]')")
    answers.reply = WAIT
    suffix = ";transport=tcp" if transport == "tcp" else ""
    target = f"sip:{apps.credential}@{edge.host}:{edge.port}{suffix}"
    args = [sys.executable, str(SCRIPT), target, "127.0.0.2", apps.username, transport, "0.5"]
    # PJSIP runs in its own process (its threads stay out of this event loop); the
    # password goes through standard input
    code, out = await run(args, tmp_path, timeout=40, stdin=(apps.password + "\n").encode())
    assert code == 0, out[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert "CONFIRMED" in result["states"] and result["states"][-1] == "DISCONNECTED"
    form = answers.answers()[0]
    assert form["SIPAuthType"] == "credential" and form["SIPAuthUser"] == "trunk_user"
    assert form["SIPSourceIP"] == PROVIDER_IP
    await until(lambda: bool(answers.hangups()))
    assert answers.hangups()[0]["HangupSource"] == "Caller"
    record = [r for r in await edge.calls() if r["route"] == "sip"][-1]
    assert record["transport"] == transport.upper() and record["sip_status"] == 200
    assert "SIP/2.0 407 Proxy Authentication Required" in [s["line"] for s in record["ladder"]]
