"""The client against a hostile Plivo API (tests/hostile_api.py): what it says reaches a
message scrubbed, inert and bounded, and a list total in the billions is refused."""

from __future__ import annotations

import pytest

from tests.hostile_api import AUTH_ID, EVIL, TOKEN, hostile_api
from wizard.errors import BadRequest, ByonError, ServerError
from wizard.plivo.client import PlivoClient
from wizard.plivo.env import check_api_url


def shown(exc: BaseException) -> str:
    """Everything an error shows or carries."""
    return " ".join([str(exc), repr(exc), repr(exc.args), repr(getattr(exc, "error", None))])


async def test_a_token_echoed_as_a_key_or_upper_cased_never_reaches_the_error():
    async with hostile_api("echo-token") as url, PlivoClient(AUTH_ID, TOKEN, base_url=url) as c:
        with pytest.raises(BadRequest) as info:
            await c.list_applications()
    text = shown(info.value)
    assert TOKEN not in text and TOKEN.upper() not in text
    assert "is not a valid field" in str(info.value) and "***" in str(info.value)


async def test_a_password_echoed_as_a_key_never_reaches_the_error():
    password = "Sip-Passw0rd-Hostile-77"
    async with hostile_api("echo-token") as url, PlivoClient(AUTH_ID, password, base_url=url) as c:
        with pytest.raises(BadRequest) as info:
            await c.get_account()
    assert password not in shown(info.value) and password.upper() not in shown(info.value)


@pytest.mark.parametrize("mode", ["err", "errtext"])
async def test_api_error_text_is_inert_and_bounded(mode):
    async with hostile_api(mode) as url, PlivoClient(AUTH_ID, TOKEN, base_url=url) as c:
        with pytest.raises(BadRequest) as info:
            await c.get_application("1")
    message = str(info.value)
    assert "\x1b" not in message and "\n" not in message and "\r" not in message
    assert "\x9b" not in message and "\\x1b]0;PWNED-TITLE" in message
    assert len(message) < 700


async def test_a_token_in_the_base_url_never_reaches_a_network_error():
    # built past check_api_url (a URL made by a test, not a user): the sentence scrubs it
    from wizard.plivo.errors import network_error

    exc = network_error(
        OSError("All connection attempts failed"),
        "GET",
        "/",
        base_url=f"http://127.0.0.1:1/{TOKEN}",
        timeout=1,
        scrub=lambda text: text.replace(TOKEN, "***"),
    )
    assert TOKEN not in str(exc) and "Could not reach Plivo at http://127.0.0.1:1/***" in str(exc)


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:1/{TOKEN}",
        f"http://127.0.0.1:1/v1/{TOKEN.upper()}/",
        "http://127.0.0.1:1/" + TOKEN.replace("-", "%2D"),
        f"https://{TOKEN}.example.com",
    ],
    ids=["path", "upper", "percent", "host"],
)
async def test_a_token_anywhere_in_the_api_url_is_refused_unechoed(url):
    with pytest.raises(ByonError) as info:
        check_api_url(url, token=TOKEN)
    assert "contains the auth token" in str(info.value)
    assert TOKEN not in str(info.value).lower() and "127.0.0.1" not in str(info.value)
    with pytest.raises(ByonError, match="contains the auth token"):
        PlivoClient(AUTH_ID, TOKEN, base_url=url)


async def test_a_token_url_is_refused_but_the_same_server_is_usable():
    async with hostile_api("names") as url:
        with pytest.raises(ByonError) as info:
            PlivoClient(AUTH_ID, TOKEN, base_url=f"{url}/{TOKEN}")
    assert TOKEN not in str(info.value)
    # and an ordinary URL on the same server still works
    async with hostile_api("names") as url, PlivoClient(AUTH_ID, TOKEN, base_url=url) as c:
        apps = await c.list_applications()
    assert apps[0].app_name == EVIL  # the value is kept as is; showing it is plain()'s job


@pytest.mark.parametrize("mode", ["bigtotal", "hugetotal"])
async def test_a_list_total_in_the_millions_is_refused_before_the_flood(mode):
    seen: list[str] = []
    async with hostile_api(mode) as url, PlivoClient(AUTH_ID, TOKEN, base_url=url) as c:
        c.on_request = lambda method, path, status, secs: seen.append(path)
        with pytest.raises(ServerError) as info:
            await c.list_applications()
    message = str(info.value)
    assert "byon reads at most 500 pages" in message and "list applications" in message
    assert len(seen) == 1  # only the first page was asked for


@pytest.mark.parametrize("mode", ["hugebody", "gzipbomb"])
async def test_an_answer_past_ten_mib_is_not_read_whole(mode):
    """Plivo's answers are a few KiB: a body that goes on (or a small gzip that decodes
    to 16 MiB) is refused with a sentence once 10 MiB are read, never held whole."""
    from wizard.plivo.http import MAX_BODY

    async with hostile_api(mode) as url, PlivoClient(AUTH_ID, TOKEN, base_url=url) as c:
        with pytest.raises(ServerError) as info:
            await c.get_account()
    message = str(info.value)
    assert f"more than {MAX_BODY // (1024 * 1024)} MiB" in message
    assert "byon stopped reading" in message and TOKEN not in message


async def test_an_ordinary_gzip_answer_is_still_read():
    """The bounded read hands on the decoded body: a compressed answer still parses."""
    seen: list[str] = []

    async def remember(response) -> None:
        seen.append(response.headers.get("content-encoding", ""))

    async with hostile_api("gzipnames") as url, PlivoClient(AUTH_ID, TOKEN, base_url=url) as c:
        c._http.event_hooks["response"].append(remember)
        apps = await c.list_applications()
    assert apps and apps[0].app_id == "123" and apps[0].app_name == EVIL
    assert seen == ["gzip"]  # it really came compressed
