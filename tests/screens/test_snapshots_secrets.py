"""The auth token and SIP passwords never reach a screenshot, a snapshot or a saved plan."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.screens.helpers import (
    SIZE,
    apply_all,
    choose_direct_sip,
    create_application,
    demo_app,
    fill_auth,
    ready,
    settle,
)
from wizard.emulator.seed import DEMO_CREDENTIAL_PASSWORD
from wizard.emulator.server import DEMO_AUTH_TOKEN

SNAPSHOTS = Path(__file__).parent / "__snapshots__"
# what generate_password makes: 24 characters with upper, lower and digit
PASSWORD_LIKE = re.compile(r"[A-Za-z0-9._~-]{24,}")


def _svg_text(path: Path) -> str:
    raw = path.read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", "", raw)).replace("\xa0", " ")


def _looks_like_password(word: str) -> bool:
    if word.startswith("X-Plivo-"):  # a header's name, shown in the verify details
        return False
    return (
        any(c.isupper() for c in word)
        and any(c.islower() for c in word)
        and any(c.isdigit() for c in word)
    )


def test_no_secret_in_any_snapshot():
    svgs = sorted(SNAPSHOTS.rglob("*.svg"))
    assert len(svgs) >= 15, "snapshots missing: run pytest tests/screens --snapshot-update"
    for svg in svgs:
        text = _svg_text(svg)
        raw = svg.read_text(encoding="utf-8")
        for secret in (DEMO_AUTH_TOKEN, DEMO_CREDENTIAL_PASSWORD):
            assert secret not in text and secret not in raw, svg.name
        suspicious = [w for w in PASSWORD_LIKE.findall(text) if _looks_like_password(w)]
        assert not suspicious, (svg.name, suspicious)


async def test_generated_password_and_token_stay_off_screen_and_out_of_the_plan(tmp_path):
    plan_file = tmp_path / "plan.toml"
    app = demo_app(plan_path=plan_file)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(app, pilot)
        await choose_direct_sip(app, pilot, stable=False, shared=False)
        password = app.session.sip_password
        assert len(password) >= 12
        shots = [app.export_screenshot()]
        await fill_auth(app, pilot, username="carrier_trunk")
        await create_application(app, pilot)
        await apply_all(app, pilot)
        assert app.screen.applied
        shots.append(app.export_screenshot())
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        shots.append(app.export_screenshot())
        for shot in shots:
            assert password not in shot
            assert DEMO_AUTH_TOKEN not in shot
        # shown only when the user asks for it (ctrl+r), in this session
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert password in app.export_screenshot()
    text = plan_file.read_text()
    assert "carrier_trunk" in text
    assert password not in text and DEMO_AUTH_TOKEN not in text
