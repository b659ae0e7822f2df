"""Shared by the SIP edge benchmarks: `byon emulator` as its own process, an answer_url
server in this one, and a credential application to call. Loopback only."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@dataclass
class Emulator:
    """A running `byon emulator` and what its first line said."""

    proc: asyncio.subprocess.Process
    info: dict[str, Any]
    stderr: list[str] = field(default_factory=list)

    @property
    def sip_port(self) -> int:
        return int(self.info["sip"]["udp"].rsplit(":", 1)[1])

    def rest(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=f"{self.info['api_url']}/v1/Account/{self.info['auth_id']}/",
            auth=(self.info["auth_id"], self.info["auth_token"]),
            timeout=10,
        )

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 10)


async def start_emulator(*extra: str) -> Emulator:
    """`byon emulator` with its SIP edge; 127.0.0.2 stands for 203.0.113.10."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wizard", "emulator", "--sip-source-map", "127.0.0.2=203.0.113.10",
        *extra, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}, cwd=ROOT,
    )  # fmt: skip
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    emu = Emulator(proc, json.loads(line))

    async def drain() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            text = raw.decode(errors="replace").rstrip()
            if " -> " not in text:  # the REST request log is noise here
                emu.stderr.append(text)

    emu.drain_task = asyncio.get_running_loop().create_task(drain())  # type: ignore[attr-defined]
    return emu


@dataclass
class Answers:
    """An answer_url server: ``xml`` for every call; counts answer and hangup callbacks."""

    url: str = ""
    xml: str = '<Response><Wait length="30"/></Response>'
    answers: int = 0
    hangups: int = 0
    runner: Any = None

    async def start(self) -> Answers:
        async def handle(request: web.Request) -> web.Response:
            form = await request.post()
            if form.get("Event") == "Hangup":
                self.hangups += 1
            else:
                self.answers += 1
            return web.Response(text=self.xml, content_type="text/xml")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/answer"
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()


async def credential_app(emu: Emulator, answer_url: str) -> tuple[str, str, str]:
    """(app_id, username, password) of a new credential application."""
    password = "Pw" + secrets.token_hex(10)
    async with emu.rest() as api:
        r = await api.post(
            "SipAuth/Credential/", json={"username": "trunk_user", "password": password}
        )
        cred = r.json()["credential_uuid"]
        r = await api.post(
            "Application/",
            json={"app_name": "bench", "answer_url": answer_url,
                  "sip_auth_type": "credential", "credential_uuid": cred},
        )  # fmt: skip
        return r.json()["app_id"], "trunk_user", password


def free_port(host: str = "127.0.0.2") -> int:
    """A free UDP and TCP port on ``host``."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
            return port


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
