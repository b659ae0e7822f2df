"""A hostile Plivo API on 127.0.0.1 for the security tests: names full of terminal escapes,
error bodies that echo the token, list totals in the billions.

In a test: ``async with hostile_api("names") as url`` (in-process). For `byon` run as a
subprocess: ``HostileServer("names")`` runs ``python -m tests.hostile_api names`` and reads
the URL from its first line.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator

from aiohttp import web

# an OSC title, SGR colour, a forged byon line, a carriage return and a one-byte C1 CSI
EVIL = (
    "evil\x1b]0;PWNED-TITLE\x07\x1b[31mRED\x1b[0m\nbyon: FAKE LINE verified\r\x9b2J"
    "[bold red]MARKUP[/]"
)
AUTH_ID = "MAHOSTILE00000000001"
TOKEN = "hostile-token-secret-123456"
MODES = (
    "echo-token",
    "names",
    "err",
    "errtext",
    "bigtotal",
    "hugetotal",
    "hugebody",
    "gzipbomb",
    "gzipnames",
)
MIB = 1024 * 1024


def _listing(objects: list[dict], total: int | None = None, limit: int = 20) -> dict:
    count = len(objects) if total is None else total
    meta = {"limit": limit, "offset": 0, "next": None, "previous": None, "total_count": count}
    return {"api_id": "x", "meta": meta, "objects": objects}


def _sent_token(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    try:
        return base64.b64decode(auth.split()[1]).decode().split(":", 1)[1]
    except (IndexError, ValueError):
        return ""


def _app_object(app_id: str = "123") -> dict:
    return {
        "app_id": app_id,
        "app_name": EVIL,
        "answer_url": "http://x.example/" + EVIL,
        "answer_method": "POST",
        "hangup_url": "",
        "sip_auth_type": "",
        "sip_uri": f"sip:{app_id}@app.plivo.com",
    }


def _names(path: str) -> web.Response:
    """Every object an audit or export reads, each name and URL hostile."""
    listing = path.rstrip("/").endswith
    if listing("Application"):
        return web.json_response(_listing([_app_object()]))
    if "Application/" in path:
        return web.json_response(_app_object())
    if "IPAccessControlList" in path:
        acl = {"ip_acl_uuid": "acl1", "name": EVIL, "ip_addresses": ["0.0.0.0/0"]}
        return web.json_response(_listing([acl]) if listing("IPAccessControlList") else acl)
    if "Credential" in path:
        cred = {"credential_uuid": "c1", "username": "u" + EVIL, "realm": "app.plivo.com"}
        return web.json_response(_listing([cred]) if listing("Credential") else cred)
    if "Number" in path:
        return web.json_response(_listing([]))
    return web.json_response({"auth_id": AUTH_ID, "name": "acct", "cash_credits": "1"})


def make_app(mode: str) -> web.Application:
    """The fake API for one ``mode`` (see MODES)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        path = request.path
        if mode == "hugebody":  # a JSON body that goes on and on (64 MiB)
            resp = web.StreamResponse(headers={"Content-Type": "application/json"})
            await resp.prepare(request)
            await resp.write(b'{"pad": "')
            for _ in range(64):
                await resp.write(b"x" * MIB)
            await resp.write(b'"}')
            return resp
        if mode == "gzipbomb":  # 16 KiB on the wire, 16 MiB once decoded
            import gzip

            body = gzip.compress(b'{"pad": "' + b"x" * (16 * MIB) + b'"}')
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
            return web.Response(body=body, headers=headers)
        if mode == "echo-token":
            tok = _sent_token(request)
            error = {tok: "is not a valid field", "echo": "token " + tok.upper()}
            return web.json_response({"api_id": "x", "error": error}, status=400)
        if mode == "err":
            return web.json_response({"api_id": "x", "error": EVIL}, status=400)
        if mode == "errtext":  # not JSON; a 4xx, as a 5xx is retried for 30 s
            return web.Response(status=400, text=EVIL)
        if mode in ("bigtotal", "hugetotal") and path.rstrip("/").endswith("Application"):
            total = 10**10 if mode == "hugetotal" else 10**7
            if request.query.get("offset", "0") != "0":
                return web.json_response(_listing([_app_object(request.query["offset"])], total))
            return web.json_response(_listing([_app_object()], total=total, limit=1))
        resp = _names(path)
        if mode == "gzipnames":  # an honest answer, compressed as a proxy may send it
            resp.enable_compression(web.ContentCoding.gzip)
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@contextlib.asynccontextmanager
async def hostile_api(mode: str) -> AsyncIterator[str]:
    """The fake API on a free loopback port, in this event loop; yields its base URL."""
    runner = web.AppRunner(make_app(mode), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class HostileServer:
    """The fake API as a child process, for tests that run `byon` as a subprocess."""

    def __init__(self, mode: str) -> None:
        from tests.pipes import read_line

        cmd = [sys.executable, "-m", "tests.hostile_api", mode]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.url = json.loads(read_line(self.proc))["api_url"]

    def env(self, **extra: str) -> dict[str, str]:
        """An environment pointing byon at this server, with its account's credentials."""
        import os

        env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
        env.update(PLIVO_AUTH_ID=AUTH_ID, PLIVO_AUTH_TOKEN=TOKEN, PLIVO_API_URL=self.url)
        env.update(extra)
        return env

    def byon(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        """`byon ARGS` against this server; the timeout turns a hang into a failure."""
        from tests.runner import run_byon

        return run_byon(*args, env=self.env(**env))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


async def _main(mode: str) -> None:
    async with hostile_api(mode) as url:
        print(json.dumps({"api_url": url}), flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(sys.argv[1]))
