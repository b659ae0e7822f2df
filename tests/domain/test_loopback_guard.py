"""The suite's own guard: nothing in a test reaches beyond loopback."""

import socket

import pytest


def test_lookup_of_a_remote_host_is_refused():
    with pytest.raises(socket.gaierror, match="loopback only"):
        socket.getaddrinfo("example.com", 443)


def test_connect_to_a_remote_address_is_refused():
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s,
        pytest.raises(ConnectionRefusedError, match="loopback only"),
    ):
        s.connect(("192.0.2.1", 9))


def test_loopback_is_allowed():
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)
