"""Fixtures of the CLI tests: the emulator's SIP edge for `byon sip-probe`."""

from tests.sipedge_fixtures import answers, apps, edge  # noqa: F401
