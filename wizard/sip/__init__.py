"""SIP for byon: messages, digest, SDP, RTP, transactions and transports (RFC 3261 and friends).

Asyncio and the standard library only. The server side is ``SipEndpoint`` with a
request handler; the client side is ``SipClient``. Nothing here imports Textual.
"""

from wizard.sip.errors import SipError, SipParseError, SipTimeout, SipTransportError

__all__ = ["SipError", "SipParseError", "SipTimeout", "SipTransportError"]
