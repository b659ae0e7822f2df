"""Plivo credentials and the API base from the environment: the one place byon reads them.

Every command and the wizard call these, so the variable names, the "what is missing"
sentence and the rules for ``--api-url`` are written once. Standard library only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from wizard.errors import ByonError, contains_secret
from wizard.files import STATE_DIR_ENV
from wizard.net import is_loopback_host

AUTH_ID_VAR = "PLIVO_AUTH_ID"
AUTH_TOKEN_VAR = "PLIVO_AUTH_TOKEN"
API_URL_VAR = "PLIVO_API_URL"
DEFAULT_API_URL = "https://api.plivo.com"


def env_credentials(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(auth_id, token) as set in the environment, stripped; "" for an unset one."""
    env = os.environ if environ is None else environ
    return env.get(AUTH_ID_VAR, "").strip(), env.get(AUTH_TOKEN_VAR, "").strip()


def has_credentials(environ: Mapping[str, str] | None = None) -> bool:
    """True when both the auth id and the token are set."""
    return all(env_credentials(environ))


def credentials_from_env(plan_auth_id: str = "") -> tuple[str, str]:
    """(auth_id, token) for a command; ByonError saying what is missing or mismatched.

    ``plan_auth_id`` ([account] auth_id of a plan) stands in for an unset PLIVO_AUTH_ID
    and must match a set one: applying a plan to the wrong account is refused."""
    auth_id, token = env_credentials()
    if plan_auth_id and auth_id and plan_auth_id != auth_id:
        raise ByonError(
            f"the plan is for account {plan_auth_id} but {AUTH_ID_VAR} is {auth_id}.",
            hint="Use that account's credentials, or change [account] auth_id in the plan.",
        )
    auth_id = auth_id or plan_auth_id
    missing = [n for n, v in ((AUTH_ID_VAR, auth_id), (AUTH_TOKEN_VAR, token)) if not v]
    if missing:
        raise ByonError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set.",
            hint="Export your Plivo auth id and token (on the Plivo console's overview page; "
            "the token is never a command-line flag), run `byon demo` to try byon without "
            "an account, or point --api-url at `byon emulator`.",
        )
    return auth_id, token


def api_url_from_env(explicit: str | None = None, *, token: str | None = None) -> str:
    """--api-url wins, then PLIVO_API_URL, then Plivo itself; checked by ``check_api_url``
    (``token``, else PLIVO_AUTH_TOKEN, is the secret the URL may not hold)."""
    if token is None:
        token = env_credentials()[1]
    if explicit:
        return check_api_url(explicit, source="--api-url", token=token)
    env = os.environ.get(API_URL_VAR, "").strip()
    if env:
        return check_api_url(env, source=API_URL_VAR, token=token)
    return DEFAULT_API_URL


def _holds(text: str, secret: str) -> bool:
    """True when ``secret`` is in ``text``, as written or percent-decoded (``scrub``'s rule)."""
    return any(contains_secret(t, secret) for t in (text, unquote(text)))


def check_api_url(url: str, *, source: str = "--api-url", token: str = "") -> str:
    """The URL without a trailing slash, or ByonError. The message never repeats the URL:
    a user may have put the auth token in it (and one holding ``token`` is refused)."""

    def bad(why: str, hint: str = "") -> ByonError:
        return ByonError(
            f"{source} is not usable: {why}.",
            hint=hint
            or f"Give the REST base like {DEFAULT_API_URL} (or the URL `byon emulator` prints).",
        )

    text = url.strip()
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in text):
        raise bad("it contains control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad("it is not a valid URL (check the host and the port)") from None
    if "@" in parts.netloc:
        raise bad(
            "it carries a user name or password before '@'; byon did not use it",
            f"Credentials come only from {AUTH_ID_VAR} and {AUTH_TOKEN_VAR}; remove them "
            "from the URL (and change the token if the URL was shared or logged).",
        )
    if token and _holds(text, token):
        # anywhere: a path or host is printed in "Could not reach Plivo at ..." sentences
        raise bad(
            f"it contains the auth token ({AUTH_TOKEN_VAR}); byon did not use it",
            "The token is sent only in the Authorization header; remove it from the URL "
            "(and change the token if the URL was shared or logged).",
        )
    if parts.scheme not in ("http", "https"):
        raise bad("the scheme must be https (or http for a local emulator)")
    host = parts.hostname or ""
    if not host:
        raise bad("it names no host")
    if port == 0:
        raise bad("port 0 is not a port a server listens on")
    if parts.query or parts.fragment:
        raise bad("the REST base takes no query (?...) or fragment (#...)")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise bad(
            "plain http would send the auth token unencrypted",
            "Use https; plain http is allowed only for an emulator on 127.0.0.1, ::1 or localhost.",
        )
    return text.rstrip("/")


def is_credential_variable(name: str) -> bool:
    """True for a Plivo or byon credential or setting variable (PLIVO_AUTH_TOKEN, PLIVO_*,
    BYON_*TOKEN*, ...): its value must never be read, and sent to Plivo, as a SIP password."""
    upper = name.upper()
    if upper.startswith("PLIVO"):
        return True
    if upper.startswith("BYON"):
        return upper in BYON_SETTINGS or any(w in upper for w in ("TOKEN", "AUTH_ID", "SECRET"))
    return False


# byon's own settings: never a place for a password either
BYON_SETTINGS = frozenset({STATE_DIR_ENV, "BYON_EXIT_AFTER_FIRST_PAINT"})
