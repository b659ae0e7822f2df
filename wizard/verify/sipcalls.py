"""How a simulated call reaches the emulator: real SIP on the wire, or the HTTP route.

``SipRoute`` places each INVITE with byon's own ``SipClient`` over loopback to the
in-process emulator's SIP edge, bound to a mapped source address: 127.0.0.2 stands for
the provider's allowed IP, 127.0.0.3 for an address outside the ACL. The digest
challenge is answered on the wire, an answered call streams a tone (so the agent's
echo comes back over RTP) and hangs up with BYE, and the call's record (with its SIP
ladder) comes from ``GET /__emulator__/calls``. ``HttpRoute`` is the fallback when the
edge could not start: the same legs as ``POST /__emulator__/inbound``.

Both return one outcome dict per leg, in the shape the diagnosis reads: ``sip_status``,
``reason``, ``call_uuid``, ``callback``, ``source_ip``, ``request_uri``, ``from``, ``username``
and, on the wire, ``ladder`` and ``call_id``.
"""

from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, field
from typing import Any

from wizard.errors import ByonError
from wizard.plivo.facts import sip_uri

PROVIDER_SOURCE = "127.0.0.2"  # the provider, calling from an address its ACL allows
OUTSIDE_SOURCE = "127.0.0.3"  # an address outside every ACL of the plan
HOLD_SECONDS = 1.0  # an answered call streams a tone this long, then BYE
# ...and stays on the line (silence) up to this much longer while no audio has come back:
# an AI agent often speaks first after a second or two (speech synthesis), and a busy
# machine delays any agent; a caller would not hang up on either so soon
AUDIO_GRACE_SECONDS = 4.0
GRACE_STEP_SECONDS = 0.2
ANSWER_WAIT = 10.0  # seconds for the INVITE's final answer (the answer_url is fetched first)
STREAM_TYPE = "audio/x-mulaw;rate=8000"


@dataclass
class Leg:
    """One INVITE a scenario places: where to, from which source, with which credentials."""

    request_uri: str
    source: str = PROVIDER_SOURCE
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    from_: str = "+14155550142"
    to: str | None = None  # the To header's user (default: the Request-URI's)


def basic_auth(auth_id: str, token: str) -> dict[str, str]:
    """The Authorization header the emulator's control surface takes."""
    pair = base64.b64encode(f"{auth_id}:{token}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}


class HttpRoute:
    """The fallback: each leg as ``POST /__emulator__/inbound`` (no SIP on the wire)."""

    name = "http"

    def __init__(self, http: Any, api_url: str, source_map: dict[str, str]) -> None:
        self.http, self.api_url, self.source_map = http, api_url, source_map

    async def place(self, leg: Leg) -> dict[str, Any]:
        """One INVITE as the HTTP route plays it."""
        source_ip = self.source_map.get(leg.source, leg.source)
        body: dict[str, Any] = {
            "request_uri": leg.request_uri,
            "source_ip": source_ip,
            "from": leg.from_,
        }
        if leg.to:
            body["to"] = leg.to
        if leg.username:
            body.update(username=leg.username, password=leg.password or "")
        async with self.http.post(f"{self.api_url}/__emulator__/inbound", json=body) as resp:
            answer = await resp.json()
            if resp.status >= 400 and "sip_status" not in answer:
                raise ByonError(f"The emulator refused the simulated call: {answer}.")
        out = dict(answer)
        out.setdefault("from", leg.from_)
        out.setdefault("source_ip", source_ip)
        out.setdefault("request_uri", leg.request_uri)
        if leg.username:
            out.setdefault("username", leg.username)
        out["route"] = "http"
        return out


class SipRoute:
    """Each leg as a real INVITE over UDP to the emulator's SIP edge."""

    name = "sip"

    def __init__(
        self, http: Any, api_url: str, edge: tuple[str, int], *, hold: float = HOLD_SECONDS
    ) -> None:
        self.http, self.api_url, self.edge, self.hold = http, api_url, edge, hold

    async def place(self, leg: Leg) -> dict[str, Any]:
        """Place the INVITE, see it through (answer the challenge, stream, BYE), and read
        the edge's record of it."""
        from wizard.sip import Credentials, SipClient
        from wizard.sip.transport import Target

        creds = Credentials(leg.username, leg.password or "") if leg.username else None
        to_uri = sip_uri(leg.to) if leg.to else None
        async with SipClient(transport="UDP", local_host=leg.source) as client:
            try:
                call = await client.call(
                    Target(*self.edge, "UDP"), leg.request_uri,
                    f"sip:{leg.from_}@{leg.source}", to_uri, creds,
                )  # fmt: skip
            except Exception as exc:
                raise ByonError(f"The simulated call could not be sent over SIP: {exc}.") from exc
            try:
                stream = await self._see_through(call)
            finally:
                await call.close()
        record = await self.record(call.result.call_id)
        return self._outcome(leg, call.result, record, stream)

    async def _see_through(self, call: Any) -> dict[str, Any] | None:
        """Wait for the final answer; an answered call streams a tone, then BYE."""
        await call.wait_final(ANSWER_WAIT)
        if not call.finished.is_set():
            await call.cancel(2.0)
            return None
        if not call.result.answered:
            return None
        stream = await self._stream(call)
        await asyncio.wait_for(call.bye(), 5.0)
        return stream

    async def _stream(self, call: Any) -> dict[str, Any] | None:
        """A tone to the agent through the edge's bridge; did audio come back, how soon?"""
        from wizard.emulator.sipwire.verbs import tone_pcm

        if call.rtp is None or self.hold <= 0:
            return None
        first: list[float] = []
        call.rtp.on_packet = lambda _packet: first or first.append(time.monotonic())
        started = time.monotonic()
        stats = await call.stream(self.hold, tone_pcm(self.hold))
        give_up = time.monotonic() + AUDIO_GRACE_SECONDS
        while not first and time.monotonic() < give_up and not call.ended.is_set():
            stats = await call.stream(GRACE_STEP_SECONDS)  # silence, still on the line
        got = bool(first)
        limit = self.hold + AUDIO_GRACE_SECONDS
        silent = f"no audio came back over RTP within {limit:g} s of the call being answered"
        return {
            "ok": got,
            "audio_received": got,
            "first_audio_ms": round((first[0] - started) * 1000, 1) if got else None,
            "content_type": STREAM_TYPE,
            "frames_sent": stats.sent if stats else 0,
            "frames_received": stats.received if stats else 0,
            "verdict": "" if got else silent,
            "route": "sip",
        }

    async def record(self, call_id: str) -> dict[str, Any]:
        """The edge's record of ``call_id`` from ``GET /__emulator__/calls`` ({} if none)."""
        async with self.http.get(f"{self.api_url}/__emulator__/calls") as resp:
            if resp.status != 200:
                return {}
            calls = (await resp.json()).get("calls") or []
        return next((c for c in calls if c.get("call_id") == call_id), {})

    @staticmethod
    def _outcome(
        leg: Leg, result: Any, record: dict[str, Any], stream: dict[str, Any] | None
    ) -> dict[str, Any]:
        callback = dict(record.get("callback") or {})
        callback.pop("body", None)  # the XML itself is the app's business, not the row's
        if stream is not None:
            callback["stream_result"] = stream
        return {
            "sip_status": result.status or record.get("sip_status") or 0,
            "reason": record.get("reason") or result.reason or result.error or "",
            "call_uuid": record.get("call_uuid"),
            "call_id": result.call_id,
            "callback": callback or None,
            "source_ip": record.get("source") or leg.source,
            "request_uri": leg.request_uri,
            "from": leg.from_,
            "username": leg.username,
            "ladder": ladder_rows(record.get("ladder") or []),
            "statuses": result.statuses,
            "route": "sip",
        }


def ladder_rows(ladder: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ladder as the wizard draws it: ms, direction, start line and the headers that
    tell the digest exchange (Proxy-Authenticate, Proxy-Authorization without its hash)."""
    keep = ("CSeq", "Proxy-Authenticate", "Proxy-Authorization")
    out = []
    for step in ladder[:200]:
        if not isinstance(step, dict):
            continue
        headers = step.get("headers") if isinstance(step.get("headers"), dict) else {}
        out.append(
            {
                "ms": step.get("ms"),
                "dir": step.get("dir"),
                "line": str(step.get("line") or ""),
                "headers": {k: str(v) for k, v in headers.items() if k in keep},
            }
        )
    return out
