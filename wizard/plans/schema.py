"""The plan file's shape: which tables and keys exist, their types, which are required.

Shape only (unknown keys, secrets, types, missing keys); what the values mean
is checked in validate.py. Order in SCHEMA is the order a fresh dump writes.
"""

from __future__ import annotations

import difflib
from typing import Any

DEFAULT_PASSWORD_ENV = "BYON_SIP_PASSWORD"
TABLE = "table"
LIST_STR = "list of strings"
# table path -> key -> type. Order is the order dump_plan writes.
SCHEMA: dict[str, dict[str, object]] = {
    "": {
        "version": int,
        "account": TABLE,
        "route": TABLE,
        "application": TABLE,
        "auth": TABLE,
        "forwarding": TABLE,
        "stream": TABLE,
    },
    "account": {"auth_id": str},
    "route": {"option": str, "external_number": str, "provider": str},
    "application": {
        "name": str,
        "app_id": str,
        "answer_url": str,
        "answer_method": str,
        "hangup_url": str,
    },
    "auth": {"type": str, "ip_acl": TABLE, "credential": TABLE},
    "auth.ip_acl": {"name": str, "ip_acl_uuid": str, "entries": LIST_STR},
    "auth.credential": {"username": str, "credential_uuid": str, "password_env": str},
    "forwarding": {"plivo_number": str, "search": TABLE},
    "forwarding.search": {"country_iso": str, "type": str, "pattern": str},
    "stream": {
        "url": str,
        "bidirectional": bool,
        "keep_call_alive": bool,
        "content_type": str,
        "audio_track": str,
    },
}
# Keys that must be written out, because a default would silently pick something.
REQUIRED = {
    "": ("version", "route", "application"),
    "route": ("option",),
    "application": ("name", "answer_url"),
    "auth": ("type",),
    "auth.ip_acl": ("name", "entries"),
    "auth.credential": ("username",),
    "forwarding": ("plivo_number",),
    "stream": ("url",),
}
_SECRET_KEYS = {
    "password",
    "passwd",
    "pass",
    "secret",
    "sip_password",
    "auth_token",
    "token",
    "plivo_auth_token",
    "api_key",
    "api_secret",
}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", TABLE: "a table"}


def type_name(value: object) -> str:
    """How a message names the type of a TOML value ("a string", "an array", ...)."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time" if value is not None else "nothing"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _secret_message(key: str) -> str:
    if "token" in key:
        return (
            "secrets never go in plan files: the auth token comes from PLIVO_AUTH_TOKEN in "
            "the environment; remove this key"
        )
    return (
        "secrets never go in plan files: put the password in an environment variable and "
        "name it in [auth.credential] with "
        f'password_env = "{DEFAULT_PASSWORD_ENV}"; remove this key'
    )


def _unknown_message(path: str, key: str, value: object) -> str:
    allowed = list(SCHEMA.get(path, {}))
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    what = "table" if isinstance(value, dict) else "key"
    where = f"in [{path}]" if path else "at the top level"
    shown = ", ".join(allowed) if allowed else "none"
    return f"unknown {what} {where}; {hint}allowed: {shown}"


def _is_secret(key: str) -> bool:
    low = key.lower()
    return low in _SECRET_KEYS or low.endswith(("_password", "_token", "_secret"))


def _value_problems(full: str, want: object, value: object) -> list[tuple[str, str]]:
    """Type problems of one known key's value (a table's own keys are checked by the caller)."""
    if want == LIST_STR:
        if not isinstance(value, list):
            return [
                (full, f'must be a list of strings like ["203.0.113.10"], not {type_name(value)}')
            ]
        return [
            (f"{full}[{i}]", f"must be a string in quotes, not {type_name(item)}")
            for i, item in enumerate(value)
            if not isinstance(item, str)
        ]
    if want is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return [(full, f"must be an integer, not {type_name(value)}")]
        return []
    if not isinstance(value, want):  # type: ignore[arg-type]
        return [(full, f"must be {_TYPE_NAMES[want]}, not {type_name(value)}")]
    return []


def check_shape(data: dict[str, Any], path: str, problems: list[tuple[str, str]]) -> None:
    """Unknown keys, secrets, wrong types and missing required keys, in file order."""
    spec = SCHEMA[path]
    for key, value in data.items():
        full = _join(path, key)
        if _is_secret(key):
            problems.append((full, _secret_message(key.lower())))
        elif key not in spec:
            problems.append((full, _unknown_message(path, key, value)))
        elif spec[key] is TABLE:
            if isinstance(value, dict):
                check_shape(value, full, problems)
            else:
                problems.append((full, f"must be a table [{full}], not {type_name(value)}"))
        else:
            problems += _value_problems(full, spec[key], value)
    for key in REQUIRED.get(path, ()):
        if key not in data:
            full = _join(path, key)
            what = f"table [{full}]" if spec[key] is TABLE else "key"
            problems.append((full, f"missing {what}: it is required"))
