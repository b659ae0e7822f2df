"""SIP URIs, name-addr values and Via headers (RFC 3261 sections 19, 20 and 25).

Values are immutable dataclasses whose ``str()`` is the wire form, so
``parse_x(str(value)) == value`` holds for every value these parsers return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from wizard.sip.errors import SipParseError

Params = tuple[tuple[str, str | None], ...]

_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+\Z")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+)(?::(\d{1,5}))?\Z")
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()%&=+$,;?/#]+\Z")
_PARAM_VALUE = re.compile(r'(?:[^\s;?<>,"]+|"(?:[^"\\]|\\.)*")\Z')
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"\Z')
_SCHEMES = ("sip", "sips", "tel")


def split_outside(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` except inside quoted strings and <...>, where commas and
    semicolons are part of a display name or URI."""
    if '"' not in text and "<" not in text:
        return text.split(sep)  # the common case, without the character loop
    parts: list[str] = []
    start = depth = 0
    quoted = escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if quoted:
        raise SipParseError("unterminated quoted string")
    parts.append(text[start:])
    return parts


def split_list(value: str) -> list[str]:
    """The elements of a comma-separated header value (Via, Contact, Route...), stripped."""
    items = [part.strip() for part in split_outside(value, ",")]
    if any(not item for item in items):
        raise SipParseError("empty element in a header list")
    return items


def quote(text: str) -> str:
    """``text`` as a SIP quoted-string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote(text: str) -> str:
    """The content of a quoted-string (or ``text`` itself when not quoted)."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def parse_params(text: str) -> Params:
    """``;a=1;b`` -> (("a", "1"), ("b", None)); names keep their case, lookups ignore it."""
    if not text:
        return ()
    if not text.startswith(";"):
        raise SipParseError("parameters must start with ';'")
    out = []
    for raw in split_outside(text[1:], ";"):
        name, eq, value = raw.partition("=")
        name, value = name.strip(), value.strip()
        if not _TOKEN.match(name):
            raise SipParseError("malformed parameter name")
        if eq and not _PARAM_VALUE.match(value):
            raise SipParseError("malformed parameter value")
        out.append((name, value if eq else None))
    return tuple(out)


def format_params(params: Params) -> str:
    """The wire form of parameters, each with its leading ';'."""
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params)


def get_param(params: Params, name: str, default: str | None = None) -> str | None:
    """Value of parameter ``name`` (case-insensitive); None for a flag, ``default`` if absent."""
    lname = name.lower()
    for key, value in params:
        if key.lower() == lname:
            return value
    return default


def has_param(params: Params, name: str) -> bool:
    """True when parameter ``name`` is present (with or without a value)."""
    lname = name.lower()
    return any(key.lower() == lname for key, _ in params)


def set_param(params: Params, name: str, value: str | None) -> Params:
    """``params`` with ``name`` set to ``value`` (replacing it in place, or appended)."""
    lname = name.lower()
    if has_param(params, name):
        return tuple((k, value) if k.lower() == lname else (k, v) for k, v in params)
    return (*params, (name, value))


def _host_port(text: str) -> tuple[str, int | None]:
    match = _HOST.match(text)
    if not match:
        raise SipParseError("malformed host")
    host, port = match.group(1), match.group(2)
    if host.startswith("["):
        host = host[1:-1]
        if ":" not in host:
            raise SipParseError("malformed IPv6 reference")
    if port is not None and not 0 < int(port) < 65536:
        raise SipParseError("port out of range")
    return host, int(port) if port is not None else None


def format_host(host: str, port: int | None = None) -> str:
    """``host[:port]`` with IPv6 addresses bracketed."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


@dataclass(frozen=True)
class SipUri:
    """A sip:, sips: or tel: URI. ``tel:`` keeps the number in ``user`` and an empty host."""

    scheme: str = "sip"
    user: str | None = None
    host: str = ""
    port: int | None = None
    params: Params = ()
    headers: str = ""
    password: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        if self.scheme == "tel":
            text = f"tel:{self.user or ''}"
        else:
            userinfo = ""
            if self.user is not None:
                userinfo = self.user + (f":{self.password}" if self.password is not None else "")
                userinfo += "@"
            text = f"{self.scheme}:{userinfo}{format_host(self.host, self.port)}"
        return text + format_params(self.params) + (f"?{self.headers}" if self.headers else "")

    def param(self, name: str, default: str | None = None) -> str | None:
        """URI parameter ``name`` (case-insensitive)."""
        return get_param(self.params, name, default)

    def with_param(self, name: str, value: str | None) -> SipUri:
        """A copy with URI parameter ``name`` set."""
        return replace(self, params=set_param(self.params, name, value))

    @property
    def transport(self) -> str | None:
        """The ``transport=`` parameter in upper case, or None."""
        value = self.param("transport")
        return value.upper() if value else None


@lru_cache(maxsize=2048)  # values are immutable: a call's headers repeat
def parse_uri(text: str) -> SipUri:
    """Parse ``sip:user@host:port;params?headers`` (also sips: and tel:)."""
    text = text.strip()
    scheme, colon, rest = text.partition(":")
    scheme = scheme.lower()
    if not colon or scheme not in _SCHEMES:
        raise SipParseError("unsupported or missing URI scheme")
    rest, _, headers = rest.partition("?")
    if scheme == "tel":
        number, semi, params = rest.partition(";")
        if not number or not _USER.match(number):
            raise SipParseError("malformed tel URI")
        return SipUri("tel", number, "", None, parse_params(semi + params), headers)
    user = password = None
    if "@" in rest:
        userinfo, _, rest = rest.rpartition("@")
        user, pcolon, pw = userinfo.partition(":")
        password = pw if pcolon else None
        if not user or not _USER.match(user) or (password and not _USER.match(password)):
            raise SipParseError("malformed user part")
    hostport, semi, params = rest.partition(";")
    host, port = _host_port(hostport)
    return SipUri(scheme, user, host, port, parse_params(semi + params), headers, password)


@dataclass(frozen=True)
class NameAddr:
    """``"Display" <uri>;params`` as in From, To, Contact, Route and Record-Route."""

    uri: SipUri
    display: str | None = None
    params: Params = ()

    def __str__(self) -> str:
        name = f"{quote(self.display)} " if self.display else ""
        return f"{name}<{self.uri}>{format_params(self.params)}"

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter, or None."""
        return get_param(self.params, "tag")

    def param(self, name: str, default: str | None = None) -> str | None:
        """Header parameter ``name`` (case-insensitive)."""
        return get_param(self.params, name, default)

    def with_tag(self, tag: str) -> NameAddr:
        """A copy carrying ``;tag=tag``."""
        return replace(self, params=set_param(self.params, "tag", tag))


def _first_unquoted(text: str, wanted: str) -> int:
    quoted = escaped = False
    for i, ch in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            escaped, quoted = ch == "\\", ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == wanted:
            return i
    return -1


def _display_name(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if text.startswith('"'):
        if not _QUOTED.match(text):
            raise SipParseError("malformed display name")
        return unquote(text)
    if '"' in text:
        raise SipParseError("malformed display name")
    return " ".join(text.split())


@lru_cache(maxsize=2048)  # values are immutable: a call's headers repeat
def parse_name_addr(text: str) -> NameAddr:
    """Parse one name-addr or addr-spec with header parameters (``;tag=...``)."""
    text = text.strip()
    if "<" in text or text.startswith('"'):
        opening = _first_unquoted(text, "<")
        if opening < 0:
            raise SipParseError("missing <URI>")
        display, after = text[:opening], text[opening + 1 :]
        uri_text, gt, params = after.partition(">")
        if not gt:
            raise SipParseError("unterminated <URI>")
        return NameAddr(parse_uri(uri_text), _display_name(display), parse_params(params.strip()))
    # addr-spec: parameters after the URI belong to the header (RFC 3261 20.10)
    uri_text, semi, params = text.partition(";")
    return NameAddr(parse_uri(uri_text), None, parse_params(semi + params))


def parse_name_addr_list(value: str) -> list[NameAddr]:
    """All name-addrs of a comma-separated header value (Contact, Route, Record-Route)."""
    return [parse_name_addr(item) for item in split_list(value)]


@dataclass(frozen=True)
class Via:
    """One Via value: ``SIP/2.0/UDP host:port;branch=...;rport``."""

    transport: str
    host: str
    port: int | None = None
    params: Params = ()

    def __str__(self) -> str:
        return f"SIP/2.0/{self.transport} {format_host(self.host, self.port)}" + format_params(
            self.params
        )

    @property
    def branch(self) -> str | None:
        """The branch parameter (the transaction id for RFC 3261 peers)."""
        return get_param(self.params, "branch")

    @property
    def received(self) -> str | None:
        """The ``received`` address a server stamped, or None."""
        return get_param(self.params, "received")

    @property
    def has_rport(self) -> bool:
        """True when the sender asked for symmetric response routing (RFC 3581)."""
        return has_param(self.params, "rport")

    @property
    def rport(self) -> int | None:
        """The port stamped in ``rport=N``, or None (absent, or a bare flag)."""
        value = get_param(self.params, "rport")
        return int(value) if value and value.isdigit() else None

    def param(self, name: str, default: str | None = None) -> str | None:
        """Via parameter ``name`` (case-insensitive)."""
        return get_param(self.params, name, default)

    def with_param(self, name: str, value: str | None) -> Via:
        """A copy with parameter ``name`` set."""
        return replace(self, params=set_param(self.params, name, value))


_VIA = re.compile(r"SIP\s*/\s*2\.0\s*/\s*([A-Za-z0-9\-.!%*_+`'~]+)\s+(\S[^;]*?)\s*(;.*)?\Z", re.I)


@lru_cache(maxsize=2048)  # values are immutable: a call's headers repeat
def parse_via(text: str) -> Via:
    """Parse one Via value (not a comma-separated list: see ``split_list``)."""
    match = _VIA.match(text.strip())
    if not match:
        raise SipParseError("malformed Via")
    transport, hostport, params = match.groups()
    host, port = _host_port(hostport.replace(" ", ""))
    parsed = parse_params(params or "")
    if get_param(parsed, "branch", "") is None:
        raise SipParseError("Via branch without a value")
    return Via(transport.upper(), host, port, parsed)
