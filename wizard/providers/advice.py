"""The option step's recommendation, adjusted to what the chosen provider can actually do.

The seed's rules (wizard.session.recommend) pick an auth type from three answers about the
provider's IPs. A known provider overrides what it cannot do: Telnyx, Vonage and Bandwidth
cannot answer Plivo's 407, SignalWire publishes no IPs, and Twilio's Elastic SIP Trunking
cannot answer the challenge while its TwiML <Dial><Sip> can.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.plivo.facts import CREDENTIAL, IP_ACL, IP_ACL_AND_CREDENTIAL, uses_credential
from wizard.providers.facts import Provider, providers
from wizard.providers.words import AUTH_WORDS

# what to fall back to, best first, when the provider cannot do the asked auth type
_FALLBACK = {
    CREDENTIAL: (CREDENTIAL, IP_ACL_AND_CREDENTIAL, IP_ACL),
    IP_ACL_AND_CREDENTIAL: (IP_ACL_AND_CREDENTIAL, CREDENTIAL, IP_ACL),
    IP_ACL: (IP_ACL, IP_ACL_AND_CREDENTIAL, CREDENTIAL),
}


@dataclass(frozen=True)
class Advice:
    """What to choose, why, and the other ways this provider can do it."""

    option: str  # "direct_sip" | "did_forwarding"
    auth_type: str  # "" with DID forwarding
    reason: str
    alternatives: tuple[str, ...] = ()
    warning: str = ""


def advise(provider_key: str, base: Any) -> Advice:
    """``base`` (option, auth_type, reason: the seed's recommendation) fitted to the provider."""
    p = providers().get(provider_key or "generic")
    if p is None or p.kind == "generic":
        return Advice(base.option, base.auth_type, base.reason)
    if base.option != "direct_sip":
        how = p.forwarding["how"].value
        return Advice(base.option, "", f"{base.reason} With {p.name}: {how}.")
    asked = base.auth_type or p.recommended_auth
    chosen = next(a for a in (*_FALLBACK[asked], p.recommended_auth) if a in p.auth_supported)
    if chosen == asked:
        reason = base.reason
    else:
        note = p.auth_note.value if p.auth_note else ""
        reason = f"{p.name} and {AUTH_WORDS[asked]}: {note}. So use {AUTH_WORDS[chosen]}."
    reason += _route_sentence(p, chosen)
    warning = ""
    if p.direct_unconfirmed:
        warning = (
            f"Direct SIP with {p.name} is not confirmed by the provider; DID forwarding "
            "is the reliable option."
        )
    return Advice("direct_sip", chosen, reason, _alternatives(p, chosen), warning)


def _route_sentence(p: Provider, auth_type: str) -> str:
    """Which of the provider's routes to use, when only some can answer the 407."""
    if not uses_credential(auth_type):
        return ""
    able = [r for r in p.routes if r.digest]
    unable = [r for r in p.routes if not r.digest]
    if not able or not unable:
        return ""
    names = " or ".join(r.name for r in unable)
    return f" Use {able[0].name} with the credentials: {names} can't answer Plivo's challenge."


def _alternatives(p: Provider, chosen: str) -> tuple[str, ...]:
    """Other workable setups, each with its catch, e.g. Twilio's trunking with an IP ACL."""
    out = []
    unable = [r for r in p.routes if not r.digest]
    if uses_credential(chosen) and unable and p.source_ips:
        catch = f", shared by all {p.name} customers" if p.ips_shared else ""
        count = len(p.source_ips)
        out.append(f"or {unable[0].name} with an IP ACL of {p.name}'s {count} ranges{catch}")
    if chosen == IP_ACL and not p.source_ips:
        out.append(f"ask {p.name} for the addresses it sends SIP from, for the IP ACL")
    return tuple(out)
