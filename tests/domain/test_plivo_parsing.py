"""The client's pure parts: Plivo shapes to types, page merging, backoff, Retry-After."""

from __future__ import annotations

import email.utils
import time

from hypothesis import given
from hypothesis import strategies as st

from wizard.plivo.client import (
    BACKOFF_CAP,
    PlivoClient,
    app_id_from_uri,
    backoff_delay,
    error_text,
    merge_pages,
    parse_application,
    parse_ip_acl,
    parse_number,
    parse_retry_after,
)


def test_number_app_id_comes_from_the_application_uri():
    n = parse_number(
        {
            "number": "14155550100",
            "alias": None,
            "application": "/v1/Account/MA123/Application/29386722193848113/",
            "voice_enabled": True,
            "monthly_rental_rate": "0.80000",
            "region": "California, UNITED STATES",
            "number_type": "local",
        }
    )
    assert n.app_id == "29386722193848113"
    assert n.alias == ""
    assert n.raw["monthly_rental_rate"] == "0.80000"
    assert parse_number({"number": "1", "application": None}).app_id == ""


def test_app_id_from_uri():
    assert app_id_from_uri("/v1/Account/MA1/Application/42/") == "42"
    assert app_id_from_uri("https://api.plivo.com/v1/Account/MA1/Application/42") == "42"
    assert app_id_from_uri(None) == ""
    assert app_id_from_uri("/v1/Account/MA1/Number/42/") == ""


def test_application_nulls_become_empty_and_sip_uri_is_derived():
    app = parse_application(
        {"app_id": 77, "app_name": "x", "sip_auth_type": None, "credential_uuid": None}
    )
    assert app.app_id == "77"
    assert app.sip_uri == "sip:77@app.plivo.com"
    assert app.sip_auth_type == "" and app.credential_uuid == ""


def test_ip_acl_addresses_become_a_tuple():
    assert parse_ip_acl(
        {"ip_acl_uuid": "u", "name": "n", "ip_addresses": ["1.2.3.4"]}
    ).ip_addresses == ("1.2.3.4",)


def test_error_text_flattens_any_shape():
    assert error_text(None) == ""
    assert error_text(" x ") == "x"
    assert error_text({"a": ["b", "c"], "d": None}) == "a: b; c; d"
    assert error_text([1, {"k": "v"}]) == "1; k: v"


def test_merge_pages_keeps_order_and_drops_repeats():
    pages = [[{"id": "1"}, {"id": "2"}], [{"id": "2"}, {"id": "3"}], [{"id": 3}, {"id": "4"}]]
    assert [o["id"] for o in merge_pages(pages, "id")] == ["1", "2", "3", "4"]


@given(st.integers(min_value=0, max_value=60), st.none() | st.floats(0, 120))
def test_backoff_stays_within_bounds(attempt, retry_after):
    delay = backoff_delay(attempt, retry_after)
    assert delay > 0
    assert delay <= max(BACKOFF_CAP, retry_after or 0)
    if retry_after is not None:
        assert delay >= retry_after


def test_retry_after_seconds_and_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after(later) <= 31


async def test_repr_shows_no_token():
    c = PlivoClient("MAXXXXXXXXXXXXXXXXXX", "tok-very-secret", base_url="http://127.0.0.1:9/")
    try:
        assert "tok-very-secret" not in repr(c)
        assert (
            repr(c) == "PlivoClient(auth_id='MAXXXXXXXXXXXXXXXXXX', base_url='http://127.0.0.1:9')"
        )
    finally:
        await c.aclose()
