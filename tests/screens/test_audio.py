"""The demo's audio hop: answer XML with a <Stream> to the echo agent, and the stream check."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.screens.helpers import (
    SIZE,
    apply_all,
    choose_direct_sip,
    create_application,
    demo_app,
    fill_auth,
    ready,
    screen_name,
    settle,
)
from tests.screens.test_flows import cell
from wizard.app import ByonApp
from wizard.session import DEMO


async def to_verify(app, pilot) -> None:
    await ready(app, pilot)
    await choose_direct_sip(app, pilot, stable=True, shared=False)
    await fill_auth(app, pilot, entries=["203.0.113.10"])
    await create_application(app, pilot)
    await apply_all(app, pilot)
    assert app.screen.applied, app.screen.query_one("#error").content
    await pilot.press("n")
    await settle(app, pilot)
    await pilot.press("ctrl+n")
    await settle(app, pilot)
    assert screen_name(app) == "VerifyScreen"


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_correct_demo_call_shows_the_audio_from_the_echo_agent():
    app = ByonApp(mode=DEMO)  # measured figures, not frozen: the real latency is shown
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        await pilot.press("1")
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        assert cell(table, 0, "result") == "✓ pass"
        audio = cell(table, 0, "audio")
        assert audio.startswith("✓ ") and audio.endswith(" ms"), audio
        figure = audio.split()[1]
        assert figure == "<1" or 0 < int(figure) < 1000, audio
        diag = _text(app, "#diagnosis")
        assert "verified" in diag
        assert "Audio reached the agent" in diag and "audio/x-mulaw;rate=8000" in diag
        # the echo agent really took a Plivo stream for this call, and answered it
        streams = app.session.echo_agent.streams
        assert len(streams) == 1
        assert streams[0].start_seen and streams[0].media > 0 and streams[0].replies > 0
        assert streams[0].call_id == table.coordinate_to_cell_key((0, 0)).row_key.value
        # a SIP failure never reaches the answer_url, so no stream and no audio figure
        await pilot.press("3")
        await settle(app, pilot)
        assert cell(table, 1, "result") == "✗ 403" and cell(table, 1, "audio") == "—"
        assert len(app.session.echo_agent.streams) == 1
    assert app.session.echo_agent is None  # stopped with the session


async def test_demo_answer_xml_streams_to_the_echo_agent_with_the_plans_settings():
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        from wizard.plans.plan import StreamPlan

        app.plan.stream = StreamPlan(
            url="wss://agent.example.com/media", content_type="audio/x-l16;rate=16000"
        )
        xml = app.session.demo_answer_xml(app.plan)
        assert f">{app.session.echo_agent.ws_url}</Stream>" in xml
        assert 'contentType="audio/x-l16;rate=16000"' in xml and 'bidirectional="true"' in xml
        assert "agent.example.com" not in xml  # the demo never streams off this machine


async def test_stream_check_against_the_echo_agent():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        assert not app.screen.query_one("#stream-check").display
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.screen.query_one("#stream-check").display
        assert "connecting" in _text(app, "#stream-report")
        await settle(app, pilot)
        report = _text(app, "#stream-report")
        assert app.session.echo_agent.ws_url in report
        assert "handshake   ✓ HTTP 101" in report
        assert "audio back  ✓" in report and "first audio" in report
        assert "format      ✓ expected audio/x-mulaw;rate=8000" in report
        assert "PASS: The agent answered with audio" in report
        assert not app.screen.query_one("#stream-progress").display
        assert not app.screen.query_one("#error").has_class("-shown")


async def test_stream_check_against_a_closed_port_gives_a_clear_verdict():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        # the agent goes away: its port is closed now
        url = app.session.echo_agent.ws_url
        await app.session.echo_agent.stop()
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        report = _text(app, "#stream-report")
        assert url in report
        assert "handshake   ✗ failed" in report
        assert "FAIL: Could not connect" in report and "connection refused" in report
        assert "Start the agent or check the URL" in report
        # the screen still answers: a simulated call still gets a row
        await pilot.press("3")
        await settle(app, pilot)
        assert app.screen.query_one("#calls", DataTable).row_count == 1


async def test_stream_check_without_a_stream_url_says_what_to_do():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        app.session.echo_agent, agent = None, app.session.echo_agent  # as outside the demo
        try:
            await pilot.press("ctrl+g")
            await settle(app, pilot)
            error = _text(app, "#error")
            assert "No agent stream to check" in error and "<Stream> panel" in error
            assert not app.screen.query_one("#stream-check").display
        finally:
            app.session.echo_agent = agent


async def test_stream_check_of_a_bad_plan_url_says_what_is_wrong_and_keeps_the_screen():
    from wizard.plans.plan import StreamPlan

    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        app.session.echo_agent, agent = None, app.session.echo_agent  # as outside the demo
        app.plan.stream = StreamPlan(url="ws://127.0.0.1:99999/media")
        try:
            await pilot.press("ctrl+g")
            await settle(app, pilot)
            error = _text(app, "#error")
            assert "ws://127.0.0.1:99999/media" in error and "invalid port" in error
            assert "Agent stream check failed" in _text(app, "#stream-report")
            assert not app.screen.query_one("#stream-progress").display
            await pilot.press("3")  # still responsive
            await settle(app, pilot)
            assert app.screen.query_one("#calls", DataTable).row_count == 1
        finally:
            app.session.echo_agent = agent


def test_audio_cell_and_sentence_say_which_part_of_the_audio_hop_failed():
    from wizard.verify.rows import audio_cell, audio_sentence

    ok = {"ok": True, "first_audio_ms": 12.4, "content_type": "audio/x-mulaw;rate=8000"}
    assert audio_cell(ok) == "✓ 12 ms" and audio_cell({**ok, "first_audio_ms": 0.3}) == "✓ <1 ms"
    assert "12.4 ms" in audio_sentence(ok) and "audio/x-mulaw;rate=8000" in audio_sentence(ok)
    refused = {"ok": False, "handshake": {"ok": False}, "verdict": "Could not connect to x."}
    assert audio_cell(refused) == "✗ no ws"
    assert audio_sentence(refused).endswith("Could not connect to x.")
    silent = {"ok": False, "handshake": {"ok": True}, "verdict": "The agent sent no audio back."}
    assert audio_cell(silent) == "✗ no audio"
    assert audio_cell({"ok": False, "audio_received": True, "handshake": {"ok": True}}) == (
        "✗ format"
    )
    assert audio_cell({"error": "RuntimeError: boom"}) == "✗ no audio"
    assert "boom" in audio_sentence({"error": "RuntimeError: boom"})
    assert audio_cell(None) == "" and audio_sentence(None) == ""


async def test_a_stream_report_message_fills_the_stream_panel():
    """The check's worker hands its report back as a message; the panel shows it plain."""
    from screens.widgets.verifytools import StreamChecked
    from wizard.stream.report import Handshake, StreamReport

    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_verify(app, pilot)
        scr = app.screen
        scr.stream_box.display = scr.stream_progress.display = True  # as ctrl+g leaves them
        report = StreamReport(
            url="wss://agent.example.com/media",
            content_type="audio/x-l16;rate=16000",
            stream_id="s-1",
            call_id="c-1",
            handshake=Handshake(ok=False, status=403),
            errors=["The agent refused the upgrade [b]\x1b[31m(HTTP 403)."],
        )
        scr.post_message(StreamChecked(report))
        await settle(app, pilot)
        text = _text(app, "#stream-report")
        assert "Agent stream check · wss://agent.example.com/media" in text
        assert "handshake   ✗ failed (HTTP 403)" in text
        assert "FAIL: The agent refused the upgrade [b]\\x1b[31m(HTTP 403)." in text, text
        assert not scr.stream_progress.display and scr.stream_box.display
        # a report still queued from an earlier check, once a new one started, is dropped
        scr._stream_run += 1
        stale = StreamReport(
            url="wss://stale.example.com/media",
            content_type="audio/x-l16;rate=16000",
            stream_id="s-0",
            call_id="c-0",
            handshake=Handshake(ok=False, status=500),
        )
        scr.post_message(StreamChecked(stale, run=scr._stream_run - 1))
        await settle(app, pilot)
        assert "stale.example.com" not in _text(app, "#stream-report")
