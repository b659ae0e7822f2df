"""Renderers for carriers: fields and snippets for the generic carrier, Twilio, Telnyx, Vonage,
Bandwidth and SignalWire. Facts (where a setting lives, what a route can do) come from the
provider's data; only the layout is here."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape, quoteattr

from wizard.numbers import national_number
from wizard.plivo.facts import SIP_DOMAIN
from wizard.providers.facts import plivo
from wizard.providers.model import FORWARD, Ctx, SettingField, Snippet

Rendered = tuple[list[SettingField], list[Snippet]]


def xml_doc(root: str) -> str:
    """An XML document with its declaration."""
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + root + "\n"


def attr(value: str) -> str:
    """An XML attribute value, quoted and escaped (passwords may hold any character)."""
    return quoteattr(value)


def twiml(inner: str) -> str:
    """A <Response><Dial> document (TwiML, and SignalWire's cXML)."""
    return xml_doc(f"<Response>\n  <Dial>{inner}</Dial>\n</Response>")


def where(c: Ctx, route: int | None = 0) -> list[SettingField]:
    """The 'Where' row from the data: the forwarding's, or the given route's."""
    facts = c.provider.forwarding if c.option == FORWARD else c.provider.routes[route or 0].facts
    fact = facts.get("where")
    return [SettingField("Where", str(fact.value), copyable=False)] if fact else []


def credentials(c: Ctx, user: str = "username", secret: str = "password") -> list[SettingField]:
    """The username and password rows, when the plan uses credentials."""
    if not c.has_cred:
        return []
    return [SettingField(user, c.username), SettingField(secret, c.password)]


def generic(c: Ctx) -> Rendered:
    """A carrier byon has no data for: what to ask it to set."""
    if c.option == FORWARD:
        return [
            SettingField("Forward calls to", c.plivo_number, note="call forwarding / auto-forward"),
            SettingField("Forwarding type", "always (unconditional)", copyable=False),
        ], []
    sip = plivo()
    fields = [
        SettingField("Destination / Request-URI", c.uri, note="the user part must be the app id"),
        SettingField(
            "Transport / port",
            f"UDP {sip.sip_udp_port}",
            note=f"TCP {sip.sip_tcp_port} or TLS {sip.sip_tls_port}: not confirmed by Plivo",
        ),
        SettingField("Codecs", sip.sip_codecs, copyable=False),
    ]
    if c.has_cred:
        fields += [
            SettingField("Digest username", c.username),
            SettingField("Digest password", c.password),
            SettingField("Digest realm", sip.sip_realm, note="not confirmed; read it from a 407"),
        ]
    if c.has_acl:
        fields.append(
            SettingField(
                "Ask them for",
                "their signalling egress IPs/CIDRs",
                copyable=False,
                note="for the Plivo IP ACL",
            )
        )
    return fields, []


def twilio(c: Ctx) -> Rendered:
    """Twilio: a TwiML Bin that dials the number, or <Dial><Sip> with credentials."""
    if c.option == FORWARD:
        fields = [
            *where(c),
            SettingField("A call comes in", "TwiML Bin (below)", copyable=False),
            SettingField("Dial", c.plivo_number),
            SettingField(
                "callerId", "leave unset", copyable=False, note="the caller's number is passed on"
            ),
        ]
        return fields, [Snippet("TwiML Bin", "forward.xml", "xml", twiml(escape(c.plivo_number)))]
    attrs = f" username={attr(c.username)} password={attr(c.password)}" if c.has_cred else ""
    fields = [
        *where(c),
        SettingField("SIP URI", c.uri, note="add ;transport=tcp or ;transport=tls if wanted"),
        *credentials(c),
        SettingField("region (optional)", ";region=us1", note="where the call leaves from"),
    ]
    snippet = Snippet(
        "TwiML Bin", "dial-plivo.xml", "xml", twiml(f"<Sip{attrs}>{escape(c.uri)}</Sip>")
    )
    return fields, [snippet]


def telnyx(c: Ctx) -> Rendered:
    """Telnyx: call forwarding, or an FQDN connection plus the safer TeXML app."""
    if c.option == FORWARD:
        body = {
            "call_forwarding": {
                "call_forwarding_enabled": True,
                "forwarding_type": "always",
                "forwards_to": c.plivo_number,
            }
        }
        fields = [
            *where(c),
            SettingField("call_forwarding_enabled", "true"),
            SettingField("forwarding_type", "always"),
            SettingField("forwards_to", c.plivo_number),
        ]
        snippet = Snippet(
            "API body for PATCH /v2/phone_numbers/{id}/voice",
            "voice.json",
            "json",
            json.dumps(body, indent=2),
        )
        return fields, [snippet]
    fields = [
        *where(c),
        SettingField("DNS record type", "A"),
        SettingField("FQDN", SIP_DOMAIN),
        SettingField("Port", str(plivo().sip_udp_port)),
        SettingField("Inbound SIP transport", "UDP", note="TCP/TLS possible"),
        SettingField("Inbound number format (DNIS/ANI)", "+E.164"),
        SettingField("Numbers", c.external_number, note="assign the number to the connection"),
        SettingField(
            "translated_number",
            c.app_id,
            note="workaround so the Request-URI carries the app id (not confirmed by Telnyx)",
        ),
    ]
    texml = Snippet(
        "TeXML app (safer route)", "texml.xml", "xml", twiml(f"<Sip>{escape(c.uri)}</Sip>")
    )
    return fields, [texml]


def vonage(c: Ctx) -> Rendered:
    """Vonage: an NCCO connect (digits, no '+'), or Forward to SIP."""
    if c.option == FORWARD:
        ncco = [{"action": "connect", "endpoint": [{"type": "phone", "number": c.plivo_digits}]}]
        fields = [
            *where(c),
            SettingField("number", c.plivo_digits, note="Vonage numbers carry no '+'"),
        ]
        return fields, [Snippet("NCCO", "ncco.json", "json", json.dumps(ncco, indent=2))]
    ncco = [{"action": "connect", "endpoint": [{"type": "sip", "uri": c.uri}]}]
    fields = [
        *where(c),
        SettingField("SIP URI", c.uri, note="a comma list gives failover; ;timeout=2000..20000"),
        SettingField("SIP URI (TLS)", f"{c.uri};transport=tls", note="goes to 5061"),
    ]
    snippet = Snippet(
        "NCCO (Voice API alternative)", "ncco.json", "json", json.dumps(ncco, indent=2)
    )
    return fields, [snippet]


def bandwidth(c: Ctx) -> Rendered:
    """Bandwidth: CallForward or BXML <Forward>, or BXML <Transfer><SipUri>."""
    if c.option == FORWARD:
        ten = national_number(c.plivo_number)
        bxml = xml_doc(f"<Response>\n  <Forward to={attr(c.plivo_number)}/>\n</Response>")
        tn = xml_doc(
            "<SipPeerTelephoneNumber>\n"
            f"  <FullNumber>{escape(national_number(c.external_number))}</FullNumber>\n"
            f"  <CallForward>{escape(ten)}</CallForward>\n"
            "</SipPeerTelephoneNumber>"
        )
        fields = [
            SettingField("CallForward", ten, note="per-number option, national digits"),
            SettingField("or BXML Forward to", c.plivo_number),
        ]
        return fields, [
            Snippet(
                "PUT /api/accounts/{acct}/sites/{site}/sippeers/{peer}/tns/{tn}",
                "tn.xml",
                "xml",
                tn,
            ),
            Snippet("BXML alternative", "forward.xml", "xml", bxml),
        ]
    transfer = f"<Transfer>\n    <SipUri>{escape(c.uri)}</SipUri>\n  </Transfer>"
    bxml = xml_doc(f"<Response>\n  {transfer}\n</Response>")
    fields = [SettingField("SIP URI", c.uri, note="BXML <Transfer><SipUri> or <Forward to>")]
    return fields, [Snippet("BXML", "transfer.xml", "xml", bxml)]


def signalwire(c: Ctx) -> Rendered:
    """SignalWire: cXML/SWML forwarding, or cXML <Dial><Sip> over UDP."""
    if c.option == FORWARD:
        swml = (
            f'version: 1.0.0\nsections:\n  main:\n    - connect:\n        to: "{c.plivo_number}"\n'
        )
        fields = [*where(c), SettingField("Dial", c.plivo_number)]
        return fields, [
            Snippet("cXML", "forward.xml", "xml", twiml(escape(c.plivo_number))),
            Snippet("SWML alternative", "forward.yaml", "text", swml),
        ]
    attrs = f" username={attr(c.username)} password={attr(c.password)}" if c.has_cred else ""
    cxml = twiml(f'<Sip{attrs} codecs="PCMU,PCMA">{escape(c.uri)};transport=udp</Sip>')
    fields = [*where(c), SettingField("SIP URI", f"{c.uri};transport=udp"), *credentials(c)]
    return fields, [Snippet("cXML", "dial-plivo.xml", "xml", cxml)]
