"""Names from the account or a plan file are shown as written, never read as markup.

A bracket pair such as ``[/]`` in an ACL's name used to crash the auth step (the table
parsed the cell as markup) and the done step (its summary is markup)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import DataTable

from screens.done import summary
from screens.widgets.markup import escape, outside
from tests.screens.helpers import (
    SMALL,
    choose_direct_sip,
    create_application,
    demo_app,
    ready,
    screen_name,
    settle,
)
from wizard.plans.plan import AclPlan, ApplicationPlan, AuthPlan, CredentialPlan, Plan

HOSTILE = "edge [/] [@click=app.quit]quit[/] [$error]red"


def test_escape_keeps_every_character_and_opens_no_tag():
    for text in (HOSTILE, "a\\[b]c[/]", "back\\", "[[b]]", "plain"):
        content = Content.from_markup(f"[b]label[/b] {escape(text)}")
        assert content.plain == f"label {text}"


def test_outside_also_neutralises_control_characters_and_bounds_the_length():
    shown = Content.from_markup(outside("x\x1b]0;owned\x07" + "[/]" * 500, 50)).plain
    assert "\x1b" not in shown and "\\x1b" in shown
    assert len(shown) <= 50 and shown.endswith("…")


def test_the_done_summary_shows_hostile_names_as_written():
    plan = Plan(
        external_number="+14155550100",
        provider=HOSTILE,
        application=ApplicationPlan(name=HOSTILE, app_id="[/]123"),
        auth=AuthPlan(
            type="ip_acl_and_credential",
            ip_acl=AclPlan(name=HOSTILE, entries=["203.0.113.10"], ip_acl_uuid="[b]u"),
            credential=CredentialPlan(username=HOSTILE, credential_uuid="c"),
        ),
    )
    text = Content.from_markup(summary(plan, "/tmp/[red]plan.toml", online=True)).plain
    assert text.count(HOSTILE) == 4  # application, ACL, credential, provider
    assert "/tmp/[red]plan.toml" in text and "app_id [/]123" in text


async def test_the_auth_step_lists_hostile_account_names_as_plain_text():
    app = demo_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(app, pilot)
        client = app.session.client
        await client.create_ip_acl(HOSTILE, ["203.0.113.10"])
        await choose_direct_sip(app, pilot, stable=True, shared=True)
        assert screen_name(app) == "AuthScreen"
        table = app.screen.query_one("#acls", DataTable)
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert HOSTILE in names
        # choosing it fills the form with the name exactly as the account has it
        table.focus()
        table.move_cursor(row=names.index(HOSTILE))
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.acl_name.value == HOSTILE
        assert screen_name(app) == "AuthScreen"  # no click action ran, nothing crashed


async def test_the_number_step_shows_hostile_number_fields_and_api_errors_as_written():
    app = demo_app()
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(app, pilot)
        emulator = app.session.emulator
        for number in emulator.state.numbers.values():
            number["region"] = HOSTILE
        await pilot.press("f")
        await settle(app, pilot)
        await create_application(app, pilot, name="forwarded-line")
        assert screen_name(app) == "NumberScreen"
        rented = app.screen.query_one("#rented", DataTable)
        assert rented.row_count == 2
        assert {str(rented.get_row_at(i)[2]) for i in range(2)} == {HOSTILE}
        # Plivo's own error text is outside text too
        emulator.add_fault({"path": "PhoneNumber", "status": 400, "message": HOSTILE})
        await pilot.press("ctrl+f")
        await settle(app, pilot)
        assert screen_name(app) == "NumberScreen"
        assert HOSTILE in str(app.screen.error_line.content)


async def test_a_failed_session_start_says_the_api_error_text_as_written():
    """The live wizard's start failing with odd error text: a toast, not a crash."""
    from wizard.app import ByonApp
    from wizard.emulator import Emulator
    from wizard.emulator.server import DEMO_AUTH_ID, DEMO_AUTH_TOKEN
    from wizard.session import LIVE

    emu = Emulator(auth_id=DEMO_AUTH_ID, auth_token=DEMO_AUTH_TOKEN)
    await emu.start("127.0.0.1", 0)
    try:
        emu.add_fault({"path": "", "status": 400, "message": HOSTILE, "count": 50})
        app = ByonApp(
            mode=LIVE, api_url=emu.api_url, env_credentials=(DEMO_AUTH_ID, DEMO_AUTH_TOKEN)
        )
        async with app.run_test(size=SMALL, notifications=True) as pilot:
            await app.wait_session()
            await settle(app, pilot)
            shown = [n.message for n in app._notifications]
            assert any(HOSTILE in str(m) for m in shown), shown
            assert screen_name(app) == "WelcomeScreen"
    finally:
        await emu.stop()
