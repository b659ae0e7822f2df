"""Shared fixtures: a real emulator on a free loopback port, and a client for it.

No mocks of our own HTTP: everything talks over 127.0.0.1.
"""

from __future__ import annotations

import pytest

from wizard.emulator import Emulator
from wizard.plivo import PlivoClient


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
        demo_emulator.auth_id, demo_emulator.auth_token, base_url=demo_emulator.api_url,
        deadline=5.0,
    ) as c:
        yield c
