"""SDP offer/answer (RFC 4566, RFC 3264) for G.711 audio: PCMU (0), PCMA (8), telephone-event.

Only the first audio stream matters here: byon's calls carry one voice stream.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field

PCMU, PCMA, TELEPHONE_EVENT = 0, 8, 101
_STATIC = {PCMU: ("PCMU", 8000), PCMA: ("PCMA", 8000)}
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_REVERSE = {"sendonly": "recvonly", "recvonly": "sendonly"}


class SdpError(ValueError):
    """An SDP body that cannot be read, or an offer with nothing in common (answer 488)."""


@dataclass(frozen=True)
class Codec:
    """One RTP payload format of an m= line."""

    payload_type: int
    name: str
    rate: int = 8000
    fmtp: str | None = None

    @property
    def rtpmap(self) -> str:
        """The ``a=rtpmap`` value."""
        return f"{self.payload_type} {self.name}/{self.rate}"


def codec(payload_type: int) -> Codec:
    """The codec byon knows for ``payload_type`` (0, 8 or 101)."""
    if payload_type == TELEPHONE_EVENT:
        return Codec(TELEPHONE_EVENT, "telephone-event", 8000, "0-16")
    name, rate = _STATIC[payload_type]
    return Codec(payload_type, name, rate)


@dataclass
class SessionDescription:
    """What an SDP body says about its first audio stream."""

    address: str | None
    port: int
    codecs: list[Codec] = field(default_factory=list)
    ptime: int | None = None
    direction: str = "sendrecv"
    proto: str = "RTP/AVP"
    origin: str = ""

    @property
    def rtp_address(self) -> tuple[str, int] | None:
        """Where to send RTP, or None (stream rejected with port 0, or on hold at 0.0.0.0)."""
        if not self.address or self.port == 0 or self.address in ("0.0.0.0", "::"):
            return None
        return self.address, self.port

    @property
    def audio_codecs(self) -> list[Codec]:
        """The codecs that carry audio (telephone-event and comfort noise left out)."""
        return [c for c in self.codecs if c.name.lower() not in ("telephone-event", "cn")]

    @property
    def telephone_event(self) -> Codec | None:
        """The DTMF payload format (RFC 4733), when offered."""
        return next((c for c in self.codecs if c.name.lower() == "telephone-event"), None)


def _address_line(address: str) -> str:
    family = "IP6" if ipaddress.ip_address(address).version == 6 else "IP4"
    return f"IN {family} {address}"


def build_sdp(
    address: str,
    port: int,
    codecs: list[Codec],
    *,
    ptime: int | None = 20,
    direction: str = "sendrecv",
    session_id: int | None = None,
) -> bytes:
    """An SDP body with one audio stream at ``address:port`` offering ``codecs`` in order."""
    sid = session_id if session_id is not None else secrets.randbelow(2**31)
    lines = [
        "v=0",
        f"o=byon {sid} {sid} {_address_line(address)}",
        "s=byon",
        f"c={_address_line(address)}",
        "t=0 0",
        f"m=audio {port} RTP/AVP " + " ".join(str(c.payload_type) for c in codecs),
    ]
    for c in codecs:
        lines.append(f"a=rtpmap:{c.rtpmap}")
        if c.fmtp:
            lines.append(f"a=fmtp:{c.payload_type} {c.fmtp}")
    if ptime:
        lines.append(f"a=ptime:{ptime}")
    lines.append(f"a={direction}")
    return ("\r\n".join(lines) + "\r\n").encode()


def build_offer(
    address: str, port: int, payload_types: tuple[int, ...] = (PCMU, PCMA, TELEPHONE_EVENT)
) -> bytes:
    """An offer of PCMU, PCMA and telephone-event (or ``payload_types``), 20 ms frames."""
    return build_sdp(address, port, [codec(pt) for pt in payload_types])


def _media_line(value: str) -> tuple[int, str, list[int]]:
    parts = value.split()
    if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
        raise SdpError("malformed m= line")
    try:
        formats = [int(f) for f in parts[3:]]
    except ValueError as exc:
        raise SdpError("non-numeric RTP payload type") from exc
    port = int(parts[1].split("/")[0])
    if port > 65535 or any(not 0 <= f < 128 for f in formats):
        raise SdpError("port or payload type out of range")
    return port, parts[2], formats


def _rtpmap(value: str) -> tuple[int, str, int]:
    pt, _, spec = value.partition(" ")
    name, _, rest = spec.strip().partition("/")
    rate = rest.split("/")[0]
    if not pt.isdigit() or not name or not rate.isdigit():
        raise SdpError("malformed a=rtpmap")
    return int(pt), name, int(rate)


def _lines(body: bytes | str) -> list[tuple[str, str]]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else body
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        kind, eq, value = line.partition("=")
        if not eq or len(kind) != 1:
            raise SdpError("malformed SDP line")
        out.append((kind, value.strip()))
    if not out or out[0] != ("v", "0"):
        raise SdpError("SDP must start with v=0")
    return out


def parse_sdp(body: bytes | str) -> SessionDescription:
    """The first audio stream of an SDP body; SdpError when there is none or it is malformed."""
    session_c = media_c = None
    session_ptime = ptime = None
    session_dir = direction = None
    origin = ""
    media: tuple[int, str, list[int]] | None = None
    maps: dict[int, tuple[str, int]] = {}
    fmtps: dict[int, str] = {}
    in_audio = seen_m = False
    for kind, value in _lines(body):
        if kind == "m":
            if media is not None:
                break  # only the first audio stream
            seen_m = True
            in_audio = value.startswith("audio ")
            if in_audio:
                media = _media_line(value)
            continue
        if seen_m and not in_audio:
            continue
        if kind == "o":
            origin = value
        elif kind == "c":
            parts = value.split()
            if len(parts) != 3 or parts[0] != "IN":
                raise SdpError("malformed c= line")
            address = parts[2].split("/")[0]
            if seen_m:
                media_c = address
            else:
                session_c = address
        elif kind == "a":
            name, _, rest = value.partition(":")
            if name == "rtpmap":
                pt, enc, rate = _rtpmap(rest)
                maps[pt] = (enc, rate)
            elif name == "fmtp":
                pt_text, _, params = rest.partition(" ")
                if pt_text.isdigit():
                    fmtps[int(pt_text)] = params.strip()
            elif name == "ptime" and rest.strip().isdigit():
                if seen_m:
                    ptime = int(rest)
                else:
                    session_ptime = int(rest)
            elif name in _DIRECTIONS:
                if seen_m:
                    direction = name
                else:
                    session_dir = name
    if media is None:
        raise SdpError("no audio stream in SDP")
    port, proto, formats = media
    codecs = []
    for pt in formats:
        name, rate = maps.get(pt) or _STATIC.get(pt) or ("", 0)
        if name:  # a dynamic type without rtpmap cannot be used; skip it
            codecs.append(Codec(pt, name, rate, fmtps.get(pt)))
    return SessionDescription(
        address=media_c or session_c,
        port=port,
        codecs=codecs,
        ptime=ptime or session_ptime,
        direction=direction or session_dir or "sendrecv",
        proto=proto,
        origin=origin,
    )


@dataclass(frozen=True)
class Answer:
    """The outcome of negotiating an offer: the answer body and what the call uses."""

    sdp: bytes
    codec: Codec
    remote: tuple[str, int] | None
    ptime: int
    telephone_event: Codec | None = None


def build_answer(
    offer: SessionDescription | bytes | str,
    address: str,
    port: int,
    *,
    supported: tuple[int, ...] = (PCMU, PCMA),
) -> Answer:
    """Answer ``offer``: the common G.711 codecs in the offerer's order, plus telephone-event.
    SdpError when nothing is in common (the caller then answers 488)."""
    if not isinstance(offer, SessionDescription):
        offer = parse_sdp(offer)
    names = {_STATIC[pt][0].lower(): pt for pt in supported if pt in _STATIC}
    common = [
        codec(names[c.name.lower()])
        for c in offer.audio_codecs
        if c.name.lower() in names and c.rate == 8000
    ]
    if not common or not offer.proto.upper().startswith("RTP/"):
        raise SdpError("no common codec (byon speaks PCMU and PCMA)")
    event = offer.telephone_event
    answer_codecs = list(dict.fromkeys(common))
    if event is not None:
        answer_codecs.append(Codec(event.payload_type, event.name, event.rate, event.fmtp))
    ptime = offer.ptime or 20
    direction = _REVERSE.get(offer.direction, offer.direction)
    body = build_sdp(address, port, answer_codecs, ptime=ptime, direction=direction)
    return Answer(body, answer_codecs[0], offer.rtp_address, ptime, event)
