"""``byon serve``: the wizard in a browser, through textual-serve.

Each browser tab gets its own wizard process, once it has shown the session token
printed with the URL (wizard/commands/serve_web.py). Without Plivo credentials in
this server's environment the wizard runs as ``byon demo`` (the in-process
emulator, no account, no network); with ``PLIVO_AUTH_ID``/``PLIVO_AUTH_TOKEN``
set it runs on that account, which is why a non-loopback bind gets a loud
warning: whoever reaches the port drives the wizard with those credentials.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import socket
import sys
from collections.abc import Mapping
from typing import Any

from wizard.net import is_loopback_host


def has_credentials(env: Mapping[str, str]) -> bool:
    """True when the wizard this server starts would run on a real account."""
    from wizard.plivo.env import has_credentials as both_set

    return both_set(env)


def wizard_command(env: Mapping[str, str]) -> str:
    """The shell command each browser session runs.

    Built from this interpreter so it works from a virtualenv without ``byon``
    on PATH. Credentials reach the child through the environment it inherits,
    never through this command line.
    """
    argv = [sys.executable, "-m", "wizard"]
    if not has_credentials(env):
        argv.append("demo")
    return shlex.join(argv)


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host.strip("[]"), 0))
        return int(sock.getsockname()[1])


def _url_host(host: str) -> str:
    """The host part of the page's own URL (the page's WebSocket goes back to it)."""
    bare = host.strip("[]")
    if bare in ("0.0.0.0", "::", ""):
        bare = socket.gethostname()
    return f"[{bare}]" if ":" in bare else bare


def bind_error(host: str, port: int, exc: OSError) -> str:
    """A sentence for a failed listen: what happened and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return f"cannot listen on {host}:{port}: the port is in use. Pick another --port."
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"cannot listen on {host}:{port}: that address is not on this machine. "
            "Use --host 127.0.0.1."
        )
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}."


def exposure_warning(host: str, env: Mapping[str, str]) -> str:
    """The warning printed when --host is not loopback (naming whose account is then
    reachable); "" on loopback."""
    if is_loopback_host(host):
        return ""
    who = (
        "with the Plivo account in PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN"
        if has_credentials(env)
        else "(demo mode)"
    )
    return (
        f"WARNING: serving on {host}, not loopback: anyone who can reach this port can drive "
        f"the wizard {who}. Use --host 127.0.0.1 unless this network is trusted."
    )


def cmd_serve(args: Any) -> int:
    """Serve the wizard over HTTP until SIGINT/SIGTERM.

    The first stdout line is ``{"url": ..., "mode": "demo"|"account"}`` so
    scripts can find the page when ``--port 0`` picked a free port; the URL carries
    the session token (``/?token=...``), printed only there.
    """
    env = os.environ
    host = args.host
    try:
        port = args.port if args.port else _free_port(host)
    except OSError as exc:
        print(f"byon serve: {bind_error(host, 0, exc)}", file=sys.stderr)
        return 2
    if not 0 < port < 65536:
        print(f"byon serve: --port {port} is out of range (1-65535).", file=sys.stderr)
        return 2
    warning = exposure_warning(host, env)
    if warning:
        bar = "!" * min(100, len(warning))
        print(f"{bar}\n{warning}\n{bar}", file=sys.stderr)
    mode = "account" if has_credentials(env) else "demo"
    url = f"http://{_url_host(host)}:{port}"
    # textual-serve is an aiohttp server that runs the wizard as a subprocess; it does not
    # import Textual itself, so this module stays Textual-free (tests/check_layers.py).
    from wizard.commands.serve_web import GuardedServer, new_token

    token = new_token()
    # Printed once, here, as Jupyter does: whoever has this URL can drive the wizard.
    print(json.dumps({"url": f"{url}/?token={token}", "mode": mode}), flush=True)
    server = GuardedServer(
        wizard_command(env),
        token=token,
        loopback=is_loopback_host(host),
        host=host.strip("[]"),
        port=port,
        title="byon",
        public_url=url,
    )
    try:
        server.serve()
    except OSError as exc:
        print(f"byon serve: {bind_error(host, port, exc)}", file=sys.stderr)
        return 2
    return 0
