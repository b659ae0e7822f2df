"""What a stream check reports: the handshake, the audio that came back, and the verdict.

Also the URL rules (``check_url``) and the redaction every reported URL goes through.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wizard.errors import ByonError
from wizard.stream.audio import FRAME_MS

FRAME_S = FRAME_MS / 1000


def check_url(url: str) -> str:
    """Return a warning ("" if none) for a usable stream URL; ByonError when unusable."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ByonError(
            f"{redact_url(url)!r} is not a WebSocket URL.",
            hint="Give the agent's stream URL, starting with wss:// (or ws:// for a local test).",
        )
    try:
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        raise ByonError(
            f"{redact_url(url)!r} has an invalid port.", hint="Check the URL."
        ) from None
    if parts.scheme == "ws":
        return (
            "ws:// is unencrypted: Plivo streams only to wss:// URLs, "
            "so use ws:// for local rehearsals only."
        )
    return ""


_SECRET_PARAM = re.compile(r"(?i)([?&][^=&#]*(?:token|key|secret|auth|pass|sig)[^=&#]*=)[^&#]*")


_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^/@:]*):[^/@]*@")


def redact_url(url: str) -> str:
    """The URL for reports: a password in it, and query values that look like credentials,
    become ``***``."""
    return _SECRET_PARAM.sub(r"\1***", _USERINFO.sub(r"\1:***@", url))


@dataclass
class Handshake:
    """How the WebSocket upgrade went: HTTP status, TLS, subprotocol, signing and any error."""

    ok: bool = False
    status: int | None = None  # 101 on success, the HTTP status otherwise
    tls: bool = False
    tls_version: str | None = None
    subprotocol: str | None = None
    error: str = ""
    signed: str | None = None  # the URL form the V3 signature covered ("wss"/"https"), or None


@dataclass
class StreamReport:
    """What one stream check observed. ``to_json`` is the ``--json`` object."""

    url: str
    content_type: str
    stream_id: str
    call_id: str
    handshake: Handshake = field(default_factory=Handshake)
    audio_received: bool = False
    frames_sent: int = 0
    frames_received: int = 0  # playAudio messages carrying audio
    bytes_received: int = 0  # decoded audio bytes
    audio_ms_received: float = 0.0
    format_ok: bool | None = None  # None: no audio to judge
    format: dict[str, Any] = field(default_factory=dict)
    first_audio_ms: float | None = None
    events: dict[str, int] = field(default_factory=dict)  # agent messages by event name
    checkpoints_answered: list[str] = field(default_factory=list)
    clears_answered: int = 0
    send_lag_max_ms: float = 0.0
    late_frames: int = 0  # frames sent more than one frame period behind schedule
    agent_stopped: bool = False
    close_code: int | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """Pass: audio came back, all in the negotiated format, and nothing failed."""
        return self.audio_received and bool(self.format_ok) and not self.errors

    @property
    def verdict(self) -> str:
        """The closing sentence: the first-audio time on a pass, else the first problem."""
        if self.ok:
            return (
                f"The agent answered with audio {self.first_audio_ms:.1f} ms after the first "
                f"frame, in the negotiated format ({self.content_type})."
            )
        if self.errors:
            return self.errors[0]
        if self.audio_received and not self.format_ok:
            problems = self.format.get("problems") or ["unexpected audio format"]
            return problems[0]
        return "The agent sent no audio back."

    def to_dict(self) -> dict[str, Any]:
        """Every field plus ok and verdict, as plain data (the URL is already redacted)."""
        out = asdict(self)
        out["ok"] = self.ok
        out["verdict"] = self.verdict
        return out

    def to_json(self) -> str:
        """The ``--json`` object: ``to_dict`` on one line with sorted keys."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def human(self) -> str:
        """The report as aligned lines for a terminal, ending in PASS: or FAIL: and the verdict."""
        hs = self.handshake
        lines = [f"stream check: {self.url} ({self.content_type})"]
        if hs.ok:
            tls = f"TLS {hs.tls_version or 'yes'}" if hs.tls else "no TLS"
            sub = hs.subprotocol or "none"
            lines.append(f"  handshake     ok: HTTP {hs.status}, {tls}, subprotocol {sub}")
        else:
            status = f" (HTTP {hs.status})" if hs.status else ""
            lines.append(f"  handshake     failed{status}: {hs.error}")
        if hs.signed:  # said whatever the answer: a 403 to a signed upgrade is telling
            lines.append(
                f"  signed        X-Plivo-Signature-V3 over the {hs.signed}:// form of the URL"
            )
        if hs.ok:
            secs = self.frames_sent * FRAME_S
            lines.append(f"  audio sent    {self.frames_sent} frames ({secs:.1f} s)")
        if self.audio_received:
            lines.append(
                f"  audio back    yes: {self.frames_received} messages, {self.bytes_received} "
                f"bytes ({self.audio_ms_received / 1000:.2f} s of audio)"
            )
            lines.append(f"  first audio   {self.first_audio_ms:.1f} ms after the first frame sent")
            fmt = "ok" if self.format_ok else "MISMATCH"
            lines.append(f"  format        {fmt}: expected {self.content_type}")
            for problem in self.format.get("problems", []):
                lines.append(f"                {problem}")
        elif hs.ok:
            lines.append("  audio back    none")
        if self.checkpoints_answered or self.clears_answered:
            lines.append(
                f"  playback      {len(self.checkpoints_answered)} checkpoint(s) answered, "
                f"{self.clears_answered} clearAudio answered"
            )
        for warning in self.warnings:
            lines.append(f"  warning: {warning}")
        for error in self.errors:
            if error != hs.error:
                lines.append(f"  error: {error}")
        lines.append(("PASS: " if self.ok else "FAIL: ") + self.verdict)
        return "\n".join(lines)


def clip(text: str, limit: int = 60) -> str:
    """An outside value, quoted and cut short, for a one-line report."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
