"""The provider question on the option step, and the provider screen: a table that keeps its
width, the IP ranges, snippets copied whole or written to a file (never through a symlink)."""

from __future__ import annotations

import copy
from xml.sax.saxutils import escape

import pytest
from textual.widgets import DataTable, Input, Select, Static

from screens.widgets.question import Question
from tests.screens.helpers import (
    apply_all,
    create_application,
    demo_app,
    fill_auth,
    press_all,
    ready,
    screen_text,
    settle,
)
from tests.screens.test_snapshots import _applied
from wizard.providers.templates import PASSWORD_PLACEHOLDER


async def _to_provider_screen(app, pilot, provider: str = "generic") -> None:
    await ready(app, pilot)
    await _applied(pilot)
    await pilot.press("n")
    await settle(app, pilot)
    assert type(app.screen).__name__ == "ProviderScreen"
    await _choose(app, pilot, provider)


async def _choose(app, pilot, provider: str) -> None:
    app.screen.query_one("#provider", Select).value = provider
    await settle(app, pilot)


def _widths(app) -> list[int]:
    return [c.width for c in app.screen.query_one("#fields", DataTable).columns.values()]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_table_keeps_its_width_whatever_was_viewed(size):
    """Issue 14 #15: the table grew with each provider viewed, pushing the copy column off."""
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await _to_provider_screen(app, pilot, "asterisk")
        first = _widths(app)
        for key in ("twilio", "telnyx", "vonage", "kamailio", "freeswitch", "3cx", "asterisk"):
            await _choose(app, pilot, key)
            table = app.screen.query_one("#fields", DataTable)
            # every column fits the screen: the copy column stays in view
            assert sum(_widths(app)) + 2 * len(_widths(app)) <= size[0] - 2, key
            assert table.virtual_size.width <= table.size.width, key
        assert _widths(app) == first


async def test_ip_ranges_and_snippets_are_copied_whole():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_provider_screen(app, pilot, "twilio")
        ips = app.screen.query_one("#ips", Static).render()
        assert "54.172.60.0/30" in str(ips)
        await pilot.press("i")
        assert app.clipboard.splitlines()[0] == "54.172.60.0/30"
        assert len(app.clipboard.splitlines()) == 8
        await pilot.press("y")
        settings = app.screen._settings
        password = app.session.sip_password
        assert password  # applied with a credential: this session knows it
        # the clipboard gets the real password (XML-escaped in XML), the screen the placeholder
        shown = escape(PASSWORD_PLACEHOLDER)
        assert shown in settings.snippets[0].text
        assert app.screen.query_one("#snippet-0").text == settings.snippets[0].text
        expected = settings.snippets[0].text.replace(shown, escape(password, {'"': "&quot;"}))
        assert app.clipboard == expected and "<Sip" in app.clipboard
        assert password not in screen_text(app)


async def test_a_snippet_is_written_to_a_file_without_the_password(tmp_path):
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_provider_screen(app, pilot, "kamailio")
        await pilot.press("w")
        await settle(app, pilot)
        target = tmp_path / "kamailio.cfg"
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        text = target.read_text()
        assert text.startswith("#!KAMAILIO") and "uac_auth()" in text
        assert text == app.screen._settings.snippets[0].text
        if app.session.sip_password:
            assert app.session.sip_password not in text


async def test_writing_refuses_a_symlink_and_leaves_it_alone(tmp_path):
    real = tmp_path / "precious.conf"
    real.write_text("keep me\n")
    link = tmp_path / "pjsip.conf"
    link.symlink_to(real)
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_provider_screen(app, pilot, "asterisk")
        await pilot.press("w")
        await settle(app, pilot)
        app.screen.query_one("#path", Input).value = str(link)
        await pilot.press("enter")
        await settle(app, pilot)
        problem = str(app.screen.query_one("#path-problem", Static).render())
        assert "symbolic link" in problem
        assert type(app.screen).__name__ == "PathPrompt"  # still asking
        await pilot.press("escape")
        await settle(app, pilot)
    assert real.read_text() == "keep me\n" and link.is_symlink()


async def test_an_existing_file_is_replaced_only_after_a_second_enter(tmp_path):
    target = tmp_path / "pjsip.conf"
    target.write_text("old\n")
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_provider_screen(app, pilot, "asterisk")
        await pilot.press("w")
        await settle(app, pilot)
        app.screen.query_one("#path", Input).value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "press enter again" in str(app.screen.query_one("#path-problem", Static).render())
        assert target.read_text() == "old\n"
        await pilot.press("enter")
        await settle(app, pilot)
    assert target.read_text().startswith("[plivo-auth]") or "[plivo]" in target.read_text()


async def test_the_provider_is_asked_on_the_option_step_and_shapes_the_advice():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        scr = app.screen
        assert type(scr).__name__ == "OptionScreen"
        scr.query_one("#q-stable", Question).value = False  # rotating IPs: credentials
        await _choose(app, pilot, "telnyx")
        text = str(scr.query_one("#recommendation", Static).render())
        assert "Telnyx" in text and "an IP ACL" in text  # Telnyx cannot answer the 407
        await _choose(app, pilot, "twilio")
        text = str(scr.query_one("#recommendation", Static).render())
        assert "TwiML <Dial><Sip>" in text and "IP ACL of Twilio's 8 ranges" in text
        scr.query_one("#use").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.plan.provider == "twilio"
        assert app.plan.option == "direct_sip" and app.plan.auth.type == "credential"


async def test_a_placeholder_is_never_copied_as_real():
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_provider_screen(app, pilot, "asterisk")
        app.plan.application.app_id = ""  # as offline: no application yet
        await _choose(app, pilot, "generic")
        table = app.screen.query_one("#fields", DataTable)
        row = next(i for i, v in enumerate(app.screen._values) if "{app_id}" in v[1])
        table.move_cursor(row=row)
        app.copy_to_clipboard("untouched")
        await pilot.press("c")
        await settle(app, pilot)
        assert app.clipboard == "untouched"


SNIPPETS_SEEN_CUT = ("asterisk", "twilio", "kamailio", "freeswitch", "3cx")


async def _see(app, pilot, widget) -> bool:
    """Scroll the step's body to ``widget``; True when the user then sees it on screen."""
    app.screen.query_one("#body").scroll_to_widget(widget, animate=False)
    await settle(app, pilot)
    region = widget.region
    return bool(region) and app.screen.get_widget_at(*region.offset)[0] is widget


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_every_snippet_is_whole_with_its_buttons(size):
    """Walkthrough: at 120x40 pjsip.conf stopped at [plivo], Twilio's TwiML Bin showed only
    its <?xml?> line, and no snippet's Copy/Write buttons could be reached."""
    app = demo_app()
    async with app.run_test(size=size) as pilot:
        await _to_provider_screen(app, pilot, "asterisk")
        for key in SNIPPETS_SEEN_CUT:
            await _choose(app, pilot, key)
            snippets = app.screen._settings.snippets
            for i, snippet in enumerate(snippets):
                for bid in (f"#copy-snippet-{i}", f"#save-snippet-{i}"):
                    assert await _see(app, pilot, app.screen.query_one(bid)), (key, bid)
                # just above the buttons, the snippet's last line: nothing cut before it
                last = snippet.text.rstrip().splitlines()[-1].strip()[:20]
                assert last in screen_text(app), (key, snippet.filename, last)
            if key == "3cx":  # no snippet, and no blank gap where one would be
                assert not snippets and await _see(app, pilot, app.screen.query_one("#gotchas"))
                between = screen_text(app).split("For the Plivo IP ACL")[-1].split("⚠")[0]
                assert "\n\n\n" not in between


def _uri_whole(app) -> bool:
    """The SIP URI is on one line of the screen (wrapped, it would be cut in two)."""
    uri = f"sip:{app.plan.application.app_id}@app.plivo.com"
    return any(uri in line for line in screen_text(app).splitlines())


async def test_the_uri_stays_on_one_line_after_switching_and_revisiting():
    """Walkthrough at 80x24: after Twilio and back to Generic (or a second visit), the URI
    wrapped as `sip:…@app.plivo.co` / `m`: redraws lost 2 columns to the scrollbar."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_provider_screen(app, pilot, "generic")
        assert _uri_whole(app)
        for key in ("twilio", "generic", "twilio", "generic"):
            await _choose(app, pilot, key)
            assert _uri_whole(app), key
        await press_all(app, pilot, "ctrl+n", "escape")  # to verify, and back
        assert type(app.screen).__name__ == "ProviderScreen"
        assert _uri_whole(app)


async def test_the_provider_chosen_again_on_the_option_step_wins():
    """Code review: the resumed provider step wrote its own Select's stale "twilio" over
    the user's new choice, and a choice made on the step never counted as an edit."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _credential_with_twilio(app, pilot)
        assert app.screen.query_one("#provider", Select).value == "twilio"
        await press_all(app, pilot, "escape", "escape", "escape", "escape")
        assert type(app.screen).__name__ == "OptionScreen"
        await _choose(app, pilot, "asterisk")
        await _use_advice(app, pilot)
        assert app.plan.provider == "asterisk"
        await press_all(app, pilot, "ctrl+n", "ctrl+n", "n")  # auth, app, review: forward
        assert type(app.screen).__name__ == "ProviderScreen"
        assert app.plan.provider == "asterisk"  # not the step's old "twilio"
        assert app.screen.query_one("#provider", Select).value == "asterisk"
        assert "PJSIP/" in screen_text(app)  # Asterisk's settings are the ones shown
        # a pick on this step is the user's word: the plan takes it, unsaved
        app._saved = copy.deepcopy(app.plan)
        app.dirty = app.edited = False
        await _choose(app, pilot, "freeswitch")
        assert app.plan.provider == "freeswitch" and app.unsaved and app.edited


async def _use_advice(app, pilot) -> None:
    app.screen.query_one("#use").focus()
    await pilot.press("enter")
    await settle(app, pilot)


async def _credential_with_twilio(app, pilot) -> None:
    """Option step: rotating IPs and Twilio (credential-only), applied, on to the provider step."""
    await ready(app, pilot)
    app.screen.query_one("#q-stable", Question).value = False
    await _choose(app, pilot, "twilio")
    await _use_advice(app, pilot)
    assert app.plan.auth.type == "credential"
    await fill_auth(app, pilot, username="carrier_trunk")
    await create_application(app, pilot)
    await apply_all(app, pilot)
    await press_all(app, pilot, "n")
    assert type(app.screen).__name__ == "ProviderScreen"


async def test_a_credential_only_plan_is_not_shown_an_ip_list():
    """Walkthrough: credential-only with Twilio still showed "For the Plivo IP ACL … allow
    all of them", 8 ranges and "Copy the IP list (i)"."""
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _credential_with_twilio(app, pilot)
        text = screen_text(app)
        assert "<Sip" in text and "username=" in text  # the TwiML Bin with its credential
        assert "Plivo IP ACL" not in text and "54.172.60.0/30" not in text
        assert "Copy the IP list" not in text
        app.copy_to_clipboard("untouched")
        await press_all(app, pilot, "i")
        assert app.clipboard == "untouched"


async def test_a_snippet_that_cannot_be_written_says_why_and_leaves_nothing(tmp_path):
    """One write path for snippets and blocks: the failure is the app's scrubbed sentence
    (the answer XML's block used to show the raw exception)."""
    app = demo_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _to_provider_screen(app, pilot, "asterisk")
        await press_all(app, pilot, "w")
        # a name longer than the disk allows is refused in the prompt (it crashed it)
        app.screen.query_one("#path", Input).value = str(tmp_path / ("x" * 300 + ".conf"))
        await press_all(app, pilot, "enter")
        problem = str(app.screen.query_one("#path-problem", Static).render())
        assert "cannot use this name: File name too long" in problem
        # a folder that takes no new files: the prompt allows it, the write fails
        app.screen.query_one("#path", Input).value = "/proc/self/byon-pjsip.conf"
        await press_all(app, pilot, "enter")
        assert type(app.screen).__name__ == "ProviderScreen"
        error = list(app._notifications)[-1]
        assert error.severity == "error"
        assert error.message.startswith("Could not write /proc/self/byon-pjsip.conf: ")
        assert "FileNotFoundError" in error.message  # the app's own sentence for it
        assert list(tmp_path.iterdir()) == []
        # the second snippet is a block of its own: focused, its keys act on it
        block = app.screen.query_one("#snippet-1")
        block.focus()
        await press_all(app, pilot, "c")
        assert app.clipboard == app.screen._settings.snippets[1].text
