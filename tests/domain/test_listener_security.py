"""Attacks on the callback listener, run against the real listener over loopback.

Each test reproduces one finding of the security review (issue 10) and shows that it
no longer gets in: signed requests are made with the plivo SDK's own signature
functions, calls come from the emulator's SIP edge, and Plivo's call record is read
from the emulator's ``GET Call/{uuid}/`` routes.
"""

from __future__ import annotations

import json
import os
import stat
import time

import aiohttp
import pytest
from aiohttp import web
from plivo.utils.signature_v3 import construct_post_url, get_signature_v3

from tests.domain.test_verify_support import PASSWORD, expectation, make_app
from wizard.plivo.client import PlivoClient
from wizard.verify.diagnose import Expectation
from wizard.verify.listener import NONCE_HEADER, SIG_HEADER, Listener, simulate
from wizard.verify.signature import ReplayStore, hidden_names

TOKEN = "listener-security-token-0123456789abcdef"
PUBLIC = "https://tunnel.example.com/byon"


def sdk_headers(url: str, params: dict[str, str], token: str, nonce: str) -> dict[str, str]:
    """Sign as Plivo does, with the SDK's functions (not byon's)."""
    base = construct_post_url(url, dict(params)).decode()
    sig = get_signature_v3(token.encode(), base, nonce.encode()).decode()
    return {SIG_HEADER: sig, NONCE_HEADER: nonce}


@pytest.fixture
async def agent():
    """The user's own answer server behind the listener (proxy mode): records each request."""
    got: list[dict] = []

    async def answer(request: web.Request) -> web.Response:
        got.append(dict(await request.post()))
        return web.Response(
            text="<Response><Speak>agent</Speak></Response>", content_type="application/xml"
        )

    app = web.Application()
    app.router.add_post("/agent", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/agent", got
    finally:
        await runner.cleanup()


async def post(url: str, params: dict, headers: dict) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=params, headers=headers) as r:
        await r.read()
        return r.status


# ------------------------------------------------------------------ #2 replay key


@pytest.mark.parametrize(
    "mangle",
    [
        lambda sig: f"{sig},x",
        lambda sig: f"x,{sig}",
        lambda sig: f"{sig}, {sig}",
        lambda sig: f" {sig} ",
    ],
    ids=["suffix", "prefix", "twice", "spaces"],
)
async def test_a_replay_with_an_altered_signature_header_is_refused_and_never_forwarded(
    emulator, client, agent, mangle
):
    agent_url, got = agent
    lis = Listener(emulator.auth_token, client=client, forward_to=agent_url)
    await lis.start("127.0.0.1", 0)
    try:
        app_id = await make_app(client, lis.answer_url, "credential")
        lis.expectation = expectation("credential", app_id)
        res = await simulate(emulator, "correct", lis.expectation, password=PASSWORD)
        cb = res.outcome["callback"]
        assert cb["http_status"] == 200 and len(got) == 1
        headers = dict(cb["signature_headers"])
        headers[SIG_HEADER] = mangle(headers[SIG_HEADER])
        assert await post(cb["url"], cb["params"], headers) == 403
        assert len(got) == 1  # the agent never saw the replay
        first, replay = lis.events
        assert first.passed and first.confirmed
        assert replay.rejected and not replay.passed and "replay" in replay.diagnosis
        assert sum(e.passed for e in lis.events) == 1
    finally:
        await lis.stop()


# ------------------------------------------------------------------ #7 across runs


async def test_a_callback_captured_in_one_run_is_refused_in_the_next(tmp_path):
    store = tmp_path / "seen-callbacks.json"
    params = {"CallUUID": "run-1-call", "From": "+14155550142", "To": "+14155550100"}
    headers = sdk_headers(f"{PUBLIC}/answer", params, TOKEN, "nonce-captured-0001")
    statuses = []
    for _run in range(2):
        lis = Listener(TOKEN, public_url=PUBLIC, replays=ReplayStore(store))
        local = await lis.start("127.0.0.1", 0)
        try:
            statuses.append(await post(f"{local}/answer", params, headers))
        finally:
            await lis.stop()
    assert statuses == [200, 403]
    assert "replay" in lis.events[0].diagnosis
    # private, atomic, and holds digests, not the signature or nonce themselves
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    text = store.read_text()
    assert "nonce-captured-0001" not in text and headers[SIG_HEADER] not in text
    assert len(json.loads(text)["seen"]) == 1


async def test_the_default_store_lives_in_the_state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("BYON_STATE_DIR", str(tmp_path / "state"))
    params = {"CallUUID": "c1", "From": "+14155550142", "To": "+14155550100"}
    headers = sdk_headers(f"{PUBLIC}/answer", params, TOKEN, "nonce-default-store")
    for expected in (200, 403):
        lis = Listener(TOKEN, public_url=PUBLIC)
        local = await lis.start("127.0.0.1", 0)
        try:
            assert await post(f"{local}/answer", params, headers) == expected
        finally:
            await lis.stop()
    assert (tmp_path / "state" / "seen-callbacks.json").exists()


async def test_seen_pairs_expire_after_a_day_and_stay_bounded(tmp_path):
    path = tmp_path / "seen.json"
    store = ReplayStore(path, limit=50)
    now = time.time()
    store.clock = lambda: now
    assert all(store.remember(f"key-{i}") for i in range(120))
    await store.save()
    assert len(store) == 50 and len(json.loads(path.read_text())["seen"]) == 50
    assert not store.remember("key-119") and store.remember("key-0")  # oldest forgotten
    later = ReplayStore(path)
    later.clock = lambda: now + 24 * 3600 + 1
    later.load()
    assert len(later) == 0 and later.remember("key-119")


def test_an_unreadable_store_is_reported_not_fatal(tmp_path):
    path = tmp_path / "seen.json"
    path.write_text("{not json")
    path.chmod(0o600)
    store = ReplayStore(path)
    store.load()
    assert "unreadable" in store.problem and len(store) == 0


@pytest.mark.parametrize("how", ["symlink", "mode-0644", "too-large"])
def test_a_store_byon_did_not_write_is_not_trusted(tmp_path, how):
    real = tmp_path / "elsewhere.json"
    real.write_text(json.dumps({"version": 1, "seen": {"planted-key": time.time()}}))
    real.chmod(0o600)
    path = tmp_path / "seen.json"
    if how == "symlink":
        path.symlink_to(real)
    elif how == "mode-0644":
        real.rename(path)
        path.chmod(0o644)
    else:
        real.rename(path)
        with path.open("a") as fh:
            fh.write(" " * (2 << 20))
    store = ReplayStore(path, limit=100)
    store.load()
    assert "untrusted" in store.problem and len(store) == 0
    assert store.remember("planted-key")  # nothing planted was taken in


# ------------------------------------------------------------------ #7 re-split


async def test_a_value_carrying_another_parameters_name_is_refused(emulator, client, agent):
    agent_url, got = agent
    lis = Listener(emulator.auth_token, client=client, forward_to=agent_url)
    await lis.start("127.0.0.1", 0)
    try:
        open_app = await client.create_application(app_name="open", answer_url=lis.answer_url)
        lis.expectation = Expectation(auth_type="none", option="did_forwarding")
        out = await emulator.inbound(
            request_uri=f"sip:{open_app.app_id}@app.plivo.com",
            source_ip="198.51.100.7",
            from_="+14155550142SIPAuthTypecredential",  # a caller ID the attacker chose
        )
        assert out["callback"]["http_status"] == 403 and got == []
        [ev] = lis.events
        assert ev.signature_valid and ev.rejected and ev.row == "ambiguous"
        assert "From holds SIPAuthType" in ev.diagnosis
    finally:
        await lis.stop()


async def test_re_splitting_a_signed_callback_does_not_pass(emulator, client, agent):
    """An unauthenticated call, re-split into SIPAuthType=credential, keeps its signature;
    Plivo's record of the call still says who called, so it is refused."""
    agent_url, got = agent
    lis = Listener(
        emulator.auth_token,
        client=client,
        forward_to=agent_url,
        expectation=Expectation(auth_type="credential"),
    )
    local = await lis.start("127.0.0.1", 0)
    try:
        # the attacker's call reaches an open app; its callback is captured on the way
        app = await client.create_application(app_name="open", answer_url="http://127.0.0.1:9/x")
        out = await emulator.inbound(
            request_uri=f"sip:{app.app_id}@app.plivo.com",
            source_ip="198.51.100.7",
            from_="+14155550142SIPAuthTypecredential",
            to="14155550100",
        )
        original = dict(out["callback"]["params"])
        resplit = {**original, "From": "+14155550142", "SIPAuthType": "credential"}
        url = f"{local}/answer"
        signed = sdk_headers(url, original, emulator.auth_token, "nonce-resplit-1")
        # the premise: both splits carry the very same V3 signature
        assert sdk_headers(url, resplit, emulator.auth_token, "nonce-resplit-1") == signed
        assert hidden_names(resplit) == []  # nothing in the values gives it away
        assert await post(url, resplit, signed) == 403
        assert got == []
        [ev] = lis.events
        assert ev.rejected and ev.row == "record_mismatch" and not ev.passed
        assert "Plivo recorded +14155550142SIPAuthTypecredential" in ev.diagnosis
    finally:
        await lis.stop()


async def test_a_signed_callback_for_a_call_plivo_never_carried_is_refused(emulator, client):
    forwarding = Expectation(auth_type="none", option="did_forwarding")  # it would pass
    lis = Listener(emulator.auth_token, client=client, expectation=forwarding)
    local = await lis.start("127.0.0.1", 0)
    try:
        params = {"CallUUID": "made-up-0001", "From": "+14155550142", "To": "+14155550100"}
        url = f"{local}/answer"
        assert await post(url, params, sdk_headers(url, params, emulator.auth_token, "n1")) == 403
        [ev] = lis.events
        assert ev.row == "record_mismatch" and "no call made-up-0001" in ev.diagnosis
    finally:
        await lis.stop()


async def test_a_callback_replayed_after_its_nonce_is_forgotten_is_refused(emulator, client):
    """After 24 h the nonce is gone; Plivo's record still says the call ended long ago."""
    forwarding = Expectation(auth_type="none", option="did_forwarding")  # it would pass
    lis = Listener(emulator.auth_token, client=client, expectation=forwarding)
    local = await lis.start("127.0.0.1", 0)
    try:
        app = await client.create_application(app_name="old", answer_url="http://127.0.0.1:9/x")
        emulator.clock.offset = -25 * 3600  # the call happened yesterday
        out = await emulator.inbound(
            request_uri=f"sip:{app.app_id}@app.plivo.com",
            source_ip="198.51.100.7",
            from_="+14155550142",
            to="14155550100",
        )
        emulator.clock.offset = 0.0
        params = dict(out["callback"]["params"])
        url = f"{local}/answer"
        assert await post(url, params, sdk_headers(url, params, emulator.auth_token, "n2")) == 403
        [ev] = lis.events
        assert ev.row == "record_mismatch" and "replay of an old one" in ev.diagnosis
    finally:
        await lis.stop()


async def test_without_the_api_the_verdict_is_signature_valid_not_confirmed(emulator, client):
    dead = PlivoClient(emulator.auth_id, emulator.auth_token, base_url="http://127.0.0.1:9")
    dead.deadline = 0.5
    lis = Listener(emulator.auth_token, client=dead)
    await lis.start("127.0.0.1", 0)
    try:
        app_id = await make_app(client, lis.answer_url, "credential")
        lis.expectation = expectation("credential", app_id)
        res = await simulate(emulator, "correct", lis.expectation, password=PASSWORD)
        assert res.outcome["callback"]["http_status"] == 200  # the call is still answered
        [ev] = lis.events
        assert ev.signature_valid and ev.verdict == "unconfirmed" and not ev.passed
        assert ev.diagnosis.startswith("Signature valid, not confirmed")
        line = ev.to_json()
        assert line["verdict"] == "unconfirmed" and line["confirmed"] is False
    finally:
        await lis.stop()
        await dead.aclose()
