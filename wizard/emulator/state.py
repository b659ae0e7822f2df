"""The emulator's in-memory account, its ids, and its JSON form for ``--state``."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import string
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.emulator import seed as seed_data
from wizard.files import write_atomic
from wizard.plivo.facts import SIP_DOMAIN

REALM = SIP_DOMAIN  # the digest realm of Plivo's SIP edge
STATE_VERSION = 1
_ALNUM_UPPER = string.ascii_uppercase + string.digits
_ALNUM = string.ascii_letters + string.digits


def ha1(username: str, password: str, realm: str = REALM) -> str:
    """The SIP digest HA1: the only form in which a password is ever kept."""
    return hashlib.md5(f"{username}:{realm}:{password}".encode()).hexdigest()


def random_auth_id() -> str:
    """A fresh auth_id: ``MA`` plus 18 upper-case letters or digits, the form the SDK accepts."""
    return "MA" + "".join(secrets.choice(_ALNUM_UPPER) for _ in range(18))


def random_auth_token() -> str:
    """A fresh 40-character auth token from ``secrets`` (it signs the callbacks)."""
    return "".join(secrets.choice(_ALNUM) for _ in range(40))


class IdGen:
    """Plivo-looking ids from one random stream; seeded for the demo so ids repeat run to run."""

    def __init__(self, seed: str | None = None) -> None:
        self.rng = random.Random(seed) if seed is not None else random.Random(secrets.randbits(64))

    def uuid(self) -> str:
        """A UUID4 string: credential, IP ACL, request and call ids."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def app_id(self) -> str:
        """A 17-digit numeric string, like Plivo's app_ids."""
        return str(self.rng.randrange(10**16, 10**17))

    def nonce(self) -> str:  # Guess: Plivo's nonce format; the SDK treats it as opaque text
        """A 20-digit signature nonce, drawn from ``secrets`` rather than the seeded stream."""
        # never from the seeded stream: a nonce that repeats run to run is a replay
        return str(10**19 + secrets.randbelow(9 * 10**19))


@dataclass
class State:
    """One emulated account: keys, resources, provider routes, calls and SIP lockout counters."""

    auth_id: str
    auth_token: str
    account: dict[str, Any]
    applications: dict[str, dict[str, Any]] = field(default_factory=dict)
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    ip_acls: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, dict[str, Any]] = field(default_factory=dict)
    inventory: dict[str, dict[str, Any]] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[float]] = field(default_factory=dict)  # source IP -> failure times
    locked_until: dict[str, float] = field(default_factory=dict)
    clock_offset: float = 0.0

    # --- lookups -------------------------------------------------------------------------
    def apps_using_credential(self, credential_uuid: str) -> list[str]:
        """The app_ids that use this credential: while any do, deleting it is a 409."""
        return [
            a["app_id"]
            for a in self.applications.values()
            if a.get("credential_uuid") == credential_uuid
        ]

    def apps_using_acl(self, ip_acl_uuid: str) -> list[str]:
        """The app_ids that use this IP ACL: while any do, deleting it is a 409."""
        apps = self.applications.values()
        return [a["app_id"] for a in apps if a.get("ip_acl_uuid") == ip_acl_uuid]

    # --- JSON ------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Everything, for GET state and the state file. Passwords exist only as HA1."""
        return {
            "version": STATE_VERSION,
            "auth_id": self.auth_id,
            "auth_token": self.auth_token,  # the emulator's own token, not a user's secret
            "account": self.account,
            "applications": list(self.applications.values()),
            "credentials": list(self.credentials.values()),
            "ip_acls": list(self.ip_acls.values()),
            "numbers": list(self.numbers.values()),
            "inventory": list(self.inventory.values()),
            "providers": list(self.providers.values()),
            "calls": self.calls,
            "failures": self.failures,
            "locked_until": self.locked_until,
            "clock_offset": self.clock_offset,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        """The state from its ``to_json`` form; another ``version`` is a ValueError."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported state version {data.get('version')!r}")
        return cls(
            auth_id=data["auth_id"],
            auth_token=data["auth_token"],
            account=data["account"],
            applications={a["app_id"]: a for a in data.get("applications", [])},
            credentials={c["credential_uuid"]: c for c in data.get("credentials", [])},
            ip_acls={a["ip_acl_uuid"]: a for a in data.get("ip_acls", [])},
            numbers={n["number"]: n for n in data.get("numbers", [])},
            inventory={n["number"]: n for n in data.get("inventory", [])},
            providers={p["number"]: p for p in data.get("providers", [])},
            calls=list(data.get("calls", [])),
            failures={k: list(v) for k, v in data.get("failures", {}).items()},
            locked_until=dict(data.get("locked_until", {})),
            clock_offset=float(data.get("clock_offset", 0.0)),
        )


SECRET_KEYS = frozenset({"ha1", "auth_token"})


def without_secrets(value: Any) -> Any:
    """A deep copy without the auth token or any HA1 digest: what the control surface serves."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def save_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write the state so a crash never leaves half a file (wizard.files.write_atomic: a
    planted temp name or a symlink at ``path`` cannot redirect it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600: it holds the emulator's auth token
    write_atomic(path, json.dumps(data, indent=1, sort_keys=False) + "\n", mode=0o600)


def load_state(path: Path) -> State:
    """Read a ``--state`` file (ValueError or KeyError when it is not one this version wrote)."""
    with open(path, encoding="utf-8") as fh:
        return State.from_json(json.load(fh))


def new_account(auth_id: str, name: str) -> dict[str, Any]:
    """An account with Plivo's documented field names and invented values."""
    # Field names are documented; the values are invented.
    return {
        "account_type": "standard",
        "address": "",
        "auth_id": auth_id,
        "auto_recharge": False,
        "billing_mode": "prepaid",
        "cash_credits": "25.00000",
        "city": "",
        "name": name,
        "state": "",
        "timezone": "America/Los_Angeles",
    }


def new_application(app_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """An application with Plivo's defaults (POST methods, hangup_url = answer_url), then
    ``fields`` (``default_number_app`` lands in ``default_app``)."""
    answer_url = fields.get("answer_url") or ""
    app = {
        "app_id": app_id,
        "app_name": fields["app_name"],
        "answer_url": answer_url,
        "answer_method": "POST",
        "hangup_url": answer_url,
        "hangup_method": "POST",
        "fallback_answer_url": "",
        "fallback_method": "POST",
        "message_url": "",
        "message_method": "POST",
        "default_app": False,
        "default_endpoint_app": False,
        "enabled": True,
        "public_uri": False,
        "log_incoming_messages": True,
        "sub_account": None,
        "sip_auth_type": "",
        "ip_acl_uuid": "",
        "credential_uuid": "",
    }
    for key, value in fields.items():
        if key == "default_number_app":
            app["default_app"] = value
        elif key in app and key != "app_id":
            app[key] = value
    if "hangup_url" not in fields:
        app["hangup_url"] = app["answer_url"]
    return app


def new_number(details: dict[str, Any], added_on: str, app_id: str = "") -> dict[str, Any]:
    """A rented number made from an inventory item; keeps the item so unrenting restocks it."""
    return {
        "number": details["number"],
        "alias": None,
        "app_id": app_id,
        "added_on": added_on,
        "number_type": details["type"],
        "region": details["region"],
        "country_iso": details["country_iso"],
        "monthly_rental_rate": details["monthly_rental_rate"],
        "sms_enabled": details["sms_enabled"],
        "sms_rate": details["sms_rate"],
        "mms_enabled": details["mms_enabled"],
        "mms_rate": details["mms_rate"],
        "voice_enabled": details["voice_enabled"],
        "voice_rate": details["voice_rate"],
        "details": details,  # kept so an unrented number could return to the inventory
    }


def build_state(
    *, seed: str | None, ids: IdGen, auth_id: str | None, auth_token: str | None
) -> State:
    """A fresh account: empty, or the demo's sample data. The inventory is always there."""
    if seed not in (None, "demo"):
        raise ValueError(f"unknown seed {seed!r}; the only seed is 'demo'")
    if seed == "demo":
        auth_id = auth_id or seed_data.DEMO_AUTH_ID
        auth_token = auth_token or seed_data.DEMO_AUTH_TOKEN
    auth_id = auth_id or random_auth_id()
    auth_token = auth_token or random_auth_token()
    name = seed_data.DEMO_ACCOUNT_NAME if seed == "demo" else "Emulated Account"
    state = State(auth_id=auth_id, auth_token=auth_token, account=new_account(auth_id, name))
    state.inventory = {n["number"]: n for n in seed_data.purchasable_inventory()}
    if seed == "demo":
        _add_demo(state, ids)
    return state


def _add_demo(state: State, ids: IdGen) -> None:
    cred_uuid = ids.uuid()
    state.credentials[cred_uuid] = {
        "credential_uuid": cred_uuid,
        "username": seed_data.DEMO_CREDENTIAL_USERNAME,
        "realm": REALM,
        "ha1": ha1(seed_data.DEMO_CREDENTIAL_USERNAME, seed_data.DEMO_CREDENTIAL_PASSWORD),
    }
    support = new_application(ids.app_id(), dict(seed_data.DEMO_SUPPORT_APP))
    sales = new_application(
        ids.app_id(),
        {**seed_data.DEMO_SALES_APP, "sip_auth_type": "credential", "credential_uuid": cred_uuid},
    )
    for app in (support, sales):
        state.applications[app["app_id"]] = app
    added = seed_data.DEMO_NUMBERS_ADDED_ON
    for number, app_id in (
        (seed_data.DEMO_NUMBER_ASSIGNED, support["app_id"]),
        (seed_data.DEMO_NUMBER_FREE, ""),
    ):
        state.numbers[number] = new_number(seed_data.demo_number_details(number), added, app_id)
