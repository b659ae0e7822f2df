"""ctrl+s never writes through a planted `byon-plan.toml` symlink (issue 10 #11)."""

from __future__ import annotations

from tests.screens.helpers import SIZE, settle
from wizard.app import ByonApp
from wizard.session import OFFLINE


async def test_ctrl_s_refuses_a_symlinked_plan_file_and_says_so(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    link = tmp_path / "byon-plan.toml"
    link.symlink_to(victim)
    app = ByonApp(mode=OFFLINE, plan_path=link)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
    assert any("Plan not saved" in m and "symbolic link" in m for m in messages), messages
    assert victim.read_text() == "precious\n" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["byon-plan.toml", "victim.txt"]
