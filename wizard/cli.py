"""The `byon` command line (shared/contracts/cli.md).

Only argparse and the standard library are imported here: each command's
module is imported when that command runs, so `byon --help` and
`byon CMD --help` never load Textual, aiohttp or the plivo SDK.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

from wizard import __version__
from wizard.plivo.facts import AUTH_TYPES, SIP_DOMAIN, sip_uri

# command -> "module:function"; each function takes the parsed args and returns an exit code.
COMMANDS = {
    None: "wizard.launch:run_wizard",
    "demo": "wizard.launch:run_demo",
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

# the two faces that open the wizard; the app resumes the collector after its first paint
TUI_COMMANDS = (None, "demo")


EPILOG = """\
Credentials come from PLIVO_AUTH_ID and PLIVO_AUTH_TOKEN (never a flag).
Without them, `byon` offers demo, offline planning, or typing them in.
"""


def _api_parent(default: object = None) -> argparse.ArgumentParser:
    """``--api-url``, for `byon` itself and for each command that talks to Plivo.

    A command's copy must default to SUPPRESS: argparse copies a subcommand's defaults
    over the values given before the command, so `byon --api-url URL audit` would lose
    the URL and go to the real Plivo."""
    import argparse

    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--api-url",
        metavar="URL",
        default=default,
        help="Plivo REST base URL; point it at `byon emulator` to rehearse "
        "(env PLIVO_API_URL; default: https://api.plivo.com)",
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
    p.add_argument(
        "--username",
        metavar="USER",
        help="SIP username for the authenticated INVITE (default: skip that INVITE)",
    )
    p.add_argument(
        "--password-env",
        metavar="VAR",
        help="name of the environment variable holding the SIP password (never a flag; "
        "default: none, as for --username)",
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
    """The `byon` parser and every subcommand; each one's --help opens with its listed line."""
    import argparse  # here, not at import: `byon demo` starts without it

    api = _api_parent(argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="byon",
        description="Bring your own number to Plivo: route an external number to a Plivo "
        "application (DID forwarding or Direct SIP) and verify it with a test call.",
        epilog=EPILOG,
        parents=[_api_parent()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--plan",
        metavar="FILE",
        help="open the wizard at review with this plan file's choices "
        "(default: start from the first step)",
    )
    parser.add_argument("--version", action="version", version=f"byon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _wizard_and_emulator(sub)
    _plan_commands(sub, api)
    _verify_command(sub, api)
    _tools(sub, api)
    # each command's --help opens with the line `byon --help` lists it under
    for action in sub._choices_actions:
        command = sub.choices[action.dest]
        command.description = command.description or f"byon {action.dest}: {action.help}."
    return parser


def _wizard_and_emulator(sub: Any) -> None:
    """`byon demo` and `byon emulator`."""

    # no --api-url: the demo always runs its own emulator, in this process
    p = sub.add_parser(
        "demo",
        help="the wizard against a built-in emulator",
        description="The wizard against an in-process Plivo emulator with sample data: "
        "no account, no network. Test calls are simulated.",
    )
    p.add_argument(
        "--plan",
        metavar="FILE",
        help="open the demo at review with this plan file's choices "
        "(default: start at the route choice)",
    )

    p = sub.add_parser("emulator", help="run the Plivo API emulator as a server")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=0, help="port to listen on; 0 picks a free one (default: 0)"
    )
    p.add_argument(
        "--state",
        metavar="FILE",
        help="load the account from this JSON file and save it there (default: in memory only)",
    )
    p.add_argument(
        "--seed",
        choices=["demo"],
        help="start with the demo's sample data (default: an empty account)",
    )
    p.add_argument(
        "--sip-port", type=int, default=0, help="SIP on UDP and TCP (default: 0, a free port)"
    )
    p.add_argument(
        "--sip-tls-port", type=int, default=0, help="SIP over TLS (default: 0, a free port)"
    )
    p.add_argument("--no-sip", action="store_true", help="no SIP edge, only the HTTP route")
    p.add_argument(
        "--sip-source-map",
        metavar="LOOPBACK=PUBLIC",
        action="append",
        default=[],
        help="a loopback source stands for a public IP (repeatable), e.g. "
        "127.0.0.2=203.0.113.10 (default: none; --seed demo brings its own)",
    )


def _plan_commands(sub: Any, api: argparse.ArgumentParser) -> None:
    """The commands that read or write a plan: apply, export, settings."""
    p = sub.add_parser("apply", parents=[api], help="make the account match a plan file")
    p.add_argument("plan", metavar="PLAN.toml", help="the plan file to apply")
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="only print the warnings and changes; sends no change and writes no file",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
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
        help="outside a terminal: put a generated SIP password in this new file (0600) "
        "(default: none; set the plan's password_env instead)",
    )

    p = sub.add_parser("export", parents=[api], help="write an application's routing as a plan")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--app", metavar="APP_ID", help="the application to export, by app_id")
    g.add_argument("--app-name", metavar="NAME", help="the application to export, by name")
    p.add_argument("-o", "--output", metavar="FILE", help="write the plan here (default: stdout)")
    p.add_argument(
        "--external-number",
        metavar="E164",
        help="the number kept at your provider, e.g. +14155550100 (default: left empty)",
    )

    p = sub.add_parser("settings", help="print the provider-side settings for a plan")
    p.add_argument("plan", metavar="PLAN.toml", nargs="?", help="the plan to print settings for")
    p.add_argument(
        "--provider", metavar="KEY", help="provider template to use (default: the plan's provider)"
    )
    p.add_argument(
        "--list-providers",
        action="store_true",
        help="list the providers and their facts (source, verified date; stale ones marked)",
    )
    p.add_argument(
        "--snippet",
        metavar="FILE",
        help="print only this snippet, exactly as the file (e.g. kamailio.cfg, pjsip.conf; "
        "default: every setting and snippet)",
    )
    p.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="judge which facts are stale (over 90 days) as of this day; default: today",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _verify_command(sub: Any, api: argparse.ArgumentParser) -> None:
    """`byon verify`: headless verification."""
    p = sub.add_parser("verify", parents=[api], help="listen for answer_url callbacks")
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default="127.0.0.1:8080",
        help="where the listener runs (default: %(default)s)",
    )
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="where Plivo reaches this listener: your own tunnel or server forwarding to "
        "--listen; byon starts no tunnel (default: none, local calls only)",
    )
    p.add_argument(
        "--app",
        metavar="APP_ID",
        help="point this app's answer_url at the listener meanwhile (needs --public-url); "
        "restored on exit (default: no app is changed)",
    )
    p.add_argument(
        "--plan", metavar="FILE", help="judge calls against this plan (default: no expectation)"
    )
    p.add_argument(
        "--expect",
        metavar="AUTH_TYPE",
        choices=[*AUTH_TYPES, "none"],
        help="the SIPAuthType a correct call carries: ip_acl, credential, "
        "ip_acl_and_credential or none (default: from --plan)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop listening after this long (default: until Ctrl-C)",
    )
    p.add_argument(
        "--exit-on-pass", action="store_true", help="exit 0 right after the first passing call"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per callback on stdout")
    p.add_argument(
        "--no-preflight",
        action="store_true",
        help="skip the check that the public URL reaches the listener",
    )
    p.add_argument(
        "--call-from",
        metavar="NUMBER",
        help="place a test call from this Plivo number, with --call-to and --public-url "
        "(default: no call; you place it)",
    )
    p.add_argument(
        "--call-to",
        metavar="NUMBER",
        help="the external number the test call goes to (default: none)",
    )


def _tools(sub: Any, api: argparse.ArgumentParser) -> None:
    """audit, stream-check, echo-agent, serve."""
    p = sub.add_parser("audit", parents=[api], help="find risky routing in the account")
    p.add_argument("--json", action="store_true", help="one JSON object per finding on stdout")
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
    p.add_argument("url", metavar="URL", help="the agent's WebSocket URL (wss://…)")
    p.add_argument(
        "--content-type",
        default="audio/x-mulaw;rate=8000",
        help="audio format to stream, as in <Stream contentType> (default: %(default)s)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="give up after this long (default: %(default)s)",
    )
    p.add_argument(
        "--seconds",
        type=float,
        default=3.0,
        help="seconds of test audio to send (default: %(default)s)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
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
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    p.add_argument(
        "--port", type=int, default=0, help="port to listen on; 0 picks a free one (default: 0)"
    )
    p.add_argument(
        "--mode",
        choices=["echo", "tone"],
        default="echo",
        help="echo the caller's audio back, or play a tone (default: %(default)s)",
    )

    p = sub.add_parser(
        "sip-probe",
        help="test an app's SIP side from here: DNS, reach, and whether it is open to strangers",
    )
    _sip_probe_options(p)

    p = sub.add_parser("serve", help="the wizard in a browser")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port to serve on (default: %(default)s)")


# `byon` and `byon demo` with no option: the wizard's own start needs no parser, and
# building one (every command's options) costs the first paint a few milliseconds
BARE_STARTS = {(): None, ("demo",): "demo"}


def _parse(argv: Sequence[str] | None) -> object:
    given = tuple(sys.argv[1:] if argv is None else argv)
    if given in BARE_STARTS:
        from types import SimpleNamespace

        return SimpleNamespace(command=BARE_STARTS[given], plan=None, api_url=None)
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code: 2 for an unusable --api-url, 130 on Ctrl-C;
    the collector stays paused for the wizard faces until their first paint."""
    args = _parse(argv)
    # the demo talks only to its own emulator: PLIVO_API_URL is not its business
    if hasattr(args, "api_url") and getattr(args, "command", None) != "demo":
        problem = _api_url_problem(args.api_url)
        if problem:
            print(f"byon: {problem}", file=sys.stderr)
            return 2
    target = COMMANDS[args.command]
    from wizard import collector

    paused = args.command in TUI_COMMANDS and collector.pause()
    try:
        module_name, func_name = target.split(":")
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("byon: interrupted", file=sys.stderr)
        return 130
    finally:
        if paused:  # the wizard never painted (no terminal, a bad plan): on again all the same
            collector.resume(freeze=False)


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
