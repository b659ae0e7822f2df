"""The providers' settings, as the rest of byon imports them (the work is in the modules below).

Facts: ``facts.py`` reading ``data/*.toml``. Layout: ``render_*.py``. Assembly and text:
``settings.py``. Recommendations: ``advice.py``. Diagnosis hints: ``hints.py``.
"""

from __future__ import annotations

from typing import Any

from wizard.providers.facts import Provider, providers
from wizard.providers.model import ALL_AUTH, DIRECT, FORWARD, SettingField, Snippet
from wizard.providers.settings import (
    APP_ID_PLACEHOLDER,
    PASSWORD_PLACEHOLDER,
    ProviderSettings,
    UnknownProvider,
    format_settings,
    get_template,
    plan_warnings,
    settings_for,
)

__all__ = [
    "ALL_AUTH",
    "APP_ID_PLACEHOLDER",
    "DIRECT",
    "FORWARD",
    "PASSWORD_PLACEHOLDER",
    "Provider",
    "ProviderSettings",
    "SettingField",
    "Snippet",
    "UnknownProvider",
    "format_settings",
    "get_template",
    "plan_warnings",
    "settings_for",
]


def __getattr__(name: str) -> Any:
    # PROVIDERS reads the data files on first use, not on import
    if name == "PROVIDERS":
        return providers()
    raise AttributeError(name)
