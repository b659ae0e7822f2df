"""Which renderer lays out which provider's settings."""

from __future__ import annotations

from collections.abc import Callable

from wizard.providers import render_carriers as carriers
from wizard.providers import render_kamailio, render_pbx
from wizard.providers.model import Ctx, SettingField, Snippet

RENDERERS: dict[str, Callable[[Ctx], tuple[list[SettingField], list[Snippet]]]] = {
    "generic": carriers.generic,
    "twilio": carriers.twilio,
    "telnyx": carriers.telnyx,
    "vonage": carriers.vonage,
    "bandwidth": carriers.bandwidth,
    "signalwire": carriers.signalwire,
    "asterisk": render_pbx.asterisk,
    "freeswitch": render_pbx.freeswitch,
    "freepbx": render_pbx.freepbx,
    "3cx": render_pbx.threecx,
    "kamailio": render_kamailio.kamailio,
}


def render(c: Ctx) -> tuple[list[SettingField], list[Snippet]]:
    """The fields and snippets for the provider in ``c`` (every data file has a renderer)."""
    return RENDERERS[c.provider.key](c)
