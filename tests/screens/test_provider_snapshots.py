"""The provider screen at 80x24 and 120x40 after viewing several providers (issue 14 #15:
the table grew with each one until the copy column fell off the screen).

Regenerate with `pytest tests/screens/test_provider_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from textual.widgets import Select

from tests.screens.helpers import SMALL, settle
from tests.screens.test_snapshots import _applied, demo_app, snap

VIEWED = ("kamailio", "telnyx", "asterisk", "twilio")


async def _viewed_several(pilot) -> None:
    await _applied(pilot)
    await pilot.press("n")
    await settle(pilot.app, pilot)
    for key in VIEWED:
        pilot.app.screen.query_one("#provider", Select).value = key
        await settle(pilot.app, pilot)


def test_provider_after_several_small(snap_compare):
    assert snap(snap_compare, demo_app(), _viewed_several, SMALL)


def test_provider_after_several_wide(snap_compare):
    assert snap(snap_compare, demo_app(), _viewed_several, (120, 40))
