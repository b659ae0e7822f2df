"""The screen tests' harness: what a headless app does that nobody sees, done once or not at all.

Two costs of the hundreds of Textual apps these tests start, each paid for nothing:

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
"""

from __future__ import annotations

import pytest
from textual import _callback
from textual._compositor import Compositor
from textual.css.stylesheet import Stylesheet


@pytest.fixture(autouse=True, scope="session")
def unseen_frames_are_not_drawn():
    """Skip drawing the partial updates a headless app discards (full frames still draw)."""
    draw = Compositor.render_update

    def render_update(self, full=False, screen_stack=None, simplify=False):
        if full:  # a screenshot, or the test reading the screen
            return draw(self, full, screen_stack, simplify)
        self._dirty_regions.clear()
        return None

    Compositor.render_update = render_update
    yield
    Compositor.render_update = draw


@pytest.fixture(autouse=True, scope="session")
def parsed_css_is_shared():
    """One parse of each stylesheet text (with its theme variables) per test process."""
    parse = Stylesheet._parse_rules
    parsed: dict[tuple, list] = {}

    def _parse_rules(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
        key = (css, read_from, is_default_rules, tie_breaker, scope)
        key += (tuple(sorted(self._variables.items())),)
        rules = parsed.get(key)
        if rules is None:
            rules = parsed[key] = parse(self, css, read_from, is_default_rules, tie_breaker, scope)
        return rules

    Stylesheet._parse_rules = _parse_rules
    yield
    Stylesheet._parse_rules = parse


@pytest.fixture(autouse=True, scope="session")
def parameter_counts_are_kept_per_code():
    """One signature read per code object for plain functions (a closure made anew each
    time has the same parameters as the last one made by the same code)."""
    count = _callback._count_parameters
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
        code = func.__code__
        n = counts.get(code)
        if n is None:
            n = counts[code] = count(func)
        return n

    _callback._count_parameters = _count_parameters
    yield
    _callback._count_parameters = count
