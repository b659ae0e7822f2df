"""Renderer for Kamailio as the SIP proxy in front of Plivo: a complete, minimal kamailio.cfg.

Calls for the external number go to ``sip:{app_id}@app.plivo.com``; a failure_route answers
Plivo's 407 with the uac module's ``uac_auth()``. The password is never in the file: Kamailio
reads it from the environment variable the plan names, and refuses to start without it.
The address INVITEs are sent to is one line, ``EDGE_DEFINE``, so a test (or a staging setup)
can point the proxy at another edge while the Request-URI stays ``sip:{app_id}@app.plivo.com``.
"""

from __future__ import annotations

from wizard.plivo.facts import SIP_DOMAIN, sip_uri
from wizard.providers.model import FORWARD, Ctx, SettingField, Snippet
from wizard.providers.render_carriers import Rendered

EDGE_DEFINE = f'#!define PLIVO_EDGE "{SIP_DOMAIN}"'
CARRIER_DEFINE = '#!define CARRIER_EDGE "sip.your-carrier.example"'


def cfg_string(value: str) -> str:
    """A Kamailio config string literal: quotes and backslashes escaped, no line breaks."""
    flat = value.replace("\r", " ").replace("\n", " ")
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rewrite_edge(cfg: str, host_port: str) -> str:
    """The same config sending INVITEs to ``host_port`` (e.g. "127.0.0.1:5070") instead of
    app.plivo.com; only the PLIVO_EDGE line changes. Raises ValueError if it is missing."""
    if cfg.count(EDGE_DEFINE) != 1:
        raise ValueError("the config has no single PLIVO_EDGE line to rewrite")
    return cfg.replace(EDGE_DEFINE, f"#!define PLIVO_EDGE {cfg_string(host_port)}")


_MODULES = ("tm", "sl", "rr", "pv", "maxfwd", "textops", "siputils", "xlog")

_IN_DIALOG = """\
    # requests inside a call (ACK, BYE, re-INVITE) follow the recorded route
    if (has_totag()) {
        if (loose_route()) {
            t_relay();
            exit;
        }
        if (is_method("ACK") && t_check_trans()) {
            t_relay();
        }
        exit;
    }
    if (is_method("CANCEL")) {
        if (t_check_trans()) {
            t_relay();
        }
        exit;
    }
    t_check_trans();
    if (is_method("OPTIONS") && uri == myself) {
        sl_send_reply("200", "OK");
        exit;
    }
    if (!is_method("INVITE")) {
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }
"""

_FAILURE_ROUTE = """\
# Plivo challenges with 407: answer it once with the Plivo SIP credential
failure_route[PLIVO_AUTH] {
    if (t_is_canceled()) {
        exit;
    }
    if (t_check_status("401|407")) {
        $avp(auser) = PLIVO_USER;
        $avp(apass) = $env(%(env)s);
        if (uac_auth()) {
            t_relay();
        }
        exit;
    }
}
"""


def _header(c: Ctx, target: str) -> list[str]:
    lines = [
        "#!KAMAILIO",
        "#",
        f"# kamailio.cfg for {c.provider.name}: calls for {c.external_number} go to {target}.",
        "# Check it with: kamailio -c -f kamailio.cfg",
        "# Kamailio listens on all addresses, UDP 5060, unless you add listen= or -l.",
        "",
    ]
    if c.option == FORWARD:
        return [*lines, "# your carrier's SIP server (host or host:port)", CARRIER_DEFINE]
    lines += [
        f"# where INVITEs are sent; the Request-URI stays {sip_uri('PLIVO_APP_ID')}",
        EDGE_DEFINE,
        f"#!define PLIVO_APP_ID {cfg_string(c.app_id)}",
    ]
    if c.has_cred:
        lines += [
            f"#!define PLIVO_USER {cfg_string(c.username)}",
            f"# the password is read from ${c.password_env} at call time, never from this file;",
            "# this line makes Kamailio refuse to start when that variable is unset",
            f"#!defenv PLIVO_PASSWORD_IS_SET={c.password_env}",
        ]
    return lines


def kamailio_cfg(c: Ctx) -> str:
    """The whole kamailio.cfg for the plan (Direct SIP, or DID forwarding via your carrier)."""
    forward = c.option == FORWARD
    target = f"the Plivo number {c.plivo_number}" if forward else c.uri
    lines = _header(c, target)
    lines += [
        f"#!define EXTERNAL_NUMBER {cfg_string(c.external_digits)}",
        f"#!define EXTERNAL_NUMBER_E164 {cfg_string('+' + c.external_digits)}",
        "",
    ]
    modules = [*_MODULES, *(() if forward or not c.has_cred else ("dialog", "uac"))]
    lines += [f'loadmodule "{m}.so"' for m in modules]
    if c.has_cred and not forward:
        lines += [
            "",
            "# uac_auth() does not raise the CSeq itself; the dialog module does",
            'modparam("dialog", "track_cseq_updates", 1)',
            'modparam("uac", "auth_username_avp", "$avp(auser)")',
            'modparam("uac", "auth_password_avp", "$avp(apass)")',
            'modparam("uac", "auth_realm_avp", "$avp(arealm)")',
        ]
    lines += ["", "request_route {"]
    lines += [
        '    if (!mf_process_maxfwd_header("10")) {',
        '        sl_send_reply("483", "Too Many Hops");',
        "        exit;",
        "    }",
    ]
    lines.append(_IN_DIALOG.rstrip("\n"))
    lines += [
        "    # only calls for your number; both +E.164 and digits are accepted",
        "    if ($rU != EXTERNAL_NUMBER && $rU != EXTERNAL_NUMBER_E164) {",
        '        sl_send_reply("404", "Not Found");',
        "        exit;",
        "    }",
        "    record_route();",
    ]
    if forward:
        plivo_number = cfg_string(c.plivo_number)
        lines += [f'    $ru = "sip:" + {plivo_number} + "@" + CARRIER_EDGE;']
    else:
        lines += [
            f'    $ru = "sip:" + PLIVO_APP_ID + "@{SIP_DOMAIN}";',
            '    $du = "sip:" + PLIVO_EDGE;',
        ]
    if c.has_cred and not forward:
        lines += ["    dlg_manage();", '    t_on_failure("PLIVO_AUTH");']
    lines += ["    if (!t_relay()) {", "        sl_reply_error();", "    }", "    exit;", "}"]
    if c.has_cred and not forward:
        lines += ["", (_FAILURE_ROUTE % {"env": c.password_env}).rstrip("\n")]
    return "\n".join(lines) + "\n"


def kamailio(c: Ctx) -> Rendered:
    """Kamailio: the kamailio.cfg snippet and the few values it names."""
    cfg = Snippet("kamailio.cfg", "kamailio.cfg", "text", kamailio_cfg(c))
    if c.option == FORWARD:
        fields = [
            SettingField("Request-URI", f"sip:{c.plivo_number}@<your carrier>"),
            SettingField("CARRIER_EDGE", "your carrier's SIP server", copyable=False),
        ]
        return fields, [cfg]
    fields = [
        SettingField("Request-URI", c.uri),
        SettingField("PLIVO_EDGE", SIP_DOMAIN, note="where INVITEs are sent"),
    ]
    if c.has_cred:
        fields += [
            SettingField("PLIVO_USER", c.username),
            SettingField(
                "Password variable", c.password_env, note="set it in Kamailio's environment"
            ),
        ]
    return fields, [cfg]
