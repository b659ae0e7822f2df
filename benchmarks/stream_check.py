"""Stream check against the echo agent on loopback: first-audio latency and dropped frames.

Targets: first audio back within 100 ms of the first frame sent, and 0 frames
dropped over 60 s of audio. The echo agent runs as its own process
(``byon echo-agent``), as it would in a rehearsal.

    .venv/bin/python benchmarks/stream_check.py              # 20 short checks + 60 s run
    .venv/bin/python benchmarks/stream_check.py --seconds 10 --runs 5

Exit status 0 when both targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wizard.stream.audio import CONTENT_TYPES
from wizard.stream.check import stream_check

FIRST_AUDIO_TARGET_MS = 100.0


async def start_agent(mode: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wizard",
        "echo-agent",
        "--port",
        "0",
        "--mode",
        mode,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    return proc, json.loads(line)["ws_url"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> int:
    proc, url = await start_agent(args.mode)
    results: dict = {"mode": args.mode, "first_audio_ms": {}, "long_run": {}}
    ok = True
    try:
        for content_type in CONTENT_TYPES:
            samples = []
            for _ in range(args.runs):
                report = await stream_check(url, content_type=content_type, seconds=0.2)
                if not report.ok:
                    print(f"check failed: {report.verdict}", file=sys.stderr)
                    return 1
                samples.append(report.first_audio_ms)
            figures = {
                "runs": len(samples),
                "median": round(statistics.median(samples), 2),
                "p95": round(pct(samples, 0.95), 2),
                "max": round(max(samples), 2),
            }
            results["first_audio_ms"][content_type] = figures
            ok = ok and figures["max"] < FIRST_AUDIO_TARGET_MS
            print(
                f"first audio  {content_type:24}  median {figures['median']:6.2f} ms  "
                f"p95 {figures['p95']:6.2f} ms  max {figures['max']:6.2f} ms  "
                f"({len(samples)} checks)"
            )

        report = await stream_check(
            url, content_type=args.content_type, seconds=args.seconds, timeout=10
        )
        expected = round(args.seconds * 50)
        dropped = report.frames_sent - report.frames_received
        long_run = {
            "content_type": report.content_type,
            "seconds": args.seconds,
            "frames_expected": expected,
            "frames_sent": report.frames_sent,
            "frames_received": report.frames_received,
            "frames_dropped": dropped,
            "audio_ms_received": round(report.audio_ms_received, 1),
            "first_audio_ms": round(report.first_audio_ms or -1, 2),
            "send_lag_max_ms": round(report.send_lag_max_ms, 2),
            "late_frames": report.late_frames,
            "wall_ms": round(report.duration_ms, 1),
            "ok": report.ok,
        }
        results["long_run"] = long_run
        ok = ok and report.ok and dropped == 0 and report.frames_sent == expected
        print(
            f"long run     {report.content_type:24}  {args.seconds:g} s: sent {report.frames_sent}"
            f" / received {report.frames_received} frames, dropped {dropped}, "
            f"{report.audio_ms_received / 1000:.2f} s of audio back, "
            f"send lag max {report.send_lag_max_ms:.2f} ms, late frames {report.late_frames}, "
            f"wall {report.duration_ms / 1000:.2f} s"
        )
    finally:
        proc.terminate()
        await proc.wait()
    results["targets_met"] = ok
    if args.json:
        print(json.dumps(results))
    print(
        "targets: first audio < 100 ms, 0 frames dropped -> " + ("MET" if ok else "NOT MET"),
        file=sys.stderr,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the long run")
    parser.add_argument("--runs", type=int, default=20, help="short checks per content type")
    parser.add_argument("--content-type", default="audio/x-mulaw;rate=8000")
    parser.add_argument("--mode", choices=["echo", "tone"], default="echo")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    sys.exit(asyncio.run(main(parser.parse_args())))
