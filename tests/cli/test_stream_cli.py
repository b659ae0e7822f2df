"""`byon stream-check` and `byon echo-agent` as subprocesses, on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from tests.runner import run_byon_async, start_byon_async

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
ENV.pop("PLIVO_AUTH_ID", None)
ENV.pop("PLIVO_AUTH_TOKEN", None)


async def byon(*args: str, timeout: float = 60, env=None) -> tuple[int, str, str]:
    done = await run_byon_async(*args, env=env or ENV, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


@asynccontextmanager
async def echo_agent_process(*extra: str):
    proc = await start_byon_async("echo-agent", "--port", "0", *extra, env=ENV)
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        yield proc, json.loads(first)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@asynccontextmanager
async def silent_agent():
    async def endpoint(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _msg in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/ws", endpoint)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def recording_echo():
    """An in-process echo agent; yields its URL and the upgrade requests' headers."""
    from wizard.stream.check import EchoAgent

    agent = EchoAgent()
    url = await agent.start("127.0.0.1", 0)
    try:
        yield url, agent.streams
    finally:
        await agent.stop()


async def test_stream_check_signs_the_upgrade_with_the_token_in_the_environment():
    token = "cli-stream-token-abcdefghijklmnopqrstuv"
    env = {**ENV, "PLIVO_AUTH_ID": "MA" + "7" * 18, "PLIVO_AUTH_TOKEN": token}
    async with recording_echo() as (url, streams):
        code, out, err = await byon("stream-check", url, "--json", "--seconds", "0.2", env=env)
        assert code == 0, err
        signed = streams[-1].headers
        assert "X-Plivo-Signature-V3" in signed and "X-Plivo-Signature-V3-Nonce" in signed
        assert json.loads(out)["handshake"]["signed"] == "wss"
        printed = out + err
        code, out, err = await byon(
            "stream-check", url, "--seconds", "0.2", "--signed-url-form", "https", env=env
        )
        assert code == 0 and "over the https:// form" in err
        printed += out + err
        assert streams[-1].headers["X-Plivo-Signature-V3"] != signed["X-Plivo-Signature-V3"]
        code, out, err = await byon("stream-check", url, "--seconds", "0.2", "--no-sign", env=env)
        assert code == 0 and "X-Plivo-Signature-V3" not in streams[-1].headers
        assert "signed" not in err
        printed += out + err
    assert token not in printed


async def _stop(proc, sig) -> tuple[int, str]:
    proc.send_signal(sig)
    _out, err = await asyncio.wait_for(proc.communicate(), 30)
    return proc.returncode, err.decode()


async def test_echo_agent_prints_its_url_first_and_stops_on_sigterm():
    async with echo_agent_process() as (proc, first):
        assert set(first) == {"ws_url"}
        assert first["ws_url"].startswith("ws://127.0.0.1:")
        assert first["ws_url"].endswith("/stream")
        code, err = await _stop(proc, signal.SIGTERM)
    assert code == 0
    assert "stopped after 0 stream(s)" in err


async def test_stream_check_json_against_the_echo_agent():
    async with echo_agent_process("--mode", "tone") as (proc, first):
        code, out, err = await byon(
            "stream-check",
            first["ws_url"],
            "--json",
            "--seconds",
            "0.5",
            "--content-type",
            "audio/x-l16;rate=16000",
        )
        stop_code, agent_err = await _stop(proc, signal.SIGINT)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 1  # one object
    data = json.loads(lines[0])
    assert data["ok"] is True
    assert data["audio_received"] is True and data["format_ok"] is True
    assert data["handshake"]["ok"] is True and data["handshake"]["status"] == 101
    assert data["handshake"]["tls"] is False and data["handshake"]["subprotocol"] is None
    # 25 frames of signal, then silence until the first echo (a loaded machine sends some)
    n = data["frames_sent"]
    assert n >= 25 and data["frames_received"] == n
    assert data["bytes_received"] == n * 640
    assert isinstance(data["first_audio_ms"], float)
    assert data["content_type"] == "audio/x-l16;rate=16000"
    assert data["errors"] == []
    assert err == ""  # JSON mode replaces the human text entirely
    assert stop_code == 0 and "stopped after 1 stream(s)" in agent_err


async def test_stream_check_human_report_goes_to_stderr():
    async with echo_agent_process() as (proc, first):
        code, out, err = await byon("stream-check", first["ws_url"], "--seconds", "0.3")
        await _stop(proc, signal.SIGTERM)
    assert code == 0
    assert out == ""
    assert "handshake     ok: HTTP 101" in err
    assert "handshake     failed" not in err  # an unsigned upgrade that worked is not a failure
    assert "PASS: The agent answered with audio" in err
    assert "ws:// is unencrypted" in err


async def test_stream_check_exits_1_when_no_audio_comes_back():
    async with silent_agent() as url:
        code, out, _err = await byon(
            "stream-check", url, "--json", "--seconds", "0.2", "--timeout", "1"
        )
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["audio_received"] is False
    assert data["verdict"].startswith("No audio came back within 1 s")
    assert data["first_audio_ms"] is None


async def test_stream_check_exits_1_when_nothing_listens():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = await byon("stream-check", f"ws://127.0.0.1:{port}/ws", "--timeout", "2")
    assert code == 1
    assert out == ""
    assert "handshake     failed: Could not connect to 127.0.0.1" in err
    assert "FAIL:" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://127.0.0.1:1/ws"], "is not a WebSocket URL"),
        (["agent.example.com/ws"], "is not a WebSocket URL"),
        (["ws://127.0.0.1:1/ws", "--content-type", "audio/mpeg"], "Unsupported content type"),
        (["ws://127.0.0.1:1/ws", "--timeout", "0"], "must be positive"),
        (["ws://127.0.0.1:1/ws", "--seconds", "-1"], "must be positive"),
    ],
)
async def test_stream_check_exits_2_on_bad_input(args, message):
    code, out, err = await byon("stream-check", *args, "--json")
    assert code == 2
    assert out == ""
    assert err.startswith("byon stream-check: ")
    assert message in err


async def test_echo_agent_port_in_use_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code, out, err = await byon("echo-agent", "--port", str(port), timeout=30)
    assert code == 2
    assert out == ""
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Pick another --port" in err


def test_importing_the_stream_module_stays_cheap():
    code = (
        "import sys, wizard.stream.check, wizard.stream.audio, wizard.commands.serve; "
        "names = ('aiohttp', 'textual', 'textual_serve', 'plivo'); "
        "print([m for m in names if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"
