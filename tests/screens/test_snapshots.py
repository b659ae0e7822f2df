"""A snapshot of every screen (and its error states) at 80x24 and at 120x40, with the
demo's fixed data.

Regenerate with `pytest tests/screens/test_snapshots.py --snapshot-update` and look at
the SVGs.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, RadioButton

from screens.widgets.question import Question
from tests.screens.helpers import (
    SMALL,
    apply_all,
    choose_direct_sip,
    create_application,
    demo_app,
    fill_auth,
    ready,
    settle,
)
from wizard.app import ByonApp
from wizard.emulator import Emulator
from wizard.emulator.server import DEMO_AUTH_ID, DEMO_AUTH_TOKEN
from wizard.session import OFFLINE

LARGE = (120, 40)


@pytest.fixture(params=[SMALL, LARGE], ids=["80x24", "120x40"])
def size(request):
    return request.param


@pytest.fixture(autouse=True)
def empty_state_dir(tmp_path, monkeypatch):
    """Welcome lists recent plans: each snapshot starts with none."""
    monkeypatch.setenv("BYON_STATE_DIR", str(tmp_path / "state"))


async def freeze(pilot) -> None:
    """Remove what changes between runs: blinking cursors and timed toasts."""
    app = pilot.app
    await settle(app, pilot)
    for inp in app.screen.query(Input):
        inp.cursor_blink = False
    app.clear_notifications()
    await pilot.pause()


def snap(snap_compare, app, run_before, size) -> bool:
    async def before(pilot) -> None:
        await ready(pilot.app, pilot)
        await run_before(pilot)
        await freeze(pilot)

    return snap_compare(app, terminal_size=size, run_before=before)


async def _nothing(pilot) -> None:
    return None


async def _auth(pilot, stable=False, shared=False) -> None:
    await choose_direct_sip(pilot.app, pilot, stable=stable, shared=shared)


async def _application(pilot) -> None:
    await _auth(pilot, stable=True)
    await fill_auth(pilot.app, pilot, entries=["203.0.113.10"])


async def _review(pilot) -> None:
    await _auth(pilot, stable=True, shared=True)
    await fill_auth(pilot.app, pilot, entries=["203.0.113.10"], username="carrier_trunk")
    await create_application(pilot.app, pilot)


async def _applied(pilot) -> None:
    await _review(pilot)
    await apply_all(pilot.app, pilot)


async def _press(pilot, *keys) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot.app, pilot)


async def _verify(pilot) -> None:
    await _applied(pilot)
    await _press(pilot, "n", "ctrl+n")


def test_welcome(snap_compare, size):
    assert snap(snap_compare, ByonApp(mode=OFFLINE), _nothing, size)


def test_welcome_refused(snap_compare, size):
    async def before(pilot):
        # the emulator runs in the app's own loop (snap_compare runs the app synchronously)
        emu = Emulator(auth_id=DEMO_AUTH_ID, auth_token=DEMO_AUTH_TOKEN)
        await emu.start("127.0.0.1", 0)
        pilot.app.session.emulator = emu  # stopped with the session
        pilot.app.session.api_url = emu.api_url
        pilot.app.screen.query_one("#auth-id", Input).value = DEMO_AUTH_ID
        pilot.app.screen.query_one("#token", Input).value = "not-the-token"
        await pilot.click("#connect")
        await settle(pilot.app, pilot)

    assert snap(snap_compare, ByonApp(mode=OFFLINE), before, size)


def test_option(snap_compare, size):
    assert snap(snap_compare, demo_app(), _nothing, size)


def test_option_shared_ips(snap_compare, size):
    async def before(pilot):
        pilot.app.screen.query_one("#q-stable", Question).value = True
        pilot.app.screen.query_one("#q-shared", Question).value = True

    assert snap(snap_compare, demo_app(), before, size)


def test_when_to_use(snap_compare, size):
    async def before(pilot):
        await _press(pilot, "w")

    assert snap(snap_compare, demo_app(), before, size)


def test_keys_overlay(snap_compare, size):
    async def before(pilot):
        await _auth(pilot)
        await _press(pilot, "f1")

    assert snap(snap_compare, demo_app(), before, size)


def test_auth_credential(snap_compare, size):
    assert snap(snap_compare, demo_app(), _auth, size)


def test_auth_invalid_entry(snap_compare, size):
    async def before(pilot):
        await _auth(pilot, stable=True)
        entry = next(iter(pilot.app.screen.query(".entry").results(Input)))
        entry.value = ""
        entry.focus()
        await pilot.press(*"10.0.0.1")
        await pilot.press("ctrl+n")

    assert snap(snap_compare, demo_app(), before, size)


def test_auth_open_warning(snap_compare, size):
    async def before(pilot):
        await _auth(pilot)
        pilot.app.screen.query_one("#type-none", RadioButton).value = True

    assert snap(snap_compare, demo_app(), before, size)


def test_application_pick(snap_compare, size):
    async def before(pilot):
        await _application(pilot)
        pilot.app.screen.query_one("#mode-pick", RadioButton).value = True

    assert snap(snap_compare, demo_app(), before, size)


def test_application_create_with_stream(snap_compare, size):
    async def before(pilot):
        await _application(pilot)
        scr = pilot.app.screen
        scr.query_one("#stream").collapsed = False
        scr.query_one("#stream-url", Input).value = "wss://agent.example.com/media"
        await pilot.pause()
        scr.query_one("#body").scroll_end(animate=False)

    assert snap(snap_compare, demo_app(), before, size)


def test_application_invalid_url(snap_compare, size):
    async def before(pilot):
        await _application(pilot)
        scr = pilot.app.screen
        scr.query_one("#answer-url", Input).value = ""
        scr.query_one("#answer-url", Input).focus()
        await pilot.press(*"ftp://x")
        await pilot.press("ctrl+n")

    assert snap(snap_compare, demo_app(), before, size)


async def _number(pilot) -> None:
    await _press(pilot, "f")
    await create_application(pilot.app, pilot, name="forwarded-line")


def test_number(snap_compare, size):
    assert snap(snap_compare, demo_app(), _number, size)


def test_number_to_buy_chosen(snap_compare, size):
    async def before(pilot):
        await _number(pilot)
        pilot.app.screen.query_one("#pattern", Input).value = "212"
        await _press(pilot, "ctrl+f")
        await pilot.press("ctrl+b")

    assert snap(snap_compare, demo_app(), before, size)


def test_small_review_number_to_buy(snap_compare):
    """Buying is a review change with its cost on the line (80x24)."""

    async def before(pilot):
        await _number(pilot)
        pilot.app.screen.query_one("#pattern", Input).value = "212"
        await pilot.press("ctrl+f")
        await settle(pilot.app, pilot)
        await pilot.press("ctrl+b")
        await pilot.press("ctrl+n")

    assert snap(snap_compare, demo_app(), before, SMALL)


async def _offline_review(pilot) -> None:
    app = pilot.app
    await pilot.press("ctrl+o")
    await settle(app, pilot)
    app.screen.query_one("#external", Input).value = "+14155550100"
    await choose_direct_sip(app, pilot, stable=True, shared=False)
    await fill_auth(app, pilot, entries=["203.0.113.10"])
    await create_application(app, pilot)


def test_small_offline_review(snap_compare):
    """Offline review shows the + lines apply will create, and no Apply (80x24)."""
    assert snap(snap_compare, ByonApp(mode=OFFLINE), _offline_review, SMALL)


def test_small_offline_provider(snap_compare):
    """Offline provider settings: the app id is a placeholder nobody copies as real (80x24)."""

    async def before(pilot):
        await _offline_review(pilot)
        await pilot.press("n")

    assert snap(snap_compare, ByonApp(mode=OFFLINE), before, SMALL)


def test_review(snap_compare, size):
    assert snap(snap_compare, demo_app(), _review, size)


def test_review_applied(snap_compare, size):
    assert snap(snap_compare, demo_app(), _applied, size)


def test_review_failed(snap_compare, size):
    async def before(pilot):
        await _review(pilot)
        pilot.app.session.emulator.add_fault(
            {"method": "POST", "path": r"/Application/$", "status": 400, "count": 1}
        )
        await apply_all(pilot.app, pilot)

    assert snap(snap_compare, demo_app(), before, size)


def test_activity_pane(snap_compare, size):
    async def before(pilot):
        await _applied(pilot)
        await _press(pilot, "f2")

    assert snap(snap_compare, demo_app(), before, size)


def test_provider(snap_compare, size):
    async def before(pilot):
        await _applied(pilot)
        await _press(pilot, "n")

    assert snap(snap_compare, demo_app(), before, size)


def test_verify(snap_compare, size):
    async def before(pilot):
        await _verify(pilot)
        await _press(pilot, "1", "2", "4", "5")

    assert snap(snap_compare, demo_app(), before, size)


def test_verify_correct_call_with_audio(snap_compare, size):
    async def before(pilot):
        await _verify(pilot)
        await _press(pilot, "1")

    assert snap(snap_compare, demo_app(), before, size)


def test_verify_details_of_an_earlier_call(snap_compare, size):
    async def before(pilot):
        await _verify(pilot)
        await _press(pilot, "1", "7", "up")

    assert snap(snap_compare, demo_app(), before, size)


def test_done(snap_compare, size):
    async def before(pilot):
        await _verify(pilot)
        await _press(pilot, "1", "ctrl+n")

    assert snap(snap_compare, demo_app(), before, size)


def test_save_as(snap_compare, size):
    async def before(pilot):
        await _auth(pilot)
        await _press(pilot, "f3")
        pilot.app.screen.query_one("#path", Input).value = "my-number.toml"

    assert snap(snap_compare, demo_app(), before, size)


def test_quit_confirmation(snap_compare, size):
    """Quit with an unsaved, unapplied plan: Save and quit (ctrl+s) is offered."""

    async def before(pilot):
        await _auth(pilot)
        await pilot.press("ctrl+q")

    assert snap(snap_compare, demo_app(), before, size)
