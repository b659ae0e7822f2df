"""Helpers shared by the apply tests: plan files, account snapshots, one-shot apply."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from wizard.plans.apply import ApplyResult, StepEvent, apply_changes, diff, read_account
from wizard.plans.plan import load_plan

SIP_PLAN = """\
version = 1

# Routing for the support line; reviewed in PR 12.
[route]
option = "direct_sip"
external_number = "+14155550100"
provider = "generic"

[application]
name = "ai-agent-inbound"
app_id = ""
answer_url = "https://agent.example.com/answer"
answer_method = "POST"

[auth]
type = "ip_acl_and_credential"

[auth.ip_acl]
name = "carrier-edge"
ip_acl_uuid = ""
entries = ["203.0.113.10", "198.51.100.0/28"]

[auth.credential]
username = "carrier_trunk"
credential_uuid = ""
password_env = "BYON_TEST_SIP_PASSWORD"
"""

BUY_PLAN = """\
version = 1

[route]
option = "did_forwarding"
external_number = "+14155550100"

[application]
name = "forwarded-agent"
answer_url = "https://agent.example.com/answer"

[forwarding]
plivo_number = "buy"   # bought on the first run

[forwarding.search]
country_iso = "US"
type = "local"
pattern = "415"
"""

RESOURCES = ("applications", "credentials", "ip_acls", "numbers")


def write_plan(tmp_path: Path, text: str = SIP_PLAN, name: str = "plan.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(emulator: Any) -> dict[str, Any]:
    """The account's resources (what apply may change), comparable before/after."""
    # A deep copy: the emulator may hand out its live objects.
    state = json.loads(json.dumps(emulator.dump_state()))
    return {k: state[k] for k in RESOURCES}


def ha1(username: str, password: str) -> str:
    return hashlib.md5(f"{username}:app.plivo.com:{password}".encode()).hexdigest()


def writes(emulator: Any) -> list[dict[str, Any]]:
    return [e for e in emulator.log if e["method"] != "GET"]


async def run_apply(
    client: Any, path: Path, *, password: str | None = None, **kw: Any
) -> tuple[ApplyResult, list[StepEvent]]:
    plan = load_plan(path)
    view = await read_account(client, plan)
    changes = diff(plan, view, rotate_password=kw.pop("rotate_password", False))
    events: list[StepEvent] = []
    result = await apply_changes(
        client, plan, changes, on_step=events.append, password=password, **kw
    )
    return result, events


async def assert_matches_plan(client: Any, path: Path) -> None:
    """Every change is '= unchanged' and each named resource exists exactly once."""
    plan = load_plan(path)
    changes = diff(plan, await read_account(client, plan))
    assert [c.action for c in changes] == ["unchanged"] * len(changes)


def count_named(emulator: Any) -> dict[str, int]:
    state = emulator.dump_state()
    out: dict[str, int] = {}
    for a in state["applications"]:
        out[f"application:{a['app_name']}"] = out.get(f"application:{a['app_name']}", 0) + 1
    for a in state["ip_acls"]:
        out[f"ip_acl:{a['name']}"] = out.get(f"ip_acl:{a['name']}", 0) + 1
    for c in state["credentials"]:
        out[f"credential:{c['username']}"] = out.get(f"credential:{c['username']}", 0) + 1
    return out
