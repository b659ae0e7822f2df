"""X-Plivo-Signature-V3: signing, checking, what V3 cannot tell apart, and replays.

V3 is ``base64(HMAC-SHA256(token, URL + "?" + sorted key+value pairs + "." + nonce))``
with no separator between keys and values (shared/reference/plivo-api.md section 9).
So a signature holds for every way of re-splitting that concatenation into other
parameters; ``hidden_names`` refuses values that carry another parameter's name, and
the listener cross-checks each pass against Plivo's call record (confirm.py).

Replays: the key is the nonce together with the signature part that matched (the
header may list several, comma-separated), remembered for 24 hours in the state dir.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIG_HEADER = "X-Plivo-Signature-V3"
NONCE_HEADER = "X-Plivo-Signature-V3-Nonce"
MAX_SIGNATURE_PARTS = 16  # Plivo sends one or two; more is only work for an attacker
SEEN_LIMIT = 20_000  # remembered nonce+signature pairs (oldest dropped first)
SEEN_TTL = 24 * 3600.0  # seconds a pair is remembered, across runs
SEEN_FILE = "seen-callbacks.json"
# Plivo's callback parameter names (plivo-api.md section 8, the seed's SIP* names).
# "To" and "From" are left to the present-keys rule below: they are common words.
KNOWN_PARAMS = (
    "ALegRequestUUID",
    "ALegUUID",
    "AnswerTime",
    "BillDuration",
    "BillRate",
    "CallStatus",
    "CallUUID",
    "CallerName",
    "Direction",
    "Duration",
    "EndTime",
    "ForwardedFrom",
    "From",
    "HangupCause",
    "HangupCauseCode",
    "HangupCauseName",
    "HangupSource",
    "ParentAuthID",
    "RequestUUID",
    "SIPAuthType",
    "SIPAuthUser",
    "SIPSourceIP",
    "SessionStart",
    "StartTime",
    "To",
    "TotalCost",
)
SHORT_NAME = 4  # a present parameter this short ("To", "From") may appear in values


def signed_headers(
    method: str, url: str, params: dict[str, Any] | None, auth_token: str, nonce: str | None = None
) -> dict[str, str]:
    """The X-Plivo-Signature-V3 headers Plivo would send for this request."""
    nonce = nonce or secrets.token_hex(16)
    sig = expected_signature(method, url, dict(params or {}), auth_token, nonce)
    return {SIG_HEADER: sig, NONCE_HEADER: nonce}


def expected_signature(
    method: str, url: str, params: dict[str, Any], auth_token: str, nonce: str
) -> str:
    """The one signature Plivo's V3 scheme gives this request (the SDK's own functions)."""
    from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

    # the SDK's GET branch merges the URL query into params in place: hand it a copy
    if method.upper() == "GET":
        base = construct_get_url(url, dict(params)).decode("utf-8")
    else:
        base = construct_post_url(url, dict(params)).decode("utf-8")
    sig = get_signature_v3(auth_token.encode("utf-8"), base, nonce.encode("utf-8"))
    return sig.decode("ascii")


def matching_part(
    method: str, url: str, params: dict[str, Any], auth_token: str, header: str, nonce: str
) -> str:
    """The comma-separated part of ``header`` that is this request's signature, else "".

    The part that matched (not the whole header) is what a replay is keyed on: appending
    ``,x`` to a captured header must not make it new."""
    if not header or not nonce:
        return ""
    try:
        want = expected_signature(method, url, params, auth_token, nonce).encode("ascii")
    except Exception:  # a URL or value the SDK cannot encode is simply not signed
        return ""
    for part in header.split(",")[:MAX_SIGNATURE_PARTS]:
        got = part.strip().encode("utf-8", errors="replace")
        if hmac.compare_digest(got, want):
            return part.strip()
    return ""


def check_signature(
    method: str, url: str, params: dict[str, Any], auth_token: str, signature: str, nonce: str
) -> bool:
    """Whether any part of the ``signature`` header signs this request (as the SDK checks)."""
    return bool(matching_part(method, url, params, auth_token, signature, nonce))


def hidden_names(params: dict[str, Any]) -> list[str]:
    """ "KEY holds NAME" for each value that carries the name of another Plivo parameter.

    V3 concatenates key+value pairs with no separator, so such a value and a different
    split of the same text carry one signature (``From=+1415SIPAuthTypecredential`` is
    also ``From=+1415, SIPAuthType=credential``). A present short name ("To") is allowed."""
    names = {n for n in (*KNOWN_PARAMS, *params) if len(n) > SHORT_NAME or n not in params}
    found: list[str] = []
    for key, value in params.items():
        for text in value if isinstance(value, list) else [value]:
            for name in names:
                if name and name in str(text):
                    found.append(f"{key} holds {name}")
    return sorted(set(found))


def replay_key(nonce: str, part: str) -> str:
    """What is remembered of one signed request: a digest of nonce and matched signature."""
    return hashlib.sha256(f"{nonce}\x00{part}".encode()).hexdigest()[:32]


class ReplayStore:
    """Nonce+signature pairs already used, kept ``SEEN_TTL`` seconds, at most ``SEEN_LIMIT``.

    ``path`` None keeps them in memory only (the demo: its emulator dies with the
    process). Writes are atomic, 0600, and grouped: callbacks that arrive while one
    write is running share the next one."""

    def __init__(
        self, path: Path | None, *, limit: int = SEEN_LIMIT, ttl: float = SEEN_TTL
    ) -> None:
        self.path = path
        self.limit = limit
        self.ttl = ttl
        self.clock: Callable[[], float] = time.time
        self.problem = ""  # the last load/save failure, as a sentence ("" when fine)
        self._seen: dict[str, float] = {}
        self._added = 0  # generation of the newest pair
        self._saved = 0  # generation the file holds
        self._lock = asyncio.Lock()

    @classmethod
    def in_state_dir(cls) -> ReplayStore:
        """The store every byon run shares: ``state_dir()/seen-callbacks.json``."""
        from wizard.files import state_dir

        return cls(state_dir() / SEEN_FILE)

    def __len__(self) -> int:
        return len(self._seen)

    def load(self) -> None:
        """Read the pairs earlier runs saved; an unreadable file is reported, not fatal."""
        if self.path is None:
            return
        self._merge(self._read())

    def remember(self, key: str) -> bool:
        """Record ``key``; False when it was already used (a replay). No await: atomic."""
        now = self.clock()
        when = self._seen.get(key)
        if when is not None and now - when < self.ttl:
            return False
        self._seen[key] = now
        self._added += 1
        if len(self._seen) > self.limit:
            self._trim(now)
        return True

    async def save(self) -> None:
        """Persist everything remembered so far (shares a write already under way)."""
        if self.path is None:
            return
        wanted = self._added
        async with self._lock:
            if self._saved >= wanted:
                return
            generation = self._added
            snapshot = dict(self._seen)
            try:
                others = await asyncio.to_thread(self._write, snapshot)
            except Exception as exc:  # the in-memory pairs still protect this run
                self.problem = (
                    f"could not save seen callbacks to {self.path} ({exc}); replays are "
                    "refused in this run only"
                )
                return
            self._merge(others)
            self._saved = generation

    # ---- internals

    def _trim(self, now: float) -> None:
        """Drop expired pairs, then the oldest beyond ``limit`` (ties: first remembered)."""
        fresh = [(k, t) for k, t in self._seen.items() if now - t < self.ttl]
        fresh.sort(key=lambda kt: kt[1])  # stable: insertion order among equal times
        self._seen = dict(fresh[-self.limit :])

    def _merge(self, pairs: dict[str, float]) -> None:
        now = self.clock()
        for key, when in pairs.items():
            if now - when < self.ttl and when > self._seen.get(key, 0.0):
                self._seen[key] = when
        if len(self._seen) > self.limit:
            self._trim(now)

    def _read(self) -> dict[str, float]:
        from wizard.errors import ByonError
        from wizard.files import read_private

        assert self.path is not None
        try:
            # this user's own 0600 regular file, never a link, and bounded (about 90 bytes
            # a pair; the slack covers longer keys)
            raw = read_private(self.path, limit=max(1 << 20, self.limit * 256))
            data = json.loads(raw.decode("utf-8")) if raw is not None else {"seen": {}}
        except ByonError as exc:
            self.problem = f"ignored untrusted seen-callbacks file: {exc.message}"
            return {}
        except (OSError, ValueError) as exc:
            self.problem = f"ignored unreadable {self.path} ({exc})"
            return {}
        seen = data.get("seen") if isinstance(data, dict) else None
        if not isinstance(seen, dict):
            self.problem = f"ignored {self.path}: not a byon seen-callbacks file"
            return {}
        return {
            k: float(t)
            for k, t in list(seen.items())[: self.limit * 2]
            if isinstance(k, str) and isinstance(t, int | float) and not isinstance(t, bool)
        }

    def _write(self, snapshot: dict[str, float]) -> dict[str, float]:
        """(In a thread.) Merge with what other runs saved meanwhile, then replace the file."""
        from wizard.files import write_atomic

        assert self.path is not None
        others = self._read()
        now = self.clock()
        fresh = [(k, t) for k, t in {**others, **snapshot}.items() if now - t < self.ttl]
        fresh.sort(key=lambda kt: kt[1])
        merged = dict(fresh[-self.limit :])
        text = json.dumps({"version": 1, "seen": merged}, separators=(",", ":"))
        write_atomic(self.path, text, mode=0o600)
        return others
