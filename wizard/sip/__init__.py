"""SIP for byon: messages, digest, SDP, RTP, transactions and transports (RFC 3261 and friends).

Asyncio and the standard library only. The server side is ``SipEndpoint`` with a
request handler; the client side is ``SipClient``. Nothing here imports Textual.
"""

from wizard.sip.client import Call, CallResult, Credentials, OptionsResult, SipClient
from wizard.sip.dialog import Dialog
from wizard.sip.digest import (
    REALM,
    DigestChallenge,
    DigestCredentials,
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
from wizard.sip.endpoint import ALLOW, SipEndpoint
from wizard.sip.errors import SipError, SipParseError, SipTimeout, SipTransportError
from wizard.sip.message import (
    Headers,
    SipMessage,
    SipRequest,
    SipResponse,
    StreamFramer,
    make_response,
    new_branch,
    new_tag,
    parse_message,
    redact,
)
from wizard.sip.rtp import JitterBuffer, RtpPacket, RtpSession, RtpStats, parse_rtp
from wizard.sip.sdp import (
    PCMA,
    PCMU,
    TELEPHONE_EVENT,
    Answer,
    SdpError,
    SessionDescription,
    build_answer,
    build_offer,
    parse_sdp,
)
from wizard.sip.transaction import ClientTransaction, ServerTransaction, Timers
from wizard.sip.transport import Flow, Target
from wizard.sip.uri import NameAddr, SipUri, Via, parse_name_addr, parse_uri, parse_via

__all__ = [
    "ALLOW",
    "PCMA",
    "PCMU",
    "REALM",
    "TELEPHONE_EVENT",
    "Answer",
    "Call",
    "CallResult",
    "ClientTransaction",
    "Credentials",
    "Dialog",
    "DigestChallenge",
    "DigestCredentials",
    "DigestError",
    "Flow",
    "Headers",
    "JitterBuffer",
    "NameAddr",
    "NonceState",
    "NonceStore",
    "OptionsResult",
    "RtpPacket",
    "RtpSession",
    "RtpStats",
    "SdpError",
    "ServerTransaction",
    "SessionDescription",
    "SipClient",
    "SipEndpoint",
    "SipError",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "SipTimeout",
    "SipTransportError",
    "SipUri",
    "StreamFramer",
    "Target",
    "Timers",
    "Via",
    "build_answer",
    "build_authorization",
    "build_offer",
    "compute_ha1",
    "compute_response",
    "make_response",
    "new_branch",
    "new_tag",
    "parse_authorization",
    "parse_challenge",
    "parse_message",
    "parse_name_addr",
    "parse_rtp",
    "parse_sdp",
    "parse_uri",
    "parse_via",
    "redact",
    "verify_response",
]
