"""`byon verify` as a subprocess under attack (issue 10, #5 and #10).

Hostile values arrive in unsigned and in validly signed callbacks (signed with the
plivo SDK's functions): escape sequences, an OSC window title, an OSC 8 link,
newlines forging a "PASS" line. The output must stay one inert line per event,
and ``--json`` exactly one JSON object per line. Then slow sockets beyond the
open-file limit must not keep a genuine call out, nor fill stderr with tracebacks.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import signal
import socket
import subprocess
import sys
from urllib.parse import urlencode

import aiohttp
import pytest
from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

from tests.cli.test_verify_cli import ROOT, Verify, env_for, free_port
from tests.domain.test_verify_support import PASSWORD, expectation, make_app
from wizard.verify.listener import NONCE_HEADER, SIG_HEADER, simulate

FAKE_LINE = "\n12:00:00 answer PASS  from=+14155550142 signature=valid\n"
HOSTILE = {
    "CallUUID": "\u2028c0ffee",
    "From": "\x1b]0;pwned title\x07+14155550142",
    "To": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "SIPAuthType": "\x1b[2J\x1b[32mcredential",
    "SIPAuthUser": f"trunk{FAKE_LINE}",
    "SIPSourceIP": "\x9b31m203.0.113.10\r",
    "Direction": "inbound",
}
EVENT_LINE = re.compile(r"^\d\d:\d\d:\d\d (answer|hangup)\s+(\S+)")


def _sdk_signed(method: str, url: str, params: dict, token: str, nonce: str) -> dict:
    if method == "GET":
        base = construct_get_url(url, {}).decode()
    else:
        base = construct_post_url(url, dict(params)).decode()
    sig = get_signature_v3(token.encode(), base, nonce.encode()).decode()
    return {SIG_HEADER: sig, NONCE_HEADER: nonce}


def _inert(text: str) -> bool:
    """No terminal control at all: only printable text and the line breaks between lines."""
    return not any(
        (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029"
        for ch in text
    )


async def _send_hostile(port: int, token: str) -> list[int]:
    url = f"http://127.0.0.1:{port}/answer"
    # the SDK cannot sign a GET query holding non-ASCII text: ASCII controls only there
    ascii_only = {k: v for k, v in HOSTILE.items() if v.isascii()}
    get_url = f"{url}?{urlencode({**ascii_only, 'CallUUID': chr(27) + '[1Ac0ffee'})}"
    statuses = []
    async with aiohttp.ClientSession() as http:
        for params in (HOSTILE, {**HOSTILE, "From": "[/] [bold red]x"}):
            async with http.post(url, data=params) as resp:  # unsigned
                statuses.append(resp.status)
        headers = _sdk_signed("POST", url, HOSTILE, token, "hostile-nonce-1")
        async with http.post(url, data=HOSTILE, headers=headers) as resp:
            statuses.append(resp.status)
        headers = _sdk_signed("GET", get_url, {}, token, "hostile-nonce-2")
        async with http.get(get_url, headers=headers) as resp:
            statuses.append(resp.status)
    return statuses


@pytest.mark.parametrize("json_mode", [True, False], ids=["json", "human"])
async def test_hostile_values_cannot_steer_the_terminal_or_forge_lines(
    emulator, tmp_path, json_mode
):
    env = env_for(emulator, tmp_path)
    del env["PLIVO_AUTH_ID"]  # no call records: signed values reach the output as they are
    port = free_port()
    args = ["--listen", f"127.0.0.1:{port}", "--expect", "credential", "--timeout", "60"]
    v = await Verify.start([*args, "--json"] if json_mode else args, env)
    await v.wait_for_err(r"Waiting for a call")
    statuses = await _send_hostile(port, emulator.auth_token)
    v.proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(v.proc.communicate(), 60)
    stdout, stderr = out.decode(), "".join(v.err) + err.decode()
    assert statuses == [403, 403, 200, 200]
    assert _inert(stdout) and _inert(stderr), (stdout, stderr)
    human = stderr if json_mode else stdout
    marks = [m.group(2) for line in human.splitlines() if (m := EVENT_LINE.match(line))]
    # one line per callback, none of them a PASS (the forged one is inside a value)
    assert marks == ["REJECTED", "REJECTED", "FAIL", "FAIL"], human
    assert "\\x1b]0;pwned title\\x07" in human and "\\n12:00:00 answer PASS" in human
    if json_mode:
        lines = stdout.splitlines()
        objects = [json.loads(line) for line in lines]
        assert len(lines) == 4 and all(isinstance(o, dict) for o in objects)
        # machines still get the exact values, escaped by JSON
        assert objects[2]["sip_auth_user"] == HOSTILE["SIPAuthUser"]
        assert objects[3]["from"] == HOSTILE["From"] and objects[2]["signature_valid"]


def _low_file_limit() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160))


async def test_slow_sockets_beyond_the_file_limit_do_not_stop_a_genuine_call(
    emulator, client, tmp_path
):
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wizard",
        "verify",
        "--listen",
        f"127.0.0.1:{port}",
        "--json",
        "--exit-on-pass",
        "--timeout",
        "120",
        cwd=ROOT,
        env=env_for(emulator, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_low_file_limit,
    )
    v = Verify(proc)
    await v.wait_for_err(r"Waiting for a call")
    slow = []
    try:
        for _ in range(220):  # more sockets than the listener's process may open files
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /answer HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(s)
        app_id = await make_app(client, f"http://127.0.0.1:{port}/answer", "credential")
        res = await simulate(
            emulator, "correct", expectation("credential", app_id), password=PASSWORD
        )
        rc, lines, err = await v.finish()
    finally:
        for s in slow:
            s.close()
    assert res.outcome["callback"]["http_status"] == 200
    assert rc == 0 and [x["verdict"] for x in lines] == ["pass"] and lines[0]["confirmed"]
    assert "Traceback" not in err and "Error" not in err
    assert re.search(r"\d+ slow, malformed or excess connections closed", err)
