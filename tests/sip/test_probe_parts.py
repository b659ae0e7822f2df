"""The probe's parts without a network: the lockout guard, the classification of an
INVITE's outcome, DNS (with a stand-in SRV resolver: tests resolve only loopback names),
and bad input."""

from __future__ import annotations

import json
import os

import pytest

from wizard.sip import Credentials
from wizard.sip.lockout import FILE_NAME, LockoutGuard
from wizard.sip.probe import ProbeInputError, ProbeOptions, request_uri_for, run_probe
from wizard.sip.probe_invite import Outcome, classify_authenticated, classify_unauthenticated
from wizard.sip.probe_model import check_options
from wizard.sip.resolve import resolve


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# ---- the lockout guard ---------------------------------------------------------------------


def test_guard_allows_three_failures_per_minute_across_instances(tmp_path):
    clock = Clock()
    for _ in range(3):
        guard = LockoutGuard("app.plivo.com:5060", folder=tmp_path, clock=clock)
        stamp = guard.reserve()
        assert stamp is not None
        guard.settle(stamp, failed=True)
        clock.now += 1
    fresh = LockoutGuard("app.plivo.com:5060", folder=tmp_path, clock=clock)
    assert fresh.reserve() is None  # a new run (a new instance) sees the same count
    assert 56 < fresh.wait_seconds() <= 58
    assert LockoutGuard("other:5060", folder=tmp_path, clock=clock).reserve() is not None
    clock.now += 58
    assert fresh.reserve() is not None  # the oldest failure left the 60 s window


def test_guard_gives_back_the_slot_of_an_attempt_that_did_not_fail(tmp_path):
    guard = LockoutGuard("t:5060", folder=tmp_path, clock=Clock())
    for _ in range(10):
        stamp = guard.reserve()
        assert stamp is not None
        guard.settle(stamp, failed=False)
    assert guard.used() == 0


def test_guard_slots_held_by_attempts_in_flight(tmp_path):
    """Two probes at once cannot both take the last slot: a reservation counts at once."""
    clock = Clock()
    a = LockoutGuard("t:5060", folder=tmp_path, clock=clock)
    b = LockoutGuard("t:5060", folder=tmp_path, clock=clock)
    taken = [a.reserve(), b.reserve(), a.reserve()]
    assert None not in taken
    assert b.reserve() is None


def test_guard_file_is_private_and_survives_garbage(tmp_path):
    guard = LockoutGuard("t:5060", folder=tmp_path, clock=Clock())
    guard.settle(guard.reserve(), failed=True)
    path = tmp_path / FILE_NAME
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert json.loads(path.read_text()) == {"t:5060": [1_000_000.0]}
    path.write_text("{not json")
    os.chmod(path, 0o600)
    assert guard.reserve() is not None  # unreadable: counted as empty, then rewritten
    assert json.loads(path.read_text())["t:5060"] == [1_000_000.0]


def test_guard_uses_the_state_dir_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("BYON_STATE_DIR", str(tmp_path / "state"))
    guard = LockoutGuard("t:5060")
    guard.reserve()
    assert (tmp_path / "state" / FILE_NAME).exists()


# ---- classification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "ok", "result"),
    [
        (Outcome(status=407, challenged=True), True, "challenge_407"),
        (Outcome(status=401, challenged=True), True, "challenge_407"),
        (Outcome(status=403), True, "forbidden_403"),
        (Outcome(status=404), False, "not_found_404"),
        (Outcome(status=487, early=True, cancelled=True), False, "open"),
        (Outcome(status=200, answered=True), False, "open"),
        (Outcome(status=503), False, "other_status"),
        (Outcome(error="timeout"), False, "no_answer"),
        (Outcome(statuses=[100]), False, "no_answer"),
    ],
)
def test_unauthenticated_classification(outcome, ok, result):
    assert classify_unauthenticated(outcome)[:2] == (ok, result)


@pytest.mark.parametrize(
    ("outcome", "ok", "result"),
    [
        (Outcome(status=487, early=True, challenged=True, cancelled=True), True, "accepted"),
        (Outcome(status=200, answered=True, challenged=True), True, "accepted"),
        (Outcome(status=403, challenged=True), False, "forbidden_403"),
        (Outcome(status=407, challenged=True, challenge_loop=True), False, "challenge_loop"),
        (Outcome(status=404), False, "not_found_404"),
        (Outcome(), False, "no_answer"),
    ],
)
def test_authenticated_classification(outcome, ok, result):
    assert classify_authenticated(outcome, 0.0)[:2] == (ok, result)


def test_far_end_reason_is_shown_inert():
    detail = classify_unauthenticated(Outcome(status=503, reason="Busy\x1b]0;owned\x07"))[2]
    assert "\x1b" not in detail and "\\x1b" in detail


def test_failed_auth_counts_403_and_challenge_loops_only():
    assert Outcome(status=403).failed_auth
    assert Outcome(status=407, challenge_loop=True).failed_auth
    assert not Outcome(status=407, challenged=True).failed_auth
    assert not Outcome(status=404).failed_auth


# ---- DNS -----------------------------------------------------------------------------------


async def test_local_names_and_addresses_never_ask_dns_for_srv():
    asked = []

    async def srv(name: str, timeout: float):
        asked.append(name)
        return []

    found = await resolve("edge.localhost", ["UDP", "TCP"], 1.0, srv_lookup=srv)
    assert asked == []  # a local name never goes to DNS (RFC 6761)
    found = await resolve("127.0.0.1", ["UDP"], 1.0, srv_lookup=srv)
    assert asked == [] and found.hops["UDP"].host == "127.0.0.1"


async def test_srv_lookup_used_for_other_names(monkeypatch):
    """With a stand-in resolver: SRV picks the hop; A/AAAA of the name itself is asked of
    the system only for what SRV did not cover (here a name that resolves to loopback)."""
    import wizard.sip.resolve as resolve_module

    async def srv(name: str, timeout: float):
        if name.startswith("_sip._udp."):
            return [(20, 9, 5070, "b.localhost"), (10, 1, 5090, "c.localhost"),
                    (10, 5, 5080, "localhost")]  # fmt: skip
        return []

    async def addresses(host: str, timeout: float):
        assert host == "sip.example.test"
        return ["127.0.0.1"]

    monkeypatch.setattr(resolve_module, "addresses_of", addresses)
    found = await resolve("sip.example.test", ["UDP", "TCP", "TLS"], 1.0, srv_lookup=srv)
    assert found.hops["UDP"].host == "localhost" and found.hops["UDP"].port == 5080
    assert found.hops["TCP"].port == 5060 and found.hops["TLS"].port == 5061
    assert found.srv["_sip._udp.sip.example.test"][0] == "10 5 5080 localhost"
    assert list(found.srv) == ["_sip._udp.sip.example.test"]


async def test_missing_dnspython_is_said_plainly(monkeypatch):
    import wizard.sip.resolve as resolve_module

    async def srv(name: str, timeout: float):
        raise ImportError("dns")

    async def addresses(host: str, timeout: float):
        return ["127.0.0.1"]

    monkeypatch.setattr(resolve_module, "addresses_of", addresses)
    found = await resolve("sip.example.test", ["UDP"], 1.0, srv_lookup=srv)
    assert any("dnspython" in note for note in found.notes)
    assert found.hops["UDP"].port == 5060


async def test_dns_check_of_a_local_name(tmp_path):
    """Without --host the dns check resolves the URI's host (localhost: /etc/hosts only)."""
    opts = ProbeOptions(
        request_uri="sip:1234@localhost", transport="tcp", port=1, timeout=0.5,
        guard_folder=tmp_path,
    )  # fmt: skip
    results = await run_probe(opts)
    dns = results[0]
    assert dns.check == "dns" and dns.ok and dns.result == "address"
    assert "RFC 6761" in dns.detail


async def test_unresolvable_local_name_fails_dns(tmp_path):
    opts = ProbeOptions(request_uri="sip:1@nowhere.invalid.localhost", guard_folder=tmp_path)
    results = await run_probe(opts)
    assert [r.check for r in results] == ["dns"]
    assert (results[0].ok, results[0].result) == (False, "unresolved")


# ---- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app", "uri", "message"),
    [
        (None, None, "exactly one"),
        ("123", "sip:1@x", "exactly one"),
        ("12ab", None, "not a Plivo application id"),
        (None, "http://x", "not a SIP URI"),
        (None, "sip:app.plivo.com", "user part"),
    ],
)
def test_bad_targets(app, uri, message):
    with pytest.raises(ProbeInputError, match=message):
        request_uri_for(app, uri)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"transport": "sctp"}, "--transport"),
        ({"port": 70000}, "--port"),
        ({"timeout": 0}, "--timeout"),
        ({"call_seconds": 5}, "--call needs"),
        ({"ca_file": "/nonexistent/ca.pem"}, "--ca-file"),
        ({"local_host": "not-an-ip"}, "--bind"),
        ({"credentials": Credentials("a b", "pw")}, "--username"),
        ({"credentials": Credentials("a\r\nVia: x", "pw")}, "--username"),
    ],
)
def test_bad_options(change, message):
    opts = ProbeOptions(request_uri="sip:1@app.plivo.com", **change)
    with pytest.raises(ProbeInputError, match=message):
        check_options(opts)
