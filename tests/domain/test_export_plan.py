"""export_plan(): the account's routing as a plan; export then apply is a no-op."""

from __future__ import annotations

import pytest

from tests.domain.test_apply_helpers import BUY_PLAN, run_apply, write_plan, writes
from wizard.errors import ByonError, PlanError
from wizard.plans.apply import diff, read_account
from wizard.plans.export import export_plan
from wizard.plans.plan import dump_plan, load_plan, loads_plan

PASSWORD = "Carrier-Trunk-2024x"


async def roundtrip(client, emulator, tmp_path, **kw):
    plan, warnings = await export_plan(client, external_number="+14155550100", **kw)
    path = tmp_path / "exported.toml"
    path.write_text(dump_plan(plan))
    loaded = load_plan(path)
    emulator.log.clear()
    changes = diff(loaded, await read_account(client, loaded))
    assert [c.action for c in changes] == ["unchanged"] * len(changes)
    assert writes(emulator) == []
    return loaded, warnings


async def test_direct_sip_round_trip(client, emulator, tmp_path):
    await run_apply(client, write_plan(tmp_path), password=PASSWORD)
    plan, warnings = await roundtrip(client, emulator, tmp_path, app_name="ai-agent-inbound")
    assert warnings == []
    assert plan.option == "direct_sip" and plan.auth.type == "ip_acl_and_credential"
    assert plan.auth.ip_acl.entries == ["203.0.113.10", "198.51.100.0/28"]
    assert plan.auth.credential.username == "carrier_trunk"
    assert plan.auth.credential.password_env == "BYON_SIP_PASSWORD"
    text = (tmp_path / "exported.toml").read_text()
    assert PASSWORD not in text and emulator.auth_token not in text


async def test_forwarding_round_trip_by_id(client, emulator, tmp_path):
    result, _ = await run_apply(client, write_plan(tmp_path, BUY_PLAN))
    plan, _ = await roundtrip(client, emulator, tmp_path, app_id=result.ids["application"])
    assert plan.option == "did_forwarding"
    assert plan.forwarding.plivo_number == result.ids["number"]
    assert plan.auth is None


async def test_open_app_without_number_is_exported_with_a_warning(client):
    app = await client.create_application(app_name="open", answer_url="https://x.example/a")
    plan, warnings = await export_plan(client, app_id=app.app_id, external_number="+14155550100")
    assert plan.option == "direct_sip" and plan.auth is None
    assert any("toll-fraud" in w and "[auth]" in w for w in warnings)
    # The plan refuses to load until [auth] is added: apply never makes an open app.
    with pytest.raises(PlanError) as exc:
        loads_plan(dump_plan(plan))
    assert "auth" in str(exc.value)


async def test_missing_external_number_is_a_warning(client):
    await client.create_application(app_name="x", answer_url="https://x.example/a")
    _plan, warnings = await export_plan(client, app_name="x")
    assert any("external_number" in w for w in warnings)


async def test_unknown_app(client):
    with pytest.raises(ByonError) as exc:
        await export_plan(client, app_id="123456")
    assert "no application 123456" in str(exc.value)
