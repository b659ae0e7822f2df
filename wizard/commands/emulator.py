"""`byon emulator`: serve the Plivo emulator until SIGINT/SIGTERM.

The first stdout line is one JSON object (api_url, auth_id, auth_token, and ``sip``:
the SIP edge's addresses, or null with ``--no-sip``) so a script can read it;
everything after goes to stderr for people.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from typing import Any

from wizard.net import is_loopback_host
from wizard.plivo.facts import SIP_DOMAIN
from wizard.text import plain


def _say(text: str) -> None:
    print(f"byon emulator: {text}", file=sys.stderr, flush=True)


async def _start_sip(emu: Any, host: str, sip: dict[str, Any]) -> bool:
    port, tls_port = sip.get("port", 0), sip.get("tls_port", 0)
    try:
        await emu.start_sip(host, port, tls_port=tls_port)
    except OSError as exc:
        ports = f"{port} (UDP/TCP) or {tls_port} (TLS)"
        _say(f"cannot listen for SIP on {host} port {ports}: {exc.strerror or exc}. Pick "
             "another --sip-port/--sip-tls-port, or --no-sip.")  # fmt: skip
        await emu.stop()
        return False
    return True


async def serve(
    host: str, port: int, state: str | None, seed: str | None, sip: dict[str, Any] | None = None
) -> int:
    """Run the emulator (and its SIP edge unless ``sip`` is None) until a signal."""
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
    if sip is not None:
        emu.source_map.update(sip.get("source_map") or {})  # explicit maps win over the seed's
    try:
        await emu.start(host, port)
    except OSError as exc:
        _say(f"cannot listen on {host}:{port}: {exc.strerror or exc}. Pick another --port.")
        return 1
    if sip is not None and not await _start_sip(emu, host, sip):
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    info: dict[str, Any] = {
        "api_url": emu.api_url,
        "auth_id": emu.auth_id,
        "auth_token": emu.auth_token,
        "sip": emu.sip_info(),
    }
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    emu.on_request = _log_request
    _say(f"serving Plivo's API at {emu.api_url}/v1/Account/{emu.auth_id}/")
    _say(f"control surface at {emu.api_url}/__emulator__/ (loopback only, the same Basic auth)")
    if not is_loopback_host(host):
        _say(
            f"warning: listening on {host}; the REST API is reachable from other machines, "
            "the control surface still answers loopback only"
        )
    if state:
        _say(f"state is saved to {state} after every change")
    if emu.sip is not None:
        _say_sip(emu)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        await emu.stop()
    _say("stopped")
    return 0


def _log_request(e: dict[str, Any]) -> None:
    # the path is the client's, percent-decoded: inert and bounded, so `%1b[31m` or
    # `%0a` cannot colour the terminal or forge a line
    _say(f"{plain(e['method'], 20)} {plain(e['path'])} -> {e['status'] or 'dropped'}")


def _say_sip(emu: Any) -> None:
    info = emu.sip_info()
    _say(f"SIP edge for {SIP_DOMAIN}: udp {info['udp']}, tcp {info['tcp']}, tls {info['tls']}")
    if info["ca_cert"]:
        _say(f"TLS certificate (self-signed, trust it as a CA): {info['ca_cert']}")
    elif emu.sip.tls_note:
        _say(emu.sip.tls_note)
    for source, public in sorted(emu.source_map.items()):
        _say(f"SIP from {source} stands for {public}")


def _sip_options(args: Any) -> dict[str, Any] | None:
    """The SIP edge's settings from the arguments; ValueError with a sentence when wrong."""
    if getattr(args, "no_sip", False):
        return None
    from wizard.emulator.sipwire.edge import parse_source_map

    ports = {"port": getattr(args, "sip_port", 0), "tls_port": getattr(args, "sip_tls_port", 0)}
    for name, value in ports.items():
        if not 0 <= value <= 65535:
            raise ValueError(f"--sip-{name.replace('_', '-')} must be 0-65535, not {value}")
    return {**ports, "source_map": parse_source_map(getattr(args, "sip_source_map", None) or [])}


def run(args: Any) -> int:
    """`byon emulator`."""
    try:
        sip = _sip_options(args)
    except ValueError as exc:
        _say(f"{exc}.")
        return 2
    return asyncio.run(
        serve(
            getattr(args, "host", "127.0.0.1"),
            getattr(args, "port", 0),
            getattr(args, "state", None),
            getattr(args, "seed", None),
            sip,
        )
    )
