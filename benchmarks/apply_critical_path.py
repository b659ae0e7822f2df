"""Apply wall time vs the critical path, with 100 ms of latency injected on every request.

The critical path is the slowest chain of dependent requests, computed from the
plan's diff: one concurrent round of reads, then the longest chain of
``depends_on`` among the changes (each change one request; buying a number is two,
the purchase and the client's read-back). Its length times the measured time of one
request under the same latency is the floor no implementation can beat; apply should
stay within 1.2x of it.

Run: .venv/bin/python benchmarks/apply_critical_path.py [--latency-ms 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# the apply tests' two plans: direct SIP with both auths, and forwarding to a bought number
from tests.domain.test_apply_helpers import BUY_PLAN, SIP_PLAN
from wizard.emulator import Emulator
from wizard.plans.apply import Change, apply_changes, diff, read_account
from wizard.plans.plan import load_plan
from wizard.plivo.client import PlivoClient


def chain_requests(changes: list[Change]) -> int:
    """Requests on the longest dependency chain of the changes, plus the read round."""
    todo = {c.kind: c for c in changes if c.action != "unchanged"}
    cost = {k: 2 if (c.kind == "number" and c.action == "create") else 1 for k, c in todo.items()}
    memo: dict[str, int] = {}

    def longest(kind: str) -> int:
        if kind not in memo:
            deps = [d for d in todo[kind].depends_on if d in todo]
            memo[kind] = cost[kind] + max((longest(d) for d in deps), default=0)
        return memo[kind]

    return 1 + max((longest(k) for k in todo), default=0)


async def one_request_time(emu: Emulator, client: PlivoClient, samples: int = 5) -> float:
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        await client.get_account()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


async def one_run(plan_text: str, latency_ms: float) -> tuple[float, float, int]:
    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    try:
        async with PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url) as client:
            emu.add_fault({"path": ".", "latency_ms": latency_ms, "count": 100_000})
            unit = await one_request_time(emu, client)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "plan.toml"
                path.write_text(plan_text)
                plan = load_plan(path)
                t0 = time.perf_counter()
                view = await read_account(client, plan)
                changes = diff(plan, view)
                result = await apply_changes(client, plan, changes)
                wall = time.perf_counter() - t0
            if not result.ok:
                raise SystemExit(f"apply failed: {result.error}")
            n = chain_requests(changes)
            return wall, n * unit, n
    finally:
        await emu.stop()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-ms", type=float, default=100.0)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    worst = 0.0
    for label, text in (
        ("direct_sip (ACL + credential)", SIP_PLAN),
        ("did_forwarding (buy)", BUY_PLAN),
    ):
        walls, crits = [], []
        for _ in range(args.runs):
            wall, crit, n = await one_run(text, args.latency_ms)
            walls.append(wall)
            crits.append(crit)
        wall, crit = statistics.median(walls), statistics.median(crits)
        ratio = wall / crit
        worst = max(worst, ratio)
        print(
            f"{label}: apply wall {wall * 1000:.0f} ms, critical path {n} requests = "
            f"{crit * 1000:.0f} ms, ratio {ratio:.2f} (median of {args.runs}, "
            f"{args.latency_ms:g} ms injected latency)"
        )
    print(f"worst ratio {worst:.2f} (target <= 1.20): {'OK' if worst <= 1.2 else 'OVER TARGET'}")


if __name__ == "__main__":
    asyncio.run(main())
