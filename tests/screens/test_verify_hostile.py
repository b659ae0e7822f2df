"""Hostile callbacks reaching the wizard's verify step (issue 10, #4).

An unsigned callback with ``From=[/]`` used to crash the wizard (a markup error),
and one reusing a real call's CallUUID replaced that call's row. Now outside values
are plain text and refused callbacks get rows of their own, marked as rejected."""

from __future__ import annotations

import aiohttp
from textual.widgets import DataTable, Static

from tests.screens.helpers import SIZE, screen_name, settle
from tests.screens.test_verify_live import (
    _agent_answer_server,
    _live_app_at_verify,
    listen_on_loopback,
)

HOSTILE = {"From": "[/]", "To": "[bold red]x[/", "SIPAuthType": "[$error]credential"}


def _row(table: DataTable, key: str) -> dict[str, str]:
    """Every value of the row by name (two values share a cell below 124 columns)."""
    assert key in table.rows
    return table.screen.call_values(key)


async def test_unsigned_markup_callback_is_its_own_rejected_row(emulator, client):
    runner, answer_url, _seen = await _agent_answer_server()
    try:
        app, app_obj = await _live_app_at_verify(emulator, client, answer_url)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await listen_on_loopback(app, pilot)
            out = await emulator.inbound(
                request_uri=f"sip:{app_obj.app_id}@app.plivo.com",
                source_ip="203.0.113.10",
                from_="+14155550142",
                username="carrier_trunk",
                password="Str0ngPassw0rd-x",
            )
            await settle(app, pilot)
            call_uuid = out["call_uuid"]
            # the same CallUUID, unsigned, with markup in every value
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    app.session.listener.answer_url, data={"CallUUID": call_uuid, **HOSTILE}
                ) as resp,
            ):
                assert resp.status == 403
            await settle(app, pilot)
            assert screen_name(app) == "VerifyScreen"  # no crash
            table = app.screen.query_one("#calls", DataTable)
            assert table.row_count == 2
            real = _row(table, call_uuid)
            assert real["result"] == "✓ pass" and real["from"] == "+14155550142"
            [key] = [k for k in app.screen._cells if k.startswith("rejected-")]
            rejected = _row(table, key)
            assert rejected["result"] == "✗ rej" and rejected["sig"] == "✗"
            assert rejected["from"] == "[/]"  # shown as typed
            assert rejected["type"] == "[$error]credential"  # whole, never parsed
            diagnosis = str(app.screen.query_one("#diagnosis", Static).content)
            assert "refused with 403" in diagnosis
    finally:
        await runner.cleanup()
