"""Fixtures for the emulator's SIP edge on the wire: an emulator with its edge, an answer
server whose XML each test picks, and one application per auth type.

Imported by tests/emulator/conftest.py and tests/sip_peers/conftest.py.
"""

from __future__ import annotations

import asyncio
import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.emulator.helpers import (
    control_client,
    make_acl,
    make_app,
    make_credential,
    rest_client,
)
from wizard.emulator import Emulator
from wizard.sip import SipClient
from wizard.sip.transport import Target

PROVIDER_IP = "203.0.113.10"  # inside the test ACL 203.0.113.0/24
OUTSIDE_IP = "192.0.2.55"
SOURCE_MAP = {"127.0.0.2": PROVIDER_IP, "127.0.0.3": OUTSIDE_IP}
SPEAK = "<Response><Speak>Hello</Speak></Response>"
WAIT = '<Response><Wait length="30"/></Response>'


def phone(scale: float = 0.1) -> SipClient:
    """A SIP phone at the provider's address (127.0.0.2), its timers scaled as the edge's."""
    return SipClient(local_host="127.0.0.2", timer_scale=scale)


async def call(edge, uri: str, *, hold: float = 0.0):
    """One INVITE from the provider's address to ``uri``, held ``hold`` seconds once answered."""
    async with phone() as client:
        return await client.invite(
            edge.target(), uri, "sip:caller@127.0.0.2", hold=hold, timeout=10
        )


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for ``predicate`` (a hang guard, not a speed check)."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)


@dataclass
class Answers:
    """An answer_url server on 127.0.0.1: ``reply`` for every call, ``delay`` before it.
    ``got`` holds every request (answer and hangup callbacks alike)."""

    url: str = ""
    reply: str = SPEAK
    content_type: str = "text/xml"
    delay: float = 0.0
    got: list[dict[str, Any]] = field(default_factory=list)

    def answers(self) -> list[dict[str, str]]:
        """The forms of the answer_url requests (CallStatus ringing)."""
        return [g["form"] for g in self.got if g["form"].get("Event") != "Hangup"]

    def hangups(self) -> list[dict[str, str]]:
        """The forms of the hangup callbacks."""
        return [g["form"] for g in self.got if g["form"].get("Event") == "Hangup"]


@pytest.fixture
async def answers():
    server = Answers()

    async def handle(request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        form.update(request.query)  # a GET callback carries its parameters in the query
        server.got.append(
            {"path": request.path, "method": request.method, "form": form,
             "headers": dict(request.headers)}
        )  # fmt: skip
        if server.delay and form.get("Event") != "Hangup":
            await asyncio.sleep(server.delay)
        return web.Response(body=server.reply.encode(), content_type=server.content_type)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


@dataclass
class Edge:
    """A running emulator with its SIP edge, and where to reach it."""

    emu: Emulator
    host: str
    port: int
    tls_port: int
    ca_cert: str

    def target(self, transport: str = "UDP") -> Target:
        """The edge on ``transport`` (TLS verified against the edge's own certificate)."""
        if transport == "TLS":
            ctx = ssl.create_default_context(cafile=self.ca_cert)
            return Target(self.host, self.tls_port, "TLS", "app.plivo.com", ctx)
        return Target(self.host, self.port, transport)

    def ctl(self) -> httpx.AsyncClient:
        """A client for the control surface (with the account's Basic auth, which control
        routes may require)."""
        return control_client(self.emu)

    async def calls(self) -> list[dict[str, Any]]:
        """``GET /__emulator__/calls``."""
        async with self.ctl() as ctl:
            return (await ctl.get("calls")).json()["calls"]


async def start_edge(scale: float) -> Edge:
    """An empty account with the SIP edge on free loopback ports and the test source map."""
    emu = Emulator()
    emu.source_map.update(SOURCE_MAP)
    await emu.start("127.0.0.1", 0)
    info = await emu.start_sip("127.0.0.1", 0, tls_port=0, timer_scale=scale)
    host, port = info["udp"].rsplit(":", 1)
    tls_port = int(info["tls"].rsplit(":", 1)[1]) if info["tls"] else 0
    return Edge(emu, host, int(port), tls_port, info["ca_cert"] or "")


@dataclass
class Apps:
    """One application per auth type, a rented number, and the credential's password."""

    open: str
    ip_acl: str
    credential: str
    both: str
    number: str
    username: str
    password: str = field(repr=False)

    @staticmethod
    def uri(app_id: str) -> str:
        """The app's Direct SIP URI."""
        return f"sip:{app_id}@app.plivo.com"


async def make_apps(emu: Emulator, answer_url: str) -> Apps:
    """Create the applications over the REST surface."""
    password = "Pw" + secrets.token_hex(8)
    async with rest_client(emu) as api:
        cred = await make_credential(api, "trunk_user", password)
        acl = await make_acl(api, ["203.0.113.0/24"])
        common = {"answer_url": answer_url}
        open_app = await make_app(api, app_name="open", **common)
        ip_acl = await make_app(
            api, app_name="acl", sip_auth_type="ip_acl", ip_acl_uuid=acl, **common
        )
        credential = await make_app(
            api, app_name="cred", sip_auth_type="credential", credential_uuid=cred, **common
        )
        both = await make_app(
            api, app_name="both", sip_auth_type="ip_acl_and_credential",
            ip_acl_uuid=acl, credential_uuid=cred, **common,
        )  # fmt: skip
        found = await api.get("PhoneNumber/", params={"country_iso": "US", "type": "local"})
        number = found.json()["objects"][0]["number"]
        r = await api.post(f"PhoneNumber/{number}/", json={"app_id": credential})
        assert r.status_code == 201, r.text
    return Apps(open_app, ip_acl, credential, both, number, "trunk_user", password)


@pytest.fixture
async def edge(request):
    """The edge; a test module sets ``EDGE_SCALE`` (RFC 3261 timers times it; default 0.1)."""
    running = await start_edge(getattr(request.module, "EDGE_SCALE", 0.1))
    try:
        yield running
    finally:
        await running.emu.stop()


@pytest.fixture
async def apps(edge, answers):
    """The applications of ``make_apps`` on the edge's emulator, answering from ``answers``."""
    return await make_apps(edge.emu, answers.url + "/answer")
