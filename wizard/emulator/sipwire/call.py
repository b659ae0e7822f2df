"""One call that passed auth on the wire: the answer_url, 180/200 with SDP, the verbs, the end.

Plivo's side of a call, as far as byon needs it: the answer XML is requested (signed),
the call is answered with an SDP answer, ``<Speak>``/``<Play>`` play a tone over RTP,
``<Wait>`` waits, ``<Stream>`` bridges to the agent, ``<Hangup>`` or the end of the
verbs sends BYE. A BYE from the caller stops everything. Either way the hangup_url
(or the answer_url when none is set) gets the signed hangup callback, and Plivo's record
of the call (live from the INVITE's acceptance to the hang-up) becomes its CDR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from wizard.emulator.callrecords import (
    CANCELLED,
    END_OF_XML,
    NORMAL,
    UNANSWERED_XML,
    answer_call,
    close_call,
    durations_between,
    open_from_params,
)
from wizard.emulator.sip import answer_params
from wizard.emulator.sipwire.bridge import StreamBridge
from wizard.emulator.sipwire.verbs import Verb, parse_verbs, speak_seconds, tone_pcm
from wizard.sip.dialog import Dialog
from wizard.sip.errors import SipError
from wizard.sip.message import SipRequest
from wizard.sip.rtp import RtpPacket, RtpSession
from wizard.sip.sdp import PCMU, SdpError, build_answer, build_offer, parse_sdp
from wizard.sip.transaction import ServerTransaction

if TYPE_CHECKING:
    from wizard.emulator.auth import Decision
    from wizard.emulator.records import CallRecord
    from wizard.emulator.sipwire.edge import SipWire

log = logging.getLogger("byon.emulator.sip")
ANSWER_XML = "Answer XML"  # Plivo's hangup source for a call ended by <Hangup>


def _iso(when: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(when)) if when is not None else ""


class WireCall:
    """Plivo's side of one call. ``run()`` answers it and follows the XML to the end."""

    def __init__(
        self,
        wire: SipWire,
        request: SipRequest,
        txn: ServerTransaction,
        decision: Decision,
        source: str,
        record: CallRecord,
    ) -> None:
        self.wire = wire
        self.emu = wire.emu
        self.request = request
        self.txn = txn
        self.decision = decision
        self.app: dict[str, Any] = decision.app or {}
        self.source = source
        self.record = record
        self.call_uuid = self.emu.ids.uuid()
        self.params: dict[str, str] = {}
        self.dialog: Dialog | None = None
        self.rtp: RtpSession | None = None
        self.bridges: list[StreamBridge] = []
        self.ended = asyncio.Event()
        # times on the emulator's clock, so the CDR and the hangup callback agree
        self.started = self.emu.clock.now()
        self.answered: float | None = None
        self.cdr: dict[str, Any] | None = None  # Plivo's record (GET Call/{uuid}/)
        self._verbs: asyncio.Task | None = None
        self.scheduled_hangup: asyncio.TimerHandle | None = None  # ``<Hangup schedule>``
        self._sdp = b""
        self._late_offer = False
        record.call_uuid = self.call_uuid

    # -- answering ------------------------------------------------------------------------
    async def run(self) -> None:
        """Media, the answer_url, 180/200, the ACK, then the verbs; never raises."""
        try:
            if not await self._open_media():
                return
            verbs = await self._fetch_xml()
            if verbs is None:
                return
            if not await self._answer():
                return
            await self._follow(verbs)
        except asyncio.CancelledError:
            self._close_media()
            raise
        except Exception:
            log.exception("SIP edge call %s failed", self.call_uuid)
            self.txn.respond(500)
            await self.finish(NORMAL, "Plivo", send_bye=True)

    async def _open_media(self) -> bool:
        host = self.wire.media_host
        self.rtp = await RtpSession.open(host, 0, on_packet=self._on_rtp)
        port = self.rtp.local[1]
        try:
            if self.request.body:
                answer = build_answer(self.request.body, host, port)
                self.rtp.payload_type = answer.codec.payload_type
                self.rtp.set_remote(answer.remote)
                self._sdp = answer.sdp
            else:  # no offer in the INVITE: ours goes in the 200, the answer in the ACK
                self._late_offer = True
                self._sdp = build_offer(host, port)
        except SdpError as exc:
            self._close_media()
            self.record.reason = f"Not Acceptable Here: {exc}"
            self.txn.respond(488)
            return False
        return True

    async def _fetch_xml(self) -> list[Verb] | None:
        request = self.request
        from_user = request.from_addr.uri.user or str(request.from_addr.uri)
        to_user = request.to_addr.uri.user or self.decision.user
        self.params = answer_params(self.call_uuid, from_user, to_user, self.decision, self.source)
        self.cdr = open_from_params(self.emu, self.params, self.started)  # live: ringing
        report = await self.emu.edge.callback(
            self.app, dict(self.params), self.call_uuid, follow_stream=False
        )
        self.record.extra["callback"] = report
        if self.txn.final_response is not None:  # CANCEL while the answer_url was asked
            self.record.reason = "Request Terminated: the caller cancelled before the answer"
            self._close_media()
            await self.hangup_callback(CANCELLED, "Caller", state="CANCEL")
            return None
        if not report["xml_valid"]:
            # Guess: Plivo's SIP answer when no XML can execute; 503 when the answer_url
            # could not be reached, 500 when it answered something that is not Plivo XML.
            status = 503 if report["http_status"] is None else 500
            self.record.reason = f"no XML executes: {report['xml_error']}"
            self.txn.respond(status, headers={"Reason": f'SIP;cause={status};text="Answer XML"'})
            self._close_media()
            await self.hangup_callback(UNANSWERED_XML, "Plivo")
            return None
        return parse_verbs(report.get("body"))

    def contact(self) -> str:
        """Our Contact for the transport the INVITE came on."""
        transport = self.txn.transport
        host, port = self.wire.contact_address(transport)
        user = self.decision.user or "plivo"
        suffix = "" if transport == "UDP" else f";transport={transport.lower()}"
        shown = f"[{host}]" if ":" in host else host
        return f"<sip:{user}@{shown}:{port}{suffix}>"

    async def _answer(self) -> bool:
        self.txn.respond(180)
        headers = {"Contact": self.contact(), "Content-Type": "application/sdp"}
        response = self.txn.respond(200, headers=headers, body=self._sdp)
        if response is None:  # a CANCEL won the race
            self.record.reason = "Request Terminated: the caller cancelled before the answer"
            self._close_media()
            await self.hangup_callback(CANCELLED, "Caller", state="CANCEL")
            return False
        self.record.reason = "OK: answered, following the XML"
        self.answered = self.emu.clock.now()
        answer_call(self.cdr, self.answered)  # live: in-progress until the hang-up
        self.dialog = Dialog.from_uas(self.request, response, self.txn.flow)
        self.wire.calls[self.request.call_id] = self
        ack = await self.txn.wait_ack()
        if ack is None:
            self.record.reason = "no ACK for the 200 OK: Plivo hangs up"
            await self.finish(NORMAL, "Plivo", send_bye=True)
            return False
        if self._late_offer and ack.body and self.rtp is not None:
            with contextlib.suppress(SdpError):
                offer = parse_sdp(ack.body)
                codecs = [c.payload_type for c in offer.audio_codecs if c.payload_type in (0, 8)]
                self.rtp.payload_type = codecs[0] if codecs else PCMU
                self.rtp.set_remote(offer.rtp_address)
        return True

    # -- the verbs ------------------------------------------------------------------------
    async def _follow(self, verbs: list[Verb]) -> None:
        self._verbs = asyncio.current_task()
        done: list[dict[str, Any]] = []
        self.record.extra["verbs"] = done
        by_hangup = False
        try:
            for verb in verbs:
                if self.ended.is_set():
                    return
                entry = {"verb": verb.name, "result": "done"}
                done.append(entry)
                if await self._verb(verb, entry):
                    by_hangup = True
                    break
        except asyncio.CancelledError:
            if not self.ended.is_set():
                raise
            return  # the caller hung up: finish() already ran
        finally:
            self._verbs = None
        if by_hangup:
            await self.hangup()
        elif not self.ended.is_set():
            await self.finish(END_OF_XML, "Plivo", send_bye=True)  # the last verb ended

    async def _verb(self, verb: Verb, entry: dict[str, Any]) -> bool:
        """Run one verb; True when the call must end now (``<Hangup>``)."""
        assert self.rtp is not None
        if verb.name in ("Speak", "Play"):
            await self.rtp.send_pcm(tone_pcm(speak_seconds(verb)))
        elif verb.name == "Wait":
            await asyncio.sleep(verb.number("length", 1.0))
        elif verb.name == "Hangup":
            delay = verb.number("schedule", 0.0)
            if delay <= 0:
                return True
            self.cancel_scheduled_hangup()  # a later <Hangup schedule> replaces the earlier
            self.scheduled_hangup = asyncio.get_running_loop().call_later(
                delay, self._scheduled_hangup_due
            )
            entry["result"] = f"scheduled in {delay:g} s"
        elif verb.name == "Stream":
            await self._stream(verb, entry)
        else:
            entry["result"] = "skipped: not emulated"
        return False

    async def _stream(self, verb: Verb, entry: dict[str, Any]) -> None:
        assert self.rtp is not None
        info = verb.stream()
        bridge = StreamBridge(
            self.emu.http, info, call_uuid=self.call_uuid, account_id=self.emu.auth_id,
            rtp=self.rtp,
        )  # fmt: skip
        self.bridges.append(bridge)
        entry["stream"] = bridge.summary
        if not await bridge.start():
            entry["result"] = "failed"
            return
        if info.get("keep_call_alive"):
            timeout = verb.number("streamTimeout", 86400.0, 1.0, 86400.0)
            await bridge.wait(timeout)
            await bridge.close(bridge.summary["ended_by"] or "timeout")
        else:
            # Guess: without keepCallAlive the stream runs on while the next verbs execute,
            # and the call ends with the last of them (Plivo's documented default).
            entry["result"] = "started"

    def _on_rtp(self, packet: RtpPacket) -> None:
        for bridge in self.bridges:
            bridge.on_caller_audio(packet)

    # -- the end --------------------------------------------------------------------------
    def _scheduled_hangup_due(self) -> None:
        self.scheduled_hangup = None
        self.wire.track(asyncio.get_running_loop().create_task(self.hangup()))

    def cancel_scheduled_hangup(self) -> None:
        """Drop a pending ``<Hangup schedule>`` timer, so an ended call holds nothing."""
        if self.scheduled_hangup is not None:
            self.scheduled_hangup.cancel()
            self.scheduled_hangup = None

    async def hangup(self) -> None:
        """End the call from Plivo's side (BYE), as ``<Hangup>`` does."""
        await self.finish(NORMAL, ANSWER_XML, send_bye=True)

    def remote_bye(self, txn: ServerTransaction) -> None:
        """The caller hung up: answer 200 and end everything."""
        txn.respond(200)
        task = asyncio.get_running_loop().create_task(self.finish(NORMAL, "Caller"))
        self.wire.track(task)

    async def finish(
        self, cause: tuple[str, str, str], source: str, send_bye: bool = False
    ) -> None:
        """Stop media and streams, send BYE if asked, and send the hangup callback (once)."""
        if self.ended.is_set():
            return
        self.ended.set()
        self.cancel_scheduled_hangup()
        self.wire.calls.pop(self.request.call_id, None)
        verbs = self._verbs
        if verbs is not None and verbs is not asyncio.current_task():
            verbs.cancel()
        for bridge in self.bridges:
            await bridge.close("call")
        self._close_media()
        if send_bye and self.dialog is not None:
            # the call is over once BYE leaves: a caller that never answers it (32 s over
            # UDP) must not hold the hangup callback back
            task = asyncio.get_running_loop().create_task(self._bye(self.dialog))
            self.wire.track(task)
        await self.hangup_callback(cause, source)

    async def _bye(self, dialog: Dialog) -> None:
        try:
            response = await self.wire.endpoint.send_request(
                dialog.request("BYE"), dialog.destination()
            )
            self.record.extra["bye_status"] = response.status
        except (SipError, ValueError, OSError) as exc:
            self.record.extra["bye_error"] = str(exc) or type(exc).__name__

    def _close_media(self) -> None:
        if self.rtp is not None:
            self.rtp.close()
            self.record.extra["rtp"] = self.rtp.stats.to_dict()

    async def hangup_callback(
        self, cause: tuple[str, str, str], source: str, *, state: str | None = None
    ) -> None:
        """Close Plivo's record of the call, then send the signed hangup callback to
        hangup_url (answer_url when none), recorded."""
        ended = max(self.emu.clock.now(), self.started)
        close_call(self.cdr, cause, source, ended, state)
        duration, billed = durations_between(self.started, self.answered, ended)
        params = {
            **(self.params or {"CallUUID": self.call_uuid, "Direction": "inbound"}),
            "CallStatus": "completed" if self.answered is not None else "no-answer",
            "Event": "Hangup",
            "Duration": str(duration),
            "BillDuration": str(billed),
            "HangupCause": cause[0],
            "HangupCauseName": cause[1],
            "HangupCauseCode": cause[2],
            "HangupSource": source,
            "StartTime": _iso(self.started),
            "AnswerTime": _iso(self.answered),
            "EndTime": _iso(ended),
        }
        url = self.app.get("hangup_url") or self.app.get("answer_url") or ""
        method = (self.app.get("hangup_method") or "POST").upper()
        self.record.extra["hangup"] = {"cause": cause[0], "source": source}
        self.record.extra["hangup"]["callback"] = await self.wire.notify(url, method, params)
