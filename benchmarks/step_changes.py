"""Benchmark: how long each step change of the wizard takes, from `byon demo` to Done.

Drives the demo wizard headless (Textual's Pilot) along the presenter's path: use the
recommendation, Next twice, apply, Next to the provider settings, to verify, to Done.
Each key is timed until the wizard is idle again (its workers done, the screen painted).
Prints, per key, the median wall time over N walks in one process (the first walk,
which imports every screen, is shown apart), the CPU time of a whole walk, and the Python
calls and style passes of one walk (counts: steady where times drift).

Run: .venv/bin/python benchmarks/step_changes.py [--walks N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from _scratch import scratch_dir  # noqa: E402

# (key, what it does): the presenter's path through the demo
PATH = [
    ("enter", "option -> auth"),
    ("ctrl+n", "auth -> application"),
    ("ctrl+n", "application -> review"),
    ("a", "apply"),
    ("n", "review -> provider"),
    ("ctrl+n", "provider -> verify"),
    ("ctrl+n", "verify -> done"),
]
SIZE = (100, 32)


async def walk() -> tuple[list[float], float]:
    """One walk: the wall ms of each key until idle, and the CPU seconds of the walk."""
    from wizard.app import ByonApp
    from wizard.session import DEMO

    state = scratch_dir("byon-bench-")
    os.environ["BYON_STATE_DIR"] = state
    app = ByonApp(mode=DEMO, plan_path=Path(state) / "plan.toml")
    laps: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        await app.wait_session()
        await pilot.pause()
        cpu = time.process_time()
        for key, _what in PATH:
            start = time.perf_counter()
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            laps.append((time.perf_counter() - start) * 1000)
        cpu = time.process_time() - cpu
        reached = type(app.screen).__name__
    if reached != "DoneScreen":
        raise SystemExit(f"the walk ended on {reached}, not Done: the path above is stale")
    return laps, cpu


async def main_async(walks: int) -> None:
    first, first_cpu = await walk()
    runs = [await walk() for _ in range(walks)]
    print(f"{walks} walks from `byon demo` to Done at {SIZE[0]}x{SIZE[1]}, one process")
    print(f"{'key':8} {'step':24} {'first walk':>10} {'median':>8}")
    for i, (key, what) in enumerate(PATH):
        med = statistics.median(laps[i] for laps, _cpu in runs)
        print(f"{key:8} {what:24} {first[i]:8.0f} ms {med:5.0f} ms")
    total = statistics.median(sum(laps) for laps, _cpu in runs)
    cpu = statistics.median(c for _laps, c in runs)
    print(
        f"whole walk: median {total:.0f} ms wall, {cpu * 1000:.0f} ms CPU"
        f" (first walk: {first_cpu * 1000:.0f} ms CPU)"
    )
    # counts, not times: they stay put when the machine's speed drifts
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    await walk()
    profile.disable()
    stats = pstats.Stats(profile).stats
    calls = sum(n for _cc, n, _tt, _ct, _callers in stats.values())
    passes = sum(
        n
        for (path, _line, name), (_cc, n, *_rest) in stats.items()
        if name == "apply" and path.endswith("stylesheet.py")
    )
    print(f"one walk, counted: {calls:,} Python calls, {passes:,} style passes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main_async(args.walks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
