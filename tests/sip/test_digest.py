"""Digest (RFC 2617 / RFC 7616 / RFC 8760): known answers, HA1 checks, nonces, the client side."""

from __future__ import annotations

import pytest

from wizard.sip.digest import (
    REALM,
    DigestChallenge,
    DigestError,
    NonceState,
    NonceStore,
    build_authorization,
    compute_ha1,
    compute_response,
    parse_authorization,
    parse_challenge,
    verify_response,
)


def test_rfc2617_known_answer():
    ha1 = compute_ha1("Mufasa", "testrealm@host.com", "Circle Of Life")
    assert ha1 == "939e7578ed9e3c518a452acee763bce9"
    response = compute_response(
        ha1=ha1, method="GET", uri="/dir/index.html", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop="auth", nc="00000001", cnonce="0a4f113b",
    )  # fmt: skip
    assert response == "6629fae49393a05397450978507c4ef1"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_known_answers(algorithm, expected):
    ha1 = compute_ha1("Mufasa", "http-auth@example.org", "Circle of Life", algorithm)
    response = compute_response(
        ha1=ha1, method="GET", uri="/dir/index.html",
        nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", qop="auth", nc="00000001",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", algorithm=algorithm,
    )  # fmt: skip
    assert response == expected


def _authorization(uri="sip:1234@app.plivo.com", password="s3cret", nonce="abc", **kw):
    challenge = DigestChallenge(REALM, nonce, "op", "MD5", "auth")
    return build_authorization(
        challenge, username="alice", password=password, method="INVITE", uri=uri, **kw
    )


def test_client_answer_verifies_against_stored_ha1():
    creds = parse_authorization(_authorization())
    ha1 = compute_ha1("alice", REALM, "s3cret")
    assert creds.username == "alice" and creds.qop == "auth" and creds.nc == "00000001"
    assert verify_response(creds, method="INVITE", ha1=ha1)
    assert verify_response(creds, method="INVITE", ha1=ha1.upper())  # hex case does not matter
    assert not verify_response(creds, method="BYE", ha1=ha1)


def test_wrong_password_fails():
    creds = parse_authorization(_authorization(password="guess"))
    assert not verify_response(creds, method="INVITE", ha1=compute_ha1("alice", REALM, "s3cret"))


def test_uri_is_hashed_as_sent_not_as_the_request_uri():
    # SIPp-style: the header names sip:app.plivo.com while the Request-URI has a user part
    creds = parse_authorization(_authorization(uri="sip:app.plivo.com"))
    assert creds.uri == "sip:app.plivo.com"
    assert verify_response(creds, method="INVITE", ha1=compute_ha1("alice", REALM, "s3cret"))


def test_lower_case_algorithm_and_unquoted_values_are_accepted():
    ha1 = compute_ha1("bob", REALM, "pw")
    response = compute_response(
        ha1=ha1, method="INVITE", uri="sip:9@app.plivo.com", nonce="n1", qop="auth",
        nc="00000002", cnonce="c",
    )  # fmt: skip
    header = (
        f'Digest username=bob,realm="{REALM}",nonce="n1",uri="sip:9@app.plivo.com",'
        f'response={response},algorithm=md5,qop=auth,nc=00000002,cnonce="c"'
    )
    creds = parse_authorization(header)
    assert creds.algorithm == "MD5"
    assert verify_response(creds, method="INVITE", ha1=ha1)


def test_rfc2069_style_without_qop():
    ha1 = compute_ha1("bob", REALM, "pw")
    response = compute_response(ha1=ha1, method="INVITE", uri="sip:x@y", nonce="n")
    header = (
        f'Digest username="bob", realm="{REALM}", nonce="n", uri="sip:x@y", response="{response}"'
    )
    assert verify_response(parse_authorization(header), method="INVITE", ha1=ha1)


def test_unknown_algorithm_or_qop_is_refused_not_raised():
    header = _authorization().replace("algorithm=MD5", "algorithm=SHA-1")
    creds = parse_authorization(header)
    assert not verify_response(creds, method="INVITE", ha1=compute_ha1("alice", REALM, "s3cret"))
    odd = parse_authorization(_authorization().replace("qop=auth", "qop=auth-conf"))
    assert not verify_response(odd, method="INVITE", ha1=compute_ha1("alice", REALM, "s3cret"))


@pytest.mark.parametrize(
    "value",
    ["Basic dXNlcjpwYXNz", 'Digest username="a"', "Digest username=", 'Digest a="unterminated'],
)
def test_malformed_credentials_raise_digest_error(value):
    with pytest.raises(DigestError):
        parse_authorization(value)


def test_secrets_stay_out_of_reprs():
    creds = parse_authorization(_authorization(cnonce="mycnonce"))
    text = repr(creds)
    assert creds.response not in text and "mycnonce" not in text


def test_challenge_round_trip_and_header_shape():
    store = NonceStore()
    challenge = store.challenge(stale=True)
    header = challenge.to_header()
    assert header.startswith('Digest realm="app.plivo.com", nonce="')
    assert 'qop="auth"' in header and "algorithm=MD5" in header and "stale=true" in header
    assert parse_challenge(header) == challenge


def test_nonce_is_valid_then_stale_after_five_minutes_on_an_injected_clock():
    now = [1000.0]
    store = NonceStore(clock=lambda: now[0])
    nonce = store.issue()
    assert store.check(nonce) is NonceState.VALID
    now[0] += 299
    assert store.check(nonce) is NonceState.VALID
    now[0] += 2
    assert store.check(nonce) is NonceState.STALE
    assert store.check(store.issue()) is NonceState.VALID


def test_forged_or_foreign_nonces_are_unknown():
    store, other = NonceStore(), NonceStore()
    assert store.check(other.issue()) is NonceState.UNKNOWN
    nonce = store.issue()
    assert store.check(nonce[:-2] + ("AA" if nonce[-2:] != "AA" else "BB")) is NonceState.UNKNOWN
    for junk in ["", "x", "!!!!", "a" * 100]:
        assert store.check(junk) is NonceState.UNKNOWN


def test_client_picks_auth_from_a_qop_list_and_counts_nc():
    challenge = parse_challenge(
        'Digest realm="r", nonce="n", qop="auth-int,auth", algorithm=MD5, opaque="o"'
    )
    header = build_authorization(
        challenge, username="u", password="p", method="INVITE", uri="sip:a@b", nc=3, cnonce="c"
    )
    creds = parse_authorization(header)
    assert (creds.qop, creds.nc, creds.cnonce, creds.opaque) == ("auth", "00000003", "c", "o")
    assert verify_response(creds, method="INVITE", ha1=compute_ha1("u", "r", "p"))
