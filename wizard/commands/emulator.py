"""`byon emulator`: serve the Plivo emulator until SIGINT/SIGTERM.

The first stdout line is one JSON object (api_url, auth_id, auth_token) so a
script can read it; everything after goes to stderr for people.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import signal
import sys
from typing import Any


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _say(text: str) -> None:
    print(f"byon emulator: {text}", file=sys.stderr, flush=True)


async def serve(host: str, port: int, state: str | None, seed: str | None) -> int:
    from wizard.emulator.server import Emulator
    from wizard.errors import ByonError

    if state and os.path.islink(state):
        _say(f"{state} is a symbolic link; the state file is written only as a regular file.")
        return 2
    try:
        emu = Emulator(seed=seed, state_file=state)
    except ByonError as exc:
        _say(str(exc))
        return 2
    except (OSError, ValueError, KeyError) as exc:
        _say(f"cannot load the state file {state}: {exc}. Fix or remove it, then start again.")
        return 2
    try:
        await emu.start(host, port)
    except OSError as exc:
        _say(f"cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port.")
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    info: dict[str, Any] = {
        "api_url": emu.api_url,
        "auth_id": emu.auth_id,
        "auth_token": emu.auth_token,
    }
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    emu.on_request = lambda e: _say(f"{e['method']} {e['path']} -> {e['status'] or 'dropped'}")
    _say(f"serving Plivo's API at {emu.api_url}/v1/Account/{emu.auth_id}/")
    _say(f"control surface at {emu.api_url}/__emulator__/ (loopback only)")
    if not _is_loopback_host(host):
        _say(
            f"warning: listening on {host}; the REST API is reachable from other machines, "
            "the control surface still answers loopback only"
        )
    if state:
        _say(f"state is saved to {state} after every change")
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await emu.stop()
    _say("stopped")
    return 0


def run(args: Any) -> int:
    return asyncio.run(
        serve(
            getattr(args, "host", "127.0.0.1"),
            getattr(args, "port", 0),
            getattr(args, "state", None),
            getattr(args, "seed", None),
        )
    )
