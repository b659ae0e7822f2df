"""SIP software nobody here wrote, against the emulator's edge (sip.md section 3)."""

from tests.emulator.conftest import api, ctl, receiver  # noqa: F401  (emulator fixtures)
from tests.sipedge_fixtures import answers, apps, edge  # noqa: F401  (SIP edge fixtures)
