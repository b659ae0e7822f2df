"""The `byon` command line (shared/contracts/cli.md).

Only argparse and the standard library are imported here: each command's
module is imported when that command runs, so `byon --help` and
`byon CMD --help` never load Textual, aiohttp or the plivo SDK.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from wizard import __version__
from wizard.plivo.facts import AUTH_TYPES

# command -> "module:function"; each function takes the parsed args and returns an exit code.
COMMANDS = {
    None: "wizard.app:run_wizard",
    "demo": "wizard.app:run_demo",
    "emulator": "wizard.commands.emulator:run",
    "apply": "wizard.commands.apply:run_apply",
    "export": "wizard.commands.export:run_export",
    "settings": "wizard.commands.settings:cmd_settings",
    "verify": "wizard.commands.verify:cmd_verify",
    "audit": "wizard.commands.audit:cmd_audit",
    "stream-check": "wizard.commands.stream:cmd_stream_check",
    "echo-agent": "wizard.commands.stream:cmd_echo_agent",
    "serve": "wizard.commands.serve:cmd_serve",
}

EPILOG = """\
Credentials come from PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN (never a flag).
Without them, `byon` offers demo, offline planning, or typing them in.
"""


def _api_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--api-url",
        metavar="URL",
        default=None,
        help="Plivo REST base (env PLIVO_API_URL; default https://api.plivo.com)",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    api = _api_parent()
    parser = argparse.ArgumentParser(
        prog="byon",
        description="Bring your own number to Plivo: route an external number to a Plivo "
        "application (DID forwarding or Direct SIP) and verify it with a test call.",
        epilog=EPILOG,
        parents=[api],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--plan", metavar="FILE", help="pre-fill the wizard from a plan file")
    parser.add_argument("--version", action="version", version=f"byon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("demo", parents=[api], help="the wizard against a built-in emulator")
    p.add_argument("--plan", metavar="FILE", help="pre-fill the wizard from a plan file")

    p = sub.add_parser("emulator", help="run the Plivo API emulator as a server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--state", metavar="FILE", help="load and persist state as JSON")
    p.add_argument("--seed", choices=["demo"], help="load the demo's sample data")

    p = sub.add_parser("apply", parents=[api], help="make the account match a plan file")
    p.add_argument("plan", metavar="PLAN.toml")
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    p.add_argument("--dry-run", action="store_true", help="only print the changes")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--rotate-password",
        action="store_true",
        help="set an existing credential's password (from its password_env, else generated)",
    )
    p.add_argument(
        "--password-file",
        metavar="PATH",
        help="outside a terminal: put a generated SIP password in this new file (0600)",
    )

    p = sub.add_parser("export", parents=[api], help="write an application's routing as a plan")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--app", metavar="APP_ID")
    g.add_argument("--app-name", metavar="NAME")
    p.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    p.add_argument(
        "--external-number", metavar="E164", help="the number kept at your provider (route)"
    )

    p = sub.add_parser("settings", help="print the provider-side settings for a plan")
    p.add_argument("plan", metavar="PLAN.toml", nargs="?")
    p.add_argument("--provider", metavar="KEY", help="default: the plan's provider")
    p.add_argument("--list-providers", action="store_true", help="list provider keys")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("verify", parents=[api], help="listen for answer_url callbacks")
    p.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8080")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="where Plivo reaches this listener: your own tunnel or server forwarding to "
        "--listen (byon starts no tunnel)",
    )
    p.add_argument("--app", metavar="APP_ID", help="point this app's answer_url here meanwhile")
    p.add_argument("--plan", metavar="FILE", help="judge calls against this plan")
    p.add_argument(
        "--expect",
        metavar="AUTH_TYPE",
        choices=[*AUTH_TYPES, "none"],
    )
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS")
    p.add_argument("--exit-on-pass", action="store_true")
    p.add_argument("--json", action="store_true", help="one JSON object per callback")
    p.add_argument("--no-preflight", action="store_true", help="skip the reachability check")
    p.add_argument("--call-from", metavar="NUMBER", help="place a test call from this Plivo number")
    p.add_argument("--call-to", metavar="NUMBER", help="... to this external number")

    p = sub.add_parser("audit", parents=[api], help="find risky routing in the account")
    p.add_argument("--json", action="store_true", help="one JSON object per finding")

    p = sub.add_parser("stream-check", help="check an agent's WebSocket as Plivo streams audio")
    p.add_argument("url", metavar="URL")
    p.add_argument("--content-type", default="audio/x-mulaw;rate=8000")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS")
    p.add_argument("--seconds", type=float, default=3.0, help="seconds of test audio to send")
    p.add_argument("--json", action="store_true", help="one JSON object")

    p = sub.add_parser("echo-agent", help="a minimal bidirectional stream agent")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", choices=["echo", "tone"], default="echo")

    p = sub.add_parser("serve", help="the wizard in a browser")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "api_url"):
        problem = _api_url_problem(args.api_url)
        if problem:
            print(f"byon: {problem}", file=sys.stderr)
            return 2
    target = COMMANDS[args.command]
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("byon: interrupted", file=sys.stderr)
        return 130


def _api_url_problem(explicit: str | None) -> str:
    """Why --api-url / PLIVO_API_URL cannot be used ("" when it can), before any command runs."""
    from wizard.errors import ByonError
    from wizard.plivo.env import api_url_from_env

    try:
        api_url_from_env(explicit)
    except ByonError as exc:
        return str(exc)
    return ""


if __name__ == "__main__":
    sys.exit(main())
