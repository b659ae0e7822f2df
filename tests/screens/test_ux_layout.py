"""What a person sees at 80x24: nothing they need is cut or scrolled away, and state
reads without colour (a plain capture, NO_COLOR)."""

from __future__ import annotations

import re

import pytest
from textual.widgets import DataTable, Input

from tests.screens.helpers import (
    SMALL,
    TO_VERIFY,
    choose_direct_sip,
    demo_app,
    press_all,
    ready,
    screen_name,
    screen_text,
    settle,
    static_text,
)
from wizard.verify.rows import CallRow


async def test_step_one_opens_with_the_number_field_in_view():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        assert app.screen.query_one("#body").scroll_y == 0
        text = screen_text(app)
        assert "Your number at the other provider +14155550100" in text
        assert "Use recommendation (enter)" in text  # and the way on, on the same screen


async def test_the_accounts_rates_arrive_as_a_message_and_fill_the_comparison():
    """The rates worker posts what it read; the handler keeps it (w shows it) and puts the
    inbound cost into the comparison. No rate: the comparison keeps its words."""
    from screens.option import RatesLoaded
    from wizard.plans.costs import Rates

    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        scr = app.screen
        before = str(scr.compare.render())  # the demo account's own rate, read at start
        assert "+ Plivo inbound $0.0425" in before
        scr.post_message(RatesLoaded(Rates()))
        await settle(app, pilot)
        assert scr.rates == Rates() and str(scr.compare.render()) == before
        scr.post_message(RatesLoaded(Rates("0.0100", "14155550100", "0.80")))
        await settle(app, pilot)
        assert scr.rates.inbound_per_min == "0.0100"
        assert "+ Plivo inbound $0.05" in str(scr.compare.render())


async def test_titles_are_whole_at_80_columns():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        for keys in [(), ("enter",), ("ctrl+n",), ("ctrl+n",), ("a", "n"), ("ctrl+n",)]:
            await press_all(app, pilot, *keys)
            header = screen_text(app).splitlines()[0]
            assert app.screen.title in header and "…" not in header, header
            assert "bring your own number" not in header


async def test_step_indicator_marks_done_current_todo_and_links_back():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        line = screen_text(app).splitlines()[1]
        assert line.startswith(" Step 2 of 6 · Auth")
        assert "✓ Route ● Auth ○ App" in line  # done, current, todo: no colour needed
        x = line.index("✓ Route") + 2
        await pilot.click("#step-indicator", offset=(x, 0))
        await settle(app, pilot)
        assert screen_name(app) == "OptionScreen"  # a done step is a link back to it


async def test_no_value_the_user_needs_is_cut_at_80x24():
    """URIs, ids, IPs and prices appear whole on every screen that shows them."""
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, "enter", "ctrl+n", "ctrl+n", "a")
        app_id = app.plan.application.app_id
        cred_uuid = app.plan.auth.credential.credential_uuid
        text = screen_text(app)
        assert app_id in text and cred_uuid in text  # review: what was created, whole
        await press_all(app, pilot, "n")
        assert f"sip:{app_id}@app.plivo.com" in screen_text(app)  # provider settings
        await press_all(app, pilot, "ctrl+n", "1", "3")
        text = screen_text(app)
        assert f"sip:{app_id}@app.plivo.com" in text
        assert "+14155550142" in text  # from: shown at 80 columns
        for ip in re.findall(r"\d+\.\d+\.\d+\.\d+", text):
            assert ip in ("203.0.113.10", "198.51.100.200"), ip  # none cut
        assert "sig ✓" in text  # the signature column too
        assert "credential" in text  # the literal SIPAuthType


async def test_verify_follows_new_calls_and_shows_the_selected_one_whole():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        for key in "1245":
            await press_all(app, pilot, key)
        table = app.screen.query_one("#calls", DataTable)
        assert table.cursor_row == 3  # the newest call is selected and in view
        assert table.is_valid_row_index(3) and table.scroll_y > 0
        text = screen_text(app)
        assert "Call 4 of 4" in text and "✗ 403" in text
        await press_all(app, pilot, "up", "up", "up")
        details = app.screen.query_one("#details")
        text = screen_text(app)
        assert "Call 1 of 4" in text and "✓ verified" in text
        params = static_text(details.query_one("#params"))
        assert "SIPAuthUser" in params and "carrier_trunk" in params
        headers = static_text(details.query_one("#headers"))
        assert "X-Plivo-Signature-V3" in headers
        assert "SIP ladder" in static_text(details.query_one("#ladder"))


async def test_outside_values_in_a_call_are_plain_text():
    """A hostile caller's From and headers cannot style, break or rewrite the screen."""
    from screens.verify import CallObserved

    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        hostile = "[b]PASS[/b]\x1b]0;owned\x07\nline"
        row = CallRow(
            key="evil",
            time="10:42:07",
            from_=hostile,
            to="[/]",
            sip_auth_user="[red]x",
            params={"From": hostile, "[/]": "[@click=app.quit]go[/]"},
            headers={"Authorization": "Basic c2VjcmV0", "X-Evil": hostile},
            ladder=[{"ms": 0, "dir": "in", "line": hostile}],
            diagnosis=hostile,
        )
        app.screen.post_message(CallObserved(row))
        await settle(app, pilot)
        text = screen_text(app)
        assert "\x1b" not in text and "\\x1b" in text
        assert "[b]PASS[/b]" in text  # shown as typed, not as bold markup
        headers = static_text(app.screen.query_one("#headers"))
        assert "c2VjcmV0" not in headers and "(hidden)" in headers
        assert screen_name(app) == "VerifyScreen"


async def test_real_mode_says_what_silence_means():
    """No callback for a minute: Plivo refused the call before the answer_url."""
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot, *TO_VERIFY)
        app.screen.no_call_hint()  # what the timer calls after NO_CALL_AFTER seconds
        await pilot.pause()
        text = static_text(app.screen.query_one("#diagnosis"))
        for word in ("403", "407", "404", "lockout", "byon sip-probe", "call logs"):
            assert word in text
        assert app.plan.application.app_id in text


async def test_states_read_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        assert app.no_color
        text = screen_text(app)
        assert "[X] Can your provider send calls over SIP" in text
        assert "[ ] Does it send from stable" in text
        await choose_direct_sip(app, pilot, stable=True, shared=True)
        app.screen.query_one("#body").scroll_home(animate=False)
        await pilot.pause()
        text = screen_text(app)
        assert "(●) ACL + credential" in text and "( ) Credential" in text


async def test_placeholders_read_as_examples_and_the_demo_fills_the_fields():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=True)
        scr = app.screen
        for inp in scr.query(Input):
            if inp.placeholder:
                assert inp.placeholder.startswith(("e.g.", "your own")), inp.placeholder
        assert scr.query_one("#username", Input).value == "carrier_trunk"
        assert next(iter(scr.query(".entry").results(Input))).value == "203.0.113.10"
        await press_all(app, pilot, "ctrl+n")
        assert app.screen.query_one("#name", Input).value == "ai-agent-inbound"


async def test_a_fixed_field_drops_its_complaint_and_a_wide_acl_gets_a_note_at_once():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        username = app.screen.query_one("#username", Input)
        username.value = ""
        await press_all(app, pilot, "ctrl+n")
        assert "Username" in static_text(app.screen.query_one("#error"))
        username.value = "carrier_trunk"
        await pilot.pause()
        assert not app.screen.query_one("#error").has_class("-shown")
        app.screen.query_one("#type-ip_acl").value = True
        await settle(app, pilot)
        entry = next(iter(app.screen.query(".entry").results(Input)))
        entry.value = "11.0.0.0/8"
        await pilot.pause()
        rule = static_text(app.screen.query_one("#acl-rule"))
        assert "16,777,216 addresses" in rule  # said while typing, not only at review


@pytest.mark.parametrize("size", [SMALL, (120, 40)], ids=["80x24", "120x40"])
async def test_a_one_line_field_keeps_an_invalid_value_in_view(size):
    """A wrong number is tinted, not bordered: a border on a one-line field would cover
    the very text the user has to correct."""
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        field = app.screen.query_one("#external", Input)
        field.focus()
        field.value = ""
        await pilot.press(*"+1415x")
        await settle(app, pilot)
        assert field.has_class("-invalid")
        line = next(ln for ln in screen_text(app).splitlines() if "Your number at" in ln)
        assert "+1415x" in line, line
