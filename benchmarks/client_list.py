"""Benchmark: listing 1,000 applications at 50 ms latency, sequential vs concurrent pages.

Also times `byon --help` next to `python -c pass` (the CLI must stay cheap to start).
Run: .venv/bin/python benchmarks/client_list.py   (prints figures, exits 0)
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wizard.emulator import Emulator  # noqa: E402
from wizard.emulator.state import IdGen, build_state, new_application, save_atomically  # noqa: E402
from wizard.plivo.client import PlivoClient  # noqa: E402

APPS = 1000
LATENCY_MS = 50
TARGET = 0.25


def write_state(path: Path) -> None:
    """An account with APPS applications, loaded by the emulator at start (fast setup)."""
    ids = IdGen("benchmark")
    state = build_state(seed=None, ids=ids, auth_id=None, auth_token=None)
    for i in range(APPS):
        app = new_application(
            ids.app_id(), {"app_name": f"bench-{i:04d}", "answer_url": "https://a.example/a"}
        )
        state.applications[app["app_id"]] = app
    save_atomically(path, state.to_json())


async def time_listing(emu: Emulator, max_concurrency: int) -> float:
    async with PlivoClient(
        emu.auth_id,
        emu.auth_token,
        base_url=emu.api_url,
        max_concurrency=max_concurrency,
        deadline=120.0,
    ) as client:
        start = time.perf_counter()
        apps = await client.list_applications()
        elapsed = time.perf_counter() - start
    if len(apps) != APPS:
        raise SystemExit(f"expected {APPS} applications, listed {len(apps)}")
    # A fresh rate-limit window for the next run (the emulator counts requests per 5 s).
    emu.advance(10)
    return elapsed


async def bench_list() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        state_file = Path(tmp) / "state.json"
        write_state(state_file)
        emu = Emulator(state_file=state_file)
        await emu.start("127.0.0.1", 0)
        try:
            emu.add_fault(
                {
                    "method": "GET",
                    "path": "Application/$",
                    "latency_ms": LATENCY_MS,
                    "count": 1_000_000,
                }
            )
            default = PlivoClient.__init__.__kwdefaults__["max_concurrency"]
            sequential = await time_listing(emu, 1)
            concurrent = await time_listing(emu, default)
        finally:
            await emu.stop()
    ratio = concurrent / sequential
    pages = -(-APPS // 20)
    print(
        f"list_applications: {APPS} applications, {pages} pages, {LATENCY_MS} ms latency per page"
    )
    print(f"  sequential (max_concurrency=1):  {sequential:7.3f} s")
    print(f"  concurrent (max_concurrency={default}):  {concurrent:7.3f} s")
    print(f"  ratio concurrent/sequential:     {ratio:7.3f}")
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"  target ratio <= {TARGET}: {verdict}")


def median_wall(cmd: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_help() -> None:
    byon = Path(sys.executable).parent / "byon"
    cmd = [str(byon)] if byon.exists() else [shutil.which("byon") or ""]
    if not cmd[0]:
        cmd = [sys.executable, "-m", "wizard"]
    help_s = median_wall([*cmd, "--help"])
    bare_s = median_wall([sys.executable, "-c", "pass"])
    print("startup (median of 5):")
    print(f"  byon --help:       {help_s * 1000:7.1f} ms")
    print(f"  python -c pass:    {bare_s * 1000:7.1f} ms")
    print(f"  difference:        {(help_s - bare_s) * 1000:7.1f} ms")


def main() -> int:
    asyncio.run(bench_list())
    bench_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
