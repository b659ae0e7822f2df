"""SIPp calls the edge with and without digest, over UDP and TCP."""

from __future__ import annotations

import pytest

from tests.sip_peers.peers import free_port, run, sipp_scenario, tool
from tests.sipedge_fixtures import PROVIDER_IP, WAIT

EDGE_SCALE = 1.0  # real RFC 3261 timers: SIPp keeps its own


@pytest.mark.parametrize("transport", ["u1", "t1"])
@pytest.mark.parametrize("digest", [True, False], ids=["digest", "ip_acl"])
async def test_sipp_calls(edge, apps, answers, tmp_path, transport, digest):
    sipp = tool("sipp")
    answers.reply = WAIT  # SIPp hangs up after a short hold
    if digest:
        scenario = sipp_scenario(tmp_path, "uac_digest.xml", apps.username, apps.password)
        app_id = apps.credential
    else:
        scenario = sipp_scenario(tmp_path, "uac_plain.xml")
        app_id = apps.ip_acl
    args = [
        sipp, f"{edge.host}:{edge.port}", "-sf", str(scenario), "-s", app_id,
        "-i", "127.0.0.2", "-p", str(free_port("127.0.0.2")), "-mp", str(free_port("127.0.0.2")),
        "-t", transport, "-m", "2", "-r", "10", "-nostdin", "-timeout", "20", "-timeout_error",
    ]  # fmt: skip
    code, out = await run(args, tmp_path, timeout=40)
    assert code == 0, out[-3000:]
    assert apps.password not in " ".join(args)
    forms = answers.answers()
    assert len(forms) == 2 and {f["SIPSourceIP"] for f in forms} == {PROVIDER_IP}
    if digest:
        assert {f["SIPAuthType"] for f in forms} == {"credential"}
        assert {f["SIPAuthUser"] for f in forms} == {"trunk_user"}
    else:
        assert {f["SIPAuthType"] for f in forms} == {"ip_acl"} and "SIPAuthUser" not in forms[0]
    records = [r for r in await edge.calls() if r["route"] == "sip"]
    assert len(records) == 2 and all(r["sip_status"] == 200 for r in records)
    assert all(r["transport"] == ("UDP" if transport == "u1" else "TCP") for r in records)
    lines = [s["line"].split(" ")[1] if s["dir"] == "out" else s["line"].split(" ")[0]
             for s in records[0]["ladder"]]  # fmt: skip
    if digest:
        assert lines[:3] == ["INVITE", "100", "407"]
    assert "BYE" in lines and lines[-1] == "200"


async def test_sipp_from_outside_the_acl_gets_403(edge, apps, tmp_path):
    sipp = tool("sipp")
    scenario = sipp_scenario(tmp_path, "uac_plain.xml")
    args = [
        sipp, f"{edge.host}:{edge.port}", "-sf", str(scenario), "-s", apps.ip_acl,
        "-i", "127.0.0.3", "-p", str(free_port("127.0.0.3")), "-mp", str(free_port("127.0.0.3")),
        "-t", "u1", "-m", "1", "-nostdin", "-timeout", "10",
    ]  # fmt: skip
    code, _ = await run(args, tmp_path, timeout=30)
    assert code != 0  # the scenario expects 200; the edge answered 403
    record = (await edge.calls())[-1]
    assert record["sip_status"] == 403 and record["source"] == "192.0.2.55"
