"""`byon --help` and every `byon CMD --help` print without loading Textual, aiohttp or plivo."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from wizard.cli import COMMANDS, build_parser

HEAVY = ("textual", "aiohttp", "plivo", "httpx")

PROBE = (
    f"HEAVY = {HEAVY!r}\n"
    + """
import sys, io, contextlib
from wizard.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    try:
        main(sys.argv[1:])
    except SystemExit as e:
        code = e.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(HEAVY))
print(code, ",".join(heavy))
print(buf.getvalue())
"""
)


def _help(*argv: str) -> tuple[int, str, str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *argv, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    first, _, rest = out.stdout.partition("\n")
    code, _, heavy = first.partition(" ")
    return int(code), heavy, rest


SUBCOMMANDS = sorted(c for c in COMMANDS if c)


def test_top_level_help_is_light():
    code, heavy, text = _help()
    assert code == 0
    assert heavy == ""
    assert "usage: byon" in text
    for command in SUBCOMMANDS:
        assert command in text


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_command_help_is_light(command):
    code, heavy, text = _help(command)
    assert code == 0
    assert heavy == "", f"byon {command} --help imported {heavy}"
    assert f"byon {command}" in text


def test_no_token_flag_anywhere():
    """The auth token is never a command-line flag (it would leak into shell history and ps)."""
    parser = build_parser()
    actions = list(parser._actions)
    for sub in parser._subparsers._group_actions:
        for p in sub.choices.values():
            actions.extend(p._actions)
    # A switch such as --rotate-password carries no secret; an option that takes a value
    # would, unless the value is a path (--password-file names where a new secret goes).
    valued = {opt for a in actions if a.nargs != 0 for opt in a.option_strings}
    # --password-env takes the NAME of a variable (sip-probe reads the password from it)
    valued = {opt for opt in valued if not opt.endswith("-env")}
    valued = {f for f in valued if not f.endswith("-file")}
    assert not any("token" in f or "password" in f or "secret" in f for f in valued), valued


def test_bad_option_exits_2():
    out = subprocess.run(
        [sys.executable, "-m", "wizard", "apply", "plan.toml", "--no-such-flag"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in out.stderr


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    found = {"byon": parser}
    for sub in parser._subparsers._group_actions:
        found.update({f"byon {name}": p for name, p in sub.choices.items()})
    return found


@pytest.mark.parametrize("command", ["byon", *(f"byon {c}" for c in SUBCOMMANDS)])
def test_every_option_says_what_it_does_and_its_default(command):
    """`--help` explains each option; one that takes a value says what happens without it."""
    parser = _commands()[command]
    # one of a required group must be given: such an option has no default to state
    required = {
        a for g in parser._mutually_exclusive_groups if g.required for a in g._group_actions
    }
    for action in parser._actions:
        if action.dest in ("help", "version", "command") or action in required:
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help and len(action.help) > 8, f"{command} {name} has no description"
        takes_value = action.option_strings and action.nargs != 0
        if (takes_value and action.choices is None) or action.default not in (None, False):
            assert "default" in action.help, f"{command} {name} does not give its default"


def test_demo_help_offers_no_api_url():
    """The demo runs its own emulator: an --api-url there would be a lie."""
    code, _heavy, text = _help("demo")
    assert code == 0
    assert "--api-url" not in text and "emulator" in text


def test_defaults_are_the_real_values():
    _code, _heavy, text = _help("verify")
    assert "(default: 127.0.0.1:8080)" in text
    _code, _heavy, text = _help("stream-check")
    assert "(default: audio/x-mulaw;rate=8000)" in text
