"""Each step's stylesheet styles only its own screen, so reading the later steps' sheets
after the first paint restyles nothing already on screen (wizard.app.load_step_css)."""

from __future__ import annotations

import importlib

import pytest
from textual.css.stylesheet import Stylesheet

from tests.screens.helpers import SMALL, demo_app, ready
from wizard.app import SCREENS, step_sheet

STEPS_WITH_SHEETS = [step for step in SCREENS if step_sheet(step).is_file()]


def _screen_type(step: str) -> str:
    """The name a selector gives the step's screen by (its class's CSS type name)."""
    module, name = SCREENS[step].split(":")
    return getattr(importlib.import_module(module), name)._css_type_name


@pytest.mark.parametrize("step", STEPS_WITH_SHEETS)
def test_every_rule_of_a_step_sheet_starts_with_its_screen(step):
    sheet = Stylesheet(variables=demo_app().get_css_variables())  # the theme's $names
    sheet.read(step_sheet(step))
    sheet.parse()
    screen = _screen_type(step)
    unscoped = [
        rule.css.splitlines()[0]
        for rule in sheet.rules
        for selectors in rule.selector_set
        if selectors.selectors[0].name != screen
    ]
    assert sheet.rules and unscoped == [], f"{step_sheet(step).name}: {unscoped}"


async def test_reading_the_later_sheets_leaves_the_first_step_as_a_full_restyle_would():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        assert all(app.stylesheet.has_source(str(step_sheet(s))) for s in STEPS_WITH_SHEETS)
        nodes = list(app.screen.walk_children(with_self=True))
        before = [node._css_styles.get_rules() for node in nodes]
        app.stylesheet.update(app)  # what reading the sheets used to do
        assert [node._css_styles.get_rules() for node in nodes] == before
