"""Diagnoses read once: no sentence says what another already said, the wizard's words
name the user's own answer_url, and no CLI flag shows in text the wizard displays."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from tests.domain.test_verify_support import PASSWORD, expectation, make_app
from wizard.verify.diagnose import TROUBLESHOOTING_ROWS
from wizard.verify.listener import simulate

SCENARIOS = (
    "correct",
    "number_in_uri",
    "wrong_ip",
    "missing_credentials",
    "wrong_password",
    "lockout",
    "invalid_xml",
    "intermittent",
)


def _shingles(text: str, n: int = 5) -> list[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9_']+", text.lower())
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def repeated(text: str) -> set[tuple[str, ...]]:
    """Runs of five words that occur twice: the mark of a sentence said again."""
    seen: set[tuple[str, ...]] = set()
    twice: set[tuple[str, ...]] = set()
    for run in _shingles(text):
        (twice if run in seen else seen).add(run)
    return twice


@pytest.mark.parametrize("scenario", SCENARIOS)
async def test_each_demo_diagnosis_says_each_thing_once(emulator, client, listener, scenario):
    app_id = await make_app(client, listener.answer_url, "ip_acl_and_credential")
    exp = replace(
        expectation("ip_acl_and_credential", app_id),
        answer_url="https://agent.example.com/answer",
    )
    listener.expectation = exp
    number = None
    if scenario == "number_in_uri":  # a number of the account, routed to the app
        found = await client.search_phone_numbers("US", type="local")
        number = (await client.buy_phone_number(found[0].number, app_id=app_id)).number
    result = await simulate(emulator, scenario, exp, password=PASSWORD, number=number)
    diag = result.diagnosis
    text = f"{diag.sentence} {diag.fix}"
    assert not repeated(text), (scenario, text)
    assert "127.0.0.1" not in text  # never an internal address of byon's own
    if scenario == "invalid_xml":
        assert "https://agent.example.com/answer" in diag.sentence  # the app's own URL


def test_no_troubleshooting_fix_names_a_command_line_flag():
    """The wizard shows these sentences too: they speak of the public URL, not --public-url."""
    for row in TROUBLESHOOTING_ROWS.values():
        assert "--" not in row.solution, row.id


def test_the_repeat_check_can_fail():
    said = "your provider put a phone number in the Request-URI instead of your app_id"
    assert repeated(f"{said}. Fix: {said}.")
