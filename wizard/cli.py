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
from wizard.plivo.facts import AUTH_TYPES, SIP_DOMAIN, sip_uri

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
    "sip-probe": "wizard.commands.sip_probe:cmd_sip_probe",
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


def _sip_probe_options(p: argparse.ArgumentParser) -> None:
    """The options of `byon sip-probe` (shared/contracts/sip.md section 2)."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--app", metavar="APP_ID", help=f"probe {sip_uri('APP_ID')}")
    g.add_argument("--uri", metavar="SIP_URI", help="probe this SIP URI instead")
    p.add_argument(
        "--host",
        metavar="HOST",
        help="send to this host (e.g. the emulator's edge) instead of resolving the URI's "
        "host; the Request-URI stays the same (default: DNS)",
    )
    p.add_argument("--port", type=int, metavar="N", help="UDP/TCP port (default: SRV, else 5060)")
    p.add_argument("--tls-port", type=int, metavar="N", help="TLS port (default: SRV, else 5061)")
    p.add_argument(
        "--transport",
        choices=["udp", "tcp", "tls", "all"],
        default="all",
        help="reach these; the INVITEs use the first that answers, UDP first (default: all)",
    )
    p.add_argument("--username", metavar="USER", help="SIP username for the authenticated INVITE")
    p.add_argument(
        "--password-env",
        metavar="VAR",
        help="name of the environment variable holding the SIP password (never a flag)",
    )
    p.add_argument(
        "--call",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="let the authenticated call be answered and hold it this long with RTP silence, "
        "so a `byon verify` listener sees the callback (default: 0, CANCEL before the answer)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="the whole probe's time limit while the far end is silent (default: 5)",
    )
    p.add_argument(
        "--ca-file", metavar="PEM", help="verify TLS against these CAs (default: the system's)"
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="when the lockout guard (3 failed auth attempts per target in 60 s) is full, "
        "wait for a free slot instead of stopping (default: stop)",
    )
    p.add_argument(
        "--bind",
        metavar="ADDRESS",
        help="send from this local address (default: the one the system routes through)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per check")


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
    p.add_argument("--sip-port", type=int, default=0, help="SIP on UDP and TCP (0: a free port)")
    p.add_argument("--sip-tls-port", type=int, default=0, help="SIP over TLS (0: a free port)")
    p.add_argument("--no-sip", action="store_true", help="no SIP edge, only the HTTP route")
    p.add_argument(
        "--sip-source-map",
        metavar="LOOPBACK=PUBLIC",
        action="append",
        default=[],
        help="a loopback source stands for a public IP (repeatable), e.g. 127.0.0.2=203.0.113.10",
    )

    p = sub.add_parser("apply", parents=[api], help="make the account match a plan file")
    p.add_argument("plan", metavar="PLAN.toml")
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="only print the warnings and changes; sends no change and writes no file",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--rotate-password",
        action="store_true",
        help="set an existing credential's password (from its password_env, else generated); "
        "needed when the credential exists but was not made from this plan",
    )
    p.add_argument(
        "--allow-wide-acl",
        action="store_true",
        help="apply IP ACL entries wider than /16 (IPv4) or /48 (IPv6), which byon audit "
        "flags; refused without this flag",
    )
    p.add_argument(
        "--allow-open-sip",
        action="store_true",
        help="apply a plan that leaves the application's SIP URI accepting calls with no "
        "authentication (DID forwarding; toll-fraud risk); refused without this flag",
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
    p.add_argument(
        "--list-providers",
        action="store_true",
        help="list the providers and their facts (source, verified date; stale ones marked)",
    )
    p.add_argument(
        "--snippet",
        metavar="FILE",
        help="print only this snippet, exactly as the file (e.g. kamailio.cfg, pjsip.conf)",
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="judge which facts are stale (over 90 days) as of this day; default: today",
    )
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
    p.add_argument(
        "--probe",
        action="store_true",
        help="send each listed app's SIP URI an INVITE without credentials (byon sip-probe's "
        "unauthenticated check), so an open app is proven (default: off)",
    )
    p.add_argument(
        "--probe-host",
        metavar="HOST",
        help=f"send the probes here instead of resolving {SIP_DOMAIN} (default: DNS)",
    )
    p.add_argument(
        "--probe-port", type=int, metavar="N", help="port of --probe-host (default 5060)"
    )
    p.add_argument(
        "--probe-timeout", type=float, default=5.0, metavar="S", help="per probe (default: 5)"
    )

    p = sub.add_parser("stream-check", help="check an agent's WebSocket as Plivo streams audio")
    p.add_argument("url", metavar="URL")
    p.add_argument("--content-type", default="audio/x-mulaw;rate=8000")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS")
    p.add_argument("--seconds", type=float, default=3.0, help="seconds of test audio to send")
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.add_argument(
        "--signed-url-form",
        choices=["wss", "https"],
        default="wss",
        help="which form of the URL the upgrade's V3 signature covers (a guess; default wss)",
    )
    p.add_argument(
        "--no-sign", action="store_true", help="do not sign the upgrade even with PLIVO_AUTH_TOKEN"
    )

    p = sub.add_parser("echo-agent", help="a minimal bidirectional stream agent")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mode", choices=["echo", "tone"], default="echo")

    p = sub.add_parser(
        "sip-probe",
        help="test an app's SIP side from here: DNS, reach, and whether it is open to strangers",
    )
    _sip_probe_options(p)

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
