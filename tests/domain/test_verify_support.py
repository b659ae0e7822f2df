"""Shared set-up for the verification tests: a real listener on the emulator's token,
and Direct SIP applications made through the REST API (no tests in this module)."""

from __future__ import annotations

from wizard.verify.diagnose import Expectation
from wizard.verify.listener import Listener

PASSWORD = "Sup3rSecretPass9"
USERNAME = "carrier_trunk"
ENTRIES = ("203.0.113.10", "198.51.100.0/28")


async def make_app(
    client,
    answer_url: str,
    auth_type: str,
    *,
    entries: tuple[str, ...] = ENTRIES,
    username: str = USERNAME,
    password: str = PASSWORD,
    answer_method: str = "POST",
    name: str = "byon-verify-test",
) -> str:
    fields: dict = {}
    if "ip_acl" in auth_type:
        acl = await client.create_ip_acl(f"{name}-acl", list(entries))
        fields["ip_acl_uuid"] = acl.ip_acl_uuid
    if "credential" in auth_type:
        cred = await client.create_credential(username, password)
        fields["credential_uuid"] = cred.credential_uuid
    app = await client.create_application(
        app_name=name,
        answer_url=answer_url,
        answer_method=answer_method,
        sip_auth_type=auth_type,
        **fields,
    )
    return app.app_id


def expectation(auth_type: str, app_id: str, **over) -> Expectation:
    base = {
        "auth_type": auth_type,
        "acl_entries": ENTRIES if "ip_acl" in auth_type else (),
        "username": USERNAME if "credential" in auth_type else "",
        "app_id": app_id,
        "external_number": "+14155550100",
        "option": "direct_sip",
    }
    base.update(over)
    return Expectation(**base)


async def start_listener(
    emulator, exp: Expectation | None = None, *, client=None, **kw
) -> Listener:
    """A listener on the emulator's token; with ``client`` it confirms passes against the
    emulator's call records (without, a pass is "signature valid, not confirmed")."""
    lis = Listener(emulator.auth_token, expectation=exp or Expectation(), client=client, **kw)
    await lis.start("127.0.0.1", 0)
    return lis
