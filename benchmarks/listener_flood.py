"""The listener under a flood of unsigned requests (prints figures; not a test).

A running `byon verify --json` (confirming calls against an in-process emulator's
call records) is flooded over loopback by a separate process with 10,000 unsigned
POSTs (250 KB bodies by default, as in the security review's attack). Meanwhile
genuine calls come from the emulator's SIP edge. Printed: the listener's peak RSS
(VmHWM), how long each genuine signed callback took to pass (the emulator's
INVITE -> the listener's confirmed answer), the flood's own figures, and how many
bytes the listener wrote to stderr.

Targets: peak RSS < 150 MB; every genuine callback during the flood < 50 ms.
Run: .venv/bin/python benchmarks/listener_flood.py [--requests 10000] [--size 256000]
Exit status 1 when a target is missed. Bounded: the flood stops after --requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _scratch import scratch_dir  # noqa: E402

RSS_TARGET_MB = 150.0
GENUINE_TARGET_MS = 50.0
PASSWORD = "Sup3rSecretPass9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


async def flood_worker(url: str, n: int, size: int, concurrency: int) -> None:
    """(In its own process.) n unsigned POSTs; prints one JSON line of figures."""
    import aiohttp

    body = b"From=%2B14155550142&CallUUID=flood&Pad=" + b"x" * max(0, size - 40)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    counts: dict[str, int] = {}
    queue = iter(range(n))
    start = time.perf_counter()
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as http:

        async def worker() -> None:
            for _ in queue:
                try:
                    async with http.post(url, data=body, headers=headers) as resp:
                        await resp.read()
                        key = str(resp.status)
                except aiohttp.ClientError as exc:
                    key = type(exc).__name__
                counts[key] = counts.get(key, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    took = time.perf_counter() - start
    print(json.dumps({"counts": counts, "seconds": took}), flush=True)


async def genuine_call(emu, app_id: str) -> float:
    """One correct credential call through the emulator's SIP edge; ms until answered."""
    t0 = time.perf_counter()
    out = await emu.inbound(
        request_uri=f"sip:{app_id}@app.plivo.com",
        source_ip="203.0.113.10",
        from_="+14155550142",
        username="carrier_trunk",
        password=PASSWORD,
    )
    ms = (time.perf_counter() - t0) * 1000
    cb = out.get("callback") or {}
    if out.get("sip_status") != 200 or cb.get("http_status") != 200:
        raise RuntimeError(f"the genuine call did not pass: {out.get('reason')} {cb}")
    return ms


async def start_listener(emu, port: int, state: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_")}
    env.update(
        PLIVO_AUTH_ID=emu.auth_id,
        PLIVO_AUTH_TOKEN=emu.auth_token,
        PLIVO_API_URL=emu.api_url,
        BYON_STATE_DIR=state,
        PYTHONPATH=str(ROOT),
    )
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
    )
    while b"Waiting for a call" not in (await proc.stderr.readline()):
        pass
    return proc


async def main() -> int:
    from wizard.emulator import Emulator
    from wizard.plivo.client import PlivoClient

    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=256_000, help="bytes per unsigned body")
    ap.add_argument("--concurrency", type=int, default=100)
    args = ap.parse_args()

    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    port = free_port()
    proc = await start_listener(emu, port, scratch_dir("byon-flood-"))
    err_bytes = 0

    async def drain_stderr() -> None:
        nonlocal err_bytes
        while chunk := await proc.stderr.read(65536):
            err_bytes += len(chunk)

    drain = asyncio.create_task(drain_stderr())
    try:
        async with PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url) as c:
            cred = await c.create_credential("carrier_trunk", PASSWORD)
            app = await c.create_application(
                app_name="flood",
                answer_url=f"http://127.0.0.1:{port}/answer",
                sip_auth_type="credential",
                credential_uuid=cred.credential_uuid,
            )
        await genuine_call(emu, app.app_id)  # warm-up: the emulator loads the plivo SDK
        quiet = [await genuine_call(emu, app.app_id) for _ in range(10)]
        rss_before = memory_mb(proc.pid, "VmRSS")
        cpu_before = cpu_seconds(proc.pid)
        flooder = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--flood-worker",
            f"http://127.0.0.1:{port}/answer",
            str(args.requests),
            str(args.size),
            str(args.concurrency),
            stdout=subprocess.PIPE,
        )
        during: list[float] = []
        rss_samples: list[float] = []
        while flooder.returncode is None:
            await asyncio.sleep(0.1)
            rss_samples.append(memory_mb(proc.pid, "VmRSS"))
            during.append(await genuine_call(emu, app.app_id))
            try:
                await asyncio.wait_for(flooder.wait(), 0.001)
            except TimeoutError:
                pass
        flood = json.loads((await flooder.stdout.read()).decode().strip().splitlines()[-1])
        peak = memory_mb(proc.pid, "VmHWM")
        cpu = cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        out = await proc.stdout.read()
        await proc.wait()
        await drain
        await emu.stop()
    lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]
    passes = sum(1 for x in lines if x["verdict"] == "pass" and x["confirmed"])
    genuine = 1 + len(quiet) + len(during)
    worst = max(during) if during else float("nan")
    print(
        f"flood: {args.requests} unsigned POSTs of {args.size} bytes, "
        f"{args.concurrency} connections, {flood['seconds']:.1f} s "
        f"({args.requests / flood['seconds']:.0f}/s); answers: {flood['counts']}"
    )
    print(
        f"listener CPU during the flood: {cpu:.1f} s "
        f"({cpu / args.requests * 1e6:.0f} µs per unsigned request, genuine calls included); "
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"listener RSS: {rss_before:.1f} MB before, peak (VmHWM) {peak:.1f} MB, "
        f"max sampled {max(rss_samples or [0]):.1f} MB (target < {RSS_TARGET_MB:g})"
    )
    print(f"genuine calls, quiet: p50 {statistics.median(quiet):.1f} ms  max {max(quiet):.1f} ms")
    if during:
        print(
            f"genuine calls during the flood ({len(during)}): p50 "
            f"{statistics.median(during):.1f} ms  max {worst:.1f} ms "
            f"(target < {GENUINE_TARGET_MS:g})"
        )
    print(
        f"JSON lines: {len(lines)} ({passes} confirmed passes of {genuine} genuine calls); "
        f"listener stderr: {err_bytes} bytes"
    )
    met = peak < RSS_TARGET_MB and during and worst < GENUINE_TARGET_MS and passes == genuine
    print("all targets met" if met else "TARGET MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--flood-worker":
        url, n, size, conc = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        asyncio.run(flood_worker(url, n, size, conc))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
