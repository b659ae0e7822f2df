"""The wizard's UI-free session: connecting checks the account on a short retry budget."""

from __future__ import annotations

import threading

import pytest

from wizard.errors import AuthError
from wizard.session import CONNECT_DEADLINE, DEMO, LIVE, OFFLINE, Session


async def test_connect_keeps_the_client_with_the_full_retry_budget(emulator):
    session = Session(mode=LIVE, api_url=emulator.api_url, deadline=15.0)
    try:
        account = await session.connect(emulator.auth_id, emulator.auth_token)
        assert account.auth_id == emulator.auth_id
        assert session.client.deadline == 15.0 != CONNECT_DEADLINE
        assert emulator.auth_token not in repr(session)
    finally:
        await session.close()


async def test_refused_credentials_keep_no_client(emulator):
    session = Session(mode=LIVE, api_url=emulator.api_url)
    with pytest.raises(AuthError) as err:
        await session.connect(emulator.auth_id, "wrong-token-123456")
    assert session.client is None and not session.online
    assert "wrong-token-123456" not in str(err.value)


async def test_the_demo_leaves_no_folder_behind():
    session = Session(mode=DEMO)
    try:
        await session.start_demo()
        journal = session.journal_path()
        folder = journal.parent
        assert folder.is_dir() and folder.name.startswith("byon-demo-")
        journal.write_text("{}")  # what an apply that stopped halfway leaves there
    finally:
        await session.close()
    assert not folder.exists()
    # a session used again after closing gets a new folder, not the removed one
    again = session.journal_path().parent
    try:
        assert again.is_dir() and again != folder
    finally:
        await session.close()
    assert not again.exists()


async def test_the_demo_edge_loads_the_signer_off_the_event_loop():
    session = Session(mode=DEMO)
    try:
        await session.start_demo()
        threads: list[int] = []
        session.emulator.edge.load_signer = lambda: threads.append(threading.get_ident())
        assert await session.start_sip_edge() is not None
        assert threads and threads[0] != threading.get_ident()
    finally:
        await session.close()


async def test_starting_the_demo_twice_keeps_one_emulator():
    session = Session(mode=DEMO)
    try:
        await session.start_demo()
        emu, agent, client = session.emulator, session.echo_agent, session.client
        await session.start_demo()
        assert (session.emulator, session.echo_agent, session.client) == (emu, agent, client)
    finally:
        await session.close()


async def test_a_demo_that_cannot_connect_leaves_nothing_running(monkeypatch):
    from wizard.emulator import Emulator

    started: list[Emulator] = []
    real_start = Emulator.start

    async def start(self, *args, **kwargs):
        started.append(self)
        return await real_start(self, *args, **kwargs)

    async def refuse(self, *args, **kwargs):
        raise AuthError("refused")

    monkeypatch.setattr(Emulator, "start", start)
    monkeypatch.setattr(Session, "connect", refuse)
    session = Session(mode=OFFLINE)
    with pytest.raises(AuthError):
        await session.start_demo()
    assert session.emulator is None and session.echo_agent is None
    assert session.mode == OFFLINE
    assert started and started[0]._runner is None  # its server was stopped
