"""One loopback rule (wizard/net.py) for the emulator's control surface and SIP edge, the
Plivo client's http and proxy choice, byon serve, byon emulator and the simulator."""

from __future__ import annotations

import pytest

from wizard.errors import ByonError
from wizard.net import is_loopback_host, is_loopback_url
from wizard.plivo.env import check_api_url


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),  # all of 127/8, as the demo's provider source uses
        ("::1", True),
        ("[::1]", True),  # as a URL or --host writes it
        ("localhost", True),
        ("LOCALHOST", True),
        ("::ffff:127.0.0.1", True),  # a dual-stack socket's view of 127.0.0.1
        ("[::ffff:127.0.0.1]", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("example.com", False),
        ("localhost.example.com", False),  # a name is not resolved, nor guessed from
        ("", False),
        ("[", False),
        ("garbage", False),
    ],
)
def test_is_loopback_host(host, loopback):
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/x", True),
        ("http://[::1]:8000/", True),
        ("http://LocalHost/", True),
        ("http://[::1", False),  # malformed: not this machine, and no exception
        ("https://api.plivo.example/", False),
        ("", False),
    ],
)
def test_is_loopback_url(url, loopback):
    assert is_loopback_url(url) is loopback


def test_plain_http_is_allowed_exactly_for_loopback():
    """The client's http rule is the same rule: 127.0.0.2 and [::1] pass, a LAN host not."""
    assert check_api_url("http://127.0.0.2:9000") == "http://127.0.0.2:9000"
    assert check_api_url("http://[::1]:9000/") == "http://[::1]:9000"
    with pytest.raises(ByonError, match="unencrypted"):
        check_api_url("http://10.0.0.1:9000")
