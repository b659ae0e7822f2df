"""`byon serve` in a real headless Chromium: the page loads and the wizard's first screen shows.

The terminal in the page is xterm.js drawing on a canvas, so its text is not in
the DOM. Before the page's scripts run, a hook (installed over the Chrome
DevTools Protocol) records the bytes the page's WebSocket hands to the terminal;
the test reads them back with ``Runtime.evaluate`` and strips the escape
sequences. The browser resolves no host names other than loopback, and the
test records every request the page makes: all of them go to byon serve itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiohttp
import pytest

from tests.pipes import kill_group

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs /usr/bin/chromium (Debian package 'chromium': apt-get install -y chromium)",
    ),
]

# Text of the demo's first screen (the option choice), as the terminal shows it.
EXPECTED = ("Direct SIP", "DID forwarding")
DEADLINE_S = 90.0

HOOK = r"""
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder();
  let raw = "";
  window.__byonBytes = 0;
  function Recording(url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    ws.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        const bytes = new Uint8Array(event.data);
        window.__byonBytes += bytes.length;
        raw += decoder.decode(bytes, {stream: true});
      }
    });
    return ws;
  }
  Recording.prototype = Native.prototype;
  for (const k of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Recording[k] = Native[k];
  window.WebSocket = Recording;
  window.__byonTerminalText = () => raw
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, "")
    .replace(/\x1b\[[0-?]*[ -\/]*[@-~]/g, "")
    .replace(/\x1b[()][0-9A-Za-z]/g, "")
    .replace(/\x1b[=>78]/g, "");
})();
"""
PROBE = (
    "JSON.stringify({bytes: window.__byonBytes || 0, "
    "shown: document.body ? document.body.classList.contains('-first-byte') : false, "
    "text: window.__byonTerminalText ? window.__byonTerminalText() : ''})"
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_AUTH_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


@asynccontextmanager
async def serve_process():
    proc = subprocess.Popen(
        [sys.executable, "-m", "wizard", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        start_new_session=True,  # the wizard processes it starts join this group
    )
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 30)
        yield proc, json.loads(line)["url"]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(proc.wait, 15)
        kill_group(proc)  # any wizard child left behind


@asynccontextmanager
async def chromium(profile: str):
    proc = subprocess.Popen(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-breakpad",
            "--disable-crash-reporter",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not start its DevTools endpoint (exit {proc.poll()})")
            await asyncio.sleep(0.1)
        yield int(port_file.read_text().split()[0])
    finally:
        kill_group(proc)


class Cdp:
    """Just enough of the Chrome DevTools Protocol: send a command, wait for its answer."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 0
        self.requests: list[str] = []  # every URL the page asked for (Network domain)

    async def call(self, method: str, **params):
        self.next_id += 1
        call_id = self.next_id
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        async with asyncio.timeout(15):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise AssertionError(f"DevTools connection ended: {msg.type}")
                data = json.loads(msg.data)
                if data.get("method") == "Network.requestWillBeSent":
                    self.requests.append(data["params"]["request"]["url"])
                if data.get("id") == call_id:
                    if "error" in data:
                        raise AssertionError(f"{method}: {data['error']}")
                    return data["result"]


async def _wait_for_page(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(30):
            while True:
                try:
                    async with http.get(url) as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)


async def test_browser_shows_the_wizard():
    profile = tempfile.mkdtemp(prefix="byon-chromium-")
    try:
        async with serve_process() as (server, url):
            await _wait_for_page(url)
            async with chromium(profile) as port, aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as resp:
                    targets = await resp.json()
                page = next(t for t in targets if t["type"] == "page")
                async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    cdp = Cdp(ws)
                    await cdp.call("Page.enable")
                    await cdp.call("Network.enable")
                    await cdp.call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
                    await cdp.call("Page.navigate", url=url)
                    state = {}
                    deadline = time.monotonic() + DEADLINE_S
                    while time.monotonic() < deadline:
                        result = await cdp.call(
                            "Runtime.evaluate", expression=PROBE, returnByValue=True
                        )
                        state = json.loads(result["result"].get("value") or "{}")
                        if state.get("shown") and all(t in state["text"] for t in EXPECTED):
                            break
                        await asyncio.sleep(0.25)
                    with suppress(Exception):
                        await cdp.call("Browser.close")
            assert state.get("bytes", 0) > 0, "the page never received the wizard's output"
            assert state.get("shown"), "the terminal never displayed the output"
            base = url.partition("/?token=")[0]
            assert cdp.requests, "no request was recorded"
            foreign = [u for u in cdp.requests if not u.startswith((base + "/", "data:"))]
            assert foreign == [], f"the page asked a third party for {foreign}"
            text = state["text"]
            for expected in EXPECTED:
                assert expected in text, (
                    f"{expected!r} not on screen; terminal text: {text[-2000:]}"
                )
            server.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(server.wait, 30) == 0
    finally:
        shutil.rmtree(profile, ignore_errors=True)
