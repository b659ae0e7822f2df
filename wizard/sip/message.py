"""SIP messages (RFC 3261 section 7): parse, build, and answer.

Headers keep their order and repeats; names are stored in canonical form (compact
forms expanded). Content-Length is not stored: it is derived from the body when
building, so ``parse_message(msg.to_bytes()) == msg`` holds.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from wizard.sip.errors import SipParseError
from wizard.sip.uri import (
    NameAddr,
    SipUri,
    Via,
    parse_name_addr,
    parse_name_addr_list,
    parse_uri,
    parse_via,
    split_list,
)

__all__ = [
    "KEEPALIVE",
    "Headers",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "StreamFramer",
    "canonical_name",
    "make_response",
    "new_branch",
    "new_tag",
    "parse_message",
    "redact",
]

MAX_BODY = 1 << 20
COMPACT = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "n": "Identity-Info",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}
_KNOWN = [
    *COMPACT.values(),
    "Accept", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow", "Authentication-Info",
    "Authorization", "Call-Info", "CSeq", "Date", "Error-Info", "Expires", "In-Reply-To",
    "Max-Forwards", "Min-Expires", "MIME-Version", "Organization", "P-Asserted-Identity",
    "Priority", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Require", "RAck", "Reason",
    "Record-Route", "Reply-To", "Require", "Retry-After", "Route", "RSeq", "Server",
    "Timestamp", "Unsupported", "User-Agent", "Warning", "WWW-Authenticate",
]  # fmt: skip
_CANONICAL = {name.lower(): name for name in _KNOWN}
_NAME = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+\Z")
_METHOD = _NAME
_REQUEST_LINE = re.compile(r"([A-Za-z0-9\-.!%*_+`'~]+) (\S+) (SIP/2\.0)\Z", re.I)
_STATUS_LINE = re.compile(r"(SIP/2\.0) ([1-6]\d\d) ?(.*)\Z", re.I)
_CSEQ = re.compile(r"(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\Z")
_SECRET_PARAM = re.compile(r"(\b(?:response|cnonce)\s*=\s*)(\"[^\"]*\"|[^,\s]+)", re.I)
_SECRET_HEADERS = {"authorization", "proxy-authorization"}
REASONS = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 301: "Moved Permanently",
    302: "Moved Temporarily", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 407: "Proxy Authentication Required",
    408: "Request Timeout", 415: "Unsupported Media Type", 416: "Unsupported URI Scheme",
    420: "Bad Extension", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 600: "Busy Everywhere",
    603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}  # fmt: skip


@lru_cache(maxsize=512)
def canonical_name(name: str) -> str:
    """The canonical spelling of a header name: compact forms expanded, known names cased."""
    name = name.strip()
    if len(name) == 1 and name.lower() in COMPACT:
        return COMPACT[name.lower()]
    return _CANONICAL.get(name.lower(), name)


def redact(name: str, value: str) -> str:
    """``value`` safe to log: the digest ``response``/``cnonce`` of Authorization headers hidden."""
    if canonical_name(name).lower() in _SECRET_HEADERS:
        return _SECRET_PARAM.sub(r"\1<redacted>", value)
    return value


def new_tag() -> str:
    """A random From/To tag."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """A random RFC 3261 Via branch (with the z9hG4bK magic cookie)."""
    return "z9hG4bK" + secrets.token_hex(10)


class Headers:
    """Ordered, repeatable SIP headers with case-insensitive names."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        if isinstance(items, Mapping):
            items = items.items()
        for name, value in items or ():
            self.add(name, value)

    @staticmethod
    def _check(name: str, value: str) -> tuple[str, str]:
        name = canonical_name(name)
        if not _NAME.match(name):
            raise ValueError(f"invalid header name {name!r}")
        if name == "Content-Length":
            raise ValueError("Content-Length is derived from the body")
        value = str(value).strip()
        if "\r" in value or "\n" in value or "\0" in value:
            raise ValueError(f"line break in the value of header {name}")
        return name, value

    def add(self, name: str, value: str) -> None:
        """Append a header line."""
        self._items.append(self._check(name, value))

    def prepend(self, name: str, value: str) -> None:
        """Insert a header line before the first line of that name (or at the top)."""
        name, value = self._check(name, value)
        index = next((i for i, (k, _) in enumerate(self._items) if k == name), 0)
        self._items.insert(index, (name, value))

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` with one line, where the first one was."""
        name, value = self._check(name, value)
        index = next((i for i, (k, _) in enumerate(self._items) if k == name), len(self._items))
        self.remove(name)
        self._items.insert(min(index, len(self._items)), (name, value))

    def remove(self, name: str) -> None:
        """Remove every line of ``name``."""
        name = canonical_name(name)
        self._items = [(k, v) for k, v in self._items if k != name]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first line of ``name``, or ``default``."""
        name = canonical_name(name)
        return next((v for k, v in self._items if k == name), default)

    def get_all(self, name: str) -> list[str]:
        """The values of every line of ``name``, in order (no comma splitting)."""
        name = canonical_name(name)
        return [v for k, v in self._items if k == name]

    def values(self, name: str) -> list[str]:
        """Every element of a list header (Via, Route, Allow...), lines and commas split."""
        return [item for line in self.get_all(name) for item in split_list(line)]

    def copy(self) -> Headers:
        """An independent copy."""
        clone = Headers()
        clone._items = list(self._items)
        return clone

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._items == other._items

    def __repr__(self) -> str:
        return f"Headers({[(k, redact(k, v)) for k, v in self._items]!r})"


class SipMessage:
    """What requests and responses share: headers, body, and typed header accessors."""

    headers: Headers
    body: bytes

    def start_line(self) -> str:  # pragma: no cover - overridden
        """The first line of the message, without CRLF."""
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        """The wire form, with Content-Length computed from the body."""
        lines = [self.start_line()]
        lines += [f"{k}: {v}" for k, v in self.headers]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body

    @property
    def call_id(self) -> str:
        """The Call-ID value ('' when absent)."""
        return self.headers.get("Call-ID", "") or ""

    @property
    def cseq(self) -> tuple[int, str]:
        """(sequence number, method) from CSeq."""
        match = _CSEQ.match(self.headers.get("CSeq", "") or "")
        if not match:
            raise SipParseError("malformed CSeq")
        return int(match.group(1)), match.group(2).upper()

    @property
    def vias(self) -> list[Via]:
        """Every Via, topmost first."""
        return [parse_via(v) for v in self.headers.values("Via")]

    @property
    def top_via(self) -> Via:
        """The topmost Via."""
        values = self.headers.values("Via")
        if not values:
            raise SipParseError("no Via")
        return parse_via(values[0])

    @property
    def from_addr(self) -> NameAddr:
        """The From header, parsed."""
        return parse_name_addr(self.headers.get("From", "") or "")

    @property
    def to_addr(self) -> NameAddr:
        """The To header, parsed."""
        return parse_name_addr(self.headers.get("To", "") or "")

    @property
    def contacts(self) -> list[NameAddr]:
        """Every Contact (empty for none or for ``*``)."""
        values = self.headers.values("Contact")
        return [] if values == ["*"] else [parse_name_addr(v) for v in values]

    @property
    def content_type(self) -> str:
        """The media type in lower case, without parameters ('' when absent)."""
        value = self.headers.get("Content-Type", "") or ""
        return value.split(";")[0].strip().lower()

    def set_top_via(self, via: Via) -> None:
        """Replace the topmost Via value (which may share a line with others)."""
        lines = self.headers.get_all("Via")
        if not lines:
            self.headers.add("Via", str(via))
            return
        first = split_list(lines[0])
        rebuilt = [(k, v) for k, v in self.headers]
        index = next(i for i, (k, _) in enumerate(rebuilt) if k == "Via")
        rebuilt[index] = ("Via", ", ".join([str(via), *first[1:]]))
        self.headers = Headers(rebuilt)


@dataclass(eq=True)
class SipRequest(SipMessage):
    """A SIP request. ``uri`` is the Request-URI as sent."""

    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        """``METHOD uri SIP/2.0``."""
        return f"{self.method} {self.uri} SIP/2.0"

    @property
    def request_uri(self) -> SipUri:
        """The Request-URI, parsed."""
        return parse_uri(self.uri)


@dataclass(eq=True)
class SipResponse(SipMessage):
    """A SIP response."""

    status: int
    reason: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    def start_line(self) -> str:
        """``SIP/2.0 code reason``."""
        return f"SIP/2.0 {self.status} {self.reason}".rstrip()


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    data = data.lstrip(b"\r\n")
    ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    if not ends:
        return data, b""  # a datagram without the blank line: headers only
    index, size = min(ends)
    return data[:index], data[index + size :]


def _header_lines(lines: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not out:
                raise SipParseError("continuation line before any header")
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}".strip())  # folding = one space
            continue
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon or not _NAME.match(name):
            raise SipParseError("malformed header line")
        out.append((canonical_name(name), value.strip()))
    return out


def _start(line: str) -> SipRequest | SipResponse:
    if match := _STATUS_LINE.match(line):
        return SipResponse(int(match.group(2)), match.group(3).strip())
    if match := _REQUEST_LINE.match(line):
        method, uri = match.group(1), match.group(2)
        if ":" not in uri or not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", uri):
            raise SipParseError("malformed Request-URI")
        return SipRequest(method.upper(), uri)
    raise SipParseError("malformed start line")


def _content_length(values: list[str]) -> int | None:
    if not values:
        return None
    if any(not v.isdigit() or len(v) > 9 for v in values) or len(set(map(int, values))) > 1:
        raise SipParseError("malformed Content-Length")
    length = int(values[0])
    if length > MAX_BODY:
        raise SipParseError("Content-Length too large")
    return length


def parse_message(data: bytes) -> SipRequest | SipResponse:
    """Parse one message (a datagram, or a frame from ``StreamFramer``); SipParseError for
    anything malformed (Via/From/To/Call-ID/CSeq included), with ``partial`` once headers parsed."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise SipParseError("not bytes")
    head, rest = _split_head(bytes(data))
    if b"\0" in head:
        raise SipParseError("NUL byte in headers")
    lines = head.decode("utf-8", "replace").split("\n")
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if any("\r" in line for line in lines):
        raise SipParseError("bare CR in headers")
    message = _start(lines[0])
    items = _header_lines(lines[1:])
    lengths = [v for k, v in items if k == "Content-Length"]
    message.headers._items = [(k, v) for k, v in items if k != "Content-Length"]
    try:
        length = _content_length(lengths)
    except SipParseError as exc:
        exc.partial = message
        raise
    if length is not None and len(rest) < length:
        raise SipParseError("body shorter than Content-Length", partial=message)
    message.body = rest if length is None else rest[:length]
    try:
        _validate(message)
    except SipParseError as exc:
        exc.partial = message
        raise
    return message


def _validate(message: SipRequest | SipResponse) -> None:
    headers = message.headers
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        if not headers.get(name):
            raise SipParseError(f"missing {name}")
    for name in ("From", "To", "Call-ID", "CSeq"):
        if len(headers.get_all(name)) > 1:
            raise SipParseError(f"more than one {name}")
    if any(c.isspace() for c in message.call_id):
        raise SipParseError("malformed Call-ID")
    message.vias  # noqa: B018 - parses every Via, raising SipParseError
    message.from_addr  # noqa: B018
    message.to_addr  # noqa: B018
    message.contacts  # noqa: B018
    for name in ("Route", "Record-Route"):
        for line in headers.get_all(name):
            parse_name_addr_list(line)
    number, method = message.cseq
    if number >= 2**31:
        raise SipParseError("CSeq number too large")
    if isinstance(message, SipRequest):
        if method != message.method:
            raise SipParseError("CSeq method differs from the request method")
        if message.uri.lower().startswith(("sip:", "sips:", "tel:")):
            message.request_uri  # noqa: B018


# Headers a response copies from its request (RFC 3261 8.2.6.2), in this order.
_COPIED = ("Via", "From", "To", "Call-ID", "CSeq")


def make_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> SipResponse:
    """A response to ``request``: Via/From/To/Call-ID/CSeq copied, ``to_tag`` added above 100,
    Record-Route copied into 1xx/2xx to INVITE (they make dialogs)."""
    out = Headers()
    for name in _COPIED:
        for value in request.headers.get_all(name):
            if name == "To" and to_tag and status > 100:
                value = _with_to_tag(value, to_tag)
            out.add(name, value)
    if request.method == "INVITE" and 100 < status < 300:
        for value in request.headers.get_all("Record-Route"):
            out.add("Record-Route", value)
    if isinstance(headers, Mapping):
        headers = headers.items()
    for name, value in headers or ():
        out.add(name, value)
    return SipResponse(status, reason if reason is not None else REASONS.get(status, ""), out, body)


def _with_to_tag(value: str, tag: str) -> str:
    try:
        addr = parse_name_addr(value)
    except SipParseError:
        return value  # answering a malformed request (400): copy it as it came
    return value if addr.tag else str(addr.with_tag(tag))


KEEPALIVE = b"\r\n\r\n"
_START_LINE = re.compile(
    rb"(?:[A-Za-z0-9\-.!%*_+`'~]+ \S+ SIP/2\.0|SIP/2\.0 \d\d\d(?: .*)?)\r?\Z", re.I
)


class SipFramingError(SipParseError):
    """A stream can no longer be framed (a header block past the size limit): close it."""


class StreamFramer:
    """Split a TCP/TLS byte stream into messages by Content-Length (RFC 3261 18.3).

    ``feed`` returns complete frames for ``parse_message``, and KEEPALIVE for each
    double-CRLF ping (RFC 5626), which the transport answers with a CRLF.
    A bad or oversized Content-Length frames the headers alone, so the parser can
    answer 400 and the stream goes on; junk before a start line is skipped.
    """

    def __init__(self, max_header: int = 65536, max_body: int = MAX_BODY) -> None:
        self._buffer = bytearray()
        self._crlfs = 0
        self.max_header = max_header
        self.max_body = max_body

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames now complete."""
        self._buffer += data
        frames: list[bytes] = []
        while self._buffer:
            if self._skip_crlfs(frames):
                continue
            frame = self._next_frame()
            if frame is None:
                break
            frames.append(frame)
        return frames

    def _skip_crlfs(self, frames: list[bytes]) -> bool:
        buf = self._buffer
        count = 0
        while count < len(buf) and buf[count] in b"\r\n":
            count += 1
        if count == 0:
            self._crlfs = 0
            return False
        self._crlfs += buf[:count].count(b"\n")
        del buf[:count]
        if self._crlfs >= 2:
            frames.append(KEEPALIVE)
            self._crlfs = 0
        return True

    def _header_end(self) -> tuple[int, int] | None:
        buf = self._buffer
        ends = [(i, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (i := buf.find(sep)) >= 0]
        return min(ends) if ends else None

    def _next_frame(self) -> bytes | None:
        end = self._header_end()
        if end is None:
            if len(self._buffer) > self.max_header:
                self._buffer.clear()
                raise SipFramingError("header block too large")
            return None
        index, size = end
        head = bytes(self._buffer[:index])
        if self._resync(head):
            return self._next_frame()
        length = self._frame_length(head)
        total = index + size + length
        if len(self._buffer) < total:
            return None
        frame = bytes(self._buffer[:total])
        del self._buffer[:total]
        return frame

    def _resync(self, head: bytes) -> bool:
        lines = head.split(b"\n")
        if _START_LINE.match(lines[0]):
            return False
        # junk (say, the body of a message whose Content-Length lied): skip to a start line
        offset = len(lines[0]) + 1
        for line in lines[1:]:
            if _START_LINE.match(line):
                del self._buffer[:offset]
                return True
            offset += len(line) + 1
        return False

    def _frame_length(self, head: bytes) -> int:
        for line in head.split(b"\n"):
            name, colon, value = line.partition(b":")
            if colon and name.strip().lower() in (b"content-length", b"l"):
                value = value.strip()
                if value.isdigit() and len(value) < 10 and int(value) <= self.max_body:
                    return int(value)
                return 0  # unreadable: frame the headers, the parser answers 400
        return 0  # RFC 3261 18.3 makes Content-Length mandatory on streams; absent means 0
