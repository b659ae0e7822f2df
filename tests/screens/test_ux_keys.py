"""Keys as a first-time user meets them: the f1 overlay, the footer (only keys that work
here, and all of them in view at 80 columns), enter and space on the option step, and the
count of keystrokes from `byon demo` to a verified call."""

from __future__ import annotations

from textual.widgets import DataTable, Footer, RadioButton

from screens.widgets.question import Question
from tests.screens.helpers import (
    SMALL,
    choose_direct_sip,
    demo_app,
    fill_auth,
    press_all,
    ready,
    screen_name,
    screen_strips,
    screen_text,
    settle,
)
from wizard.app import ByonApp
from wizard.session import OFFLINE


def footer_text(app) -> str:
    footer = app.screen.query_one(Footer)
    return "\n".join(
        strip.text for strip in screen_strips(app)[footer.region.y : footer.region.bottom]
    )


def shown_keys(app) -> list[str]:
    """The footer's labels that should be visible (show=True, enabled or not)."""
    return [
        active.binding.description
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.binding.description
    ]


async def test_f1_lists_every_key_of_the_step_grouped_and_escape_closes():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)  # credential
        await pilot.press("f1")
        await pilot.pause()
        assert screen_name(app) == "HelpOverlay"
        text = app.screen.key_text()
        for group in ("This step", "Everywhere", "Moving around"):
            assert group in text
        # hidden in the footer, still listed: regenerate the password, the palette
        assert "New password" in text and "palette" in text
        assert "Reveal" in text and "Save plan as" in text and "Activity" in text
        assert "Add IP" not in text  # credential mode: the ACL panel and its key are hidden
        await pilot.press("escape")
        await pilot.pause()
        assert screen_name(app) == "AuthScreen"


async def test_footer_offers_only_keys_that_work_here():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        labels = shown_keys(app)
        assert "Add IP" not in labels  # credential mode
        assert "Reveal" in labels  # ctrl+r, named beside the password, is in the footer too
        app.screen.query_one("#type-ip_acl").value = True
        await settle(app, pilot)
        assert "Add IP" in shown_keys(app)
        assert "Reveal" not in shown_keys(app)


async def test_offline_review_offers_no_apply_and_ctrl_n_is_next_on_review(tmp_path):
    app = ByonApp(mode=OFFLINE, plan_path=tmp_path / "plan.toml")
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(app, pilot)
        await press_all(app, pilot, "ctrl+o")
        from textual.widgets import Input

        app.screen.query_one("#external", Input).value = "+14155550100"
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        app.screen.query_one("#username", Input).value = "carrier_trunk"
        await press_all(app, pilot, "ctrl+n")
        app.screen.query_one("#name", Input).value = "ai-agent-inbound"
        app.screen.query_one("#answer-url", Input).value = "https://agent.example.com/answer"
        await press_all(app, pilot, "ctrl+n")
        assert screen_name(app) == "ReviewScreen"
        assert "Apply" not in shown_keys(app)  # nothing to apply to offline
        await press_all(app, pilot, "a")
        assert screen_name(app) == "ReviewScreen"
        await press_all(app, pilot, "ctrl+n")  # the Next key of every other step
        assert screen_name(app) == "ProviderScreen"


async def test_every_footer_fits_80_columns():
    """Each step's footer shows all of its keys at 80 columns, Save and Keys included."""
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        steps = [(), ("enter",), ("ctrl+n",), ("ctrl+n",), ("a",), ("n",), ("ctrl+n",)]
        for keys in steps:
            await press_all(app, pilot, *keys)
            line = footer_text(app)
            for label in shown_keys(app):
                assert label in line, (screen_name(app), label, line)
            assert "Save" in line and "Keys" in line, line


async def test_enter_on_a_question_uses_the_recommendation_and_space_ticks_it():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        stable = app.screen.query_one("#q-stable", Question)
        stable.focus()
        await pilot.press("space")
        await pilot.pause()
        assert stable.value  # space ticks
        await press_all(app, pilot, "enter")
        assert screen_name(app) == "AuthScreen"  # enter used the recommendation...
        assert app.plan.auth.type == "ip_acl"  # ...with the tick it had


async def test_keystrokes_from_byon_demo_to_a_verified_direct_sip_call():
    """The recommended path, as a presenter types it: 7 keys (the target is 12 at most)."""
    app = demo_app()
    presses = 0
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        for key, expected in (
            ("enter", "AuthScreen"),  # use the recommendation (credentials)
            ("ctrl+n", "ApplicationScreen"),  # the demo filled the username
            ("ctrl+n", "ReviewScreen"),  # ... and the new application's name and URL
            ("a", "ReviewScreen"),  # apply
            ("n", "ProviderScreen"),
            ("ctrl+n", "VerifyScreen"),
            ("1", "VerifyScreen"),  # a correct call through the demo's provider
        ):
            await press_all(app, pilot, key)
            presses += 1
            assert screen_name(app) == expected, (key, app.screen.query_one("#error").content)
        row = next(iter(app.screen._rows.values()))
        assert row.verdict == "pass"
    assert presses == 7


async def test_the_footer_follows_a_resized_terminal():
    """Widened from 80 to 120 columns, the footer spaces its keys again; narrowed, it packs
    them (it used to keep the size it had before the resize)."""
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)

        def footer_line() -> str:
            return screen_text(app).splitlines()[-1]

        packed, spaced = "Direct SIP f DID", "Direct SIP  f DID"
        assert packed in footer_line()  # at 80 columns
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        assert spaced in footer_line()
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert packed in footer_line()


async def test_a_step_behind_a_dialog_follows_a_resize_too():
    """Widened while a dialog is open, the step behind it spaces its footer as well."""
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        await press_all(app, pilot, "ctrl+q")  # the quit dialog, over the auth step
        assert screen_name(app) == "QuitScreen"
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        assert "esc Back  ^n Next" in screen_text(app).splitlines()[-1]


async def test_the_application_table_follows_a_resize():
    """Below 100 columns an app takes two lines (name over app_id); widened, the table has
    a column each again, with the same rows; narrowed, two lines again."""
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=True, shared=False)
        await fill_auth(app, pilot, entries=["203.0.113.10"])
        app.screen.query_one("#mode-pick", RadioButton).value = True
        await settle(app, pilot)
        table = app.screen.query_one("#apps", DataTable)

        def headers() -> list[str]:
            return [str(c.label) for c in table.ordered_columns]

        rows = table.row_count
        assert rows and headers() == ["name\napp_id", "answer URL\nSIP auth"]
        await pilot.resize_terminal(120, 40)
        await settle(app, pilot)
        assert headers() == ["name", "app_id", "answer URL", "SIP auth"]
        assert table.row_count == rows
        await pilot.resize_terminal(80, 24)
        await settle(app, pilot)
        assert headers() == ["name\napp_id", "answer URL\nSIP auth"] and table.row_count == rows
