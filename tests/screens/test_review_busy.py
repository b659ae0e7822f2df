"""The review step while an apply runs, and with a journal it cannot trust.

A second `a`, a `u` or a `r` pressed during an apply used to cancel it midway: the
change in flight was rolled back and the new run met its own lock. A journal file the
step could not read crashed the wizard from a message handler."""

from __future__ import annotations

import asyncio

from tests.screens.helpers import SIZE, demo_app, ready, screen_name, settle
from tests.screens.test_flows import _to_review


async def test_keys_pressed_during_an_apply_neither_cancel_nor_repeat_it():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "ip_acl_and_credential")
        scr = app.screen
        emulator = app.session.emulator
        # the application's create answers late: the apply is still running meanwhile
        emulator.add_fault({"method": "POST", "path": r"/Application/$", "latency_ms": 1500})
        await pilot.press("a")
        for _ in range(200):  # until the ACL and the credential are made
            if len(app.session.undo) >= 2:
                break
            await asyncio.sleep(0.02)
        assert scr.busy and len(app.session.undo) >= 2
        for action in ("apply", "retry", "undo", "back", "next"):
            assert not scr.check_action(action, ()), action
        await pilot.press("a", "u", "r", "escape")  # keys that are off do nothing
        assert screen_name(app) == "ReviewScreen"
        scr.action_back()  # a click on Back, say, is told to wait
        assert screen_name(app) == "ReviewScreen"
        assert "Applying: wait" in str(scr.error_line.content)
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert scr.applied and not scr.failed and not scr.busy
        assert str(scr.error_line.content) == ""  # the wait is over: no stale sentence
        state = emulator.dump_state()
        made = [a for a in state["applications"] if a["app_name"] == "ai-agent-inbound"]
        assert len(made) == 1 and len(state["ip_acls"]) == 1
        assert [c["username"] for c in state["credentials"]].count("carrier_trunk") == 1


async def test_a_journal_the_step_cannot_trust_is_an_error_line_not_a_crash():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        journal = app.session.journal_path()
        journal.parent.mkdir(parents=True, exist_ok=True)
        journal.write_text("{ not json")
        journal.chmod(0o644)  # and readable by others: never trusted
        await _to_review(app, pilot, "ip_acl_and_credential")
        shown = str(app.screen.error_line.content)
        assert "journal" in shown.lower(), shown
        assert app.session.emulator.dump_state()["ip_acls"] == []  # nothing was applied


async def test_the_end_of_a_run_comes_back_as_a_message():
    """A failed apply's sentence and buttons, then an undo that left a step, are drawn by
    the handlers of the messages the workers post."""
    from screens.review import ApplyFinished, UndoFinished

    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "credential")
        await settle(app, pilot)
        scr = app.screen
        assert scr.apply_button.display and not scr.retry_button.display
        scr.failed = True  # what the apply's worker sets before it posts
        scr.post_message(ApplyFinished("Plivo said no.  0 earlier step(s) are kept."))
        await settle(app, pilot)
        assert str(scr.error_line.content) == "Plivo said no.  0 earlier step(s) are kept."
        assert scr.retry_button.display and not scr.apply_button.display
        scr.failed = False  # what the undo's worker sets before it posts
        scr.post_message(UndoFinished(["delete credential carrier_trunk"]))
        await settle(app, pilot)
        shown = str(scr.error_line.content)
        assert shown.startswith("Some steps could not be undone: delete credential carrier_trunk.")
        assert "create credential carrier_trunk" in str(scr.diff_view.content)  # read anew
        assert scr.apply_button.display and not scr.retry_button.display
        made = app.session.emulator.dump_state()["credentials"]
        assert "carrier_trunk" not in [c["username"] for c in made]  # nothing was sent


async def test_the_apply_and_next_buttons_do_what_their_keys_do():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _to_review(app, pilot, "ip_acl_and_credential")
        await pilot.click("#apply")
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert app.screen.applied and not app.screen.failed
        await pilot.click("#next")  # and Next goes on, as n does
        await settle(app, pilot)
        assert screen_name(app) == "ProviderScreen"
