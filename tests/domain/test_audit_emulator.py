"""audit() against the emulator: the demo seed's open app, and a fixed account."""

from __future__ import annotations

from wizard.plans.audit import audit


async def test_demo_account_findings(demo_client, demo_emulator):
    found = await audit(demo_client)
    open_apps = {f.name for f in found if f.kind == "open_sip_uri"}
    expected = {
        a["app_name"] for a in demo_emulator.dump_state()["applications"] if not a["sip_auth_type"]
    }
    assert open_apps == expected and "support-bot" in open_apps
    creds = {c["credential_uuid"] for c in demo_emulator.dump_state()["credentials"]}
    used = {a["credential_uuid"] for a in demo_emulator.dump_state()["applications"]}
    assert {f.id for f in found if f.kind == "unassigned_credential"} == creds - used


async def test_every_kind_from_a_live_account(client):
    wide = await client.create_ip_acl("wide", ["100.64.0.0/10"])
    await client.create_credential("spare_user", "Spare-Passw0rd-xyz")
    await client.create_application(app_name="open", answer_url="http://insecure.example/a")
    await client.create_application(
        app_name="cgnat",
        answer_url="https://x.example/a",
        sip_auth_type="ip_acl",
        ip_acl_uuid=wide.ip_acl_uuid,
    )
    kinds = sorted(f.kind for f in await audit(client))
    assert kinds == sorted(
        [
            "open_sip_uri",
            "http_answer_url",
            "http_hangup_url",
            "shared_space_acl",
            "wide_acl_entry",
            "unassigned_credential",
        ]
    )


async def test_progress_is_reported(client):
    seen = []
    await audit(client, progress=lambda name, done, total: seen.append(name))
    assert {"applications", "IP ACLs", "credentials"} <= set(seen)
