"""The screen tests' harness: what a headless app does that nobody sees, done once or not at all.

What the hundreds of Textual apps these tests start would do for nothing, or do against the test:

- **Frames nobody sees.** A headless app still draws every frame (each widget's lines, then
  the update) and throws it away: about a fifth of a screen test's CPU. Here the partial
  frames are skipped. Whatever a test reads is drawn then, from the same widgets, by the
  same code: `screen_text` draws the screen whole, and a snapshot exports a full frame.
- **Parsing the same CSS again.** Each new app parses every stylesheet (Textual's own
  widgets and the steps' sheets) from text, though the text and the theme's variables are
  the same for every app. Parsed rules are shared between the apps of a test process.
- **Reading the same signature again.** Before each press and pause, a Pilot hands every
  widget on the screen a new closure to call back, and Textual reads each new closure's
  signature to count its parameters: over a thousand reads in a walk to the provider step,
  about a tenth of its CPU. A plain function's parameters are those of its code object, so
  the count is kept per code object.
- **Animations in flight.** A scroll the app starts itself (a Collapsible opened scrolls
  into view) glides for 0.2 s of real time, and a Pilot's click aimed at a widget in the
  middle of it lands wherever the widget was when the click was aimed: under load, on
  something else. Tests read the screen at rest, so animations end where they start, as
  under ``TEXTUAL_ANIMATIONS=none`` (the product keeps them).
- **Waking widgets that have nothing to do.** That closure goes to every widget so the
  Pilot can wait until each has handled what was sent to it before; each one handled is
  also an idle round for its widget. A widget waiting for its next message with none queued
  has handled everything already, so it is not woken; the others are waited for as before.
"""

from __future__ import annotations

import asyncio

import pytest
from textual import _callback, constants
from textual._compositor import Compositor
from textual.css.stylesheet import Stylesheet
from textual.message_pump import MessagePump
from textual.pilot import Pilot, WaitForScreenTimeout

# Textual's own versions, as imported (tests/screens/test_textual_internals.py checks them)
TEXTUAL = {
    "render_update": Compositor.render_update,
    "_parse_rules": Stylesheet._parse_rules,
    "_count_parameters": _callback._count_parameters,
    "_get_message": MessagePump._get_message,
    "_wait_for_screen": Pilot._wait_for_screen,
    "TEXTUAL_ANIMATIONS": constants.TEXTUAL_ANIMATIONS,
}


def _kept(cache: dict, key: object, make):
    """``cache[key]``, made by ``make()`` the first time."""
    value = cache.get(key)
    if value is None:
        value = cache[key] = make()
    return value


@pytest.fixture(autouse=True, scope="session")
def unseen_frames_are_not_drawn():
    """Skip drawing the partial updates a headless app discards (full frames still draw)."""
    draw = TEXTUAL["render_update"]

    def render_update(self, full=False, screen_stack=None, simplify=False):
        if full:  # a screenshot, or the test reading the screen
            return draw(self, full, screen_stack, simplify)
        self._dirty_regions.clear()
        return None

    Compositor.render_update = render_update
    yield
    Compositor.render_update = draw


@pytest.fixture(autouse=True, scope="session")
def animations_end_where_they_start():
    """Every app made in a test runs with animations off (App reads the level when made)."""
    constants.TEXTUAL_ANIMATIONS = "none"
    yield
    constants.TEXTUAL_ANIMATIONS = TEXTUAL["TEXTUAL_ANIMATIONS"]


@pytest.fixture(autouse=True, scope="session")
def parsed_css_is_shared():
    """One parse of each stylesheet text (with its theme variables) per test process."""
    parse = TEXTUAL["_parse_rules"]
    parsed: dict[tuple, list] = {}

    def _parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope)
        key += (tuple(sorted(self._variables.items())),)
        return _kept(parsed, key, lambda: parse(self, *key[:5]))

    Stylesheet._parse_rules = _parse_rules
    yield
    Stylesheet._parse_rules = parse


@pytest.fixture(autouse=True, scope="session")
def parameter_counts_are_kept_per_code():
    """One signature read per code object for plain functions (a closure made anew each
    time has the same parameters as the last one made by the same code)."""
    count = TEXTUAL["_count_parameters"]
    counts: dict = {}
    function = type(lambda: None)

    def _count_parameters(func):
        # a wrapper or a set signature may say otherwise than the code: read those each time
        if (
            type(func) is not function
            or "__wrapped__" in vars(func)
            or "__signature__" in vars(func)
        ):
            return count(func)
        return _kept(counts, func.__code__, lambda: count(func))

    _callback._count_parameters = _count_parameters
    yield
    _callback._count_parameters = count


@pytest.fixture(autouse=True, scope="session")
def idle_widgets_are_not_woken():
    """A Pilot waits only for the widgets that have something left to handle."""
    get_message, wait_for_screen = TEXTUAL["_get_message"], TEXTUAL["_wait_for_screen"]

    async def _get_message(self):
        self._waiting_for_a_message = True  # seen by others only while it awaits the queue
        try:
            return await get_message(self)
        finally:
            self._waiting_for_a_message = False

    async def _wait_for_screen(self, timeout: float = 30.0) -> bool:
        # Textual's Pilot._wait_for_screen, less the widgets with nothing queued or in hand
        try:
            screen = self.app.screen
        except Exception:
            return False
        children = [self.app, *screen.walk_children(with_self=True)]
        count = 0
        count_zero_event = asyncio.Event()

        def decrement_counter() -> None:
            nonlocal count
            count -= 1
            if count == 0:
                count_zero_event.set()

        for child in children:
            if child._waiting_for_a_message and child._message_queue.empty():
                continue
            if child.call_later(decrement_counter):
                count += 1
        if count:
            wait_for = [
                asyncio.create_task(count_zero_event.wait()),
                asyncio.create_task(self.app._exception_event.wait()),
            ]
            _, pending = await asyncio.wait(
                wait_for, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            if len(wait_for) == len(pending):
                raise WaitForScreenTimeout(
                    "Timed out while waiting for widgets to process pending messages."
                )
            if count > 0:
                return False
        return True

    MessagePump._waiting_for_a_message = False  # until a pump first waits for a message
    MessagePump._get_message, Pilot._wait_for_screen = _get_message, _wait_for_screen
    yield
    MessagePump._get_message, Pilot._wait_for_screen = get_message, wait_for_screen
    del MessagePump._waiting_for_a_message
