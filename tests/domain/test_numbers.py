"""One number policy: E.164 inside byon, and the forms providers send."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wizard.numbers import (
    digits_only,
    form_of,
    in_form,
    national_number,
    normalize_e164,
    same_number,
    with_plus,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+14155550100", "+14155550100"),
        ("  +1 (415) 555-0100 ", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_normalize_e164_accepts_written_forms(text, expected):
    assert normalize_e164(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is required"),
        ("4155550100", "must start with \\+ and the country code"),
        ("+1415", "not a valid number"),
        ("+abc", "not a phone number"),
        ("+999999999999", "not a phone number"),
        ("+1 415 555 01", "not a valid number"),
    ],
)
def test_normalize_e164_refuses_with_a_sentence(text, words):
    with pytest.raises(ValueError, match=words) as info:
        normalize_e164(text)
    assert "+14155550100" in str(info.value)  # every refusal shows the form it wants


def test_the_conversions():
    assert digits_only("+14155550100") == "14155550100"
    assert digits_only("+1 415-555-0100") == "14155550100"
    assert digits_only("") == ""
    assert with_plus("14155550100") == "+14155550100"
    assert with_plus("+14155550100") == "+14155550100"
    assert with_plus("") == ""
    assert national_number("+14155550100") == "4155550100"
    assert national_number("abc") == "abc"  # not a number: given back without a "+"
    assert in_form("14155550100", "e164") == "+14155550100"
    assert in_form("+14155550100", "digits") == "14155550100"
    with pytest.raises(ValueError, match="unknown number form"):
        in_form("+14155550100", "national")


def test_form_of_tells_a_phone_number_from_a_sip_user():
    assert form_of("+14155550100") == "e164"
    assert form_of("14155550100") == "digits"
    assert form_of("20468599130939380") is None  # an app id is longer than any number
    assert form_of("anonymous") is None
    assert form_of("") is None
    assert same_number("+14155550100", "14155550100")
    assert not same_number("", "")
    assert not same_number("+14155550100", "+14155550101")


@given(st.text(alphabet="0123456789", min_size=1, max_size=15))
def test_plus_and_digits_round_trip(digits):
    assert digits_only(with_plus(digits)) == digits
    assert with_plus(digits_only("+" + digits)) == "+" + digits


@given(st.text(max_size=40))
def test_digits_only_is_total(text):
    out = digits_only(text)  # untrusted input: never raises
    assert not out.startswith("+")


def test_no_hand_made_plus_conversions_are_left():
    """Every '+'/digits conversion goes through wizard.numbers (this test names the strays)."""
    pattern = r'lstrip\("\+"\)|"\+" \+|startswith\("\+"\)|f"\+\{'
    found = subprocess.run(
        ["git", "grep", "-n", "-E", pattern, "--", "wizard/*.py", "screens/*.py"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],  # the repository, wherever pytest runs from
    ).stdout.splitlines()
    allowed = ("wizard/numbers.py:", "wizard/plans/validate.py:")  # the policy, and its checker
    assert [line for line in found if not line.startswith(allowed)] == []


def test_a_number_written_with_separators_is_the_same_number_everywhere():
    """The callback check, the DID diagnosis and the simulator once each stripped numbers
    their own way ("+1 (415)" -> "1(415)" in one, "1415" in another): all now agree."""
    from types import SimpleNamespace

    from wizard.verify.confirm import differences
    from wizard.verify.diagnose import Expectation, diagnose_callback

    record = SimpleNamespace(from_="14155550100", to="14155550199", direction="inbound")
    said = {"From": "+1 (415) 555-0100", "To": "+1 415-555-0199", "Direction": "inbound"}
    assert differences(said, record) == []
    assert differences({**said, "To": "+14155550198"}, record) == [
        "To is +14155550198, Plivo recorded 14155550199"
    ]
    # a name is not a number: compared as written, its dots kept
    named = SimpleNamespace(from_="john.doe", to="", direction="")
    assert differences({"From": "johndoe"}, named) == ["From is johndoe, Plivo recorded john.doe"]
    exp = Expectation(option="did_forwarding", plivo_number="+14155550199")
    verdict = diagnose_callback({"To": "1 (415) 555-0199"}, exp)
    assert verdict.row != "wrong_number"
    assert diagnose_callback({"To": "14155550198"}, exp).row == "wrong_number"


def test_a_plus_inside_is_not_dropped_to_make_a_number():
    """Plivo's client once removed every '+' ("1+415" -> "1415"): a typo became another
    number. Only the leading '+' goes; the stray one stays for the API to refuse."""
    assert digits_only("1+4155550100") == "1+4155550100"
    assert form_of(digits_only("1+4155550100")) is None
    assert not same_number("1+4155550100", "14155550100")
