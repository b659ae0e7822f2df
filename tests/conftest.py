"""Shared fixtures: a real emulator on a free loopback port, and a client for it.

No mocks of our own HTTP: everything talks over 127.0.0.1.
"""

from __future__ import annotations

import gc
import ipaddress
import socket
import sys

import pytest

from wizard.emulator import Emulator
from wizard.plivo.client import PlivoClient


def pytest_collection_finish(session):
    """The cyclic collector, tuned for a process that runs hundreds of Textual apps.

    A full collection walks every tracked object: pytest, hypothesis, Textual and every test
    module (about 140,000 objects, 0.15 s here), plus the live app's widgets. By default
    one runs every ten middle ones, which added up to a third of the screen tests' CPU.
    Freezing what collection built takes it out of every walk; a full collection every
    hundred middle ones still frees each finished test's app long before memory matters."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, 100)


def pytest_runtest_teardown(item):
    """Let a finished test's widgets go: two of Textual's caches are class-wide
    ``lru_cache``s keyed on the instance (``StylesCache.get_inner_outer``, up to 1,024 of
    them, and ``DataTable._get_styles_to_render_cell``, 32), so each app of a test kept
    hundreds of dead widgets' line caches alive, and every later collection walked them."""
    styles_cache = sys.modules.get("textual._styles_cache")
    if styles_cache is not None:
        styles_cache.StylesCache.get_inner_outer.cache_clear()
    data_table = sys.modules.get("textual.widgets._data_table")
    if data_table is not None:
        data_table.DataTable._get_styles_to_render_cell.cache_clear()


def _loopback(host: object) -> bool:
    if host in (None, "", "localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def loopback_only():
    """Tests may only send traffic to 127.0.0.1/::1: any other lookup or connection fails loudly."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host.decode() if isinstance(host, bytes) else host):
            raise socket.gaierror(socket.EAI_NONAME, f"tests reach loopback only, not {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise ConnectionRefusedError(f"tests reach loopback only, not {address[0]}")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    try:
        yield
    finally:
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect
        socket.socket.connect_ex = real_connect_ex


@pytest.fixture(autouse=True, scope="session")
def private_state_dir(tmp_path_factory):
    """Takeover journals of the suite never mix with a developer's own (subprocesses inherit it)."""
    import os

    old = os.environ.get("BYON_STATE_DIR")
    os.environ["BYON_STATE_DIR"] = str(tmp_path_factory.mktemp("byon-state"))
    yield
    if old is None:
        os.environ.pop("BYON_STATE_DIR", None)
    else:
        os.environ["BYON_STATE_DIR"] = old


@pytest.fixture(autouse=True)
def patient_call_record_lookup(monkeypatch):
    """A loaded test machine may take seconds to answer a call-record lookup: a test must
    not read that as "Plivo's API did not answer" (the product waits 3 s)."""
    monkeypatch.setattr("wizard.verify.confirm.CONFIRM_TIMEOUT", 30.0)


@pytest.fixture
async def emulator():
    """An empty account (no applications, numbers, credentials or ACLs)."""
    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def demo_emulator():
    """The demo account: the same sample data on every run."""
    emu = Emulator(seed="demo")
    await emu.start("127.0.0.1", 0)
    try:
        yield emu
    finally:
        await emu.stop()


@pytest.fixture
async def client(emulator):
    async with PlivoClient(
        emulator.auth_id, emulator.auth_token, base_url=emulator.api_url, deadline=5.0
    ) as c:
        yield c


@pytest.fixture
async def demo_client(demo_emulator):
    async with PlivoClient(
        demo_emulator.auth_id,
        demo_emulator.auth_token,
        base_url=demo_emulator.api_url,
        deadline=5.0,
    ) as c:
        yield c
