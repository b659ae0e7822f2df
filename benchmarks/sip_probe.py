"""Figures for `byon sip-probe` (issue 13): all checks against the emulator's SIP edge,
a silent host's verdict against --timeout, and 20 wrong-password runs. Loopback only.

    PYTHONPATH=$PWD python benchmarks/sip_probe.py

Prints: the in-process wall time of every check (median of 10 runs), the wall time of
the `byon sip-probe` command (process start included), the silent host's verdict time,
and the lockouts caused by 20 runs with a wrong password.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from tests.sipedge_fixtures import SPEAK, make_apps, start_edge  # noqa: E402
from wizard.sip import Credentials  # noqa: E402
from wizard.sip.probe import ProbeOptions, run_probe  # noqa: E402


async def answer_server() -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(text=SPEAK, content_type="text/xml")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/answer"


async def main() -> None:
    runner, url = await answer_server()
    edge = await start_edge(1.0)
    apps = await make_apps(edge.emu, url)
    folder = Path(tempfile.mkdtemp(prefix="byon-probe-bench-"))

    def opts(**kw) -> ProbeOptions:
        base = dict(
            request_uri=f"sip:{apps.credential}@app.plivo.com", host="127.0.0.1",
            port=edge.port, tls_port=edge.tls_port, ca_file=edge.ca_cert,
            credentials=Credentials(apps.username, apps.password), guard_folder=folder,
        )  # fmt: skip
        base.update(kw)
        return ProbeOptions(**base)

    walls, per_check = [], {}
    for _ in range(10):
        started = time.perf_counter()
        results = await run_probe(opts())
        walls.append((time.perf_counter() - started) * 1000)
        assert all(r.ok for r in results), [r.detail for r in results if not r.ok]
        for r in results:
            per_check.setdefault(f"{r.check} {r.transport or ''}".strip(), []).append(r.ms)
    print(f"all checks in-process, median of 10: {statistics.median(walls):.0f} ms wall")
    for name, values in per_check.items():
        print(f"  {name:<22} {statistics.median(values):6.1f} ms")

    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_PW": apps.password}
    env["BYON_STATE_DIR"] = str(folder)
    cmd = [
        sys.executable, "-m", "wizard", "sip-probe", "--app", apps.credential,
        "--host", "127.0.0.1", "--port", str(edge.port), "--tls-port", str(edge.tls_port),
        "--ca-file", edge.ca_cert, "--username", apps.username, "--password-env", "BENCH_PW",
        "--json",
    ]  # fmt: skip
    cli = []
    for _ in range(5):
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *cmd, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        await proc.communicate()
        cli.append((time.perf_counter() - started) * 1000)
        assert proc.returncode == 0
    print(f"`byon sip-probe` command, all checks, median of 5: {statistics.median(cli):.0f} ms")

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    for timeout in (1.0, 3.0):
        started = time.perf_counter()
        await run_probe(opts(port=silent.getsockname()[1], credentials=None, timeout=timeout))
        took = time.perf_counter() - started
        print(f"silent host, --timeout {timeout:.0f}: verdict after {took:.2f} s")
    silent.close()

    wrong = Credentials(apps.username, "wrong-password")
    for _ in range(20):
        await run_probe(opts(credentials=wrong, transport="udp", local_host="127.0.0.2"))
    failures = len(edge.emu.state.failures.get("203.0.113.10", []))
    print(
        f"20 wrong-password runs: {len(edge.emu.state.locked_until)} lockouts, "
        f"{failures} failed attempts seen by the edge (Plivo locks at 10)"
    )
    await edge.emu.stop()
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
