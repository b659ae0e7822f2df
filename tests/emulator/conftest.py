"""Clients for the emulator over real loopback HTTP, and an answer_url receiver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from tests.emulator.helpers import control_client, rest_client


@pytest.fixture
async def api(emulator):
    async with rest_client(emulator) as c:
        yield c


@pytest.fixture
async def demo_api(demo_emulator):
    async with rest_client(demo_emulator) as c:
        yield c


@pytest.fixture
async def ctl(emulator):
    async with control_client(emulator) as c:
        yield c


@dataclass
class Receiver:
    """An answer_url server on 127.0.0.1 that records what it got and answers ``reply``."""

    url: str = ""
    got: list[dict[str, Any]] = field(default_factory=list)
    reply: str = "<Response><Speak>Hello</Speak></Response>"
    content_type: str = "text/xml"
    status: int = 200


@pytest.fixture
async def receiver():
    rec = Receiver()

    async def handle(request: web.Request) -> web.Response:
        form = dict(await request.post()) if request.method == "POST" else {}
        rec.got.append(
            {
                "method": request.method,
                "url": str(request.url),
                "query": dict(request.query),
                "form": {k: str(v) for k, v in form.items()},
                "headers": dict(request.headers),
            }
        )
        return web.Response(
            status=rec.status, body=rec.reply.encode(), headers={"Content-Type": rec.content_type}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield rec
    finally:
        await runner.cleanup()


from tests.sipedge_fixtures import answers, apps, edge  # noqa: E402, F401  (SIP edge fixtures)
