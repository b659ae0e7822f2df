"""Provider knowledge as data: one TOML file per provider in ``data/``, loaded and checked here.

Every fact carries the page it comes from (``source``) and the day someone last checked it
there (``verified``); a fact the provider's own pages do not confirm says so
(``confirmed = false``). Facts older than ``STALE_DAYS`` are shown with "re-check at
<source>". A group (a table such as ``[ips]`` or one ``[[routes]]`` entry) gives
``source``/``verified``/``confirmed`` to all its fields; one field can override them with
an inline table ``{ value = ..., source = ..., verified = ..., confirmed = ... }``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from wizard.plivo.facts import AUTH_TYPES

DATA_DIR = Path(__file__).with_name("data")
SCHEMA = 1
STALE_DAYS = 90
KINDS = ("generic", "carrier", "pbx", "proxy")
OPTIONS = ("direct_sip", "did_forwarding", "any")
TRANSPORTS = ("udp", "tcp", "tls")
NUMBER_FORMATS = ("e164", "digits", "as_received")  # as_received: passed on unchanged
REQUEST_URIS = ("as_given", "dialed_number")  # the user part sent: the URI's, or the DID
# diagnosis rows a provider can add its own setting to (wizard/verify/diagnose.py)
HINT_ROWS = (
    "all_403",
    "challenge_407",
    "no_sip_auth_type",
    "not_found_404",
    "intermittent",
    "ip_outside_acl",
    "auth_user_mismatch",
    "wrong_number",
    "number_format",
)
# the only names a text may fill in; anything else in braces is refused at load
PLACEHOLDERS = (
    "app_id",
    "sip_uri",
    "plivo_number",
    "plivo_digits",
    "external_number",
    "external_digits",
    "password_env",
)
_META = ("source", "verified", "confirmed")
_BRACED = re.compile(r"\{([A-Za-z_]*)\}")


class ProviderDataError(ValueError):
    """A provider data file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Fact:
    """One checked statement: its value, where it comes from, and when it was checked."""

    path: str  # e.g. "routes.twiml_sip.digest"
    value: Any
    source: str
    verified: dt.date
    confirmed: bool = True

    def age_days(self, today: dt.date | None = None) -> int:
        """Days since the fact was last verified."""
        return ((today or dt.date.today()) - self.verified).days

    def stale(self, today: dt.date | None = None) -> bool:
        """Older than STALE_DAYS: the provider may have changed it since."""
        return self.age_days(today) > STALE_DAYS

    def caveat(self, today: dt.date | None = None) -> str:
        """'' for a fresh confirmed fact, else the sentence that tells the user what to check."""
        parts = []
        if not self.confirmed:
            parts.append(f"not confirmed by the provider; check {self.source}")
        if self.stale(today):
            parts.append(
                f"last verified {self.verified.isoformat()}, over {STALE_DAYS} days ago: "
                f"re-check at {self.source}"
            )
        return "; ".join(parts)

    def to_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        """The fact as JSON-ready data, marked stale or not."""
        return {
            "fact": self.path,
            "value": self.value,
            "source": self.source,
            "verified": self.verified.isoformat(),
            "confirmed": self.confirmed,
            "stale": self.stale(today),
        }


class _FactValues:
    """``obj.name`` reads the value of fact ``name`` from ``obj.facts``."""

    def __getattr__(self, name: str) -> Any:
        facts = self.__dict__.get("facts", {})
        if name in facts:
            return facts[name].value
        raise AttributeError(name)


@dataclass(frozen=True)
class Route(_FactValues):
    """One way the provider reaches a SIP URI (Direct SIP), best first in the file."""

    id: str
    facts: dict[str, Fact]


@dataclass(frozen=True)
class Gotcha:
    """A trap and what to do about it, shown for one option (and auth types, when given)."""

    fact: Fact
    option: str = "any"
    auth: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The gotcha's sentence."""
        return str(self.fact.value)

    def applies(self, option: str, auth_type: str) -> bool:
        """Whether the gotcha concerns this option and auth type."""
        return self.option in ("any", option) and _fits(self.auth, auth_type)


@dataclass(frozen=True)
class Hint:
    """The provider's own setting behind a diagnosis row, for some auth types (all if none)."""

    fact: Fact
    auth: tuple[str, ...] = ()

    def applies(self, auth_type: str) -> bool:
        """Whether the hint fits a plan with this auth type (an IP ACL hint does not fit a
        credential-only plan)."""
        return _fits(self.auth, auth_type)


def _fits(auth: tuple[str, ...], auth_type: str) -> bool:
    """A fact for these auth types (all when none are named) fits a plan of ``auth_type``."""
    return not auth or auth_type in auth


@dataclass(frozen=True)
class Provider:
    """Everything byon knows about one provider, each fact with its source and date."""

    key: str
    name: str
    kind: str
    recommended_auth: str
    auth_supported: tuple[str, ...]
    routes: tuple[Route, ...]
    forwarding: dict[str, Fact]
    ips: dict[str, Fact] = field(default_factory=dict)
    auth_note: Fact | None = None
    gotchas: tuple[Gotcha, ...] = ()
    hints: dict[str, tuple[Hint, ...]] = field(default_factory=dict)  # row -> first fits
    unknowns: tuple[Fact, ...] = ()
    snippet_note: str = ""
    file: str = ""
    facts: tuple[Fact, ...] = ()

    options_supported = ("direct_sip", "did_forwarding")

    @property
    def source_ips(self) -> tuple[str, ...]:
        """The signalling addresses/ranges to put in the Plivo IP ACL."""
        fact = self.ips.get("list")
        return tuple(fact.value) if fact else ()

    @property
    def source_ips_unconfirmed(self) -> bool:
        """The IP list is not confirmed by the provider's own pages."""
        fact = self.ips.get("list")
        return bool(fact) and not fact.confirmed  # type: ignore[union-attr]

    @property
    def source_ips_note(self) -> str:
        """What the IP list is, in a sentence."""
        fact = self.ips.get("note")
        return str(fact.value) if fact else ""

    @property
    def ips_shared(self) -> bool:
        """The addresses are shared by all the provider's customers."""
        fact = self.ips.get("shared")
        return bool(fact and fact.value)

    @property
    def direct_unconfirmed(self) -> bool:
        """No route of this provider to a SIP URI is confirmed by its own pages."""
        return not any(r.facts["how"].confirmed for r in self.routes)

    @property
    def digest_routes(self) -> tuple[Route, ...]:
        """The routes that can answer Plivo's 407 challenge."""
        return tuple(r for r in self.routes if r.digest)

    def stale_facts(self, today: dt.date | None = None) -> list[Fact]:
        """Facts last verified over STALE_DAYS ago."""
        return [f for f in self.facts if f.stale(today)]

    def to_dict(self, today: dt.date | None = None) -> dict[str, Any]:
        """The provider for `byon settings --list-providers --json`, stale facts marked."""
        facts = [f.to_dict(today) for f in self.facts]
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "options": list(self.options_supported),
            "auth": list(self.auth_supported),
            "recommended_auth": self.recommended_auth,
            "routes": [
                {"id": r.id, **{k: f.value for k, f in r.facts.items()}} for r in self.routes
            ],
            "source_ips": list(self.source_ips),
            "stale": [f["fact"] for f in facts if f["stale"]],
            "unconfirmed": [f["fact"] for f in facts if not f["confirmed"]],
            "facts": facts,
        }


# --- reading and checking ----------------------------------------------------------------------


class _Reader:
    """Turns one parsed file into Facts, refusing anything malformed with file and key."""

    def __init__(self, file: str, data: dict[str, Any], today: dt.date):
        self.file = file
        self.data = data
        self.today = today
        self.facts: list[Fact] = []

    def fail(self, key: str, message: str) -> ProviderDataError:
        """An error naming the file and the key."""
        return ProviderDataError(f"{self.file}: {key}: {message}")

    def group(self, key: str, table: Any, fields: dict[str, Any]) -> dict[str, Fact]:
        """Facts of one table; ``fields`` maps each allowed field to its check (or None)."""
        if not isinstance(table, dict):
            raise self.fail(key, "must be a table")
        unknown = sorted(set(table) - set(fields) - set(_META) - {"id"})
        if unknown:
            raise self.fail(f"{key}.{unknown[0]}", f"unknown key; allowed: {', '.join(fields)}")
        meta = self._meta(key, table, inherited=self._top_meta())
        out = {}
        for name, check in fields.items():
            if name not in table:
                continue
            raw = table[name]
            fact_meta = meta
            if isinstance(raw, dict):
                unknown = sorted(set(raw) - {"value", *_META})
                if unknown or "value" not in raw:
                    raise self.fail(f"{key}.{name}", "an inline fact needs value (+ source...)")
                fact_meta = self._meta(f"{key}.{name}", raw, inherited=meta)
                raw = raw["value"]
            if check is not None:
                check(f"{key}.{name}", raw)
            fact = Fact(f"{key}.{name}", raw, *fact_meta)
            out[name] = fact
            self.facts.append(fact)
        return out

    def _top_meta(self) -> tuple[str | None, dt.date | None, bool]:
        d = self.data
        return (d.get("source"), d.get("verified"), d.get("confirmed", True))

    def _meta(self, key: str, table: dict[str, Any], inherited: tuple) -> tuple:
        source = table.get("source", inherited[0])
        verified = table.get("verified", inherited[1])
        confirmed = table.get("confirmed", inherited[2])
        if not isinstance(source, str) or not source.startswith("https://"):
            raise self.fail(f"{key}.source", "every fact needs a source: an https:// address")
        if type(verified) is not dt.date:
            raise self.fail(f"{key}.verified", "every fact needs a verified date (YYYY-MM-DD)")
        if verified > self.today + dt.timedelta(days=1):
            raise self.fail(f"{key}.verified", f"{verified} is in the future")
        if not isinstance(confirmed, bool):
            raise self.fail(f"{key}.confirmed", "must be true or false")
        return source, verified, confirmed

    # field checks: each raises with file and key
    def text(self, key: str, value: Any) -> None:
        """Check: a non-empty text with known placeholders only."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty text")
        for name in _BRACED.findall(value):
            if name not in PLACEHOLDERS:
                raise self.fail(key, f"unknown placeholder {{{name}}}; use {PLACEHOLDERS}")

    def boolean(self, key: str, value: Any) -> None:
        """Check: true or false."""
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")

    def one_of(self, allowed: tuple[str, ...]):
        """Check: one of the allowed words."""

        def check(key: str, value: Any) -> None:
            if value not in allowed:
                raise self.fail(key, f"{value!r} is not one of {', '.join(allowed)}")

        return check

    def networks(self, key: str, value: Any) -> None:
        """Check: a list of addresses or CIDR ranges."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of addresses or CIDR ranges")
        for v in value:
            try:
                ipaddress.ip_network(v, strict=True)
            except ValueError as exc:
                raise self.fail(key, f"{v!r} is not an address or CIDR range ({exc})") from None


def _read_routes(r: _Reader) -> tuple[Route, ...]:
    raw = r.data.get("routes")
    if not isinstance(raw, list) or not raw:
        raise r.fail("routes", "at least one [[routes]] entry: how it reaches a SIP URI")
    fields = {
        "name": r.text,
        "how": r.text,
        "where": r.text,
        "digest": r.boolean,
        "request_uri": r.one_of(REQUEST_URIS),
        "transport": r.one_of(TRANSPORTS),
        "number_format": r.one_of(NUMBER_FORMATS),
    }
    routes = []
    for i, table in enumerate(raw):
        rid = table.get("id") if isinstance(table, dict) else None
        if not isinstance(rid, str) or not re.fullmatch(r"[a-z0-9_]+", rid):
            raise r.fail(f"routes[{i}].id", "each route needs an id of a-z, 0-9 and _")
        if any(x.id == rid for x in routes):
            raise r.fail(f"routes[{i}].id", f"{rid!r} is used twice")
        facts = r.group(f"routes.{rid}", table, fields)
        missing = [f for f in fields if f not in facts and f != "where"]
        if missing:
            raise r.fail(f"routes.{rid}.{missing[0]}", "is required")
        routes.append(Route(rid, facts))
    return tuple(routes)


def _text_for_auth(r: _Reader, key: str, table: dict[str, Any]) -> tuple[Fact, tuple[str, ...]]:
    """A table of a ``text`` fact (with its source) and the auth types it is for
    (``auth = [...]``, all when absent): the shape of a gotcha and of a hint."""
    auth = table.get("auth", [])
    if not isinstance(auth, list) or not set(auth) <= set(AUTH_TYPES):
        raise r.fail(f"{key}.auth", f"must be a list of {', '.join(AUTH_TYPES)}")
    facts = r.group(key, {k: v for k, v in table.items() if k != "auth"}, {"text": r.text})
    if "text" not in facts:
        raise r.fail(f"{key}.text", "is required")
    return facts["text"], tuple(auth)


def _read_gotchas(r: _Reader) -> tuple[Gotcha, ...]:
    out = []
    for i, table in enumerate(r.data.get("gotchas", [])):
        key = f"gotchas[{i}]"
        if not isinstance(table, dict):
            raise r.fail(key, "must be a table")
        option = table.get("option", "any")
        r.one_of(OPTIONS)(f"{key}.option", option)
        text, auth = _text_for_auth(r, key, {k: v for k, v in table.items() if k != "option"})
        out.append(Gotcha(text, option, auth))
    return tuple(out)


def _read_hints(r: _Reader) -> dict[str, tuple[Hint, ...]]:
    """``[hints]``: per diagnosis row one table, or a list of them each for some auth types
    (``auth = [...]``), the first that fits the plan's auth type is used."""
    out = {}
    for row, raw in (r.data.get("hints") or {}).items():
        if row not in HINT_ROWS:
            raise r.fail(f"hints.{row}", f"not a diagnosis row; use one of {', '.join(HINT_ROWS)}")
        tables = raw if isinstance(raw, list) else [raw]
        hints = []
        for i, table in enumerate(tables):
            key = f"hints.{row}" if len(tables) == 1 else f"hints.{row}[{i}]"
            if not isinstance(table, dict):
                raise r.fail(key, "must be a table")
            hints.append(Hint(*_text_for_auth(r, key, table)))
        out[row] = tuple(hints)
    return out


def _read_many(r: _Reader, name: str, fields: dict[str, Any]) -> tuple[Fact, ...]:
    out = []
    for i, table in enumerate(r.data.get(name, [])):
        facts = r.group(f"{name}[{i}]", table, fields)
        out.append(facts["text"])
    return tuple(out)


def _read_provider(file: Path, today: dt.date) -> Provider:
    """One provider file, checked; every mistake names the file and the key."""
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProviderDataError(f"{file.name}: not valid TOML ({exc})") from None
    r = _Reader(file.name, data, today)
    allowed = {
        "schema", "key", "name", "kind", "recommended_auth", "auth_supported", "snippet_note",
        "auth_note", "forwarding", "routes", "ips", "gotchas", "hints", "unknowns", *_META,
    }  # fmt: skip
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise r.fail(unknown[0], "unknown key")
    if data.get("schema") != SCHEMA:
        raise r.fail("schema", f"must be {SCHEMA}")
    if data.get("key") != file.stem:
        raise r.fail("key", f"must be the file's name ({file.stem!r})")
    r.text("name", data.get("name"))
    r.one_of(KINDS)("kind", data.get("kind"))
    supported = data.get("auth_supported")
    if not isinstance(supported, list) or not supported or not set(supported) <= set(AUTH_TYPES):
        raise r.fail("auth_supported", f"a list of {', '.join(AUTH_TYPES)}")
    if data.get("recommended_auth") not in supported:
        raise r.fail("recommended_auth", "must be one of auth_supported")
    auth_note = None
    if "auth_note" in data:
        auth_note = r.group("auth_note", data["auth_note"], {"text": r.text})["text"]
    elif set(supported) != set(AUTH_TYPES):
        # without it, an unsupported auth type would be warned about with an empty sentence
        raise r.fail("auth_note", "required when auth_supported leaves out an auth type")
    forwarding = r.group(
        "forwarding",
        data.get("forwarding"),
        {"how": r.text, "where": r.text, "number_format": r.one_of(NUMBER_FORMATS)},
    )
    if "how" not in forwarding or "number_format" not in forwarding:
        raise r.fail("forwarding", "needs how and number_format")
    routes = _read_routes(r)
    ips = {}
    if "ips" in data:
        ips = r.group("ips", data["ips"], {"list": r.networks, "note": r.text, "shared": r.boolean})
    note = data.get("snippet_note", "")
    if note:
        r.text("snippet_note", note)
    return Provider(
        key=data["key"],
        name=data["name"],
        kind=data["kind"],
        recommended_auth=data["recommended_auth"],
        auth_supported=tuple(a for a in AUTH_TYPES if a in supported),
        routes=routes,
        forwarding=forwarding,
        ips=ips,
        auth_note=auth_note,
        gotchas=_read_gotchas(r),
        hints=_read_hints(r),
        unknowns=_read_many(r, "unknowns", {"text": r.text}),
        snippet_note=note,
        file=file.name,
        facts=tuple(r.facts),
    )


# The order the wizard lists them in; a data file not named here is refused.
ORDER = (
    "generic", "twilio", "telnyx", "vonage", "bandwidth", "signalwire",
    "asterisk", "freeswitch", "freepbx", "3cx", "kamailio",
)  # fmt: skip


def load_providers(data_dir: Path = DATA_DIR, today: dt.date | None = None) -> dict[str, Provider]:
    """Every provider file in ``data_dir``, checked, in ORDER. Raises ProviderDataError."""
    today = today or dt.date.today()
    files = {p.stem: p for p in sorted(data_dir.glob("*.toml")) if not p.stem.startswith("_")}
    extra = sorted(set(files) - set(ORDER))
    if extra:
        raise ProviderDataError(f"{extra[0]}.toml: not a known provider (add it to ORDER)")
    missing = [k for k in ORDER if k not in files and data_dir == DATA_DIR]
    if missing:
        raise ProviderDataError(f"{missing[0]}.toml: missing from {data_dir}")
    return {k: _read_provider(files[k], today) for k in ORDER if k in files}


@cache
def providers() -> dict[str, Provider]:
    """The shipped providers, read once per process."""
    return load_providers()


@dataclass(frozen=True)
class PlivoFacts(_FactValues):
    """The receiving side: what byon tells every provider about Plivo's SIP edge."""

    facts: dict[str, Fact]


@cache
def plivo() -> PlivoFacts:
    """Plivo's own SIP facts (realm, ports, routing rule) from ``data/_plivo.toml``."""
    file = DATA_DIR / "_plivo.toml"
    data = tomllib.loads(file.read_text(encoding="utf-8"))
    r = _Reader(file.name, data, dt.date.today())
    out: dict[str, Fact] = {}
    for key, table in data.items():
        if key in ("schema", *_META):
            continue
        fields = {k: None for k in table if k not in (*_META, "id")}
        out.update({f"{key}_{k}": f for k, f in r.group(key, table, fields).items()})
    return PlivoFacts(out)
