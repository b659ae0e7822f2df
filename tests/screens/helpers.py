"""Driving the wizard in tests: an app factory and one helper per step."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, RadioButton

from screens.widgets.question import Question
from wizard.app import ByonApp
from wizard.session import DEMO

FROZEN = "10:42:07"
FROZEN_MS = "3"  # the echo agent's measured first-audio time, as displayed in snapshots
SIZE = (100, 32)
SMALL = (80, 24)
# the demo's keys from the first step to verify: the recommendation (credentials), auth,
# app, apply, provider settings, verify
TO_VERIFY = ("enter", "ctrl+n", "ctrl+n", "a", "n", "ctrl+n")
# the same by IP ACL (tab, space, enter), and by DID forwarding (app, the first rented
# number, review, apply with the open URI, provider)
IP_ACL_TO_VERIFY = ("tab", "space", "enter", "ctrl+n", "ctrl+n", "a", "n", "ctrl+n")
DID_TO_VERIFY = ("f", "ctrl+n", "enter", "ctrl+n", "a", "y", "n", "ctrl+n")


def demo_app(**kwargs: Any) -> ByonApp:
    """The demo wizard with displayed times frozen (stable snapshots)."""
    app = ByonApp(mode=kwargs.pop("mode", DEMO), **kwargs)
    app.frozen_time = FROZEN
    app.frozen_ms = FROZEN_MS
    return app


def screen_name(app: ByonApp) -> str:
    return type(app.screen).__name__


async def settle(app: ByonApp, pilot: Any) -> None:
    """Let workers finish and the screen catch up.

    A worker's result arrives as a message, and a table it fills lays itself out on the
    idle after that: two pauses, so a loaded machine cannot show a half-laid-out table."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def ready(app: ByonApp, pilot: Any, *keys: str) -> None:
    """The session is up and the first step settled; then each key, as ``press_all``."""
    await app.wait_session()
    await settle(app, pilot)
    await press_all(app, pilot, *keys)


async def choose_direct_sip(app: ByonApp, pilot: Any, *, stable: bool, shared: bool) -> None:
    app.screen.query_one("#q-sip", Question).value = True
    app.screen.query_one("#q-stable", Question).value = stable
    app.screen.query_one("#q-shared", Question).value = shared
    await pilot.pause()
    await pilot.press("enter")
    await settle(app, pilot)


async def fill_auth(
    app: ByonApp, pilot: Any, *, entries: list[str] = (), username: str = ""
) -> None:
    scr = app.screen
    if entries:
        scr.query_one("#acl-name", Input).value = "carrier-edge"
        for i, entry in enumerate(entries):
            if i:
                await pilot.press("ctrl+l")
                await pilot.pause()
            inputs = list(scr.query(".entry").results(Input))
            inputs[-1].value = entry
    if username:
        scr.query_one("#username", Input).value = username
    await pilot.pause()
    await pilot.press("ctrl+n")
    await settle(app, pilot)


async def create_application(app: ByonApp, pilot: Any, name: str = "ai-agent-inbound") -> None:
    scr = app.screen
    scr.query_one("#mode-create", RadioButton).value = True
    scr.query_one("#name", Input).value = name
    scr.query_one("#answer-url", Input).value = "https://agent.example.com/answer"
    await pilot.pause()
    await pilot.press("ctrl+n")
    await settle(app, pilot)


async def apply_all(app: ByonApp, pilot: Any) -> None:
    await settle(app, pilot)
    await pilot.press("a")
    await settle(app, pilot)


def error_text(app: ByonApp) -> str:
    """The step's error line as the user sees it ("" when it is hidden)."""
    line = app.screen.query_one("#error")
    return str(line.content) if line.has_class("-shown") else ""


def screen_text(app: ByonApp) -> str:
    """The screen as a person reads it: plain lines, no colour (what a capture shows)."""
    return "\n".join(strip.text.rstrip() for strip in screen_strips(app))


def screen_strips(app: ByonApp) -> list:
    """The screen drawn whole now, with the steps a dialog shows through (as Textual's own
    full draw does: those come from the screens below, named for this draw)."""
    from textual._context import visible_screen_stack

    visible_screen_stack.set(list(app._background_screens))
    return app.screen._compositor.render_strips()


async def press_all(app: ByonApp, pilot: Any, *keys: str) -> None:
    """Press each key and let the wizard finish what it started before the next one."""
    for key in keys:
        await pilot.press(key)
        await settle(app, pilot)


def static_text(widget: Any) -> str:
    """A Static's content as plain text, all of it (scrolled out of view or not)."""
    import io

    from rich.console import Console

    console = Console(width=200, file=io.StringIO(), color_system=None, markup=False)
    content = widget.content
    console.print(content, markup=True)
    return console.file.getvalue()
