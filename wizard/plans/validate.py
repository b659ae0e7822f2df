"""Every rule of the plan file as pure functions (no IO).

The wizard's Input validators and plan loading both call these, so the form
and the file can never disagree. Each ``check_*`` returns an error sentence
(what is wrong, what is allowed) or None; ``*_warning`` functions return a
sentence for things that work but deserve a second look.
"""

from __future__ import annotations

import ipaddress
import math
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wizard.net import is_loopback_host
from wizard.plans.acl import MAX_ACL_ENTRIES as MAX_ACL_ENTRIES
from wizard.plans.acl import acl_entry_warning as acl_entry_warning
from wizard.plans.acl import check_acl_entries
from wizard.plans.acl import check_acl_entry as check_acl_entry
from wizard.plans.findings import Finding, error, warning
from wizard.plans.risks import plain_http, plain_ws
from wizard.plivo.env import is_credential_variable
from wizard.plivo.facts import (
    APP_NAME_PATTERN,
    AUTH_TYPES,
    PASSWORD_LENGTH,
    USERNAME_PATTERN,
    uses_credential,
    uses_ip_acl,
)

if TYPE_CHECKING:
    from wizard.plans.plan import Plan

OPTIONS = ("direct_sip", "did_forwarding")
ANSWER_METHODS = ("GET", "POST")
CONTENT_TYPES = ("audio/x-l16;rate=8000", "audio/x-l16;rate=16000", "audio/x-mulaw;rate=8000")
AUDIO_TRACKS = ("inbound", "outbound", "both")
SEARCH_TYPES = ("local", "tollfree", "mobile", "national", "fixed", "any")

_USERNAME = re.compile(USERNAME_PATTERN)
_APP_NAME = re.compile(APP_NAME_PATTERN)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_AUTH_ID = re.compile(r"(MA|SA)[A-Z0-9]{18}")
_APP_ID = re.compile(r"[0-9]{1,32}")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

# --- phone numbers -----------------------------------------------------------------------------


def check_e164(s: str) -> str | None:
    """An error sentence unless ``s`` is a valid phone number written with its "+country code"."""
    import phonenumbers

    if not s:
        return "a phone number is required, in E.164 form like +14155550100"
    if not s.startswith("+"):
        return f"{s!r} must start with + and the country code, like +14155550100 (E.164)"
    try:
        parsed = phonenumbers.parse(s, None)
    except phonenumbers.NumberParseException as exc:
        why = getattr(exc, "_msg", exc)
        return f"{s!r} is not a phone number ({why}); write it like +14155550100 (E.164)"
    if not phonenumbers.is_valid_number(parsed):
        return (
            f"{s!r} is not a valid number for any country; check the digits "
            "(E.164: + country code and number, like +14155550100)"
        )
    return None


def normalize_e164(s: str) -> str:
    """``+1 (415) 555-0100`` -> ``+14155550100``. Call only after ``check_e164`` passed."""
    import phonenumbers

    parsed = phonenumbers.parse(s, None)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_country_iso(s: str) -> str | None:
    """An error unless ``s`` is a two-letter country code phonenumbers knows."""
    import phonenumbers

    if s not in phonenumbers.SUPPORTED_REGIONS:
        return f"{s!r} is not a country code; use two capital letters like US, GB or DE (ISO 3166)"
    return None


def check_search_type(s: str) -> str | None:
    """An error unless ``s`` is a number type Plivo's search takes."""
    if s not in SEARCH_TYPES:
        return f"{s!r} is not a number type; use one of {', '.join(SEARCH_TYPES)}"
    return None


def check_search_pattern(s: str) -> str | None:
    """An error unless ``s`` is digits (and ``*``), as a number search pattern."""
    if s and not re.fullmatch(r"[0-9*]{1,15}", s):
        return f"{s!r} is not a search pattern; use digits (and * as a wildcard), like 415"
    return None


# --- credentials -------------------------------------------------------------------------------


def check_username(s: str) -> str | None:
    """An error unless ``s`` is a SIP username Plivo accepts."""
    if not s:
        return "a SIP username is required: 3-64 characters of letters, digits, '.', '_' and '-'"
    if not _USERNAME.fullmatch(s):
        return (
            f"{s!r} is not a SIP username Plivo accepts: 3-64 characters of letters, "
            "digits, '.', '_' and '-'"
        )
    return None


def check_password(pw: str) -> str | None:
    """Plivo's rule for SIP passwords. The message never repeats the password."""
    missing = []
    if not any(c.isupper() for c in pw):
        missing.append("an upper-case letter")
    if not any(c.islower() for c in pw):
        missing.append("a lower-case letter")
    if not any(c.isdigit() for c in pw):
        missing.append("a digit")
    shortest, longest = PASSWORD_LENGTH
    if not shortest <= len(pw) <= longest or missing:
        what = f"it has {len(pw)} characters"
        if missing:
            what += " and lacks " + ", ".join(missing)
        return (
            f"the SIP password is too weak for Plivo ({what}); use 12-128 characters with "
            "an upper-case letter, a lower-case letter and a digit"
        )
    return None


def password_strength(pw: str) -> tuple[int, str]:
    """A 0-4 score and a word for a strength meter (rough entropy of length x alphabet)."""
    if not pw:
        return 0, "empty"
    pool = 0
    if any(c.islower() for c in pw):
        pool += 26
    if any(c.isupper() for c in pw):
        pool += 26
    if any(c.isdigit() for c in pw):
        pool += 10
    if any(not c.isalnum() for c in pw):
        pool += 32
    bits = len(pw) * math.log2(max(pool, 2))
    if len(set(pw)) <= 2:
        bits = min(bits, 10.0)  # "aaaaaaaaaaaa" is long but guessable
    score = 0 if bits < 40 else 1 if bits < 60 else 2 if bits < 80 else 3 if bits < 110 else 4
    if check_password(pw) is not None:
        score = min(score, 1)
    return score, ("very weak", "weak", "fair", "strong", "very strong")[score]


def check_env_name(s: str) -> str | None:
    """An error unless ``s`` names a variable byon may read a SIP password from."""
    # The value is never repeated: a user may have pasted the password itself here.
    if not _ENV_NAME.fullmatch(s or ""):
        return (
            "password_env must name an environment variable (letters, digits and '_', "
            "like BYON_SIP_PASSWORD); the password itself never goes in the plan"
        )
    if is_credential_variable(s):
        # its value would become the SIP password and be sent to Plivo as one
        return (
            f"password_env may not name {s}: it holds a Plivo or byon credential or setting, "
            "not a SIP password; use a variable of its own, like BYON_SIP_PASSWORD"
        )
    return None


def env_name_warning(s: str) -> str | None:
    """Lower-case letters mixed with digits look more like a password than a variable name."""
    if not check_env_name(s) and s != s.upper() and any(c.isdigit() for c in s):
        return (
            "password_env should name a variable, like BYON_SIP_PASSWORD; if this is the "
            "password itself, remove it from the file and export it in that variable instead"
        )
    return None


# --- application, URLs, stream -----------------------------------------------------------------


def check_app_name(s: str) -> str | None:
    """An error unless ``s`` is an application name Plivo accepts."""
    if not s:
        return "an application name is required: 1-255 characters of letters, digits, '_' and '-'"
    if not _APP_NAME.fullmatch(s):
        return (
            f"{s!r} is not an application name Plivo accepts: 1-255 characters of letters, "
            "digits, '_' and '-'"
        )
    return None


def check_acl_name(s: str) -> str | None:
    """An error unless ``s`` is a one-line IP ACL name."""
    if not s.strip() or len(s) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in s):
        return "the IP ACL needs a name: 1-255 characters on one line, like carrier-edge"
    return None


def check_app_id(s: str) -> str | None:
    """An error unless ``s`` is empty or a Plivo app id (digits)."""
    if s and not _APP_ID.fullmatch(s):
        return f"{s!r} is not a Plivo app id (all digits); leave it empty and apply fills it in"
    return None


def check_resource_id(s: str, what: str) -> str | None:
    """An error unless ``s`` is empty or looks like a Plivo resource id."""
    if s and not _RESOURCE_ID.fullmatch(s):
        return f"{s!r} is not a {what}; leave it empty and apply fills it in"
    return None


def check_auth_id(s: str) -> str | None:
    """An error unless ``s`` is empty or a Plivo auth id (never echoed: it may be a token)."""
    if s and not _AUTH_ID.fullmatch(s):
        return (
            # not echoed: a pasted auth token must not end up in a message
            "this is not a Plivo auth id: MA or SA followed by 18 capital letters or digits "
            "(the auth token never goes in the plan: set PLIVO_AUTH_TOKEN)"
        )
    return None


def check_option(s: str) -> str | None:
    """An error unless ``s`` is one of the two routing options."""
    if s not in OPTIONS:
        return f"{s!r} is not a routing option; use one of {', '.join(OPTIONS)}"
    return None


def check_auth_type(s: str) -> str | None:
    """An error unless ``s`` is one of Plivo's SIP auth types."""
    if s not in AUTH_TYPES:
        return f"{s!r} is not a SIP auth type; use one of {', '.join(AUTH_TYPES)}"
    return None


def check_answer_method(s: str) -> str | None:
    """An error unless ``s`` is GET or POST."""
    if s not in ANSWER_METHODS:
        return f"{s!r} is not an HTTP method Plivo uses; use GET or POST"
    return None


def check_content_type(s: str) -> str | None:
    """An error unless ``s`` is a stream content type Plivo sends."""
    if s not in CONTENT_TYPES:
        return (
            f"{s!r} is not a stream content type Plivo sends; use one of {', '.join(CONTENT_TYPES)}"
        )
    return None


def check_audio_track(s: str) -> str | None:
    """An error unless ``s`` is a stream audio track Plivo knows."""
    if s not in AUDIO_TRACKS:
        return f"{s!r} is not an audio track; use one of {', '.join(AUDIO_TRACKS)}"
    return None


def check_stream_tracks(bidirectional: bool, audio_track: str) -> str | None:
    """Plivo's rule: a bidirectional stream carries the caller's audio only."""
    if bidirectional and audio_track != "inbound":
        return (
            f'audio_track = "{audio_track}" cannot be used with bidirectional = true '
            '(Plivo refuses it); use audio_track = "inbound" or bidirectional = false'
        )
    return None


def _check_abs_url(url: str, what: str, schemes: tuple[str, ...], example: str) -> str | None:
    if not url:
        return f"{what} is required, an absolute URL like {example}"
    if any(c.isspace() for c in url):
        return f"{what} {url!r} contains spaces; percent-encode them or remove them"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"{what} {url!r} is not a valid URL; write it like {example}"
    if parts.scheme.lower() not in schemes or not parts.hostname:
        allowed = " or ".join(f"{s}://" for s in schemes)
        return f"{what} {url!r} must be an absolute {allowed} URL, like {example}"
    return None


def _local_host_warning(url: str, what: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    local = not host or is_loopback_host(host) or host.endswith(".localhost")
    try:
        ip = ipaddress.ip_address(host)
        local = local or ip.is_private or ip.is_link_local
    except ValueError:
        pass
    if local:
        return (
            f"{what} points at {host or 'this machine'}, which Plivo cannot reach from the internet"
        )
    return None


def check_url(url: str, what: str = "the URL") -> str | None:
    """An absolute http(s) URL (answer_url, hangup_url)."""
    return _check_abs_url(url, what, ("http", "https"), "https://agent.example.com/answer")


def url_warning(url: str, what: str = "the URL") -> str | None:
    """A warning for a valid callback URL in clear text or on this machine (risks.py)."""
    if check_url(url, what):
        return None
    if plain_http(url):
        return (
            f"{what} uses http://: Plivo's callbacks (caller numbers, SIP details) travel "
            "unencrypted; use https://"
        )
    return _local_host_warning(url, what)


def check_stream_url(url: str, what: str = "stream.url") -> str | None:
    """An absolute ws(s) URL for the agent's audio stream."""
    return _check_abs_url(url, what, ("wss", "ws"), "wss://agent.example.com/media")


def stream_url_warning(url: str, what: str = "stream.url") -> str | None:
    """A warning for a valid stream URL in clear text or on this machine (risks.py)."""
    if check_stream_url(url, what):
        return None
    if plain_ws(url):
        return f"{what} uses ws://: the call's audio would travel unencrypted; use wss://"
    return _local_host_warning(url, what)


# --- the whole plan ----------------------------------------------------------------------------


def validate_plan(plan: Plan) -> list[Finding]:
    """Every error and warning for a plan, each naming its TOML key."""
    f: list[Finding] = []
    if plan.version != 1:
        f += error(
            "version", f"version {plan.version} is not supported; this byon reads version = 1"
        )
    f += error("account.auth_id", check_auth_id(plan.auth_id))
    f += error("route.option", check_option(plan.option))
    if plan.external_number:
        num_err = check_e164(plan.external_number)
        f += error(
            "route.external_number", num_err and f"the number kept at your provider: {num_err}"
        )
    else:
        # Plivo does not store it (export cannot fill it in); only the settings need it.
        f += warning(
            "route.external_number",
            "is empty: provider settings will show {external_number}; set it to the number "
            "kept at your provider, in E.164 form like +14155550100",
        )
    f += error("route.provider", _check_provider(plan.provider))

    app = plan.application
    f += error("application.name", check_app_name(app.name))
    f += error("application.app_id", check_app_id(app.app_id))
    f += error("application.answer_url", check_url(app.answer_url, "answer_url"))
    f += warning("application.answer_url", url_warning(app.answer_url, "answer_url"))
    f += error("application.answer_method", check_answer_method(app.answer_method))
    if app.hangup_url:
        f += error("application.hangup_url", check_url(app.hangup_url, "hangup_url"))
        f += warning("application.hangup_url", url_warning(app.hangup_url, "hangup_url"))

    direct = plan.option == "direct_sip"
    forwarding = plan.option == "did_forwarding"
    if direct and plan.auth is None:
        f += error(
            "auth",
            "direct_sip needs an [auth] table: without SIP authentication anyone who learns "
            "the SIP URI can call your application (toll fraud); add [auth] with "
            f"type = one of {', '.join(AUTH_TYPES)}",
        )
    if forwarding and plan.auth is not None:
        f += error(
            "auth",
            "[auth] is for direct_sip only: with did_forwarding calls arrive at a Plivo number "
            'and SIP authentication never runs; remove [auth] or set option = "direct_sip"',
        )
    if plan.auth is not None:
        f += _auth_findings(plan)
    if forwarding and plan.forwarding is None:
        f += error(
            "forwarding",
            "did_forwarding needs a [forwarding] table with plivo_number (an account number "
            'in E.164, or "buy" with [forwarding.search])',
        )
    if direct and plan.forwarding is not None:
        f += error(
            "forwarding",
            "[forwarding] is for did_forwarding only: with direct_sip the provider sends SIP "
            'to the application; remove [forwarding] or set option = "did_forwarding"',
        )
    if plan.forwarding is not None:
        f += _forwarding_findings(plan)
    if plan.stream is not None:
        s = plan.stream
        f += error("stream.url", check_stream_url(s.url))
        f += warning("stream.url", stream_url_warning(s.url))
        f += error("stream.content_type", check_content_type(s.content_type))
        f += error("stream.audio_track", check_audio_track(s.audio_track))
        if not check_audio_track(s.audio_track):
            f += error("stream.audio_track", check_stream_tracks(s.bidirectional, s.audio_track))
    if not any(x.is_error for x in f):
        f += _provider_findings(plan)
    return f


def _auth_findings(plan: Plan) -> list[Finding]:
    auth = plan.auth
    assert auth is not None
    f = error("auth.type", check_auth_type(auth.type))
    if f:
        return f
    if uses_ip_acl(auth.type):
        if auth.ip_acl is None:
            f += error(
                "auth.ip_acl",
                f'type "{auth.type}" needs an [auth.ip_acl] table with name and entries '
                "(your provider's signaling IPs)",
            )
        else:
            f += error("auth.ip_acl.name", check_acl_name(auth.ip_acl.name))
            f += error(
                "auth.ip_acl.ip_acl_uuid", check_resource_id(auth.ip_acl.ip_acl_uuid, "IP ACL id")
            )
            f += check_acl_entries(auth.ip_acl.entries, auth.type)
    elif auth.ip_acl is not None:
        f += error(
            "auth.ip_acl",
            f'[auth.ip_acl] is used only when type includes ip_acl, and type is "{auth.type}"; '
            'remove the table or set type = "ip_acl_and_credential"',
        )
    if uses_credential(auth.type):
        if auth.credential is None:
            f += error(
                "auth.credential",
                f'type "{auth.type}" needs an [auth.credential] table with username and '
                "password_env (the name of the variable holding the password)",
            )
        else:
            c = auth.credential
            f += error("auth.credential.username", check_username(c.username))
            f += error("auth.credential.password_env", check_env_name(c.password_env))
            f += warning("auth.credential.password_env", env_name_warning(c.password_env))
            f += error(
                "auth.credential.credential_uuid",
                check_resource_id(c.credential_uuid, "credential id"),
            )
    elif auth.credential is not None:
        f += error(
            "auth.credential",
            f"[auth.credential] is used only when type includes credential, and type is "
            f'"{auth.type}"; remove the table or set type = "ip_acl_and_credential"',
        )
    return f


def _forwarding_findings(plan: Plan) -> list[Finding]:
    fw = plan.forwarding
    assert fw is not None
    f: list[Finding] = []
    if fw.plivo_number == "buy":
        if fw.search is None:
            f += error(
                "forwarding.plivo_number",
                'plivo_number = "buy" needs a [forwarding.search] table (country_iso, type, '
                "pattern) saying which number to buy",
            )
    else:
        err = check_e164(fw.plivo_number)
        f += error(
            "forwarding.plivo_number",
            err and f'the Plivo number to forward to: {err}, or "buy" with [forwarding.search]',
        )
        same = (
            not err
            and not check_e164(plan.external_number)
            and normalize_e164(fw.plivo_number) == normalize_e164(plan.external_number)
        )
        if same:
            f += error(
                "forwarding.plivo_number",
                "is the same number as route.external_number; forward to a Plivo number "
                "that is not the one kept at your provider",
            )
    if fw.search is not None:
        s = fw.search
        f += error("forwarding.search.country_iso", check_country_iso(s.country_iso))
        f += error("forwarding.search.type", check_search_type(s.type))
        f += error("forwarding.search.pattern", check_search_pattern(s.pattern))
    return f


def _check_provider(key: str) -> str | None:
    from wizard.providers.templates import PROVIDERS

    if key in PROVIDERS:
        return None
    import difflib

    close = difflib.get_close_matches(key, list(PROVIDERS), n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"{key!r} is not a provider template{hint}; use one of {', '.join(PROVIDERS)}"


def _provider_findings(plan: Plan) -> list[Finding]:
    from wizard.providers.templates import plan_warnings

    return plan_warnings(plan)
