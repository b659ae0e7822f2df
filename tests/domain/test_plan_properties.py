"""Property tests: generated plans round-trip; garbled or invalid plans give PlanError,
never another exception."""

from __future__ import annotations

import copy
import ipaddress
import string
import tempfile
from pathlib import Path

import phonenumbers
import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wizard import cli
from wizard.errors import PlanError
from wizard.plans.plan import (
    AclPlan,
    ApplicationPlan,
    AuthPlan,
    CredentialPlan,
    ForwardingPlan,
    Plan,
    SearchPlan,
    StreamPlan,
    dump_plan,
    loads_plan,
    plan_to_dict,
)
from wizard.plans.validate import (
    AUDIO_TRACKS,
    AUTH_TYPES,
    CONTENT_TYPES,
    SEARCH_TYPES,
    check_acl_entry,
    validate_plan,
)
from wizard.providers.templates import PROVIDERS

NUMBERS = sorted(
    {
        phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)
        for region in ("US", "GB", "DE", "FR", "IN", "AU", "BR", "JP", "ZA", "MX", "ES", "SE")
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE)
        if (n := phonenumbers.example_number_for_type(region, kind)) is not None
    }
)

# Strategies are built once, from alphabets: a regex strategy built inside a draw is
# re-parsed and re-validated on every example, which made generation 90% of these tests.
ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
names = st.text(ALNUM + "_-", min_size=1, max_size=64)
hosts = st.builds(
    lambda first, rest, tld: f"{first}{rest}.{tld}",
    st.sampled_from(string.ascii_lowercase),
    st.text(string.ascii_lowercase + string.digits + "-", max_size=20),
    st.sampled_from(["com", "net", "io", "example.org"]),
)
paths = st.lists(st.text(ALNUM + "_.-", max_size=12), max_size=3).map(
    lambda parts: "".join(f"/{part}" for part in parts)
)
ids = st.one_of(st.just(""), st.text(ALNUM + "-", min_size=1, max_size=40))
auth_ids = st.one_of(st.just(""), st.text(UPPER_DIGITS, min_size=18, max_size=18).map("MA".__add__))
app_ids = st.one_of(st.just(""), st.text(string.digits, min_size=1, max_size=20))
hangup_urls = st.one_of(st.just(""), hosts.map(lambda h: f"https://{h}/hangup"))
usernames = st.text(ALNUM + "._-", min_size=3, max_size=64)
env_names = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_uppercase + "_"),
    st.text(UPPER_DIGITS + "_", max_size=30),
)
patterns = st.text(string.digits, max_size=6)
two_numbers = st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=2, unique=True)


def _public(net: str) -> bool:
    return check_acl_entry(net, "ip_acl") is None


v4 = st.ip_addresses(v=4).map(str).filter(_public)
v4_nets = (
    st.tuples(st.ip_addresses(v=4), st.integers(16, 32))
    .map(lambda t: str(ipaddress.ip_network(f"{t[0]}/{t[1]}", strict=False)))
    .filter(_public)
)
v6 = st.ip_addresses(v=6, network="2600::/12").map(str).filter(_public)
entries = st.lists(
    st.one_of(v4, v4_nets, v6),
    min_size=1,
    max_size=50,
    unique_by=lambda e: ipaddress.ip_network(e, strict=False),
)


@st.composite
def plans(draw) -> Plan:
    option = draw(st.sampled_from(["direct_sip", "did_forwarding"]))
    external, other = draw(two_numbers)
    plan = Plan(
        option=option,
        external_number=external,
        provider=draw(st.sampled_from(list(PROVIDERS))),
        auth_id=draw(auth_ids),
        application=ApplicationPlan(
            name=draw(names),
            app_id=draw(app_ids),
            answer_url=f"{draw(st.sampled_from(['http', 'https']))}://{draw(hosts)}{draw(paths)}",
            answer_method=draw(st.sampled_from(["GET", "POST"])),
            hangup_url=draw(hangup_urls),
        ),
    )
    if option == "direct_sip":
        kind = draw(st.sampled_from(AUTH_TYPES))
        plan.auth = AuthPlan(type=kind)
        if "ip_acl" in kind:
            plan.auth.ip_acl = AclPlan(
                name=draw(names), entries=draw(entries), ip_acl_uuid=draw(ids)
            )
        if "credential" in kind:
            plan.auth.credential = CredentialPlan(
                username=draw(usernames),
                password_env=draw(env_names),
                credential_uuid=draw(ids),
            )
    else:
        if draw(st.booleans()):
            plan.forwarding = ForwardingPlan(plivo_number=other)
        else:
            plan.forwarding = ForwardingPlan(
                plivo_number="buy",
                search=SearchPlan(
                    country_iso=draw(st.sampled_from(["US", "GB", "CA", "DE"])),
                    type=draw(st.sampled_from(SEARCH_TYPES)),
                    pattern=draw(patterns),
                ),
            )
    if draw(st.booleans()):
        bidi = draw(st.booleans())
        plan.stream = StreamPlan(
            url=f"wss://{draw(hosts)}{draw(paths)}",
            bidirectional=bidi,
            keep_call_alive=draw(st.booleans()),
            content_type=draw(st.sampled_from(CONTENT_TYPES)),
            audio_track="inbound" if bidi else draw(st.sampled_from(AUDIO_TRACKS)),
        )
    return plan


@settings(max_examples=150, deadline=None)
@given(plans())
def test_every_valid_plan_round_trips(plan):
    assert [f for f in validate_plan(plan) if f.is_error] == []
    assert loads_plan(dump_plan(plan)) == plan


def _load_or_plan_error(text: str) -> None:
    try:
        loads_plan(text, filename="fuzz.toml")
    except PlanError as exc:
        msg = str(exc)
        assert msg.startswith("fuzz.toml:"), msg
        assert "Traceback" not in msg


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_text_gives_plan_error_or_a_plan(text):
    _load_or_plan_error(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.data())
def test_garbled_plan_text_gives_plan_error_or_a_plan(plan, data):
    lines = dump_plan(plan).splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "insert", "replace", "dup", "chars"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "insert":
            lines.insert(i, data.draw(st.text(max_size=40)) + "\n")
        elif action == "replace":
            lines[i] = data.draw(st.text(max_size=40)) + "\n"
        elif action == "dup":
            lines.insert(i, lines[i])
        else:
            s = lines[i]
            j = data.draw(st.integers(0, len(s)))
            lines[i] = s[:j] + data.draw(st.text(max_size=5)) + s[j + 1 :]
    _load_or_plan_error("".join(lines))


# field -> (key in messages, setter)
FIELDS = {
    "route.external_number": lambda p, v: setattr(p, "external_number", v),
    "route.option": lambda p, v: setattr(p, "option", v),
    "route.provider": lambda p, v: setattr(p, "provider", v),
    "application.name": lambda p, v: setattr(p.application, "name", v),
    "application.answer_url": lambda p, v: setattr(p.application, "answer_url", v),
    "application.answer_method": lambda p, v: setattr(p.application, "answer_method", v),
    "application.app_id": lambda p, v: setattr(p.application, "app_id", v),
    "account.auth_id": lambda p, v: setattr(p, "auth_id", v),
}


@settings(max_examples=300, deadline=None)
@given(plans(), st.sampled_from(sorted(FIELDS)), st.text(max_size=30))
def test_invalid_field_values_are_refused_with_their_key(plan, key, value):
    bad = copy.deepcopy(plan)
    FIELDS[key](bad, value)
    # only values that break this field's own rule (a valid option would trip other rules)
    assume(any(f.key == key for f in validate_plan(bad) if f.is_error))
    with pytest.raises(PlanError) as info:
        loads_plan(dump_plan(bad), filename="bad.toml")
    problems = getattr(info.value, "problems", [info.value])
    assert any(p.key == key for p in problems), [str(p) for p in problems]
    assert str(info.value).startswith("bad.toml:")


WRONG = st.one_of(
    st.integers(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(plans(), st.data())
def test_wrong_types_anywhere_are_refused(plan, data):
    doc = plan_to_dict(plan)
    table = data.draw(st.sampled_from([k for k, v in doc.items() if isinstance(v, dict)]))
    key = data.draw(st.sampled_from(sorted(doc[table])))
    value = data.draw(WRONG)
    old = doc[table][key]
    assume(type(value) is not type(old) and not isinstance(old, dict))
    doc[table][key] = value
    with pytest.raises(PlanError) as info:
        loads_plan(tomli_w.dumps(doc), filename="t.toml")
    problems = getattr(info.value, "problems", [info.value])
    assert any(p.key.startswith(f"{table}.{key}") for p in problems)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans(), st.text(max_size=30))
def test_settings_command_exits_2_with_a_message_never_a_traceback(capsys, plan, junk):
    bad = copy.deepcopy(plan)
    bad.external_number = junk
    assume(any(f.is_error for f in validate_plan(bad)))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "plan.toml"
        path.write_text(dump_plan(bad), encoding="utf-8")
        with pytest.raises(SystemExit) as info:
            cli.main(["settings", str(path)])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert f"{path}:" in err and "route.external_number" in err
        assert "Traceback" not in err
