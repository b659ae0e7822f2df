"""Provider templates: the exact settings to enter at the carrier or PBX that keeps the number.

Source: shared/reference/providers.md. What that research could not confirm is
labelled UNCONFIRMED in the output. The real SIP password is never put in
output by default: templates show ``password_placeholder``; the wizard passes
the real one only to display it once on screen, right after generating it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

from wizard.plans.findings import Finding
from wizard.plivo.facts import AUTH_TYPES, SIP_DOMAIN, sip_uri

if TYPE_CHECKING:
    from wizard.plans.plan import Plan

REALM = SIP_DOMAIN  # UNCONFIRMED that the digest realm is literally app.plivo.com
APP_ID_PLACEHOLDER = "{app_id}"
PASSWORD_PLACEHOLDER = "<your SIP password>"
DIRECT = "direct_sip"
FORWARD = "did_forwarding"


@dataclass(frozen=True)
class ProviderTemplate:
    key: str
    name: str
    options_supported: tuple[str, ...]
    auth_supported: tuple[str, ...]  # auth types that work for direct_sip with this provider
    recommended_auth: str
    source_ips: tuple[str, ...] = ()
    source_ips_unconfirmed: bool = False
    source_ips_note: str = ""
    direct_unconfirmed: bool = False  # direct_sip itself is unconfirmed for this provider
    auth_note: str = ""  # why some auth types do not work


@dataclass
class SettingField:
    label: str
    value: str
    copyable: bool = True
    note: str = ""


@dataclass
class Snippet:
    title: str
    filename: str
    format: str  # "ini" | "xml" | "json" | "text"
    text: str


@dataclass
class ProviderSettings:
    provider: str
    name: str
    option: str
    app_id: str
    sip_uri: str
    plivo_number: str = ""  # did_forwarding: where calls are forwarded to
    fields: list[SettingField] = field(default_factory=list)
    snippets: list[Snippet] = field(default_factory=list)
    gotchas: list[str] = field(default_factory=list)
    source_ips: list[str] = field(default_factory=list)
    source_ips_unconfirmed: bool = False
    source_ips_note: str = ""
    unconfirmed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def snippet(self) -> str | None:
        """All snippets as one text, each under a comment naming its file."""
        if not self.snippets:
            return None
        parts = []
        for s in self.snippets:
            mark = {"ini": ";", "xml": "<!--", "json": "//", "text": "#"}[s.format]
            head = f"<!-- {s.filename} -->" if mark == "<!--" else f"{mark} {s.filename}"
            parts.append(f"{head}\n{s.text.rstrip()}\n")
        return "\n".join(parts)

    @property
    def snippet_language(self) -> str:
        """A lexer name for highlighting ``snippet`` (the first snippet's format)."""
        return self.snippets[0].format if self.snippets else "text"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["snippet"] = self.snippet
        return d


_PBX_NOTE = "the PBX's public IP address (behind NAT: the router's public address)"

PROVIDERS: dict[str, ProviderTemplate] = {
    t.key: t
    for t in (
        ProviderTemplate(
            "generic",
            "Generic carrier (forwards to a SIP URI)",
            (DIRECT, FORWARD),
            AUTH_TYPES,
            "ip_acl_and_credential",
            source_ips_note="ask the carrier for its signaling egress IPs/CIDRs",
        ),
        ProviderTemplate(
            "twilio",
            "Twilio",
            (DIRECT, FORWARD),
            ("credential", "ip_acl_and_credential"),
            "ip_acl_and_credential",
            source_ips=(
                "54.172.60.0/30",
                "54.244.51.0/30",
                "54.171.127.192/30",
                "35.156.191.128/30",
                "54.65.63.192/30",
                "54.169.127.128/30",
                "54.252.254.64/30",
                "177.71.206.192/30",
            ),
            source_ips_note=(
                "Elastic SIP Trunking signaling, shared by all Twilio customers; "
                "<Dial><Sip> egress may use wider ranges (UNCONFIRMED)"
            ),
            auth_note=(
                "Twilio's addresses are shared by all its customers, so an IP ACL alone lets "
                "any Twilio account call your app; add a credential (TwiML <Dial><Sip> sends it)"
            ),
        ),
        ProviderTemplate(
            "telnyx",
            "Telnyx",
            (DIRECT, FORWARD),
            ("ip_acl",),
            "ip_acl",
            source_ips=(
                "192.76.120.10",
                "64.16.250.10",
                "5.172.39.10",
                "5.172.39.25",
                "193.108.220.10",
                "193.108.220.25",
                "103.135.104.10",
                "103.135.104.25",
            ),
            source_ips_note="two per region (US, EU, CA, AU); calls fail over IP1 to IP2: "
            "allow both",
            auth_note=(
                "it is UNCONFIRMED that a Telnyx FQDN connection answers a digest challenge, "
                "so calls may fail with 407; use ip_acl"
            ),
        ),
        ProviderTemplate(
            "vonage",
            "Vonage",
            (DIRECT, FORWARD),
            ("ip_acl",),
            "ip_acl",
            source_ips=(
                "5.10.112.121",
                "5.10.112.122",
                "119.81.44.6",
                "119.81.44.7",
                "169.60.141.29",
                "169.60.141.30",
            ),
            source_ips_unconfirmed=True,
            source_ips_note="legacy list; ask Vonage for the current one",
            auth_note="Vonage's SIP connect has no username/password, so it cannot answer a digest "
            "challenge; use ip_acl",
        ),
        ProviderTemplate(
            "bandwidth",
            "Bandwidth",
            (DIRECT, FORWARD),
            ("ip_acl",),
            "ip_acl",
            source_ips=("216.82.224.202", "216.82.225.202"),
            source_ips_unconfirmed=True,
            source_ips_note="from community configs; Bandwidth support gives the real list",
            auth_note="Bandwidth's username/password on <Transfer> are for HTTP callbacks, not SIP "
            "digest; use ip_acl",
        ),
        ProviderTemplate(
            "signalwire",
            "SignalWire",
            (DIRECT, FORWARD),
            ("credential",),
            "credential",
            source_ips_unconfirmed=True,
            source_ips_note="none published (UNCONFIRMED); use credentials",
            auth_note="SignalWire publishes no source IPs, so an IP ACL cannot be filled in; "
            "use credential",
        ),
        ProviderTemplate(
            "asterisk",
            "Asterisk (PJSIP)",
            (DIRECT, FORWARD),
            AUTH_TYPES,
            "ip_acl_and_credential",
            source_ips_note=_PBX_NOTE,
        ),
        ProviderTemplate(
            "freeswitch",
            "FreeSWITCH",
            (DIRECT, FORWARD),
            AUTH_TYPES,
            "ip_acl_and_credential",
            source_ips_note=_PBX_NOTE,
        ),
        ProviderTemplate(
            "freepbx",
            "FreePBX",
            (DIRECT, FORWARD),
            AUTH_TYPES,
            "ip_acl_and_credential",
            source_ips_note=_PBX_NOTE,
        ),
        ProviderTemplate(
            "3cx",
            "3CX",
            (DIRECT, FORWARD),
            ("credential", "ip_acl_and_credential"),
            "credential",
            source_ips_note=_PBX_NOTE,
            direct_unconfirmed=True,
        ),
    )
}


def plan_warnings(plan: Plan) -> list[Finding]:
    """Warnings when the plan's auth or option does not fit its provider."""
    t = PROVIDERS.get(plan.provider)
    if t is None or plan.option != DIRECT or plan.auth is None:
        return []
    out = []
    if plan.auth.type not in t.auth_supported:
        out.append(
            Finding(
                "warning",
                "auth.type",
                f'{t.name} with type "{plan.auth.type}": {t.auth_note or "not supported"}',
            )
        )
    if t.direct_unconfirmed:
        out.append(
            Finding(
                "warning",
                "route.option",
                f"{t.name} supports only registration-based trunks (UNCONFIRMED) and Plivo "
                "application URIs take no REGISTER; did_forwarding may be the only reliable option",
            )
        )
    return out


# --- building the settings ---------------------------------------------------------------------


@dataclass
class _Ctx:
    option: str
    app_id: str
    uri: str
    auth_type: str
    username: str
    password: str
    plivo_number: str
    external_number: str
    has_acl: bool
    has_cred: bool
    acl_entries: list[str]

    @property
    def plivo_digits(self) -> str:
        return self.plivo_number.lstrip("+")

    @property
    def external_digits(self) -> str:
        return self.external_number.lstrip("+")


_Built = tuple[list[SettingField], list[Snippet], list[str], list[str]]

_REQUEST_URI = (
    "The Request-URI must carry the app id ({app_id}), not the phone number: Plivo routes by "
    "the Request-URI user part, and with the DID there no auth runs and SIPAuthType is missing "
    "from the callback."
)
_DIGEST = (
    "Configure the username and password at the provider: Plivo challenges with 407, and a "
    "provider without them drops the call."
)


def _national(number: str) -> str:
    """The national significant number (US: 10 digits) for forms that want no country code."""
    import phonenumbers

    try:
        return str(phonenumbers.parse(number, None).national_number)
    except phonenumbers.NumberParseException:
        return number.lstrip("+")


def _xml(root: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + root + "\n"


def _a(value: str) -> str:
    return quoteattr(value)


def _generic(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        fields = [
            SettingField("Forward calls to", c.plivo_number, note="call forwarding / auto-forward"),
            SettingField("Forwarding type", "always (unconditional)", copyable=False),
        ]
        gotchas = ["Look for 'call forwarding', 'auto-forward' or 'external destination'."]
        return fields, [], gotchas, []
    fields = [
        SettingField("Destination / Request-URI", c.uri, note="the user part must be the app id"),
        SettingField("Transport / port", "UDP 5060", note="TCP 5060 or TLS 5061: UNCONFIRMED"),
        SettingField("Codecs", "PCMU, PCMA; DTMF RFC 2833", copyable=False),
    ]
    if c.has_cred:
        fields += [
            SettingField("Digest username", c.username),
            SettingField("Digest password", c.password),
            SettingField("Digest realm", REALM, note="UNCONFIRMED; read it from a live 407"),
        ]
    if c.has_acl:
        fields.append(
            SettingField(
                "Ask them for",
                "their signaling egress IPs/CIDRs",
                copyable=False,
                note="for the Plivo IP ACL",
            )
        )
    gotchas = [
        _REQUEST_URI.format(app_id=c.app_id),
        "Many carriers keep the DID as the user part and let you change only the host; then "
        "use DID forwarding or a PBX in the middle.",
        "E.164 '+' handling differs by carrier.",
    ]
    return fields, [], gotchas, [f"TCP/TLS ports on {SIP_DOMAIN}", "the digest realm"]


def _twiml(inner: str) -> str:
    return _xml(f"<Response>\n  <Dial>{inner}</Dial>\n</Response>")


def _twilio(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        twiml = _twiml(escape(c.plivo_number))
        fields = [
            SettingField(
                "Where",
                "Phone Numbers > Manage > Active numbers > your number > Voice Configuration",
                copyable=False,
            ),
            SettingField("A call comes in", "TwiML Bin (below)", copyable=False),
            SettingField("Dial", c.plivo_number),
            SettingField(
                "callerId", "leave unset", copyable=False, note="the caller's number is passed on"
            ),
        ]
        return fields, [Snippet("TwiML Bin", "forward.xml", "xml", twiml)], [], []
    attrs = ""
    if c.has_cred:
        attrs = f" username={_a(c.username)} password={_a(c.password)}"
    twiml = _twiml(f"<Sip{attrs}>{escape(c.uri)}</Sip>")
    fields = [
        SettingField(
            "Where",
            "Phone Numbers > your number > Voice Configuration > A call comes in: TwiML Bin",
            copyable=False,
        ),
        SettingField("SIP URI", c.uri, note="add ;transport=tcp or ;transport=tls if wanted"),
    ]
    if c.has_cred:
        fields += [SettingField("username", c.username), SettingField("password", c.password)]
    fields.append(
        SettingField("region (optional)", ";region=us1", note="where the call leaves from")
    )
    gotchas = [
        "Use TwiML <Dial><Sip>: it sets the Request-URI exactly. Elastic SIP Trunking origination "
        "puts the called number in the Request-URI, which breaks Plivo routing.",
        "Twilio's IPs are shared by all its customers: use ip_acl_and_credential, "
        "not ip_acl alone.",
    ]
    return (
        fields,
        [Snippet("TwiML Bin", "dial-plivo.xml", "xml", twiml)],
        gotchas,
        [
            "whether a user part typed in an Elastic SIP Trunking origination URI survives",
            "the egress IPs of <Dial><Sip> (may be wider than the trunking list)",
        ],
    )


def _telnyx(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        body = {
            "call_forwarding": {
                "call_forwarding_enabled": True,
                "forwarding_type": "always",
                "forwards_to": c.plivo_number,
            }
        }
        fields = [
            SettingField("Where", "number > Voice settings > Call forwarding", copyable=False),
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
        return fields, [snippet], [], ["the API path and portal labels"]
    fields = [
        SettingField(
            "Where",
            "Voice > SIP Trunking > Create SIP Connection (FQDN) > Authentication and routing",
            copyable=False,
        ),
        SettingField("DNS record type", "A"),
        SettingField("FQDN", SIP_DOMAIN),
        SettingField("Port", "5060"),
        SettingField("Inbound SIP transport", "UDP", note="TCP/TLS possible"),
        SettingField("Inbound number format (DNIS/ANI)", "+E.164"),
        SettingField("Numbers", c.external_number, note="assign the number to the connection"),
        SettingField(
            "translated_number",
            c.app_id,
            note="UNCONFIRMED workaround so the Request-URI carries the app id",
        ),
    ]
    texml = _twiml(f"<Sip>{escape(c.uri)}</Sip>")
    gotchas = [
        "Telnyx fills the Request-URI user part with the dialed number, so Plivo will not find "
        f"the app. Set the number's translated_number to {c.app_id} (UNCONFIRMED), or use the "
        "TeXML app below (safer).",
        "Allow both IPs of your region: calls fail over from IP1 to IP2.",
    ]
    return (
        fields,
        [Snippet("TeXML app (safer route)", "texml.xml", "xml", texml)],
        gotchas,
        [
            "translated_number as a Request-URI workaround",
            "whether an FQDN connection answers a digest challenge",
            "whether TeXML <Sip> takes username/password",
        ],
    )


def _vonage(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        ncco = [{"action": "connect", "endpoint": [{"type": "phone", "number": c.plivo_digits}]}]
        fields = [
            SettingField(
                "Where", "Voice API application > answer_url returns this NCCO", copyable=False
            ),
            SettingField("number", c.plivo_digits, note="Vonage numbers carry no '+'"),
        ]
        return (
            fields,
            [Snippet("NCCO", "ncco.json", "json", json.dumps(ncco, indent=2))],
            ["Vonage writes numbers without the '+': use " + c.plivo_digits + "."],
            ["whether the dashboard offers a plain forward-to-phone option"],
        )
    ncco = [{"action": "connect", "endpoint": [{"type": "sip", "uri": c.uri}]}]
    fields = [
        SettingField("Where", "Numbers > your number > Forward to SIP", copyable=False),
        SettingField("SIP URI", c.uri, note="a comma list gives failover; ;timeout=2000..20000"),
        SettingField("SIP URI (TLS)", f"{c.uri};transport=tls", note="goes to 5061"),
    ]
    gotchas = [
        "Vonage cannot send a SIP username/password: Plivo must trust its IPs (ip_acl).",
        "Vonage writes numbers without the '+'.",
    ]
    return (
        fields,
        [Snippet("NCCO (Voice API alternative)", "ncco.json", "json", json.dumps(ncco, indent=2))],
        gotchas,
        ["the 'Forward to SIP' setting on today's dashboard", "Vonage's current source IPs"],
    )


def _bandwidth(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        ten = _national(c.plivo_number)
        bxml = _xml(f"<Response>\n  <Forward to={_a(c.plivo_number)}/>\n</Response>")
        tn = _xml(
            "<SipPeerTelephoneNumber>\n"
            f"  <FullNumber>{escape(_national(c.external_number))}</FullNumber>\n"
            f"  <CallForward>{escape(ten)}</CallForward>\n"
            "</SipPeerTelephoneNumber>"
        )
        fields = [
            SettingField("CallForward", ten, note="per-number option, national digits"),
            SettingField("or BXML Forward to", c.plivo_number),
        ]
        return (
            fields,
            [
                Snippet(
                    "PUT /api/accounts/{acct}/sites/{site}/sippeers/{peer}/tns/{tn}",
                    "tn.xml",
                    "xml",
                    tn,
                ),
                Snippet("BXML alternative", "forward.xml", "xml", bxml),
            ],
            [],
            [],
        )
    bxml = _xml(
        "<Response>\n  <Transfer>\n"
        f"    <SipUri>{escape(c.uri)}</SipUri>\n"
        "  </Transfer>\n</Response>"
    )
    fields = [SettingField("SIP URI", c.uri, note="BXML <Transfer><SipUri> or <Forward to>")]
    gotchas = [
        "username/password on <Transfer>/<SipUri> are for HTTP callbacks, not SIP digest: "
        "Plivo must trust Bandwidth's IPs (ip_acl).",
        "Get Bandwidth's signaling IPs from its support.",
    ]
    return (
        fields,
        [Snippet("BXML", "transfer.xml", "xml", bxml)],
        gotchas,
        ["that Bandwidth has no SIP digest option", "Bandwidth's source IPs"],
    )


def _signalwire(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        cxml = _twiml(escape(c.plivo_number))
        swml = (
            f'version: 1.0.0\nsections:\n  main:\n    - connect:\n        to: "{c.plivo_number}"\n'
        )
        fields = [
            SettingField(
                "Where", "number > Handle calls using: cXML or SWML script", copyable=False
            ),
            SettingField("Dial", c.plivo_number),
        ]
        return (
            fields,
            [
                Snippet("cXML", "forward.xml", "xml", cxml),
                Snippet("SWML alternative", "forward.yaml", "text", swml),
            ],
            [],
            [],
        )
    attrs = ""
    if c.has_cred:
        attrs = f" username={_a(c.username)} password={_a(c.password)}"
    cxml = _twiml(f'<Sip{attrs} codecs="PCMU,PCMA">{escape(c.uri)};transport=udp</Sip>')
    fields = [SettingField("SIP URI", f"{c.uri};transport=udp")]
    if c.has_cred:
        fields += [SettingField("username", c.username), SettingField("password", c.password)]
    gotchas = [
        "SignalWire's <Sip> transport defaults to TLS: keep ;transport=udp (or tcp) unless TLS "
        "on 5061 is confirmed for Plivo.",
        "SignalWire publishes no source IPs: use credential auth.",
    ]
    return fields, [Snippet("cXML", "dial-plivo.xml", "xml", cxml)], gotchas, ["source IPs"]


def _ini_value(value: str) -> str:
    # ';' starts a comment in Asterisk config files.
    return value.replace(";", r"\;")


def _asterisk(c: _Ctx) -> _Built:
    ext = c.external_digits if c.external_digits.isdigit() else "_X."
    if c.option == FORWARD:
        conf = (
            "[from-carrier]\n"
            "; calls to your number arrive here; forward them to the Plivo number\n"
            f"exten => {ext},1,Dial(PJSIP/{c.plivo_number}@your-carrier-trunk)\n"
            " same => n,Hangup()\n"
        )
        fields = [SettingField("Dial", c.plivo_number, note="through your existing outbound trunk")]
        return (
            fields,
            [Snippet("extensions.conf", "extensions.conf", "ini", conf)],
            ["Replace your-carrier-trunk with the PJSIP endpoint of your outbound carrier."],
            [],
        )
    lines = []
    if c.has_cred:
        lines += [
            "[plivo-auth]",
            "type=auth",
            "auth_type=userpass",
            f"username={_ini_value(c.username)}",
            f"password={_ini_value(c.password)}",
            f"realm={REALM}          ; optional; blank = answer any realm",
            "",
        ]
    lines += [
        "; needs a transport named transport-udp, for example:",
        "; [transport-udp]",
        "; type=transport",
        "; protocol=udp",
        "; bind=0.0.0.0",
        "",
        "[plivo]",
        "type=aor",
        f"contact=sip:{SIP_DOMAIN}:5060",
        "",
        "[plivo]",
        "type=endpoint",
        "transport=transport-udp",
        "context=from-plivo",
        "disallow=all",
        "allow=ulaw,alaw",
    ]
    if c.has_cred:
        lines.append("outbound_auth=plivo-auth")
    lines += [
        "aors=plivo",
        "direct_media=no",
        "",
        "[plivo]",
        "type=identify",
        "endpoint=plivo",
        f"match={SIP_DOMAIN}",
    ]
    pjsip = "\n".join(lines) + "\n"
    ext_conf = (
        "[from-carrier]\n"
        "; calls to your number arrive here; the dial-string user becomes the Request-URI user\n"
        f"exten => {ext},1,Dial(PJSIP/{c.app_id}@plivo)\n"
        " same => n,Hangup()\n"
        "\n"
        "[from-plivo]\n"
        "; Plivo does not call this PBX on this trunk\n"
        "exten => _X.,1,Hangup()\n"
    )
    fields = [
        SettingField("Dial string", f"PJSIP/{c.app_id}@plivo"),
        SettingField("Contact", f"sip:{SIP_DOMAIN}:5060"),
    ]
    if c.has_cred:
        fields += [SettingField("username", c.username), SettingField("password", c.password)]
    gotchas = [
        f"Dial PJSIP/{c.app_id}@plivo, not the DID: the dial-string user becomes the "
        "Request-URI user.",
        "The source IP Plivo sees is the PBX's public IP; behind NAT set external_media_address "
        "and external_signaling_address on the transport.",
    ]
    return (
        fields,
        [
            Snippet("pjsip.conf", "pjsip.conf", "ini", pjsip),
            Snippet("extensions.conf", "extensions.conf", "ini", ext_conf),
        ],
        gotchas,
        ["the digest realm"] if c.has_cred else [],
    )


def _freeswitch(c: _Ctx) -> _Built:
    expr = f"^\\+?{re.escape(c.external_digits)}$" if c.external_digits else "^.*$"
    target = f"sofia/gateway/plivo/{c.app_id}"
    if c.option == FORWARD:
        target = f"sofia/gateway/your-carrier/{c.plivo_number}"
    dialplan = (
        "<include>\n"
        '  <extension name="to-plivo">\n'
        f'    <condition field="destination_number" expression={_a(expr)}>\n'
        f'      <action application="bridge" data={_a(target)}/>\n'
        "    </condition>\n"
        "  </extension>\n"
        "</include>\n"
    )
    if c.option == FORWARD:
        fields = [SettingField("Bridge to", target)]
        return (
            fields,
            [Snippet("dialplan/public/to-plivo.xml", "to-plivo.xml", "xml", dialplan)],
            ["Replace your-carrier with the gateway of your outbound carrier."],
            [],
        )
    username = c.username if c.has_cred else "plivo"
    password = c.password if c.has_cred else "unused-ip-acl-only"
    gateway = (
        "<include>\n"
        '  <gateway name="plivo">\n'
        f'    <param name="proxy" value="{SIP_DOMAIN}"/>\n'
        f'    <param name="realm" value="{REALM}"/>\n'
        f'    <param name="username" value={_a(username)}/>\n'
        f'    <param name="password" value={_a(password)}/>\n'
        '    <param name="register" value="false"/>\n'
        '    <param name="caller-id-in-from" value="true"/>\n'
        "  </gateway>\n"
        "</include>\n"
    )
    fields = [SettingField("Bridge", target), SettingField("Proxy", SIP_DOMAIN)]
    if c.has_cred:
        fields += [SettingField("username", c.username), SettingField("password", c.password)]
    gotchas = [
        f"Bridge to sofia/gateway/plivo/{c.app_id}: the app id, not the DID, must be the "
        "Request-URI user.",
        "For TCP add register-transport=tcp, or ;transport=tcp to the proxy.",
        "Put PCMU,PCMA in outbound-codec-prefs.",
    ]
    if not c.has_cred:
        gotchas.append(
            "With ip_acl only, Plivo never challenges: the gateway's username and "
            "password are placeholders FreeSWITCH requires, never sent."
        )
    return (
        fields,
        [
            Snippet("sip_profiles/external/plivo.xml", "plivo.xml", "xml", gateway),
            Snippet("dialplan/public/to-plivo.xml", "to-plivo.xml", "xml", dialplan),
        ],
        gotchas,
        ["the digest realm"] if c.has_cred else [],
    )


def _freepbx(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        fields = [
            SettingField("Inbound Route destination", "Misc Destination", copyable=False),
            SettingField("Dial", c.plivo_number, note="through your outbound route"),
        ]
        return fields, [], ["Your outbound route must allow the Plivo number's country."], []
    fields = [
        SettingField("Where", "Connectivity > Trunks > Add SIP (chan_pjsip) Trunk", copyable=False),
    ]
    if c.has_cred:
        fields += [SettingField("Username", c.username), SettingField("Secret", c.password)]
        fields.append(SettingField("Authentication", "Outbound"))
    else:
        fields.append(SettingField("Authentication", "None"))
    fields += [
        SettingField("Registration", "None"),
        SettingField("SIP Server", SIP_DOMAIN),
        SettingField("SIP Server Port", "5060"),
        SettingField("Codecs", "ulaw, alaw"),
        SettingField("Inbound Route > Custom Destination", "to-plivo,s,1"),
    ]
    custom = (
        "[to-plivo]\n"
        "; target of the Inbound Route's Custom Destination; 'plivo' is the trunk name\n"
        f"exten => s,1,Dial(PJSIP/{c.app_id}@plivo)\n"
        " same => n,Hangup()\n"
    )
    gotchas = [
        "Name the trunk plivo (or change the Dial line): PJSIP/{app_id}@<trunk> puts the app id "
        "in the Request-URI, which works because app ids are all digits.".replace(
            "{app_id}", c.app_id
        ),
    ]
    return (
        fields,
        [Snippet("extensions_custom.conf", "extensions_custom.conf", "ini", custom)],
        (gotchas),
        [],
    )


def _3cx(c: _Ctx) -> _Built:
    if c.option == FORWARD:
        fields = [
            SettingField("Inbound rule", "forward the DID to an external number", copyable=False),
            SettingField("External number", c.plivo_number),
        ]
        return fields, [], [], []
    fields = [
        SettingField("Trunk type", "Generic SIP trunk", copyable=False),
        SettingField("Registrar / server", SIP_DOMAIN),
        SettingField("Registration", "off"),
    ]
    if c.has_cred:
        fields += [SettingField("Auth ID", c.username), SettingField("Password", c.password)]
    fields += [
        SettingField("Inbound rule: forward DID to external number", c.app_id),
        SettingField("Outbound rule", "send it via the Plivo trunk", copyable=False),
    ]
    gotchas = [
        "3CX's provider guide says it supports only registration-based trunks, and Plivo "
        "application URIs take no REGISTER: DID forwarding may be the only reliable option.",
    ]
    return fields, [], gotchas, ["that 3CX can use a trunk with registration off"]


_BUILDERS: dict[str, Callable[[_Ctx], _Built]] = {
    "generic": _generic,
    "twilio": _twilio,
    "telnyx": _telnyx,
    "vonage": _vonage,
    "bandwidth": _bandwidth,
    "signalwire": _signalwire,
    "asterisk": _asterisk,
    "freeswitch": _freeswitch,
    "freepbx": _freepbx,
    "3cx": _3cx,
}


class UnknownProvider(ValueError):
    pass


def get_template(key: str) -> ProviderTemplate:
    if key not in PROVIDERS:
        import difflib

        close = difflib.get_close_matches(key, list(PROVIDERS), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise UnknownProvider(
            f"unknown provider {key!r}{hint}; known: {', '.join(PROVIDERS)} "
            "(byon settings --list-providers)"
        )
    return PROVIDERS[key]


def _uncovered(entries: list[str], ips: tuple[str, ...]) -> list[str]:
    """The provider's source IPs/ranges that no ACL entry covers."""
    import ipaddress

    nets = []
    for e in entries:
        try:
            nets.append(ipaddress.ip_network(e, strict=False))
        except ValueError:
            continue
    out = []
    for ip in ips:
        src = ipaddress.ip_network(ip, strict=False)
        if not any(src.version == n.version and src.subnet_of(n) for n in nets):  # type: ignore[arg-type]
            out.append(ip)
    return out


def settings_for(
    plan: Plan,
    provider_key: str | None = None,
    *,
    app_id: str | None = None,
    password_placeholder: str = PASSWORD_PLACEHOLDER,
) -> ProviderSettings:
    """The exact provider-side settings for the plan. ``app_id`` defaults to the plan's;
    without one the text shows ``{app_id}`` and a note to run ``byon apply`` first."""
    key = provider_key or plan.provider or "generic"
    template = get_template(key)
    app_id = app_id or plan.application.app_id or APP_ID_PLACEHOLDER
    auth = plan.auth if plan.option == DIRECT else None
    auth_type = auth.type if auth else ""
    has_cred = bool(auth and auth.credential and "credential" in auth_type)
    has_acl = bool(auth and auth.ip_acl and "ip_acl" in auth_type)
    plivo_number = ""
    if plan.forwarding:
        plivo_number = plan.forwarding.plivo_number
    if not plivo_number or plivo_number == "buy":
        plivo_number = "{plivo_number}"
    ctx = _Ctx(
        option=plan.option,
        app_id=app_id,
        uri=sip_uri(app_id),
        auth_type=auth_type,
        username=auth.credential.username if has_cred and auth and auth.credential else "",
        password=password_placeholder,
        plivo_number=plivo_number,
        external_number=plan.external_number or "{external_number}",
        has_acl=has_acl,
        has_cred=has_cred,
        acl_entries=list(auth.ip_acl.entries) if has_acl and auth and auth.ip_acl else [],
    )
    fields, snippets, gotchas, unconfirmed = _BUILDERS[key](ctx)
    out = ProviderSettings(
        provider=key,
        name=template.name,
        option=plan.option,
        app_id=app_id,
        sip_uri=ctx.uri,
        plivo_number=plivo_number if plan.option == FORWARD else "",
        fields=fields,
        snippets=snippets,
        gotchas=list(gotchas),
        unconfirmed=list(unconfirmed),
    )
    if plan.option == DIRECT:
        out.source_ips = list(template.source_ips)
        out.source_ips_unconfirmed = template.source_ips_unconfirmed
        out.source_ips_note = template.source_ips_note
        if template.direct_unconfirmed:
            out.unconfirmed.append(f"Direct SIP with {template.name}")
        if has_cred and "credential" in template.auth_supported:
            out.gotchas.append(_DIGEST)
        if auth_type and auth_type not in template.auth_supported:
            out.gotchas.insert(0, f'{template.name} with type "{auth_type}": {template.auth_note}')
        if has_acl and template.source_ips and not template.source_ips_unconfirmed:
            missing = _uncovered(ctx.acl_entries, template.source_ips)
            if missing and len(missing) < len(template.source_ips):
                out.gotchas.append(
                    f"Your IP ACL does not cover these {template.name} addresses: "
                    + ", ".join(missing)
                    + " (a call from one of them gets 403)."
                )
    if app_id == APP_ID_PLACEHOLDER:
        out.notes.append(
            "The plan has no app_id yet: run `byon apply` first, then replace {app_id} "
            "(or run `byon settings` again)."
        )
    if plan.option == FORWARD and "{plivo_number}" in plivo_number:
        out.notes.append(
            'The Plivo number is not known yet (plivo_number = "buy"): run `byon apply`, '
            "then run `byon settings` again."
        )
    return out


# --- byon settings ------------------------------------------------------------------------------


def format_settings(s: ProviderSettings) -> str:
    if s.option == DIRECT:
        head = f"{s.name}: Direct SIP to Plivo application {s.app_id} ({s.sip_uri})"
    else:
        head = f"{s.name}: DID forwarding to the Plivo number {s.plivo_number}"
    lines = [head, ""]
    width = max((len(f.label) for f in s.fields), default=0)
    for f in s.fields:
        note = f"   ({f.note})" if f.note else ""
        lines.append(f"  {f.label.ljust(width)}  {f.value}{note}")
    for snip in s.snippets:
        lines += ["", f"{snip.title}:", ""]
        lines += [f"    {ln}" if ln else "" for ln in snip.text.rstrip().splitlines()]
    if s.source_ips or s.source_ips_note:
        tag = " (UNCONFIRMED)" if s.source_ips_unconfirmed else ""
        lines += ["", f"Source IPs for the Plivo IP ACL{tag}: {s.source_ips_note}"]
        lines += [f"    {ip}" for ip in s.source_ips]
    if s.gotchas:
        lines += ["", "Gotchas:"] + [f"  - {g}" for g in s.gotchas]
    if s.unconfirmed:
        lines += ["", "UNCONFIRMED (check with the provider):"] + [
            f"  - {u}" for u in s.unconfirmed
        ]
    if s.notes:
        lines += ["", *[f"Note: {n}" for n in s.notes]]
    return "\n".join(lines) + "\n"
