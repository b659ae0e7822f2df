"""The verify step as a new user meets it: coming back after changing the auth, the
status after an overlay, the probe's view, the call keys, DID forwarding's own words,
and a table that says what each callback carried."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import DataTable

import screens.verify as verify
from screens.widgets.calldetail import CallDetail
from screens.widgets.verifytools import ProbeDone
from tests.screens.helpers import (
    DID_TO_VERIFY,
    IP_ACL_TO_VERIFY,
    SMALL,
    TO_VERIFY,
    demo_app,
    error_text,
    press_all,
    ready,
    screen_name,
    screen_text,
    settle,
    static_text,
)
from tests.screens.test_flows import cell


def _key(app, scenario: str) -> str:
    return next(k for k, s, _label in app.screen._calls if s == scenario)


async def test_back_to_auth_and_a_new_auth_type_gives_verify_new_call_buttons():
    """Escape x4 to Auth, ACL + credential, on to Verify again: new buttons, no crash."""
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *IP_ACL_TO_VERIFY)
        assert screen_name(app) == "VerifyScreen" and app.plan.auth.type == "ip_acl"
        await press_all(app, pilot, "1")
        await press_all(app, pilot, "escape", "escape", "escape", "escape")
        assert screen_name(app) == "AuthScreen"
        await pilot.click("#type-ip_acl_and_credential")
        await press_all(app, pilot, "ctrl+n", "ctrl+n", "a", "n", "ctrl+n")
        assert screen_name(app) == "VerifyScreen"
        assert app.plan.auth.type == "ip_acl_and_credential"
        text = screen_text(app)
        assert "1 correct setup" in text and "no creds (407)" in text
        await press_all(app, pilot, _key(app, "missing_credentials"))
        assert "407" in static_text(app.screen.query_one("#diagnosis"))
        assert app.return_code is None  # still running: nothing crashed


async def test_the_status_line_survives_an_overlay():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        status = static_text(app.screen.query_one("#status"))
        assert "ready" in status
        await press_all(app, pilot, "f1")
        assert screen_name(app) == "HelpOverlay"
        await press_all(app, pilot, "escape")
        assert screen_name(app) == "VerifyScreen"
        after = static_text(app.screen.query_one("#status"))
        assert "ready" in after and "starting" not in after


async def test_the_keys_overlay_lists_each_real_call_by_name():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *IP_ACL_TO_VERIFY)
        calls = app.screen._calls
        assert len(calls) == 6
        await press_all(app, pilot, "f1")
        text = app.screen.key_text()
        for key, _scenario, label in calls:
            assert f"  {key}  call: {label}" in text, text
        assert "  7  " not in text and "call 7" not in text
        await press_all(app, pilot, "escape", "7")  # a key with no call does nothing
        assert app.screen.query_one("#calls", DataTable).row_count == 0


async def test_a_lockout_and_the_probe_after_it_agree():
    """The demo releases the lockout at once; the diagnosis says so, so the probe's pass
    from the same address a second later is no contradiction."""
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        await press_all(app, pilot, _key(app, "lockout"))
        diagnosis = static_text(app.screen.query_one("#diagnosis"))
        assert "198.51.100.200 is locked out" in diagnosis
        assert "this lockout is already over" in " ".join(diagnosis.split())
        await press_all(app, pilot, "p")
        probe = " ".join(static_text(app.screen.query_one("#diagnosis")).split())
        assert "Diagnosis (sip-probe): ✓" in probe, probe


async def test_did_forwarding_speaks_of_the_number_not_sip_auth():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *DID_TO_VERIFY)
        assert screen_name(app) == "VerifyScreen"
        plivo = app.plan.forwarding.plivo_number
        status = " ".join(static_text(app.screen.query_one("#status")).split())
        assert f"dial {app.plan.external_number} (forwarded to {plivo})" in status
        assert "Test calls to" not in status
        footer = screen_text(app).splitlines()[-1]
        assert "Copy number" in footer and "Copy URI" not in footer
        assert "SIP probe" not in footer
        await press_all(app, pilot, "ctrl+y")
        assert app.clipboard == plivo
        await press_all(app, pilot, _key(app, "did_forwarded"))
        passed = " ".join(static_text(app.screen.query_one("#diagnosis")).split())
        assert "✓ verified: the forwarded call arrived on your Plivo number" in passed
        assert "SIP authentication ran" not in passed
        await press_all(app, pilot, _key(app, "did_no_xml"))
        no_xml = " ".join(static_text(app.screen.query_one("#diagnosis")).split())
        assert "The forwarded call reached your Plivo number but no XML executes" in no_xml
        assert "SIP authentication passed" not in no_xml
        await press_all(app, pilot, _key(app, "did_unassigned"))  # refused: no callback
        table = app.screen.query_one("#calls", DataTable)
        # every forwarded call keeps the caller's number, the refused one too: not the
        # number the caller dialled
        froms = {cell(table, i, "from") for i in range(3)}
        assert len(froms) == 1 and app.plan.external_number not in froms, froms
        await press_all(app, pilot, "p")  # no probe on this route: no row, no panel
        assert table.row_count == 3
        assert not app.screen.query_one(CallDetail).probe_open
        app.screen.action_probe()  # from the palette: says why there is none
        assert "No SIP probe under DID forwarding" in error_text(app)


async def test_the_table_shows_what_each_callback_carried():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *IP_ACL_TO_VERIFY)
        for scenario in ("number_in_uri", "invalid_xml", "wrong_ip"):
            await press_all(app, pilot, _key(app, scenario))
        table = app.screen.query_one("#calls", DataTable)
        rows = {s: i for i, s in enumerate(("number_in_uri", "invalid_xml", "wrong_ip"))}
        # a number in the Request-URI runs no auth: the callback has no SIPSourceIP
        row = app.screen._rows[table.coordinate_to_cell_key((0, 0)).row_key.value]
        assert "SIPSourceIP" not in row.params
        assert cell(table, rows["number_in_uri"], "ip") == "—"
        # the bad-XML call's callback was signed: the table says so, as the details do
        assert cell(table, rows["invalid_xml"], "sig") == "✓"
        # a call refused in SIP had no callback: no signature, the address it came from
        assert cell(table, rows["wrong_ip"], "sig") == "—"
        assert cell(table, rows["wrong_ip"], "ip") == "198.51.100.200"


async def test_the_probe_takes_the_details_room_and_closes():
    """At 80x24 the probe's rows sit where the call was: the call keys stay in view, and
    p again or escape brings the selected call's diagnosis back."""
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        await press_all(app, pilot, "1", "p")
        text = screen_text(app)
        assert "Diagnosis (sip-probe): ✓" in text
        assert "1 correct setup" in text  # the call keys are still on screen
        assert "p or escape closes this" in str(app.screen.query_one("#probe").content)
        await press_all(app, pilot, "p")
        text = screen_text(app)
        assert "sip-probe" not in text and "Call 1 of 2" in text  # (the probe's call is 2)
        assert "✓ verified" in text
        await press_all(app, pilot, "p")
        assert "Diagnosis (sip-probe)" in screen_text(app)
        await press_all(app, pilot, "escape")
        assert screen_name(app) == "VerifyScreen"  # escape closed the probe, not the step
        assert "Diagnosis (sip-probe)" not in screen_text(app)
        assert "✓ verified" in screen_text(app)


async def test_a_second_call_key_while_a_call_is_placed_is_refused():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        app.screen.action_simulate_key("1")
        app.screen.action_simulate_key("2")  # while call 1 is still being placed
        assert "A call is being placed" in error_text(app)
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        assert table.row_count == 1 and cell(table, 0, "result") == "✓ pass"  # call 1 whole


async def test_a_ladder_fetch_is_not_lost_to_a_newer_one():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        await press_all(app, pilot, "1", "2")
        scr = app.screen
        keys = list(scr._rows)
        for key in keys:  # as if each call's row came from its callback, ladder to fetch
            scr._rows[key] = replace(scr._rows[key], ladder=[])
        scr._ladder_asked.clear()
        scr._show_details(keys[0])
        scr._show_details(keys[1])  # at once: the first fetch must still finish
        await settle(app, pilot)
        assert all(scr._rows[key].ladder for key in keys), keys
        await press_all(app, pilot, "up")
        assert "INVITE" in str(scr.query_one("#ladder").render())


async def test_the_silence_timer_stops_when_leaving(monkeypatch):
    monkeypatch.setattr(verify, "NO_CALL_AFTER", 0.05)
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        scr = app.screen
        scr._wait_for_calls()  # what listening on a real account starts
        await press_all(app, pilot, "escape")
        assert screen_name(app) == "ProviderScreen" and scr._no_call_timer is None
        await pilot.pause(0.2)  # past the (shortened) minute
        await press_all(app, pilot, "ctrl+n")
        assert "No call has reached the listener" not in screen_text(app)


async def test_late_results_change_only_what_is_still_on_show():
    """A ladder fetched for a call that is not selected is kept, not drawn; a probe's
    result arriving after its view was closed does not open it again."""
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        await press_all(app, pilot, "1", "2")
        scr = app.screen
        first = next(iter(scr._rows))
        assert scr._selected() != first
        shown = str(scr.detail.ladder.render())
        scr._rows[first] = replace(scr._rows[first], ladder=[])
        fetched = [{"dir": "in", "line": "OPTIONS sip:late@example.com SIP/2.0"}]
        scr.post_message(verify.LadderFetched(first, fetched))
        await settle(app, pilot)
        assert scr._rows[first].ladder == fetched  # kept for when that call is chosen
        assert str(scr.detail.ladder.render()) == shown and "OPTIONS" not in shown
        scr.post_message(ProbeDone([], "pass", "a closed probe spoke"))
        await settle(app, pilot)
        assert not scr.detail.probe_open and "closed probe" not in screen_text(app)
        scr.calls_table.move_cursor(row=0)  # the user picks the first call
        await settle(app, pilot)
        assert scr._selected() == first
        assert "OPTIONS" in str(scr.detail.ladder.render())
