"""`byon serve` under attack, over loopback: foreign pages and token-less clients stay out.

One real `byon serve --port 0` per module; each test plays a client the server must
refuse (a page on another site, a script without the token) and one it must let in.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.pipes import kill_group, read_line

ENV = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_AUTH_")}


@pytest.fixture(scope="module")
def served():
    """(base URL, token, process) of one `byon serve` on a free loopback port."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "wizard", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its wizard children share the group, for cleanup
    )
    try:
        url = json.loads(read_line(proc))["url"]
        base, _, token = url.partition("/?token=")
        deadline = time.monotonic() + 30
        while True:  # until it listens (a token-less page is a quick 403)
            try:
                import urllib.request

                urllib.request.urlopen(base + "/static/css/xterm.css", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base, token, proc
    finally:
        kill_group(proc)


async def _status(url: str, **kw) -> tuple[int, str, aiohttp.ClientResponse]:
    async with aiohttp.ClientSession() as http, http.get(url, **kw) as resp:
        return resp.status, (await resp.read()).decode("utf-8", "replace"), resp


async def _upgrade(url: str, origin: str | None, cookies: dict | None = None) -> int:
    """The WebSocket handshake's status: 101 when let in (the socket is closed at once)."""
    headers = {"Origin": origin} if origin else {}
    async with aiohttp.ClientSession(cookies=cookies) as http:
        try:
            ws = await http.ws_connect(url, headers=headers, timeout=aiohttp.ClientWSTimeout())
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status
        await ws.close()
        return 101


async def test_the_page_needs_the_token(served):
    base, token, _ = served
    for url in (f"{base}/", f"{base}/?token=", f"{base}/?token={token[:-1]}x"):
        status, text, _ = await _status(url)
        assert status == 403, url
        assert "needs the token that `byon serve` printed" in text
        assert token not in text and "textual-terminal" not in text
    status, text, resp = await _status(f"{base}/?token={token}")
    assert status == 200 and "textual-terminal" in text
    cookie = resp.cookies[f"byon_serve_{urlsplit(base).port}"]
    assert cookie.value == token
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert resp.headers["Referrer-Policy"] == "no-referrer"


async def test_websocket_from_a_foreign_origin_is_refused_even_with_the_token(served):
    base, token, _ = served
    ws = base.replace("http://", "ws://") + "/ws"
    for origin in ("http://evil.example", "https://127.0.0.1.evil.example", "null", None):
        assert await _upgrade(f"{ws}?token={token}", origin) == 403, origin
    # a DNS name rebound to 127.0.0.1 is still a foreign origin for a loopback server
    rebound = f"http://attacker.example:{urlsplit(base).port}"
    assert await _upgrade(f"{ws}?token={token}", rebound) == 403


async def test_websocket_without_or_with_a_wrong_token_is_refused(served):
    base, token, _ = served
    ws = base.replace("http://", "ws://") + "/ws"
    assert await _upgrade(ws, base) == 403
    assert await _upgrade(f"{ws}?token=", base) == 403
    assert await _upgrade(f"{ws}?token={token.upper()}x", base) == 403
    port = urlsplit(base).port
    assert await _upgrade(ws, base, cookies={f"byon_serve_{port}": "guess"}) == 403


async def test_own_page_with_the_token_gets_the_wizard(served):
    """The door still opens: own Origin plus the cookie the page set."""
    base, token, _ = served
    port = urlsplit(base).port
    ws = base.replace("http://", "ws://") + "/ws?width=80&height=24"
    async with (
        aiohttp.ClientSession(cookies={f"byon_serve_{port}": token}) as http,
        http.ws_connect(ws, headers={"Origin": base}) as sock,
    ):
        msg = await sock.receive(timeout=60)  # the wizard's first output or its instance id
        assert msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
    # "localhost" is the same machine's loopback, so the same server's page
    assert await _upgrade(f"{ws}&token={token}", f"http://localhost:{port}") == 101


async def test_downloads_need_the_token(served):
    base, _, _ = served
    status, _, _ = await _status(f"{base}/download/anything")
    assert status == 403


URL_IN_PAGE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)|url\(\s*["']?([^"')]+)""")


async def test_the_page_makes_no_third_party_request(served):
    base, token, _ = served
    _, page, _ = await _status(f"{base}/?token={token}")
    _, css, _ = await _status(f"{base}/static/css/xterm.css")
    for text in (page, css):
        for match in URL_IN_PAGE.finditer(text):
            ref = match.group(1) or match.group(2)
            assert ref.startswith((base + "/", "data:")) or "://" not in ref, ref
    assert "googleapis" not in page and "gstatic" not in page
    # every absolute URL in the page is this server's, but the SVG namespace name
    absolute = set(re.findall(r"\b(?:https?|wss?)://[^\s\"'<>)]+", page))
    others = {u for u in absolute if urlsplit(u).netloc != urlsplit(base).netloc}
    assert others == {"http://www.w3.org/2000/svg"}
    # the font the page names is served here
    status, _, _resp = await _status(f"{base}/static/fonts/RobotoMono-VariableFont_wght.ttf")
    assert status == 200


def test_the_token_is_printed_once(served):
    base, token, proc = served
    import urllib.request

    for _ in range(3):
        urllib.request.urlopen(f"{base}/?token={token}", timeout=10).close()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    # the first line (read by the fixture) held it; nothing after repeats it
    assert token not in out and token not in err
