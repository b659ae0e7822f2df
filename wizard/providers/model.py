"""The shapes renderers fill: a setting field, a snippet, and the context they render from."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from wizard.numbers import digits_only
from wizard.plivo.facts import AUTH_TYPES
from wizard.providers.facts import Fact, Provider

DIRECT = "direct_sip"
FORWARD = "did_forwarding"
ALL_AUTH = AUTH_TYPES


@dataclass
class SettingField:
    """One setting to enter at the provider: its label, value, whether to offer copy, a note."""

    label: str
    value: str
    copyable: bool = True
    note: str = ""


@dataclass
class Snippet:
    """A config file to paste at the provider or PBX: title, file name, format, text, a note."""

    title: str
    filename: str
    format: str  # "ini" | "xml" | "json" | "text"
    text: str
    note: str = ""  # how far byon checked it, e.g. "not run against a real server"


@dataclass
class Ctx:
    """What a renderer needs: the plan's values, already resolved, and the provider's data."""

    provider: Provider
    option: str
    app_id: str
    uri: str
    auth_type: str
    username: str
    password: str
    password_env: str
    plivo_number: str
    external_number: str
    has_acl: bool
    has_cred: bool
    acl_entries: list[str]

    @property
    def plivo_digits(self) -> str:
        """The Plivo number without its '+' (Vonage's NCCO wants it so)."""
        return digits_only(self.plivo_number)

    @property
    def external_digits(self) -> str:
        """The external number without its '+' (dialplans match on digits)."""
        return digits_only(self.external_number)

    def fill(self, text: str) -> str:
        """A data text with its {placeholders} filled in (the loader allows only these)."""
        values = {
            "app_id": self.app_id,
            "sip_uri": self.uri,
            "plivo_number": self.plivo_number,
            "plivo_digits": self.plivo_digits,
            "external_number": self.external_number,
            "external_digits": self.external_digits,
            "password_env": self.password_env,
        }
        return re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m[1], m[0]), text)


def with_caveat(text: str, fact: Fact, today: dt.date | None = None) -> str:
    """The fact's text, followed by what to check when it is unconfirmed or stale."""
    caveat = fact.caveat(today)
    return f"{text} ({caveat})" if caveat else text
