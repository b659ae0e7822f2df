"""The Plivo client against the emulator over real loopback HTTP: every resource, paging."""

from __future__ import annotations

import ssl

import pytest

from tests.emulator.helpers import emulator_log
from wizard.errors import NotFound
from wizard.plivo.client import PlivoClient, sip_uri
from wizard.plivo.http import plain_http_context, tls_context_for

GOOD_PASSWORD = "Str0ngEnoughPass"


def test_plain_http_skips_the_ca_bundle_but_never_trusts_a_certificate():
    """Plivo (https) gets the system's CAs; the loopback emulator (plain http) gets a
    context with none loaded, which would refuse every certificate if TLS were spoken."""
    real = tls_context_for("https://api.plivo.com")
    assert real.verify_mode == ssl.CERT_REQUIRED and real.check_hostname
    assert real.cert_store_stats()["x509_ca"] > 0
    plain = tls_context_for("http://127.0.0.1:8080")
    assert plain is plain_http_context()
    assert plain.verify_mode == ssl.CERT_REQUIRED and plain.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0
    assert tls_context_for("HTTPS://api.plivo.com") is real


async def test_account(client, emulator):
    account = await client.get_account()
    assert account.auth_id == emulator.auth_id
    assert account.raw["auth_id"] == emulator.auth_id
    assert client.auth_id == emulator.auth_id


async def test_requests_use_plivo_paths_with_trailing_slash(client, emulator):
    await client.get_account()
    await client.list_applications()
    paths = [r["path"].split("?")[0] for r in await emulator_log(emulator)]
    assert f"/v1/Account/{emulator.auth_id}/" in paths
    assert f"/v1/Account/{emulator.auth_id}/Application/" in paths


async def test_application_crud(client):
    app = await client.create_application(app_name="sales", answer_url="https://a.example/answer")
    assert app.app_id.isdigit()
    assert app.app_name == "sales"
    assert app.sip_uri == sip_uri(app.app_id)
    assert app.sip_auth_type == ""

    got = await client.get_application(app.app_id)
    assert (got.app_id, got.app_name, got.answer_url) == (app.app_id, "sales", app.answer_url)
    assert got.hangup_url == "https://a.example/answer"  # Plivo defaults it to answer_url
    assert got.raw["app_id"] == app.app_id

    await client.update_application(app.app_id, answer_url="https://b.example/answer")
    assert (await client.get_application(app.app_id)).answer_url == "https://b.example/answer"

    assert [a.app_id for a in await client.list_applications()] == [app.app_id]

    await client.delete_application(app.app_id)
    with pytest.raises(NotFound):
        await client.get_application(app.app_id)
    assert await client.list_applications() == []


async def test_application_with_sip_auth_fields(client):
    cred = await client.create_credential("trunk-user", GOOD_PASSWORD)
    acl = await client.create_ip_acl("carrier", ["203.0.113.0/24"])
    app = await client.create_application(
        app_name="direct-sip",
        answer_url="https://a.example/answer",
        sip_auth_type="ip_acl_and_credential",
        ip_acl_uuid=acl.ip_acl_uuid,
        credential_uuid=cred.credential_uuid,
    )
    got = await client.get_application(app.app_id)
    assert got.sip_auth_type == "ip_acl_and_credential"
    assert got.ip_acl_uuid == acl.ip_acl_uuid
    assert got.credential_uuid == cred.credential_uuid

    # An empty type removes authentication (it must be sent, not dropped like None).
    await client.update_application(app.app_id, sip_auth_type="")
    assert (await client.get_application(app.app_id)).sip_auth_type == ""


async def test_listing_applications_by_name_is_exact(client):
    await client.create_application(app_name="sales", answer_url="https://a.example/1")
    await client.create_application(app_name="sales-eu", answer_url="https://a.example/2")
    (found,) = await client.list_applications(app_name="sales")
    assert found.answer_url == "https://a.example/1"
    assert await client.list_applications(app_name="sale") == []
    assert await client.list_applications(app_name="nobody") == []


async def test_credential_crud_never_keeps_the_password(client, emulator):
    cred = await client.create_credential("trunk-user", GOOD_PASSWORD)
    assert cred.username == "trunk-user"
    assert cred.credential_uuid
    assert cred.realm == "app.plivo.com"
    assert GOOD_PASSWORD not in repr(cred.raw)

    got = await client.get_credential(cred.credential_uuid)
    assert (got.credential_uuid, got.username) == (cred.credential_uuid, "trunk-user")
    assert [c.credential_uuid for c in await client.list_credentials()] == [cred.credential_uuid]

    await client.update_credential(cred.credential_uuid, "An0therGoodPassword")
    assert "An0therGoodPassword" not in repr(emulator.dump_state())

    await client.delete_credential(cred.credential_uuid)
    assert await client.list_credentials() == []


async def test_ip_acl_crud(client):
    acl = await client.create_ip_acl("carrier", ["203.0.113.0/24", "198.51.100.7"])
    assert acl.name == "carrier"
    assert acl.ip_addresses == ("203.0.113.0/24", "198.51.100.7")

    got = await client.get_ip_acl(acl.ip_acl_uuid)
    assert got.ip_acl_uuid == acl.ip_acl_uuid
    assert set(got.ip_addresses) == {"203.0.113.0/24", "198.51.100.7"}

    await client.update_ip_acl(acl.ip_acl_uuid, ip_addresses=["192.0.2.1"])
    assert (await client.get_ip_acl(acl.ip_acl_uuid)).ip_addresses == ("192.0.2.1",)
    await client.update_ip_acl(acl.ip_acl_uuid, name="carrier-2")
    got = await client.get_ip_acl(acl.ip_acl_uuid)
    assert (got.name, got.ip_addresses) == ("carrier-2", ("192.0.2.1",))

    assert [a.name for a in await client.list_ip_acls()] == ["carrier-2"]

    await client.delete_ip_acl(acl.ip_acl_uuid)
    assert await client.list_ip_acls() == []


async def test_search_buy_assign_unassign(client):
    found = await client.search_phone_numbers("US", limit=5)
    assert 1 <= len(found) <= 5
    assert all(n.number.isdigit() for n in found)
    choice = found[0]

    app = await client.create_application(app_name="inbound", answer_url="https://a.example/a")
    bought = await client.buy_phone_number("+" + choice.number)
    assert bought.number == choice.number
    assert [n.number for n in await client.list_numbers()] == [choice.number]
    assert choice.number not in [n.number for n in await client.search_phone_numbers("US")]

    await client.assign_number(choice.number, app.app_id, alias="main line")
    got = await client.get_number(choice.number)
    assert got.app_id == app.app_id
    assert got.alias == "main line"
    assert got.raw["application"].rstrip("/").endswith(f"/Application/{app.app_id}")

    await client.assign_number(choice.number, None)
    assert (await client.get_number(choice.number)).app_id == ""


async def test_buy_with_app_id(client):
    app = await client.create_application(app_name="inbound", answer_url="https://a.example/a")
    choice = (await client.search_phone_numbers("GB", limit=1))[0]
    bought = await client.buy_phone_number(choice.number, app_id=app.app_id)
    assert bought.app_id == app.app_id


async def test_search_filters(client):
    tollfree = await client.search_phone_numbers("US", type="tollfree")
    assert tollfree and all(n.type == "tollfree" for n in tollfree)
    some = (await client.search_phone_numbers("US"))[0]
    by_pattern = await client.search_phone_numbers("US", pattern=some.number[1:6])
    assert some.number in [n.number for n in by_pattern]


async def test_create_call(client, emulator):
    choice = (await client.search_phone_numbers("US", limit=1))[0]
    await client.buy_phone_number(choice.number)
    request_uuid = await client.create_call(
        from_=choice.number, to="14155550100", answer_url="http://127.0.0.1:9/answer"
    )
    assert request_uuid
    assert len(emulator.dump_state()["calls"]) == 1


async def test_demo_account_parses(demo_client):
    numbers = await demo_client.list_numbers()
    apps = {a.app_id: a for a in await demo_client.list_applications()}
    assert numbers and apps
    assigned = [n for n in numbers if n.app_id]
    assert assigned and all(n.app_id in apps for n in assigned)
    assert any(a.sip_auth_type == "credential" and a.credential_uuid for a in apps.values())


async def test_listing_walks_every_page_in_order(client, emulator):
    names = [f"app-{i:03d}" for i in range(45)]
    for name in names:
        await client.create_application(app_name=name, answer_url="https://a.example/a")
    seen: list[tuple[int, int]] = []

    apps = await client.list_applications(progress=lambda done, total: seen.append((done, total)))

    assert [a.app_name for a in apps] == names
    assert len({a.app_id for a in apps}) == 45
    assert seen[-1] == (45, 45)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert {t for _, t in seen} == {45}
    assert len(seen) == 3  # one call per page
    gets = [r for r in await emulator_log(emulator) if r["method"] == "GET"]
    assert len(gets) == 3


async def test_listing_fetches_pages_concurrently_within_the_bound(emulator):
    seeder = PlivoClient(emulator.auth_id, emulator.auth_token, base_url=emulator.api_url)
    async with seeder:
        for i in range(100):  # 5 pages
            await seeder.create_application(app_name=f"a{i}", answer_url="https://a.example/a")

    async def max_in_flight(max_concurrency: int) -> int:
        # A latency fault keeps each page open long enough for the others to start.
        emulator.add_fault(
            {"method": "GET", "path": "Application/$", "latency_ms": 150, "count": 5}
        )
        in_flight = peak = 0

        async def on_request(request):
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)

        async def on_response(response):
            nonlocal in_flight
            in_flight -= 1

        c = PlivoClient(
            emulator.auth_id,
            emulator.auth_token,
            base_url=emulator.api_url,
            max_concurrency=max_concurrency,
        )
        async with c:
            c._http.event_hooks = {"request": [on_request], "response": [on_response]}
            apps = await c.list_applications()
        assert [a.app_name for a in apps] == [f"a{i}" for i in range(100)]
        return peak

    assert await max_in_flight(1) == 1
    assert await max_in_flight(3) == 3
    assert await max_in_flight(8) == 4  # the first page, then the 4 remaining ones at once
