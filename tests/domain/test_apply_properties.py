"""Property: from any account a previous plan left, applying any valid plan converges.

After apply, a fresh diff is all '= unchanged', a second apply sends no write, and no
resource is duplicated. Generated over auth types, ACL entries, URLs and methods.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domain.test_apply_helpers import count_named, writes
from wizard.emulator import Emulator
from wizard.plans.apply import apply_changes, diff, read_account
from wizard.plans.plan import loads_plan
from wizard.plivo.client import PlivoClient

PUBLIC = ["203.0.113.10", "198.51.100.0/28", "192.0.2.0/24", "203.0.113.64/26", "2001:db8::/48"]

plans = st.fixed_dictionaries(
    {
        "auth": st.sampled_from(["ip_acl", "credential", "ip_acl_and_credential"]),
        "entries": st.lists(st.sampled_from(PUBLIC), min_size=1, max_size=4, unique=True),
        "acl_name": st.sampled_from(["edge-a", "edge-b"]),
        "path": st.sampled_from(["answer", "v2/answer", "agent"]),
        "method": st.sampled_from(["GET", "POST"]),
        "hangup": st.booleans(),
    }
)


def render(p: dict) -> str:
    lines = [
        "version = 1",
        "[route]",
        'option = "direct_sip"',
        'external_number = "+14155550100"',
        "[application]",
        'name = "prop-app"',
        f'answer_url = "https://agent.example.com/{p["path"]}"',
        f'answer_method = "{p["method"]}"',
    ]
    if p["hangup"]:
        lines.append('hangup_url = "https://agent.example.com/hangup"')
    lines += ["[auth]", f'type = "{p["auth"]}"']
    if "ip_acl" in p["auth"]:
        entries = ", ".join(f'"{e}"' for e in p["entries"])
        lines += ["[auth.ip_acl]", f'name = "{p["acl_name"]}"', f"entries = [{entries}]"]
    if "credential" in p["auth"]:
        lines += ["[auth.credential]", 'username = "prop_user"', 'password_env = "BYON_PROP_UNSET"']
    return "\n".join(lines) + "\n"


async def converge(first: dict, second: dict) -> None:
    emu = Emulator()
    await emu.start("127.0.0.1", 0)
    try:
        async with PlivoClient(emu.auth_id, emu.auth_token, base_url=emu.api_url) as client:
            for p in (first, second):
                plan = loads_plan(render(p))
                changes = diff(plan, await read_account(client, plan))
                result = await apply_changes(client, plan, changes)
                assert result.ok, result.error
            emu.log.clear()
            changes = diff(plan, await read_account(client, plan))
            assert [c.action for c in changes] == ["unchanged"] * len(changes), changes
            assert writes(emu) == []
            assert all(n == 1 for n in count_named(emu).values()), count_named(emu)
            (app,) = [a for a in emu.dump_state()["applications"] if a["app_name"] == "prop-app"]
            assert app["sip_auth_type"] == second["auth"]  # never left open
    finally:
        await emu.stop()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=plans, second=plans)
def test_any_plan_after_any_plan_converges(first, second):
    asyncio.run(converge(first, second))
