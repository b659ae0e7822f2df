"""The emulator's SIP edge on the wire (shared/contracts/sip.md section 1).

``edge`` (SipWire: listening, the auth decision, the ladder), ``call`` (Plivo's side of
an answered call), ``bridge`` (the stream bridge to an agent), ``verbs`` (the answer
XML), ``tls`` (the self-signed certificate for app.plivo.com).
"""

from wizard.emulator.sipwire.edge import SipWire, parse_source_map

__all__ = ["SipWire", "parse_source_map"]
