"""SIPVicious' password cracker against a credential app meets the lockout: after 10
wrong answers the source is locked out, and even the right password (last in the
dictionary) gets 403.

Once its dictionary is spent, svcrack reads the edge's retransmitted answers until ten
quiet seconds pass (a socket timeout it does not let one set): it is given Ctrl-C there
instead, and reports what it found, as it does at the end of a run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.sip_peers.peers import private_file, run
from wizard.emulator.auth import LOCKOUT_FAILURES

EDGE_SCALE = 0.1  # svcrack never ACKs: short retransmission tails keep the run brief
ATTACKER = "198.51.100.66"


def svcrack() -> str:
    found = shutil.which("sipvicious_svcrack") or str(
        Path(sys.executable).with_name("sipvicious_svcrack")
    )
    if not Path(found).exists():
        pytest.skip("sipvicious is not installed (pip install '.[test]')")
    return found


async def test_svcrack_meets_the_lockout(edge, apps, answers, tmp_path):
    cracker = svcrack()
    # svcrack sends from 127.0.0.1 whatever -b says: map it to the attacker's address
    edge.emu.source_map["127.0.0.1"] = ATTACKER
    guesses = [f"guess{i:02d}" for i in range(LOCKOUT_FAILURES + 1)] + [apps.password]
    words = private_file(tmp_path / "words.txt", "\n".join(guesses) + "\n")
    args = [
        cracker, "-u", apps.username, "-d", str(words), "-m", "INVITE",
        "--requesturi", apps.uri(apps.credential), "-x", "127.0.0.1",
        "-p", str(edge.port), "--maximumtime", "1", "-v", "127.0.0.1",
    ]  # fmt: skip
    _code, out = await run(args, tmp_path, timeout=90, interrupt_after="no more passwords")
    assert "no more passwords" in out, out[-2000:]  # every guess was answered
    assert "found nothing" in out, out[-2000:]  # the right password came too late
    assert ATTACKER in edge.emu.state.locked_until
    assert answers.got == []  # no call ever reached the application
    reasons = [r["reason"] for r in await edge.calls() if r["route"] == "sip"]
    assert any("locked out" in reason for reason in reasons)
    assert all(r["source"] == ATTACKER for r in await edge.calls())
    # the lock is the HTTP route's too: one counter, one clock
    res = await edge.emu.inbound(
        request_uri=apps.uri(apps.credential), source_ip=ATTACKER, from_="1",
        username=apps.username, password=apps.password,
    )  # fmt: skip
    assert res["sip_status"] == 403 and "locked out" in res["reason"]
