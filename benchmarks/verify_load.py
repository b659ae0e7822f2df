"""Load and robustness figures for `byon verify` (prints numbers; not a test).

1. N concurrent signed callbacks from loopback to a running `byon verify --json`:
   all answered, none lost, each JSON line emitted once, p50/p95/max
   callback-to-line latency (request sent -> its line read from stdout).
   The same against the in-process Listener (callback -> event).
2. Forged (another token), unsigned, replayed (same nonce) and replayed-to-another-URL
   callbacks: how many were accepted (target 0).
3. kill -9 of `byon verify --app` while it holds the app's answer_url, then the next
   byon run: is the answer_url restored?

Run: .venv/bin/python benchmarks/verify_load.py [--calls 500]
Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _scratch import scratch_dir  # noqa: E402

from wizard.emulator import Emulator  # noqa: E402
from wizard.plivo.client import PlivoClient  # noqa: E402
from wizard.verify.diagnose import Expectation  # noqa: E402
from wizard.verify.listener import Listener, signed_headers  # noqa: E402

P95_TARGET_MS = 50.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def params_for(i: int) -> dict[str, str]:
    return {
        "CallUUID": f"bench-{i:05d}",
        "From": "+14155550142",
        "To": "+14155550100",
        "Direction": "inbound",
        "CallStatus": "ringing",
        "SIPAuthType": "credential",
        "SIPAuthUser": "carrier_trunk",
        "SIPSourceIP": "203.0.113.10",
    }


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def fire(http, url, token, n, sent: dict[str, float], rate: float = 0) -> list[int]:
    """All n at once (rate 0), or started at ``rate`` per second, overlapping."""
    # sign first, so signing time is not counted as latency
    bodies = [(params_for(i), signed_headers("POST", url, params_for(i), token)) for i in range(n)]
    gate = asyncio.Event()

    async def one(params, headers):
        await gate.wait()
        sent[params["CallUUID"]] = time.time()
        async with http.post(url, data=params, headers=headers) as resp:
            await resp.read()
            return resp.status

    if not rate:
        tasks = [asyncio.create_task(one(p, h)) for p, h in bodies]
        await asyncio.sleep(0)
        gate.set()
        return await asyncio.gather(*tasks)
    gate.set()
    tasks = []
    start = time.perf_counter()
    for i, (p, h) in enumerate(bodies):
        tasks.append(asyncio.create_task(one(p, h)))
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
    return await asyncio.gather(*tasks)


def event_time(line: dict) -> float:
    stamp = line["time"]
    whole, ms = stamp[:-1].split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + int(ms) / 1000


async def bench_subprocess(n: int, token: str, env: dict[str, str], rate: float = 0) -> bool:
    port = free_port()
    url = f"http://127.0.0.1:{port}/answer"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wizard",
        "verify",
        "--listen",
        f"127.0.0.1:{port}",
        "--json",
        "--expect",
        "credential",
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        limit=1 << 20,
    )
    while b"Waiting for a call" not in (await proc.stderr.readline()):
        pass
    drain_err = asyncio.create_task(proc.stderr.read())
    seen: dict[str, int] = {}
    line_at: dict[str, float] = {}
    received: dict[str, float] = {}

    async def read_lines():
        while True:
            raw = await proc.stdout.readline()
            if not raw:
                return
            now = time.time()
            line = json.loads(raw)
            uid = line["call_uuid"]
            seen[uid] = seen.get(uid, 0) + 1
            line_at.setdefault(uid, now)
            received.setdefault(uid, event_time(line))

    reader = asyncio.create_task(read_lines())
    sent: dict[str, float] = {}
    conn = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=conn) as http:
        t0 = time.perf_counter()
        statuses = await fire(http, url, token, n, sent, rate)
        wall = time.perf_counter() - t0
    # every answered callback's line has been written before its answer
    for _ in range(200):
        if len(seen) >= n:
            break
        await asyncio.sleep(0.01)
    proc.terminate()
    await proc.wait()
    await reader
    await drain_err
    lat = [(line_at[u] - sent[u]) * 1000 for u in sent if u in line_at]
    inside = [(line_at[u] - received[u]) * 1000 for u in received]
    ok = statuses.count(200)
    lost = n - len(seen)
    dupes = sum(1 for c in seen.values() if c > 1)
    how = f"started at {rate:g}/s" if rate else "all at once"
    print(f"byon verify --json subprocess, {n} signed callbacks {how}:")
    print(
        f"  answered 200: {ok}/{n}   JSON lines: {sum(seen.values())}   lost: {lost}   "
        f"duplicated: {dupes}   wall: {wall * 1000:.0f} ms"
    )
    print(
        f"  request sent -> line read, ms:      p50 {statistics.median(lat):.1f}  "
        f"p95 {pct(lat, 95):.1f}  max {max(lat):.1f}"
    )
    print(
        f"  listener received -> line read, ms: p50 {statistics.median(inside):.1f}  "
        f"p95 {pct(inside, 95):.1f}  max {max(inside):.1f}  (target p95 < {P95_TARGET_MS:g})"
    )
    return ok == n and lost == 0 and dupes == 0 and pct(inside, 95) < P95_TARGET_MS


async def bench_in_process(n: int) -> bool:
    token = "bench-token-0000000000000000000000000000"
    got: dict[str, float] = {}
    counts: dict[str, int] = {}

    def on_event(ev):
        got.setdefault(ev.call_uuid, time.time() - ev.received_at)
        counts[ev.call_uuid] = counts.get(ev.call_uuid, 0) + 1

    exp = Expectation(auth_type="credential", username="carrier_trunk", app_id="1")
    lis = Listener(token, expectation=exp, on_event=on_event)
    await lis.start("127.0.0.1", 0)
    sent: dict[str, float] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        statuses = await fire(http, lis.answer_url, token, n, sent)
    await lis.stop()
    lat = [got[u] * 1000 for u in sent if u in got]
    ordered = [e.seq for e in lis.events] == list(range(n))
    print(f"in-process Listener (client in the same event loop), {n} concurrent callbacks:")
    print(
        f"  answered 200: {statuses.count(200)}/{n}   events: {len(lis.events)}   "
        f"duplicated: {sum(c > 1 for c in counts.values())}   arrival order kept: {ordered}"
    )
    print(
        f"  listener received -> event emitted, ms: p50 {statistics.median(lat):.1f}  "
        f"p95 {pct(lat, 95):.1f}  max {max(lat):.1f}"
    )
    return statuses.count(200) == n and len(lis.events) == n and ordered


async def bench_rejections(per_kind: int) -> bool:
    token = "bench-token-0000000000000000000000000000"
    lis = Listener(token, expectation=Expectation(auth_type="credential"))
    await lis.start("127.0.0.1", 0)
    url = lis.answer_url
    accepted = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def post(target, params, headers):
            async with http.post(target, data=params, headers=headers) as resp:
                return resp.status

        forged = [
            post(
                url,
                params_for(i),
                signed_headers("POST", url, params_for(i), "another-accounts-token-0000"),
            )
            for i in range(per_kind)
        ]
        unsigned = [post(url, params_for(i), {}) for i in range(per_kind)]
        accepted["forged"] = (await asyncio.gather(*forged)).count(200)
        accepted["unsigned"] = (await asyncio.gather(*unsigned)).count(200)
        # genuine once, then the same request again (same nonce) and at another URL
        originals = [
            (params_for(10_000 + i), signed_headers("POST", url, params_for(10_000 + i), token))
            for i in range(per_kind)
        ]
        first = await asyncio.gather(*(post(url, p, h) for p, h in originals))
        replay = await asyncio.gather(*(post(url, p, h) for p, h in originals))
        other = await asyncio.gather(*(post(lis.hangup_url, p, h) for p, h in originals))
        query = await asyncio.gather(*(post(url + "?x=1", p, h) for p, h in originals))
        accepted["replayed (same nonce)"] = replay.count(200)
        accepted["replayed to another URL"] = other.count(200) + query.count(200)
    await lis.stop()
    print(
        f"rejections ({per_kind} of each; genuine originals answered "
        f"{first.count(200)}/{per_kind}):"
    )
    for kind, n in accepted.items():
        print(f"  {kind}: {n} accepted")
    invalid = sum(not e.signature_valid for e in lis.events)
    print(f"  events with signature_valid false: {invalid}")
    return all(n == 0 for n in accepted.values()) and first.count(200) == per_kind


async def bench_crash(env_base: dict[str, str]) -> bool:
    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    state = scratch_dir("byon-bench-state-")
    env = {
        **env_base,
        "PLIVO_AUTH_ID": emu.auth_id,
        "PLIVO_AUTH_TOKEN": emu.auth_token,
        "PLIVO_API_URL": emu.api_url,
        "BYON_STATE_DIR": state,
    }
    original = "https://agent.example.com/answer"
    try:
        async with PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url) as client:
            app = await client.create_application(app_name="bench", answer_url=original)
            port = free_port()
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "wizard",
                "verify",
                "--listen",
                f"127.0.0.1:{port}",
                "--public-url",
                f"http://127.0.0.1:{port}",
                "--app",
                app.app_id,
                cwd=ROOT,
                env=env,
                stderr=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
            )
            while b"Waiting for a call" not in (await proc.stderr.readline()):
                pass
            during = (await client.get_application(app.app_id)).answer_url
            proc.kill()
            await proc.wait()
            left = (await client.get_application(app.app_id)).answer_url
            t0 = time.perf_counter()
            # asynchronous: the in-process emulator must keep answering meanwhile
            nxt = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "wizard",
                "verify",
                "--listen",
                "127.0.0.1:0",
                "--timeout",
                "0.2",
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            _, err = await nxt.communicate()
            said = err.decode().splitlines()
            took = time.perf_counter() - t0
            after = (await client.get_application(app.app_id)).answer_url
    finally:
        await emu.stop()
    restored = after == original
    print("kill -9 during takeover, then the next byon run:")
    print(f"  during: {during}   after kill -9: {left}")
    print(f"  next run said: {said[0] if said else ''}")
    print(f"  restored: {restored} (next run took {took * 1000:.0f} ms incl. start-up)")
    return restored and left != original


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--rate", type=float, default=250.0, help="callbacks/s for the paced run")
    ap.add_argument("--bad", type=int, default=200, help="callbacks of each rejected kind")
    args = ap.parse_args()
    token = "bench-token-0000000000000000000000000000"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    env["BYON_STATE_DIR"] = scratch_dir("byon-bench-")
    senv = {**env, "PLIVO_AUTH_TOKEN": token}
    results = [
        await bench_subprocess(args.calls, token, senv),
        await bench_subprocess(args.calls, token, senv, rate=args.rate),
        await bench_in_process(args.calls),
        await bench_rejections(args.bad),
        await bench_crash(env),
    ]
    print("all targets met" if all(results) else "TARGET MISSED")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
