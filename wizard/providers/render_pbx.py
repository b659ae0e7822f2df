"""Renderers for PBXes in front of the carrier: Asterisk, FreeSWITCH, FreePBX and 3CX.
Facts come from the provider's data; only the layout of the config files is here."""

from __future__ import annotations

import re

from wizard.plivo.facts import SIP_DOMAIN
from wizard.providers.facts import plivo
from wizard.providers.model import FORWARD, Ctx, SettingField, Snippet
from wizard.providers.render_carriers import Rendered, attr, credentials, where


def ini_value(value: str) -> str:
    """A value for an Asterisk config line: ';' starts a comment there."""
    return value.replace(";", r"\;")


def _pjsip_conf(c: Ctx) -> str:
    sip = plivo()
    lines = []
    if c.has_cred:
        lines += [
            "[plivo-auth]",
            "type=auth",
            "auth_type=userpass",
            f"username={ini_value(c.username)}",
            f"password={ini_value(c.password)}",
            f"realm={sip.sip_realm}          ; optional; blank = answer any realm",
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
        f"contact=sip:{SIP_DOMAIN}:{sip.sip_udp_port}",
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
    return "\n".join(lines) + "\n"


def asterisk(c: Ctx) -> Rendered:
    """Asterisk: pjsip.conf and extensions.conf dialing PJSIP/{app_id}@plivo."""
    ext = c.external_digits if c.external_digits.isdigit() else "_X."
    if c.option == FORWARD:
        conf = (
            "[from-carrier]\n"
            "; calls to your number arrive here; forward them to the Plivo number\n"
            f"exten => {ext},1,Dial(PJSIP/{c.plivo_number}@your-carrier-trunk)\n"
            " same => n,Hangup()\n"
        )
        fields = [SettingField("Dial", c.plivo_number, note="through your existing outbound trunk")]
        return fields, [Snippet("extensions.conf", "extensions.conf", "ini", conf)]
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
    sip = plivo()
    fields = [
        SettingField("Dial string", f"PJSIP/{c.app_id}@plivo"),
        SettingField("Contact", f"sip:{SIP_DOMAIN}:{sip.sip_udp_port}"),
        *credentials(c),
    ]
    return fields, [
        Snippet("pjsip.conf", "pjsip.conf", "ini", _pjsip_conf(c)),
        Snippet("extensions.conf", "extensions.conf", "ini", ext_conf),
    ]


def freeswitch(c: Ctx) -> Rendered:
    """FreeSWITCH: a register=false gateway and a dialplan bridging to it."""
    expr = f"^\\+?{re.escape(c.external_digits)}$" if c.external_digits else "^.*$"
    target = f"sofia/gateway/plivo/{c.app_id}"
    if c.option == FORWARD:
        target = f"sofia/gateway/your-carrier/{c.plivo_number}"
    dialplan = (
        "<include>\n"
        '  <extension name="to-plivo">\n'
        f'    <condition field="destination_number" expression={attr(expr)}>\n'
        f'      <action application="bridge" data={attr(target)}/>\n'
        "    </condition>\n"
        "  </extension>\n"
        "</include>\n"
    )
    dialplan_snippet = Snippet("dialplan/public/to-plivo.xml", "to-plivo.xml", "xml", dialplan)
    if c.option == FORWARD:
        return [SettingField("Bridge to", target)], [dialplan_snippet]
    sip = plivo()
    username = c.username if c.has_cred else "plivo"
    password = c.password if c.has_cred else "unused-ip-acl-only"
    gateway = (
        "<include>\n"
        '  <gateway name="plivo">\n'
        f'    <param name="proxy" value="{SIP_DOMAIN}"/>\n'
        f'    <param name="realm" value="{sip.sip_realm}"/>\n'
        f'    <param name="username" value={attr(username)}/>\n'
        f'    <param name="password" value={attr(password)}/>\n'
        '    <param name="register" value="false"/>\n'
        '    <param name="caller-id-in-from" value="true"/>\n'
        "  </gateway>\n"
        "</include>\n"
    )
    fields = [
        SettingField("Bridge", target),
        SettingField("Proxy", SIP_DOMAIN),
        *credentials(c),
    ]
    return fields, [
        Snippet("sip_profiles/external/plivo.xml", "plivo.xml", "xml", gateway),
        dialplan_snippet,
    ]


def freepbx(c: Ctx) -> Rendered:
    """FreePBX: the chan_pjsip trunk's fields and the Custom Destination."""
    if c.option == FORWARD:
        fields = [
            *where(c),
            SettingField("Inbound Route destination", "Misc Destination", copyable=False),
            SettingField("Dial", c.plivo_number, note="through your outbound route"),
        ]
        return fields, []
    sip = plivo()
    fields = [*where(c)]
    if c.has_cred:
        fields += [
            *credentials(c, "Username", "Secret"),
            SettingField("Authentication", "Outbound"),
        ]
    else:
        fields.append(SettingField("Authentication", "None"))
    fields += [
        SettingField("Registration", "None"),
        SettingField("SIP Server", SIP_DOMAIN),
        SettingField("SIP Server Port", str(sip.sip_udp_port)),
        SettingField("Codecs", "ulaw, alaw"),
        SettingField("Inbound Route > Custom Destination", "to-plivo,s,1"),
    ]
    custom = (
        "[to-plivo]\n"
        "; target of the Inbound Route's Custom Destination; 'plivo' is the trunk name\n"
        f"exten => s,1,Dial(PJSIP/{c.app_id}@plivo)\n"
        " same => n,Hangup()\n"
    )
    return fields, [Snippet("extensions_custom.conf", "extensions_custom.conf", "ini", custom)]


def threecx(c: Ctx) -> Rendered:
    """3CX: a generic trunk with registration off (or DID forwarding)."""
    if c.option == FORWARD:
        fields = [*where(c), SettingField("External number", c.plivo_number)]
        return fields, []
    fields = [
        SettingField("Trunk type", "Generic SIP trunk", copyable=False),
        SettingField("Registrar / server", SIP_DOMAIN),
        SettingField("Registration", "off"),
        *credentials(c, "Auth ID", "Password"),
    ]
    if not c.has_cred:
        fields.append(SettingField("Authentication", "Do not require - IP based", copyable=False))
    fields += [
        SettingField("Inbound rule: forward DID to external number", c.app_id),
        SettingField("Outbound rule", "send it via the Plivo trunk", copyable=False),
    ]
    return fields, []
