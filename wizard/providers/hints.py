"""What the diagnosis adds for a known provider: its own setting, and the number form it sends."""

from __future__ import annotations

from wizard.numbers import FORM_EXAMPLES, form_of, in_form
from wizard.providers.facts import providers
from wizard.providers.model import with_caveat

_FORM_WORDS = {"e164": "+E.164 (with the '+')", "digits": "digits without the '+'"}


def provider_hint(
    provider_key: str, row: str, *, app_id: str = "", auth_type: str = ""
) -> str | None:
    """The provider's own setting behind a diagnosis row (a 407 with Telnyx points at the
    connection's authentication), for the plan's ``auth_type``: an IP ACL hint is never given
    for a credential-only plan. None when byon knows none."""
    p = providers().get(provider_key or "")
    hints = p.hints.get(row, ()) if p else ()
    fact = next((h.fact for h in hints if h.applies(auth_type)), None)
    if fact is None:
        return None
    text = str(fact.value).replace("{app_id}", app_id or "your app id")
    if "{password_env}" in text:
        text = text.replace("{password_env}", "the password variable")
    return with_caveat(text, fact)


def expected_number_form(provider_key: str) -> str | None:
    """How the provider writes numbers in To/From on Direct SIP ("e164" or "digits"), or
    None when it passes them on as received or byon does not know."""
    p = providers().get(provider_key or "")
    if p is None:
        return None
    form = p.routes[0].number_format
    return form if form in _FORM_WORDS else None


def number_form_issue(provider_key: str, to: str, from_: str) -> str | None:
    """A sentence when To or From arrived in another form than the provider was expected to
    send: the usual cause of "the call arrives but the agent doesn't match the number"."""
    expected = expected_number_form(provider_key)
    if expected is None:
        return None
    name = providers()[provider_key].name
    for label, value in (("To", to), ("From", from_)):
        got = form_of(value)
        if got is not None and got != expected:
            return (
                f"{label} arrived as {value} ({_FORM_WORDS[got]}), but {name} was expected "
                f"to send {_FORM_WORDS[expected]} like {FORM_EXAMPLES[expected]}: an agent "
                f"that matches {in_form(value, expected)} will not recognise this call."
            )
    return None
