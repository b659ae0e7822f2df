"""The verify step's tools beside the calls: the SIP probe (shown in place of the
selected call), the agent stream check, and copying what the provider needs.

A mixin for VerifyScreen (screens/verify.py), kept apart to keep that module short."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message

from screens.widgets.markup import outside
from screens.widgets.panels import probe_panel, stream_panel
from wizard.text import plain

COPY_URI_TIP = "Copy the SIP URI to give the provider"
COPY_NUMBER_TIP = "Copy the Plivo number: the forwarding destination to give the provider"
PROBE_NOT_DID = (
    "No SIP probe under DID forwarding: your provider forwards calls to your Plivo number, "
    "with no SIP URI or SIP authentication to probe. Dial your own number to test."
)


@dataclass
class ProbeRow(Message):
    """A check of the running probe finished: ``rows`` is every result so far."""

    rows: list[Any]
    run: int = 0  # which probe run: a late message of an earlier one is dropped


@dataclass
class ProbeDone(Message):
    """The probe ended: every check's result and the probe's verdict in one sentence."""

    results: list[Any]
    verdict: str
    sentence: str
    run: int = 0


@dataclass
class StreamChecked(Message):
    """The agent stream check's report (wizard.stream.check.StreamReport)."""

    report: Any
    run: int = 0  # which check: a late report of an earlier one is dropped


class VerifyTools:
    """The probe, the stream check and ctrl+y, for VerifyScreen (which gives ``plan``, the
    widgets ``detail`` and ``stream_*``, ``_selected``, ``_show_details``, ``_target`` and
    ``_colours``)."""

    _probe_run = 0  # the newest probe run and stream check: late results of older ones
    _stream_run = 0  # can still be in the queue when a new one starts

    # byon sip-probe -------------------------------------------------------------------
    def action_probe(self) -> None:
        """p: byon sip-probe against the app's SIP URI (the emulator's edge in the demo),
        shown in place of the selected call; p again (or escape) closes it."""
        if self.detail.probe_open:
            self._close_probe()
            return
        if self.plan.option == "did_forwarding":
            self.show_error(PROBE_NOT_DID)
            return
        if not self.plan.application.app_id:
            self.show_error("The probe needs the application's app_id: apply the plan first.")
            return
        self.clear_error()
        self.detail.show_probe(
            "sip-probe · running (dns, reach, unauthenticated, authenticated)…",
            "Diagnosis (sip-probe): running…",
        )
        self._probe_run += 1
        self.run_probe(self._probe_run)

    def _close_probe(self) -> None:
        """The probe's view goes (its run stops); the selected call comes back."""
        if not self.detail.probe_open:
            return
        self.app.workers.cancel_group(self, "probe")
        self.detail.close_probe()
        key = self._selected()
        if key is not None:
            self._show_details(key)
        else:
            self.detail.show_text("Diagnosis: no call yet.")

    @work(exclusive=True, exit_on_error=False, group="probe")
    async def run_probe(self, run: int) -> None:
        """Each check's row as it comes, then the probe's diagnosis."""
        from wizard.verify.probe_wizard import probe_diagnosis

        session = await self.app.wait_session()
        rows: list = []

        def emit(result) -> None:
            rows.append(result)
            self.post_message(ProbeRow(list(rows), run))

        results = await session.run_probe(self.plan, emit)
        self.post_message(ProbeDone(list(results), *probe_diagnosis(results), run))

    def on_probe_row(self, message: ProbeRow) -> None:
        """The rows so far, while the probe's view is open (closed: its run was stopped)."""
        if self.detail.probe_open and message.run == self._probe_run:
            self.detail.show_probe_rows(probe_panel(message.rows, done=False))

    def on_probe_done(self, message: ProbeDone) -> None:
        """The probe's diagnosis over its rows, unless its view was closed meanwhile."""
        if not self.detail.probe_open or message.run != self._probe_run:
            return
        colours = self._colours()
        text = Text("Diagnosis (sip-probe): ")
        mark = "✓ " if message.verdict == "pass" else "✗ "
        colour = colours["pass" if message.verdict == "pass" else "fail"]
        text.append(mark + plain(message.sentence, 800), style=colour)
        self.detail.show_probe(probe_panel(message.results, done=True), text)

    # the agent's stream ---------------------------------------------------------------
    def action_check_stream(self) -> None:
        """ctrl+g: stream test audio to the agent as Plivo would."""
        session = self.app.session
        stream = session.stream_settings(self.plan)
        if not stream.url:
            self.show_error(
                "No agent stream to check: type the agent's WebSocket URL in the application "
                "step's <Stream> panel (or run `byon stream-check URL`)."
            )
            return
        self.clear_error()
        self.stream_box.display = True
        self.stream_progress.display = True
        self.stream_report.update(
            f"Agent stream check · {outside(stream.url)} ({stream.content_type}): connecting, "
            "then streaming 1 s of test audio as Plivo would…"
        )
        self._stream_run += 1
        self.check_stream(stream.url, stream.content_type, self._stream_run)

    @work(exclusive=True, exit_on_error=False, group="stream-check")
    async def check_stream(self, url: str, content_type: str, run: int = 0) -> None:
        """Run the stream check; its report comes back as a StreamChecked."""
        session = await self.app.wait_session()
        report = await session.check_stream(url, content_type)
        self.post_message(StreamChecked(report, run))

    def on_stream_checked(self, message: StreamChecked) -> None:
        """The report in the stream panel, scrolled into view; the progress bar goes."""
        if message.run != self._stream_run:  # an earlier check's, overtaken by a new one
            return
        self.stream_progress.display = False
        self.stream_report.update(stream_panel(message.report))
        self.stream_box.scroll_visible(animate=False)

    def worker_failed(self, worker) -> None:
        """Say which panel's work failed (the error line has why)."""
        if worker.group == "probe":
            self.detail.show_probe_rows("[$error]sip-probe failed[/]: see below.")
        if worker.group == "stream-check":
            self.stream_progress.display = False
            self.stream_report.update(
                "[$error]Agent stream check failed[/]: see the message below."
            )

    def action_copy_uri(self) -> None:
        """ctrl+y: copy the SIP URI (or the number) to give the provider."""
        from screens.widgets.copyable import copy_value

        target = self._target()
        what = "the SIP URI" if target.startswith("sip:") else "the Plivo number"
        copy_value(self.app, "" if target == "buy" else target, what)
