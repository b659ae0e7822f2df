"""SIPp load against the SIP edge: a credential application, every call answering the 407.

Target: 200 calls at 20 calls/s with 0 failed; prints p50/p95 INVITE -> 200 (challenge
round included) from SIPp's own response-time trace, the emulator's CPU time per call,
then raises the rate step by step to find the highest with 0 failures on this machine.
The edge is `byon emulator` in its own process; SIPp sends from 127.0.0.2 over UDP.

    .venv/bin/python benchmarks/sip_load.py                 # target run + rate search
    .venv/bin/python benchmarks/sip_load.py --no-search     # target run only

Exit status 0 when the target run has 0 failed calls (and SIPp is installed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path

from _sipedge import Answers, credential_app, free_port, pct, start_emulator

SCENARIO = Path(__file__).resolve().parent.parent / "tests/sip_peers/scenarios/uac_digest.xml"
RATES = (50, 100, 150, 200, 300, 400, 600, 800)
SEARCH_SECONDS = 5  # calls per step: rate x this many seconds


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def sipp_run(port: int, app: tuple[str, str, str], rate: int, calls: int) -> dict:
    """One SIPp run; successful and failed counts and the INVITE -> 200 times (ms)."""
    app_id, username, password = app
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text = SCENARIO.read_text().replace(
            "[authentication]", f"[authentication username={username} password={password}]"
        )
        scenario = folder / "uac_digest.xml"
        fd = os.open(scenario, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        args = [
            "sipp", f"127.0.0.1:{port}", "-sf", str(scenario), "-s", app_id, "-i", "127.0.0.2",
            "-p", str(free_port()), "-mp", str(free_port()), "-t", "u1",
            "-r", str(rate), "-m", str(calls), "-l", str(max(50, rate * 2)), "-nostdin",
            "-timeout", str(calls // rate + 30), "-trace_rtt", "-rtt_freq", "1",
        ]  # fmt: skip
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=folder, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        out, _ = await proc.communicate()
        text = out.decode(errors="replace")
        times = []
        for csv in folder.glob("*_rtt.csv"):
            for line in csv.read_text().splitlines()[1:]:
                parts = line.split(";")
                if len(parts) >= 2:
                    times.append(float(parts[1]))
    return {
        "ok": _count(text, "Successful call"),
        "failed": _count(text, "Failed call"),
        "times": times,
        "code": proc.returncode,
    }


def _count(screen: str, name: str) -> int:
    found = re.findall(rf"{name}\s*\|\s*\d+\s*\|\s*(\d+)", screen)
    return int(found[-1]) if found else -1


def show(label: str, rate: int, calls: int, result: dict, cpu: float) -> None:
    times = result["times"]
    print(
        f"{label:8} {rate:4d} calls/s x {calls:5d}: {result['ok']:5d} ok, "
        f"{result['failed']:3d} failed; INVITE->200 p50 {pct(times, 0.5):6.1f} ms, "
        f"p95 {pct(times, 0.95):6.1f} ms; emulator CPU {cpu * 1000 / max(1, calls):5.2f} ms/call"
    )


async def main(search: bool) -> int:
    if shutil.which("sipp") is None:
        print("sipp is not installed (make tools): nothing measured")
        return 1
    answers = await Answers().start()
    emu = await start_emulator()
    try:
        app = await credential_app(emu, answers.url)
        pid = emu.proc.pid
        await sipp_run(emu.sip_port, app, 10, 10)  # warm-up: imports, first connections
        before = cpu_seconds(pid)
        target = await sipp_run(emu.sip_port, app, 20, 200)
        show("target", 20, 200, target, cpu_seconds(pid) - before)
        ok = target["failed"] == 0 and target["ok"] == 200
        print(f"target: 200 calls at 20 calls/s, 0 failed: {'met' if ok else 'MISSED'}")
        best = 20 if ok else 0
        if search and ok:
            for rate in RATES:
                calls = rate * SEARCH_SECONDS
                before = cpu_seconds(pid)
                result = await sipp_run(emu.sip_port, app, rate, calls)
                show("search", rate, calls, result, cpu_seconds(pid) - before)
                if result["failed"] != 0 or result["ok"] != calls:
                    break
                best = rate
            print(f"highest rate with 0 failures: {best} calls/s (steps {RATES})")
        crashes = [line for line in emu.stderr if "Traceback" in line]
        print(f"emulator tracebacks: {len(crashes)}; answer callbacks {answers.answers}, "
              f"hangup callbacks {answers.hangups}")  # fmt: skip
        return 0 if ok else 1
    finally:
        await emu.stop()
        await answers.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-search", action="store_true", help="only the 20 calls/s run")
    args, _ = parser.parse_known_args()
    raise SystemExit(asyncio.run(main(not args.no_search)))
