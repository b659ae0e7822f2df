"""The complete flows, driven with Pilot against the in-process demo emulator."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from tests.screens.helpers import (
    SIZE,
    apply_all,
    choose_direct_sip,
    create_application,
    demo_app,
    fill_auth,
    press_all,
    ready,
    screen_name,
    settle,
)


def cell(table: DataTable, index: int, column: str) -> str:
    """A verify-table value by name (the table stacks two values a cell below 124 columns)."""
    key = table.coordinate_to_cell_key((index, 0)).row_key.value
    return table.screen.call_values(key)[column]


def _app_state(app, name: str) -> dict:
    state = app.session.emulator.dump_state()
    return next(a for a in state["applications"] if a["app_name"] == name)


async def _to_review(app, pilot, auth_type: str) -> None:
    await ready(app, pilot)
    assert screen_name(app) == "OptionScreen"
    stable, shared = {
        "ip_acl": (True, False),
        "credential": (False, False),
        "ip_acl_and_credential": (True, True),
    }[auth_type]
    await choose_direct_sip(app, pilot, stable=stable, shared=shared)
    assert screen_name(app) == "AuthScreen"
    assert app.plan.auth.type == auth_type
    entries = ["203.0.113.10", "198.51.100.0/28"] if "ip_acl" in auth_type else []
    username = "carrier_trunk" if "credential" in auth_type else ""
    await fill_auth(app, pilot, entries=entries, username=username)
    assert screen_name(app) == "ApplicationScreen", app.screen.query_one("#error").content
    await create_application(app, pilot)
    assert screen_name(app) == "ReviewScreen"


@pytest.mark.parametrize("auth_type", ["ip_acl", "credential", "ip_acl_and_credential"])
async def test_direct_sip_flow(auth_type):
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, auth_type)
        diff = str(app.screen.query_one("#diff", Static).content)
        assert "create application ai-agent-inbound" in diff
        await apply_all(app, pilot)
        assert app.screen.applied, app.screen.query_one("#error").content
        state = app.session.emulator.dump_state()
        created = _app_state(app, "ai-agent-inbound")
        assert created["sip_auth_type"] == auth_type
        assert created["answer_url"] == "https://agent.example.com/answer"
        if "ip_acl" in auth_type:
            acl = next(a for a in state["ip_acls"] if a["name"] == "carrier-edge")
            assert acl["ip_acl_uuid"] == created["ip_acl_uuid"]
            assert sorted(acl["ip_addresses"]) == ["198.51.100.0/28", "203.0.113.10"]
        if "credential" in auth_type:
            cred = next(c for c in state["credentials"] if c["username"] == "carrier_trunk")
            assert cred["credential_uuid"] == created["credential_uuid"]
            # the generated password is shown masked, and copying puts the real one on the clipboard
            await pilot.press("ctrl+y")
            assert app.clipboard == app.session.sip_password
            assert app.session.sip_password not in str(
                app.screen.query_one("#password", Static).content
            )
        assert app.plan.application.app_id == created["app_id"]
        assert not app.dirty

        # provider settings, then verify with a correct simulated call
        await pilot.press("n")
        await settle(app, pilot)
        assert screen_name(app) == "ProviderScreen"
        await pilot.press("c")  # copy the focused value: the SIP URI first
        assert app.clipboard == f"sip:{created['app_id']}@app.plivo.com"
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "VerifyScreen"
        await pilot.press("1")
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        assert table.row_count == 1
        assert cell(table, 0, "type") == auth_type  # the literal SIPAuthType, never shortened
        assert cell(table, 0, "result") == "✓ pass"
        assert cell(table, 0, "audio") == "✓ 3 ms"  # the echo agent answered (figure frozen)
        # the answer_url pointed at the listener meanwhile, and is restored when leaving
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "DoneScreen"
        assert _app_state(app, "ai-agent-inbound")["answer_url"] == (
            "https://agent.example.com/answer"
        )
        summary = str(app.screen.query_one("#summary", Static).content)
        assert created["app_id"] in summary


async def test_verify_shows_every_troubleshooting_row():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "ip_acl_and_credential")
        await apply_all(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        results = []
        for key in "12345678":
            await pilot.press(key)
            await settle(app, pilot)
            assert not app.screen.query_one("#error").has_class("-shown"), (
                key,
                app.screen.query_one("#error").content,
            )
            diag = str(app.screen.query_one("#diagnosis", Static).content)
            results.append(diag)
        table = app.screen.query_one("#calls", DataTable)
        verdicts = [cell(table, i, "result") for i in range(table.row_count)]
        assert verdicts[0] == "✓ pass"
        assert cell(table, 1, "type") == "—"  # phone number in the Request-URI: no SIPAuthType
        assert "✗ 403" in verdicts and "✗ 407" in verdicts
        assert "app_id" in results[1] or "Request-URI" in results[1]
        assert "407" in results[3] or "challenge" in results[3].lower()
        assert "lock" in results[5].lower()
        assert "XML" in results[6]
        assert "rotat" in results[7].lower()  # calls work intermittently: IPs rotate


async def test_did_forwarding_buying_a_number():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        assert app.plan.option == "did_forwarding" and app.plan.auth is None
        # numbered by route: the indicator counts the DID steps
        assert "Step 2 of 6 · App" in str(app.screen.query_one("#step-indicator").content)
        await create_application(app, pilot, name="forwarded-line")
        assert screen_name(app) == "NumberScreen"
        assert "Step 3 of 6 · Number" in str(app.screen.query_one("#step-indicator").content)
        rented = app.screen.query_one("#rented", DataTable)
        assert rented.row_count == 2
        app.screen.query_one("#pattern", Input).value = "212"
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        results = app.screen.query_one("#results", DataTable)
        assert results.row_count > 0
        number = results.coordinate_to_cell_key((0, 0)).row_key.value
        owned_before = {n["number"] for n in app.session.emulator.dump_state()["numbers"]}
        await pilot.press("ctrl+b")  # choose it: bought on review, not here
        await settle(app, pilot)
        assert screen_name(app) == "NumberScreen"
        assert "bought on the review step" in str(app.screen.query_one("#chosen").content)
        owned = {n["number"] for n in app.session.emulator.dump_state()["numbers"]}
        assert owned == owned_before
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen"
        assert app.plan.forwarding.plivo_number == "buy"
        # buying is a review change like any other, with its cost on the line
        diff = str(app.screen.query_one("#diff", Static).content)
        assert f"create number +{number}" in diff and "costs $0.00 setup + $0.50/month" in diff
        # the plan cannot secure the SIP URI under DID forwarding: the review says so
        findings = str(app.screen.query_one("#findings", Static).content)
        assert "no SIP authentication (toll-fraud risk)" in findings
        # an open SIP URI needs an explicit, warned choice: declining creates nothing
        apps_before = len(app.session.emulator.dump_state()["applications"])
        await apply_all(app, pilot)
        assert screen_name(app) == "ConfirmScreen"
        assert "toll-fraud" in str(app.screen.query_one(".body", Static).content)
        await pilot.press("n")
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen" and not app.screen.applied
        assert len(app.session.emulator.dump_state()["applications"]) == apps_before
        await apply_all(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen.applied, app.screen.query_one("#error").content
        state = app.session.emulator.dump_state()
        created = _app_state(app, "forwarded-line")
        owned = {n["number"]: n for n in state["numbers"]}
        assert owned[number]["app_id"] == created["app_id"]
        assert app.plan.forwarding.plivo_number == f"+{number}"  # learned from the account
        # the acceptance was for this application: another one is asked about again
        await press_all(app, pilot, "escape", "escape")
        assert screen_name(app) == "ApplicationScreen"
        app.screen.query_one("#name", Input).value = "another-line"
        await press_all(app, pilot, "ctrl+n", "ctrl+n")
        assert screen_name(app) == "ReviewScreen"
        await apply_all(app, pilot)
        assert screen_name(app) == "ConfirmScreen"
        assert "another-line" in str(app.screen.query_one(".body", Static).content)


async def test_going_back_from_review_buys_nothing():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        await create_application(app, pilot, name="forwarded-line")
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        before = len(app.session.emulator.dump_state()["numbers"])
        await pilot.press("ctrl+b")
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen"
        await pilot.press("escape")
        await settle(app, pilot)
        assert screen_name(app) == "NumberScreen"
        assert len(app.session.emulator.dump_state()["numbers"]) == before


async def test_credential_auth_offers_only_the_calls_it_can_fail():
    """Credentials do not look at the source IP: no "wrong IP" and no "rotating IPs"
    button, and each offered key produces the failure its button names."""
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "credential")
        await apply_all(app, pilot)
        for key in ("n", "ctrl+n"):
            await pilot.press(key)
            await settle(app, pilot)
        buttons = [b.id for b in app.screen.query(".sim")]
        assert "sim-intermittent" not in buttons and "sim-wrong_ip" not in buttons
        assert buttons.index("sim-missing_credentials") == 2  # key 3
        await pilot.press("8")  # no eighth call under credential auth
        await settle(app, pilot)
        assert app.screen.query_one("#calls", DataTable).row_count == 0
        await pilot.press("3")
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        assert cell(table, 0, "result") == "✗ 407"


async def test_a_rented_number_in_use_by_another_application_is_said_before_it_is_taken():
    """Picking a number that answers with another application names that application and
    warns that applying moves its calls here; a free number is picked without a warning."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot, "f")
        await create_application(app, pilot, name="forwarded-line")
        rented = app.screen.query_one("#rented", DataTable)
        numbers = app.session.emulator.dump_state()["numbers"]
        owner = {n["number"]: n.get("app_id") or "" for n in numbers}
        rows = [rented.coordinate_to_cell_key((i, 0)).row_key.value for i in range(2)]
        assert sorted(bool(owner[r]) for r in rows) == [False, True]  # one busy, one free
        for index, number in enumerate(rows):
            rented.move_cursor(row=index)
            await press_all(app, pilot, "enter")
            chosen = str(app.screen.query_one("#chosen", Static).content)
            warned = "stops getting this number's calls" in chosen
            assert warned is bool(owner[number]), chosen
            assert not owner[number] or owner[number] in chosen
