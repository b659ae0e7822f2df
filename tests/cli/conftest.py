"""Fixtures of the CLI tests: `byon emulator` (reset for each test) and the emulator's SIP
edge for `byon sip-probe`."""

from __future__ import annotations

import pytest

from tests.cli.served import Emulators, Served
from tests.sipedge_fixtures import answers, apps, edge  # noqa: F401


@pytest.fixture(scope="session")
def emulators():
    pool = Emulators()
    yield pool
    pool.stop()


@pytest.fixture
def own_state_dir(tmp_path, monkeypatch) -> None:
    """The account's keys outlive a reset: each test keeps its journals and takeover
    records to itself (this process and its `byon` commands read the variable)."""
    monkeypatch.setenv("BYON_STATE_DIR", str(tmp_path / "byon-state"))


@pytest.fixture
def served(emulators, own_state_dir) -> Served:
    """`byon emulator` with an empty account."""
    return emulators.fresh(None)


@pytest.fixture
def served_demo(emulators, own_state_dir) -> Served:
    """`byon emulator --seed demo`."""
    return emulators.fresh("demo")
