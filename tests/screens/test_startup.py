"""`byon demo` paints its first screen before loading the network stack or the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, os, sys
os.environ["BYON_EXIT_AFTER_FIRST_PAINT"] = "1"
from wizard.app import ByonApp
shown = []


class Probe(ByonApp):
    def on_ready(self):
        shown.append(type(self.screen).__name__)
        super().on_ready()


app = Probe(mode="demo")
app.run(headless=True, size=(100, 32))
heavy = ("aiohttp", "httpx", "plivo", "wizard.emulator", "wizard.verify.listener", "phonenumbers")
print(json.dumps({
    "screen": shown[0],
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in heavy),
}))
"""


def test_first_paint_loads_no_heavy_module():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["screen"] == "OptionScreen"
    assert result["loaded"] == []
