"""Review: an existing credential the plan did not make is a choice, rotate or stop."""

from __future__ import annotations

from textual.widgets import Static

from tests.screens.helpers import SIZE, demo_app, screen_name, settle
from wizard.emulator.seed import DEMO_CREDENTIAL_USERNAME
from wizard.plans.plan import ApplicationPlan, AuthPlan, CredentialPlan, Plan


def offline_plan() -> Plan:
    """Planned offline: the username exists in the demo account, the plan has no uuid."""
    return Plan(
        external_number="+14155550100",
        application=ApplicationPlan(name="new-agent", answer_url="https://agent.example.com/a"),
        auth=AuthPlan(
            type="credential", credential=CredentialPlan(username=DEMO_CREDENTIAL_USERNAME)
        ),
    )


def writes(app) -> list[dict]:
    return [e for e in app.session.emulator.log if e["method"] != "GET"]


async def _apply_pressed(app, pilot) -> None:
    await app.wait_session()
    await settle(app, pilot)
    assert screen_name(app) == "ReviewScreen"
    diff = str(app.screen.query_one("#diff", Static).content)
    assert "not made from this plan" in diff
    await pilot.press("a")
    await settle(app, pilot)
    assert screen_name(app) == "ConfirmScreen"
    body = str(app.screen.query_one(".body", Static).content)
    assert "403" in body and "Set its password" in body


async def test_stop_applies_nothing():
    app = demo_app(plan=offline_plan(), jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _apply_pressed(app, pilot)
        await pilot.press("n")
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen" and not app.screen.applied
        assert writes(app) == [] and not app.session.rotate_password
        assert "nothing was applied" in str(app.screen.query_one("#error", Static).content)


async def test_rotate_sets_the_wizards_password_on_the_existing_credential():
    app = demo_app(plan=offline_plan(), jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _apply_pressed(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen.applied, app.screen.query_one("#error", Static).content
        state = app.session.emulator.dump_state()
        (cred,) = [c for c in state["credentials"] if c["username"] == DEMO_CREDENTIAL_USERNAME]
        assert any(
            e["method"] == "POST" and e["path"].endswith(f"/Credential/{cred['credential_uuid']}/")
            for e in writes(app)
        )
        assert app.plan.auth.credential.credential_uuid == cred["credential_uuid"]
        assert app.session.sip_password  # the new password, shown once on Review
