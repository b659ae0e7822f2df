"""The settings to enter at the carrier or PBX that keeps the number, built from provider data.

The facts (capabilities, IP ranges, gotchas, where each setting lives) come from
``data/*.toml`` through ``facts.py``; the renderers (``render_*.py``) only lay them out as
fields and snippets. The real SIP password is never put in output by default: settings show
``PASSWORD_PLACEHOLDER``; the wizard passes the real one only to show it once on screen.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from wizard.numbers import FORM_EXAMPLES
from wizard.plivo.facts import sip_uri, uses_credential, uses_ip_acl
from wizard.providers.facts import Provider, plivo, providers
from wizard.providers.model import (
    DIRECT,
    FORWARD,
    Ctx,
    SettingField,
    Snippet,
    with_caveat,
)

if TYPE_CHECKING:
    from wizard.plans.findings import Finding
    from wizard.plans.plan import Plan

APP_ID_PLACEHOLDER = "{app_id}"
PASSWORD_PLACEHOLDER = "<your SIP password>"
DEFAULT_PASSWORD_ENV = "BYON_SIP_PASSWORD"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_FORM_WORDS = {
    "e164": f"{FORM_EXAMPLES['e164']} (E.164 with the '+')",
    "digits": f"{FORM_EXAMPLES['digits']} (digits, no '+')",
}


@dataclass
class ProviderSettings:
    """Everything to enter at one provider for one plan: fields, snippets, IPs and caveats."""

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
    unconfirmed: list[str] = field(default_factory=list)  # each ends with "check <source>"
    stale: list[str] = field(default_factory=list)  # "re-check at <source>" sentences
    number_format: str = ""  # what the provider sends in To/From: e164 | digits | as_received
    number_note: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def snippet(self) -> str | None:
        """All snippets as one text, each under a comment naming its file."""
        if not self.snippets:
            return None
        return "\n".join(snippet_with_header(s) for s in self.snippets)

    @property
    def snippet_language(self) -> str:
        """A lexer name for highlighting ``snippet`` (the first snippet's format)."""
        return self.snippets[0].format if self.snippets else "text"

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON-ready data (`byon settings --json`)."""
        d = asdict(self)
        d["snippet"] = self.snippet
        return d


def snippet_with_header(s: Snippet) -> str:
    """One snippet under a comment naming its file, in the snippet's own comment syntax."""
    mark = {"ini": ";", "xml": "<!--", "json": "//", "text": "#"}[s.format]
    if s.format == "json":  # JSON has no comments: the file name goes above, outside it
        return f"// {s.filename}\n{s.text.rstrip()}\n"
    head = f"<!-- {s.filename} -->" if mark == "<!--" else f"{mark} {s.filename}"
    if s.text.startswith(("<?xml", "#!")):
        first, _, rest = s.text.partition("\n")  # a declaration (<?xml, #!KAMAILIO) stays first
        return f"{first}\n{head}\n{rest.rstrip()}\n"
    return f"{head}\n{s.text.rstrip()}\n"


class UnknownProvider(ValueError):
    """A provider key the data does not know; the message names the closest known one."""

    pass


def get_template(key: str) -> Provider:
    """The provider's data by key; an unknown key names the closest one."""
    known = providers()
    if key not in known:
        import difflib

        close = difflib.get_close_matches(key, list(known), n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        raise UnknownProvider(
            f"unknown provider {key!r}{hint}; known: {', '.join(known)} "
            "(byon settings --list-providers)"
        )
    return known[key]


def _uncovered(entries: list[str], ips: tuple[str, ...]) -> list[str]:
    """The provider's source IPs/ranges that no ACL entry covers."""
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


def _context(plan: Plan, p: Provider, app_id: str, password: str) -> Ctx:
    auth = plan.auth if plan.option == DIRECT else None
    auth_type = auth.type if auth else ""
    cred = auth.credential if auth else None
    acl = auth.ip_acl if auth else None
    has_cred = bool(cred and uses_credential(auth_type))
    has_acl = bool(acl and uses_ip_acl(auth_type))
    env = cred.password_env if cred and cred.password_env else DEFAULT_PASSWORD_ENV
    plivo_number = plan.forwarding.plivo_number if plan.forwarding else ""
    if not plivo_number or plivo_number == "buy":
        plivo_number = "{plivo_number}"
    return Ctx(
        provider=p,
        option=plan.option,
        app_id=app_id,
        uri=sip_uri(app_id),
        auth_type=auth_type,
        username=cred.username if has_cred and cred else "",
        password=password,
        # the name lands in a config file: anything but a plain variable name is not used
        password_env=env if _ENV_NAME.fullmatch(env) else DEFAULT_PASSWORD_ENV,
        plivo_number=plivo_number,
        external_number=plan.external_number or "{external_number}",
        has_acl=has_acl,
        has_cred=has_cred,
        acl_entries=list(acl.entries) if has_acl and acl else [],
    )


def settings_for(
    plan: Plan,
    provider_key: str | None = None,
    *,
    app_id: str | None = None,
    password_placeholder: str = PASSWORD_PLACEHOLDER,
    today: dt.date | None = None,
) -> ProviderSettings:
    """The exact provider-side settings for the plan. ``app_id`` defaults to the plan's;
    without one the text shows ``{app_id}`` and a note to run ``byon apply`` first."""
    from wizard.providers.render import render

    key = provider_key or plan.provider or "generic"
    p = get_template(key)
    c = _context(
        plan, p, app_id or plan.application.app_id or APP_ID_PLACEHOLDER, password_placeholder
    )
    fields, snippets = render(c)
    for s in snippets:
        s.note = s.note or p.snippet_note
    out = ProviderSettings(
        provider=key,
        name=p.name,
        option=plan.option,
        app_id=c.app_id,
        sip_uri=c.uri,
        plivo_number=c.plivo_number if plan.option == FORWARD else "",
        fields=fields,
        snippets=snippets,
    )
    _add_gotchas(out, c, today)
    _add_numbers(out, c)
    if plan.option == DIRECT and (not c.auth_type or uses_ip_acl(c.auth_type)):
        _add_ips(out, c, today)  # a credential-only app has no IP ACL to fill in
    out.unconfirmed = [with_caveat(str(f.value), f, today) for f in p.unknowns]
    if p.direct_unconfirmed and plan.option == DIRECT:
        out.unconfirmed.append(with_caveat(f"Direct SIP with {p.name}", p.routes[0].facts["how"]))
    sources = sorted({f.source for f in p.stale_facts(today)})
    out.stale = [f"re-check at {s}" for s in sources]
    if c.app_id == APP_ID_PLACEHOLDER:
        out.notes.append(
            "The plan has no app_id yet: run `byon apply` first, then replace {app_id} "
            "(or run `byon settings` again)."
        )
    if plan.option == FORWARD and "{plivo_number}" in c.plivo_number:
        out.notes.append(
            'The Plivo number is not known yet (plivo_number = "buy"): run `byon apply`, '
            "then run `byon settings` again."
        )
    return out


def _add_gotchas(out: ProviderSettings, c: Ctx, today: dt.date | None) -> None:
    """The provider's gotchas for this option and auth type, each said once."""
    p = c.provider
    texts: list[str] = []
    if c.option == DIRECT and c.auth_type and c.auth_type not in p.auth_supported:
        note = p.auth_note
        assert note is not None  # the loader requires one when an auth type is left out
        texts.append(with_caveat(f'{p.name} with type "{c.auth_type}": {note.value}', note, today))
    for g in p.gotchas:
        if g.applies(c.option, c.auth_type):
            texts.append(with_caveat(c.fill(g.text), g.fact, today))
    facts = plivo().facts
    if c.option == DIRECT and p.kind == "generic":
        texts.insert(0, c.fill(str(facts["text_request_uri"].value)))
    if c.option == DIRECT and c.has_cred and "credential" in p.auth_supported:
        texts.append(str(facts["text_digest"].value))
    if c.has_acl and p.source_ips and not p.source_ips_unconfirmed:
        missing = _uncovered(c.acl_entries, p.source_ips)
        if missing and len(missing) < len(p.source_ips):
            texts.append(
                f"Your IP ACL does not cover these {p.name} addresses: {', '.join(missing)} "
                "(a call from one of them gets 403)."
            )
    seen: set[str] = set()
    out.gotchas = [t for t in texts if t.strip() and not (t in seen or seen.add(t))]


def _add_numbers(out: ProviderSettings, c: Ctx) -> None:
    """What the provider will put in To and From, so the agent matches numbers right. (With
    DID forwarding the call reaches Plivo over the phone network: Plivo writes them.)"""
    p = c.provider
    if c.option == FORWARD:
        return
    fact = p.routes[0].facts["number_format"]
    out.number_format = str(fact.value)
    if out.number_format in _FORM_WORDS:
        out.number_note = with_caveat(
            f"{p.name} sends numbers in To and From as {_FORM_WORDS[out.number_format]}.", fact
        )
    elif p.kind != "generic":  # (for an unknown carrier a gotcha says what to ask)
        out.number_note = (
            f"{p.name} passes To and From on as it received them from the carrier in front "
            "of it: ask that carrier whether it sends +14155550100 or 14155550100, and match "
            "numbers without the '+'."
        )


def _add_ips(out: ProviderSettings, c: Ctx, today: dt.date | None) -> None:
    p = c.provider
    out.source_ips = list(p.source_ips)
    out.source_ips_unconfirmed = p.source_ips_unconfirmed
    note = p.ips.get("note")
    if note is not None:
        fact = p.ips.get("list") or note
        out.source_ips_note = with_caveat(str(note.value), fact, today)


def plan_warnings(plan: Plan) -> list[Finding]:
    """Warnings when the plan's auth or option does not fit its provider."""
    from wizard.plans.findings import Finding

    p = providers().get(plan.provider)
    if p is None or plan.option != DIRECT or plan.auth is None:
        return []
    out = []
    if plan.auth.type not in p.auth_supported and p.auth_note is not None:
        text = f'{p.name} with type "{plan.auth.type}": {p.auth_note.value}'
        out.append(Finding("warning", "auth.type", with_caveat(text, p.auth_note)))
    if p.direct_unconfirmed:
        how = p.routes[0].facts["how"]
        out.append(
            Finding(
                "warning",
                "route.option",
                f"Direct SIP with {p.name} is not confirmed by the provider (check "
                f"{how.source}); did_forwarding may be the only reliable option",
            )
        )
    return out


# --- byon settings ------------------------------------------------------------------------------


def format_settings(s: ProviderSettings) -> str:
    """The settings as text for `byon settings`: fields, snippets, IPs, gotchas, caveats."""
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
        checked = f" ({snip.note})" if snip.note else ""
        lines += ["", f"{snip.title}{checked}:", ""]
        lines += [f"    {ln}" if ln else "" for ln in snip.text.rstrip().splitlines()]
    if s.number_note:
        lines += ["", f"Numbers: {s.number_note}"]
    if s.source_ips or s.source_ips_note:
        lines += ["", f"Source IPs for the Plivo IP ACL: {s.source_ips_note}"]
        lines += [f"    {ip}" for ip in s.source_ips]
    if s.gotchas:
        lines += ["", "Gotchas:"] + [f"  - {g}" for g in s.gotchas]
    if s.unconfirmed:
        lines += ["", "Not confirmed by the provider (check before relying on it):"]
        lines += [f"  - {u}" for u in s.unconfirmed]
    if s.stale:
        lines += ["", f"Some facts about {s.name} were verified over 90 days ago:"]
        lines += [f"  - {u}" for u in s.stale]
    if s.notes:
        lines += ["", *[f"Note: {n}" for n in s.notes]]
    return "\n".join(lines) + "\n"
