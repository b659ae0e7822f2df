"""Fixtures shared by the domain tests."""

from __future__ import annotations

import pytest

from tests.domain.test_verify_support import start_listener


@pytest.fixture
async def listener(emulator, client):
    """A verification listener with the emulator's token, for emulator -> listener tests.

    (test_verify_listener.py defines its own, token-only listener.)"""
    lis = await start_listener(emulator, client=client)
    try:
        yield lis
    finally:
        await lis.stop()
