"""The verify table's rows: one per observed test call, from a callback or a simulation.

May import the shared helpers only (the verify screen and tests read these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallRow:
    """One observed test call: a callback, or a SIP outcome that produced none."""

    key: str
    time: str
    from_: str
    to: str
    sip_auth_type: str = ""
    sip_auth_user: str = ""
    sip_source_ip: str = ""
    signature_valid: bool | None = None
    sip_status: int = 200
    verdict: str = "fail"  # "pass" | "fail"
    diagnosis: str = ""  # what happened, one sentence ("" on pass)
    # the emulator's report of following the answer XML's <Stream> (demo only): StreamReport dict
    stream: dict[str, Any] | None = None
    fix: str = ""  # what to change (the troubleshooting row's solution)
    # what the call carried, shown as plain text when the row is selected
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # the SIP messages of the call, [{"ms", "dir", "line", "headers"}] (shared/contracts/sip.md)
    ladder: list[dict[str, Any]] = field(default_factory=list)
    sip_reason: str = ""  # Plivo's reason phrase for a refused call
    rejected: bool = False  # refused by the listener (unsigned, forged, replayed): never a call


def audio_cell(stream: dict[str, Any] | None, ms_text: str | None = None) -> str:
    """``ms_text`` replaces the measured figure (tests freeze it for stable snapshots)."""
    if not stream:
        return ""
    ms = stream.get("first_audio_ms")
    if stream.get("ok") and ms is not None:
        return f"✓ {ms_text or (f'{ms:.0f}' if ms >= 1 else '<1')} ms"
    if stream.get("audio_received"):
        return "✗ format"
    hs = stream.get("handshake") or {}
    if hs and not hs.get("ok"):
        return "✗ no ws"
    return "✗ no audio"


def audio_sentence(stream: dict[str, Any] | None, ms_text: str | None = None) -> str:
    """The diagnosis panel's words about the audio hop (first_audio_ms, format)."""
    if not stream:
        return ""
    fmt = stream.get("content_type", "")
    if stream.get("ok"):
        ms = ms_text or f"{stream.get('first_audio_ms') or 0:.1f}"
        return (
            f"Audio reached the agent over its <Stream> and came back: first audio {ms} ms "
            f"after the first frame sent, in the negotiated format ({fmt})."
        )
    verdict = stream.get("verdict") or stream.get("error") or "no audio came back"
    return f"Audio did not make the round trip to the agent over its <Stream>: {verdict}"


def row_from_event(event: Any, time_text: str) -> CallRow:
    """A listener CallbackEvent as a verify-table row."""
    # a refused callback gets a row of its own: it must never overwrite a real call's row
    key = f"rejected-{event.seq}" if event.rejected else event.call_uuid or f"cb-{event.seq}"
    return CallRow(
        key=key,
        time=time_text,
        from_=event.from_,
        to=event.to,
        sip_auth_type=event.sip_auth_type or "",
        sip_auth_user=event.sip_auth_user,
        sip_source_ip=event.sip_source_ip,
        signature_valid=event.signature_valid,
        sip_status=200,
        verdict=event.verdict,
        diagnosis=event.diagnosis,
        fix=event.fix,
        params=dict(event.params or {}),
        headers=dict(getattr(event, "headers", None) or {}),
        rejected=event.rejected,
    )


def callback_signature(callback: dict[str, Any], auth_token: str) -> bool | None:
    """Whether the simulated call's callback carried a valid X-Plivo-Signature-V3 for the
    URL it was sent to; None when it carried none (or there was no callback)."""
    from wizard.verify.signature import NONCE_HEADER, SIG_HEADER, check_signature

    headers = callback.get("signature_headers") or {}
    if not headers.get(SIG_HEADER) or not auth_token:
        return None
    url = str(callback.get("signed_url") or callback.get("url") or "")
    params = callback.get("params") or {}
    method = str(callback.get("method") or "POST")
    return check_signature(
        method, url, dict(params), auth_token, headers[SIG_HEADER], headers.get(NONCE_HEADER, "")
    )


def row_from_simulation(
    result: Any, key: str, time_text: str, from_: str, to: str, auth_token: str = ""
) -> CallRow:
    """A simulated call's outcome as a row; SIP failures produce no callback, so no params.

    The callback's columns show what it carried (a callback without SIPSourceIP shows
    none); only a call refused in SIP shows the address it came from."""
    out = result.outcome
    status = int(out.get("sip_status") or 0)
    callback = out.get("callback") or {}
    params = callback.get("params") or {}
    stream = callback.get("stream_result")
    diag = result.diagnosis
    return CallRow(
        key=str(out.get("call_uuid") or key),
        time=time_text,
        from_=str(params.get("From") or out.get("from") or from_),
        to=str(params.get("To") or _uri_user(str(out.get("request_uri") or "")) or to),
        sip_auth_type=str(params.get("SIPAuthType") or ""),
        sip_auth_user=str(params.get("SIPAuthUser") or ""),
        sip_source_ip=str((params.get("SIPSourceIP") if callback else out.get("source_ip")) or ""),
        signature_valid=callback_signature(callback, auth_token) if callback else None,
        sip_status=status,
        verdict=diag.verdict,
        diagnosis=diag.sentence,
        fix=diag.fix,
        stream=stream if isinstance(stream, dict) else None,
        params=dict(params) if isinstance(params, dict) else {},
        headers=dict(callback.get("signature_headers") or {}),
        ladder=[x for x in (out.get("ladder") or []) if isinstance(x, dict)],
        sip_reason=str(out.get("reason") or ""),
    )


def rows_from_simulation(
    result: Any, key: str, time_text: str, from_: str, to: str, auth_token: str = ""
) -> list[CallRow]:
    """Every call of a simulation that shows something: the rotating-IPs series gives
    each call its row (the 403s among them); other scenarios give their last call."""
    from dataclasses import replace as copy

    if result.scenario != "intermittent" or len(result.outcomes) < 2:
        return [row_from_simulation(result, key, time_text, from_, to, auth_token)]
    rows = []
    for i, outcome in enumerate(result.outcomes):
        one = copy(result, outcome=outcome)
        row = row_from_simulation(one, f"{key}-{i}", time_text, from_, to, auth_token)
        if int(outcome.get("sip_status") or 0) == 200 and outcome is not result.outcome:
            # an allowed call of the series passed; the diagnosis belongs to the refused ones
            row.verdict, row.diagnosis, row.fix = "pass", "", ""
        rows.append(row)
    return rows


def _uri_user(uri: str) -> str:
    """``sip:USER@host`` -> USER (what the provider put in the Request-URI)."""
    return uri.removeprefix("sip:").split("@", 1)[0] if uri else ""
