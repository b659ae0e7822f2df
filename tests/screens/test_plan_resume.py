"""A plan saved part-way through the wizard opens again with `byon --plan`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from textual.widgets import Static

from tests.screens.helpers import SIZE, demo_app, screen_name, settle
from wizard.errors import PlanError
from wizard.launch import _load_plan
from wizard.plans.plan import AuthPlan, CredentialPlan, Plan, save_plan


def _draft(tmp_path):
    plan = Plan(
        external_number="+14155550100",
        auth=AuthPlan(type="credential", credential=CredentialPlan(username="pbx_trunk")),
    )  # no application yet: the user saved on the auth step
    return save_plan(plan, tmp_path / "draft.toml")


async def test_a_draft_opens_at_review_with_what_is_missing(tmp_path):
    path = _draft(tmp_path)
    plan = _load_plan(str(path))
    assert plan.auth.credential.username == "pbx_trunk"
    app = demo_app(plan=plan, jump_to_review=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.wait_session()
        await settle(app, pilot)
        assert screen_name(app) == "ReviewScreen"
        findings = str(app.screen.query_one("#findings", Static).content)
        assert "application.name" in findings
        assert "Fix the errors above" in str(app.screen.query_one("#diff", Static).content)


def test_a_typo_in_a_draft_is_still_refused(tmp_path):
    path = _draft(tmp_path)
    path.write_text(path.read_text().replace("username", "usename"))
    with pytest.raises(PlanError, match="usename"):
        _load_plan(str(path))
    out = subprocess.run(
        [sys.executable, "-m", "wizard", "--plan", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 2 and "draft.toml" in out.stderr and "usename" in out.stderr
