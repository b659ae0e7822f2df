"""The verify step on real SIP (demo): the calls follow the chosen auth, rotating IPs shows
its 403s, a selected call shows its SIP ladder, `p` runs the SIP probe, and the HTTP
route stands in (and says so) when the SIP edge cannot start."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from screens.widgets.ladder import LadderView
from tests.screens.helpers import SIZE, apply_all, demo_app, settle
from tests.screens.test_flows import _to_review, cell


async def _verify(app, pilot, auth_type: str) -> None:
    await _to_review(app, pilot, auth_type)
    await apply_all(app, pilot)
    for key in ("n", "ctrl+n"):
        await pilot.press(key)
        await settle(app, pilot)


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_ip_acl_rotating_ips_shows_the_403s_and_their_ladder():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _verify(app, pilot, "ip_acl")
        buttons = [b.id for b in app.screen.query(".sim")]
        assert "sim-missing_credentials" not in buttons  # no credentials under IP ACL
        assert "sim-wrong_password" not in buttons
        key = str(buttons.index("sim-intermittent") + 1)
        await pilot.press(key)
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        results = [cell(table, i, "result") for i in range(table.row_count)]
        assert results.count("✗ 403") == 2 and "✓ pass" in results
        assert "rotat" in _text(app, "#diagnosis").lower()
        refused = results.index("✗ 403")
        assert cell(table, refused, "ip") == "198.51.100.200"  # outside the ACL
        table.move_cursor(row=refused)
        await pilot.press("enter")
        await settle(app, pilot)
        ladder = str(app.screen.query_one("#ladder", LadderView).render())
        assert "INVITE sip:" in ladder and "403 Forbidden" in ladder and "▶" in ladder


async def test_credential_call_ladder_draws_the_digest_exchange_and_the_probe_runs():
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _verify(app, pilot, "credential")
        await pilot.press("1")
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        assert cell(table, 0, "result") == "✓ pass"
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(app, pilot)
        ladder = str(app.screen.query_one("#ladder", LadderView).render())
        order = ["407 Proxy Authentication Required", "INVITE + credentials (carrier_trunk)",
                 "200 OK", "BYE"]  # fmt: skip
        positions = [ladder.index(word) for word in order]
        assert positions == sorted(positions), ladder
        assert "response=" not in ladder
        await pilot.press("p")
        await settle(app, pilot)
        panel = _text(app, "#probe")
        for check in ("dns", "reach udp", "reach tls", "unauthenticated", "authenticated"):
            assert check in panel, panel
        assert "challenge_407" in panel and "accepted" in panel
        assert "sip-probe" in _text(app, "#diagnosis")
        assert app.session.sip_password not in panel


async def test_http_route_stands_in_when_the_sip_edge_cannot_start(monkeypatch):
    from wizard.emulator.server import Emulator

    async def refuse(self, *args, **kwargs):
        raise OSError("address already in use")

    monkeypatch.setattr(Emulator, "start_sip", refuse)
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _verify(app, pilot, "ip_acl")
        assert "HTTP route" in _text(app, "#sim-hint")
        assert "address already in use" in _text(app, "#sim-hint")
        await pilot.press("1")
        await settle(app, pilot)
        table = app.screen.query_one("#calls", DataTable)
        assert cell(table, 0, "result") == "✓ pass"


async def test_a_ladder_fetched_mid_call_never_replaces_the_whole_one():
    """The callback's row arrives mid-call and asks the emulator for its ladder; when that
    answer (taken before the BYE) comes back after the call's own whole ladder, the whole
    one stays on screen."""
    import asyncio

    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _verify(app, pilot, "credential")
        session = app.session
        fetch = session.call_ladder
        hold = asyncio.Event()
        taken: list[int] = []

        async def late(key: str):
            ladder = await fetch(key)  # a real request, while the call is still up
            taken.append(len(ladder))
            await hold.wait()  # ...answered after the simulation's row has arrived
            return ladder

        session.call_ladder = late
        await pilot.press("1")
        # the simulation's worker ends once its row is posted (the ladder's worker waits)
        for _ in range(600):
            placing = [w for w in app.workers if w.group == "simulate" and not w.is_finished]
            if taken and not placing:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        await pilot.pause()
        whole = str(app.screen.query_one("#ladder", LadderView).render())
        assert "BYE" in whole, whole
        hold.set()
        await settle(app, pilot)
        assert taken and str(app.screen.query_one("#ladder", LadderView).render()) == whole


async def test_the_probe_on_acl_and_credential_reads_the_acls_403_as_holding():
    """This machine is outside the ACL: the unauthenticated INVITE's 403 shows the ACL
    holds, and the credentials are not tried (a 403 to them would only be the ACL again,
    and would count toward the lockout)."""
    app = demo_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _verify(app, pilot, "ip_acl_and_credential")
        await pilot.press("p")
        await settle(app, pilot)
        panel = _text(app, "#probe")
        assert "forbidden_403" in panel
        assert "authenticated  " not in panel.replace("unauthenticated", ""), panel
        assert "sip-probe: an INVITE without credentials is refused (403)" in _text(
            app, "#diagnosis"
        )
