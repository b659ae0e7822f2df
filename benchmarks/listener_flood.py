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
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from _scratch import scratch_dir  # noqa: E402

RSS_TARGET_MB = 150.0
GENUINE_TARGET_MS = 50.0
PASSWORD = "Sup3rSecretPass9"
LISTEN_DEADLINE = 30.0  # seconds for the listener to start listening


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
    """`byon verify --listen` in its own process, once it says it is waiting for a call."""
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
    try:
        await asyncio.wait_for(wait_until_listening(proc), LISTEN_DEADLINE)
    except (TimeoutError, RuntimeError) as exc:
        proc.kill()
        await proc.wait()
        why = "no 'Waiting for a call' line" if isinstance(exc, TimeoutError) else exc
        raise SystemExit(
            f"the listener did not start within {LISTEN_DEADLINE:g} s: {why}"
        ) from None
    return proc


async def wait_until_listening(proc: asyncio.subprocess.Process) -> None:
    """Read the listener's stderr up to its "Waiting for a call" line; RuntimeError at EOF."""
    seen: list[bytes] = []
    while True:
        line = await proc.stderr.readline()
        if not line:  # the listener exited (or closed stderr) before listening
            said = b"".join(seen[-5:]).decode(errors="replace").strip()
            raise RuntimeError(f"it exited first, saying: {said or '(nothing)'}")
        if b"Waiting for a call" in line:
            return
        seen.append(line)


@dataclass
class Rig:
    """The emulator, the listener process, the application the calls reach."""

    emu: Any
    proc: asyncio.subprocess.Process
    port: int
    app_id: str
    err_bytes: int = 0


@dataclass
class Figures:
    """What the run measured."""

    quiet: list[float] = field(default_factory=list)
    during: list[float] = field(default_factory=list)
    rss_samples: list[float] = field(default_factory=list)
    rss_before: float = 0.0
    peak: float = 0.0
    cpu: float = 0.0
    flood: dict[str, Any] = field(default_factory=dict)
    lines: list[dict[str, Any]] = field(default_factory=list)


async def setup() -> Rig:
    """The emulator, the listener, and a credential application answering at it."""
    from wizard.emulator import Emulator
    from wizard.plivo.client import PlivoClient

    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    port = free_port()
    proc = None
    try:
        proc = await start_listener(emu, port, scratch_dir("byon-flood-"))
        async with PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url) as c:
            cred = await c.create_credential("carrier_trunk", PASSWORD)
            app = await c.create_application(
                app_name="flood",
                answer_url=f"http://127.0.0.1:{port}/answer",
                sip_auth_type="credential",
                credential_uuid=cred.credential_uuid,
            )
    except BaseException:
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        await emu.stop()
        raise
    return Rig(emu, proc, port, app.app_id)


async def flood(rig: Rig, args: argparse.Namespace, figures: Figures) -> None:
    """Quiet genuine calls, then genuine calls while a separate process floods the listener."""
    pid = rig.proc.pid
    await genuine_call(rig.emu, rig.app_id)  # warm-up: the emulator loads the plivo SDK
    figures.quiet = [await genuine_call(rig.emu, rig.app_id) for _ in range(10)]
    figures.rss_before = memory_mb(pid, "VmRSS")
    cpu_before = cpu_seconds(pid)
    flooder = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--flood-worker",
        f"http://127.0.0.1:{rig.port}/answer",
        str(args.requests),
        str(args.size),
        str(args.concurrency),
        stdout=subprocess.PIPE,
    )
    while flooder.returncode is None:
        await asyncio.sleep(0.1)
        figures.rss_samples.append(memory_mb(pid, "VmRSS"))
        figures.during.append(await genuine_call(rig.emu, rig.app_id))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(flooder.wait(), 0.001)
    figures.flood = json.loads((await flooder.stdout.read()).decode().strip().splitlines()[-1])
    figures.peak = memory_mb(pid, "VmHWM")
    figures.cpu = cpu_seconds(pid) - cpu_before


async def teardown(rig: Rig, drain: asyncio.Task, figures: Figures) -> None:
    """Stop the listener, keep its JSON lines, stop the emulator."""
    rig.proc.terminate()
    out = await rig.proc.stdout.read()
    await rig.proc.wait()
    await drain
    await rig.emu.stop()
    figures.lines = [json.loads(x) for x in out.decode().splitlines() if x.strip()]


def report(args: argparse.Namespace, rig: Rig, f: Figures) -> int:
    """Print the figures; 0 when every target is met."""
    passes = sum(1 for x in f.lines if x["verdict"] == "pass" and x["confirmed"])
    genuine = 1 + len(f.quiet) + len(f.during)
    worst = max(f.during) if f.during else float("nan")
    print(
        f"flood: {args.requests} unsigned POSTs of {args.size} bytes, "
        f"{args.concurrency} connections, {f.flood['seconds']:.1f} s "
        f"({args.requests / f.flood['seconds']:.0f}/s); answers: {f.flood['counts']}"
    )
    print(
        f"listener CPU during the flood: {f.cpu:.1f} s "
        f"({f.cpu / args.requests * 1e6:.0f} µs per unsigned request, genuine calls included); "
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"listener RSS: {f.rss_before:.1f} MB before, peak (VmHWM) {f.peak:.1f} MB, "
        f"max sampled {max(f.rss_samples or [0]):.1f} MB (target < {RSS_TARGET_MB:g})"
    )
    print(
        f"genuine calls, quiet: p50 {statistics.median(f.quiet):.1f} ms  max {max(f.quiet):.1f} ms"
    )
    if f.during:
        print(
            f"genuine calls during the flood ({len(f.during)}): p50 "
            f"{statistics.median(f.during):.1f} ms  max {worst:.1f} ms "
            f"(target < {GENUINE_TARGET_MS:g})"
        )
    print(
        f"JSON lines: {len(f.lines)} ({passes} confirmed passes of {genuine} genuine calls); "
        f"listener stderr: {rig.err_bytes} bytes"
    )
    met = f.peak < RSS_TARGET_MB and f.during and worst < GENUINE_TARGET_MS and passes == genuine
    print("all targets met" if met else "TARGET MISSED")
    return 0 if met else 1


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=256_000, help="bytes per unsigned body")
    ap.add_argument("--concurrency", type=int, default=100)
    args = ap.parse_args()

    rig = await setup()  # a failed setup stops what it started

    async def drain_stderr() -> None:
        while chunk := await rig.proc.stderr.read(65536):
            rig.err_bytes += len(chunk)

    drain = asyncio.create_task(drain_stderr())
    figures = Figures()
    try:
        await flood(rig, args, figures)
    finally:
        await teardown(rig, drain, figures)
    return report(args, rig, figures)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--flood-worker":
        url, n, size, conc = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        asyncio.run(flood_worker(url, n, size, conc))
        sys.exit(0)
    sys.exit(asyncio.run(main()))
