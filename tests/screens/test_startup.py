"""`byon demo` paints its first screen before loading the network stack or the emulator."""

from __future__ import annotations

import gc
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


def probe(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (a start of its own); the JSON it prints last."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_first_paint_loads_no_heavy_module():
    result = probe(PROBE)
    assert result["screen"] == "OptionScreen"
    assert result["loaded"] == []


COLLECTOR_PROBE = """
import gc, json, os
os.environ["BYON_EXIT_AFTER_FIRST_PAINT"] = "1"
from wizard import collector
from wizard.app import ByonApp
seen = {}


class Probe(ByonApp):
    def on_ready(self):
        seen["on_during_start"] = gc.isenabled()
        super().on_ready()
        seen["on_after_paint"] = gc.isenabled()
        seen["frozen_after_paint"] = gc.get_freeze_count()


paused = collector.pause()  # what `byon` and `byon demo` do before loading the app
Probe(mode="demo").run(headless=True, size=(100, 32))
print(json.dumps({"paused": paused, **seen}))
"""


def test_the_collector_sleeps_through_the_start_and_wakes_at_the_first_paint():
    seen = probe(COLLECTOR_PROBE)
    assert seen["paused"] is True
    assert seen["on_during_start"] is False
    assert seen["on_after_paint"] is True
    # what the start built is kept out of later full collections
    assert seen["frozen_after_paint"] > 10_000


def test_a_wizard_that_never_paints_leaves_the_collector_on(capsys):
    # under pytest stdin is no terminal: `byon demo` refuses to start, and says why
    from wizard import cli

    assert cli.main(["demo"]) == 2
    assert "needs a terminal" in capsys.readouterr().err
    assert gc.isenabled()


async def test_an_app_started_with_the_collector_on_freezes_nothing():
    from tests.screens.helpers import demo_app, ready

    frozen = gc.get_freeze_count()
    app = demo_app()
    async with app.run_test() as pilot:
        await ready(app, pilot)
        assert gc.isenabled()
        # frozen objects may still be freed by their count, never gain a whole app's worth
        assert gc.get_freeze_count() <= frozen


def test_the_startup_benchmark_patches_names_that_exist():
    """benchmarks/startup.py stamps the first paint by wrapping these two names; when one
    moves (run_demo left wizard.app once), the benchmark must move with it."""
    from pathlib import Path

    from wizard import launch
    from wizard.app import ByonApp

    script = (Path(__file__).parents[2] / "benchmarks" / "startup.py").read_text()
    assert "launch.run_demo(args)" in script and callable(launch.run_demo)
    assert "ByonApp._after_first_paint" in script and callable(ByonApp._after_first_paint)
