"""`byon sip-probe`'s checks against the emulator's SIP edge on the wire: every
classification, the lockout guard, a silent and a closed host (sip.md section 2).

The probe binds to 127.0.0.3 (mapped outside every ACL: "this machine") unless a test
says otherwise; 127.0.0.2 is the provider's allowed address.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.sip.uas import start_uas
from tests.sipedge_fixtures import OUTSIDE_IP, WAIT, until
from wizard.sip import Credentials, NonceState, NonceStore
from wizard.sip.probe import ProbeOptions, exit_code, run_probe

EDGE_SCALE = 0.1


def options(edge, app_id, tmp_path, **kw) -> ProbeOptions:
    """Probe options aimed at the edge (UDP/TCP port, TLS port, its CA), guard in tmp_path."""
    base = dict(
        request_uri=f"sip:{app_id}@app.plivo.com",
        host="127.0.0.1",
        port=edge.port,
        tls_port=edge.tls_port,
        ca_file=edge.ca_cert,
        local_host="127.0.0.3",
        guard_folder=tmp_path,
        timeout=5.0,
        timer_scale=EDGE_SCALE,
    )
    base.update(kw)
    return ProbeOptions(**base)


def by_check(results):
    return {(r.check, r.transport): r for r in results}


async def test_every_check_against_a_credential_app(edge, apps, answers, tmp_path):
    opts = options(edge, apps.credential, tmp_path)
    opts.credentials = Credentials(apps.username, apps.password)
    seen = []
    results = await run_probe(opts, seen.append)
    assert seen == results
    assert [r.check for r in results] == [
        "dns", "reach", "reach", "reach", "unauthenticated", "authenticated",
    ]  # fmt: skip
    rows = by_check(results)
    assert rows["dns", None].result == "skipped" and rows["dns", None].ok
    for transport in ("UDP", "TCP", "TLS"):
        assert rows["reach", transport].result == "reached", rows["reach", transport].detail
    tls = rows["reach", "TLS"].extra["tls"]
    assert "app.plivo.com" in tls["subject"] and tls["days_left"] >= 0
    assert "days left" in rows["reach", "TLS"].detail
    unauth = rows["unauthenticated", "UDP"]
    assert (unauth.ok, unauth.result) == (True, "challenge_407")
    authed = rows["authenticated", "UDP"]
    assert (authed.ok, authed.result) == (True, "accepted"), authed.detail
    assert exit_code(results) == 0
    # the edge sends 180 and 200 back to back: the call ends by CANCEL (487) or, when the
    # 200 crossed it, by BYE; never left running
    record = next(c for c in await edge.calls() if c["call_id"] == authed.extra["call_id"])
    methods = {step["line"].split()[0] for step in record["ladder"]}
    if "cancelled before the answer" in authed.detail:
        assert record["sip_status"] == 487 and "CANCEL" in methods
    else:
        assert "answered, then BYE" in authed.detail and "BYE" in methods
    assert answers.answers()[0]["SIPAuthUser"] == apps.username


async def test_ip_acl_app_from_outside_is_forbidden(edge, apps, tmp_path):
    results = await run_probe(options(edge, apps.ip_acl, tmp_path, transport="udp"))
    unauth = by_check(results)["unauthenticated", "UDP"]
    assert (unauth.ok, unauth.result) == (True, "forbidden_403")
    assert exit_code(results) == 0


async def test_unknown_app_is_not_found(edge, apps, tmp_path):
    results = await run_probe(options(edge, "99999999999999999", tmp_path, transport="tcp"))
    unauth = by_check(results)["unauthenticated", "TCP"]
    assert (unauth.ok, unauth.result) == (False, "not_found_404")
    assert exit_code(results) == 1


async def test_open_app_is_proven_open_and_its_call_cancelled(edge, apps, answers, tmp_path):
    results = await run_probe(options(edge, apps.open, tmp_path, transport="udp"))
    unauth = by_check(results)["unauthenticated", "UDP"]
    assert (unauth.ok, unauth.result) == (False, "open")
    assert "OPEN" in unauth.detail
    assert exit_code(results) == 1
    record = next(c for c in await edge.calls() if c["call_id"] == unauth.extra["call_id"])
    methods = {step["line"].split()[0] for step in record["ladder"]}
    assert "CANCEL" in methods or "BYE" in methods  # the call was not left running


async def test_open_app_that_answers_at_once_gets_a_bye(edge, apps, answers, tmp_path):
    """An app that answers without ringing: BYE, not CANCEL (the record ends normally)."""
    answers.reply = WAIT
    results = await run_probe(options(edge, apps.open, tmp_path, transport="udp"))
    unauth = by_check(results)["unauthenticated", "UDP"]
    assert unauth.result == "open"
    await until(lambda: answers.hangups() != [])  # the edge saw the call end
    record = next(c for c in await edge.calls() if c["call_id"] == unauth.extra["call_id"])
    lines = [step["line"].split()[0] for step in record["ladder"]]
    assert "CANCEL" in lines or "BYE" in lines


async def test_wrong_password_is_forbidden(edge, apps, tmp_path):
    opts = options(edge, apps.credential, tmp_path, transport="udp")
    opts.credentials = Credentials(apps.username, "not-the-password")
    results = await run_probe(opts)
    authed = by_check(results)["authenticated", "UDP"]
    assert (authed.ok, authed.result) == (False, "forbidden_403")
    assert "not-the-password" not in repr(results)
    assert exit_code(results) == 1


async def test_call_holds_and_hangs_up(edge, apps, answers, tmp_path):
    opts = options(edge, apps.credential, tmp_path, transport="udp", call_seconds=0.3)
    opts.credentials = Credentials(apps.username, apps.password)
    answers.reply = WAIT
    results = await run_probe(opts)
    authed = by_check(results)["authenticated", "UDP"]
    assert (authed.ok, authed.result) == (True, "accepted"), authed.detail
    assert "held" in authed.detail and "BYE" in authed.detail
    await until(lambda: answers.hangups() != [])
    assert answers.answers()[0]["SIPAuthUser"] == apps.username


async def test_twenty_wrong_password_runs_cause_no_lockout(edge, apps, tmp_path):
    """The guard stops at 3 failures per 60 s, far below Plivo's 10: 0 lockouts."""
    outcomes = []
    for _ in range(20):
        opts = options(edge, apps.credential, tmp_path, transport="udp", local_host="127.0.0.2")
        opts.credentials = Credentials(apps.username, "wrong-" + apps.password)
        results = await run_probe(opts)
        outcomes.append(by_check(results)["authenticated", "UDP"].result)
    assert outcomes[:3] == ["forbidden_403"] * 3
    assert set(outcomes[3:]) == {"guarded"}
    assert edge.emu.state.locked_until == {}
    assert len(edge.emu.state.failures.get("203.0.113.10", [])) == 3
    guarded = by_check(results)["authenticated", "UDP"]
    assert "--wait" in guarded.detail and "3 failed auth attempts" in guarded.detail


async def test_ip_acl_failures_count_toward_the_guard(edge, apps, tmp_path):
    """A 403 to the unauthenticated INVITE is a failure at Plivo too: the guard counts it."""
    for _ in range(4):
        results = await run_probe(options(edge, apps.ip_acl, tmp_path, transport="udp"))
    assert by_check(results)["unauthenticated", "UDP"].result == "guarded"
    assert len(edge.emu.state.failures[OUTSIDE_IP]) == 3


async def test_tls_with_the_system_cas_refuses_the_edge_certificate(edge, apps, tmp_path):
    opts = options(edge, apps.credential, tmp_path, transport="tls", ca_file=None)
    results = await run_probe(opts)
    reach = by_check(results)["reach", "TLS"]
    assert (reach.ok, reach.result) == (False, "cert_invalid")
    assert by_check(results)["unauthenticated", None].result == "no_answer"


async def test_challenge_loop_when_the_far_end_never_takes_the_answer(tmp_path):
    """A UAS that rejects every nonce re-challenges: the credentials were not taken."""

    class Forgetful(NonceStore):
        def check(self, nonce: str) -> NonceState:
            return NonceState.UNKNOWN

    uas = await start_uas(nonces=Forgetful())
    try:
        port = uas.endpoint.addresses["UDP"][1]
        opts = ProbeOptions(
            request_uri="sip:1234@app.plivo.com", host="127.0.0.1", port=port,
            transport="udp", credentials=Credentials("trunk_user", "pw"),
            guard_folder=tmp_path, timer_scale=0.02, local_host="127.0.0.1",
        )  # fmt: skip
        results = await run_probe(opts)
    finally:
        await uas.close()
    authed = by_check(results)["authenticated", "UDP"]
    assert (authed.ok, authed.result) == (False, "challenge_loop")


async def test_silent_udp_host_gives_no_answer_within_the_timeout(tmp_path):
    """A socket that reads and never answers: reach is unknown, the INVITE no_answer."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        opts = ProbeOptions(
            request_uri="sip:1234@app.plivo.com", host="127.0.0.1",
            port=silent.getsockname()[1], transport="udp", timeout=0.6,
            guard_folder=tmp_path, local_host="127.0.0.1",
        )  # fmt: skip
        async with asyncio.timeout(opts.timeout * 5):  # a hang guard, not a speed check
            results = await run_probe(opts)
    finally:
        silent.close()
    rows = by_check(results)
    assert (rows["reach", "UDP"].ok, rows["reach", "UDP"].result) == (True, "unknown")
    assert rows["unauthenticated", "UDP"].result == "no_answer"
    assert exit_code(results) == 1


async def test_closed_port_is_refused_on_tcp_and_tls(tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    opts = ProbeOptions(
        request_uri="sip:1234@app.plivo.com", host="127.0.0.1", port=port, tls_port=port,
        transport="all", timeout=0.8, guard_folder=tmp_path, local_host="127.0.0.1",
    )  # fmt: skip
    async with asyncio.timeout(opts.timeout * 5):
        results = await run_probe(opts)
    rows = by_check(results)
    assert rows["reach", "TCP"].result == "refused" and not rows["reach", "TCP"].ok
    assert rows["reach", "TLS"].result == "refused"
    assert rows["unauthenticated", "UDP"].result == "no_answer"


@pytest.mark.parametrize("transport", ["tcp", "tls"])
async def test_invites_follow_the_chosen_transport(edge, apps, tmp_path, transport):
    opts = options(edge, apps.credential, tmp_path, transport=transport)
    opts.credentials = Credentials(apps.username, apps.password)
    results = await run_probe(opts)
    assert exit_code(results) == 0, [r.detail for r in results]
    authed = by_check(results)["authenticated", transport.upper()]
    record = next(c for c in await edge.calls() if c["call_id"] == authed.extra["call_id"])
    assert record["transport"] == transport.upper()
