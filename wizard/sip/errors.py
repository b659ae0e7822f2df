"""Errors of the SIP layer: one family, so callers can catch what they mean."""

from __future__ import annotations

from typing import Any


class SipError(Exception):
    """Base of every error raised by wizard.sip."""


class SipParseError(SipError, ValueError):
    """Malformed SIP input.

    ``partial`` holds the message as far as it parsed (start line and headers), when that
    much was readable: enough, with Via/From/To/Call-ID/CSeq, to answer 400.
    Messages never quote header values, so no credential can leak through one.
    """

    def __init__(self, message: str, *, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


class SipTimeout(SipError, TimeoutError):
    """A transaction timer (B or F) fired before a final response arrived."""


class SipTransportError(SipError, ConnectionError):
    """A message could not be sent: connect, TLS handshake or write failed."""
