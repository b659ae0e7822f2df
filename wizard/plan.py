"""The Plan: one dataclass tree, loaded from and dumped to TOML.

INTERFACE SKELETON: the dataclasses below are the contract every screen, the
CLI and apply share. load/dump bodies marked NotImplementedError are being
filled in (rules: shared/contracts/plan-toml.md; checks live in validate.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

PLAN_VERSION = 1
OPTIONS = ("direct_sip", "did_forwarding")
DEFAULT_PASSWORD_ENV = "BYON_SIP_PASSWORD"
DEFAULT_CONTENT_TYPE = "audio/x-mulaw;rate=8000"


@dataclass
class AclPlan:
    name: str = ""
    entries: list[str] = field(default_factory=list)
    ip_acl_uuid: str = ""


@dataclass
class CredentialPlan:
    username: str = ""
    password_env: str = DEFAULT_PASSWORD_ENV
    credential_uuid: str = ""


@dataclass
class AuthPlan:
    type: str = "credential"  # "ip_acl" | "credential" | "ip_acl_and_credential"
    ip_acl: AclPlan | None = None
    credential: CredentialPlan | None = None


@dataclass
class ApplicationPlan:
    name: str = ""
    app_id: str = ""
    answer_url: str = ""
    answer_method: str = "POST"
    hangup_url: str = ""


@dataclass
class SearchPlan:
    country_iso: str = "US"
    type: str = "local"
    pattern: str = ""


@dataclass
class ForwardingPlan:
    plivo_number: str = ""  # E.164, or "buy" with `search`
    search: SearchPlan | None = None


@dataclass
class StreamPlan:
    url: str = ""
    bidirectional: bool = True
    keep_call_alive: bool = True
    content_type: str = DEFAULT_CONTENT_TYPE
    audio_track: str = "inbound"


@dataclass
class Plan:
    version: int = PLAN_VERSION
    option: str = "direct_sip"
    external_number: str = ""
    provider: str = "generic"
    auth_id: str = ""  # [account] auth_id; the token always comes from the environment
    application: ApplicationPlan = field(default_factory=ApplicationPlan)
    auth: AuthPlan | None = None
    forwarding: ForwardingPlan | None = None
    stream: StreamPlan | None = None
    source: Path | None = field(default=None, compare=False)  # the file it came from


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file; raise PlanError naming file, line and key."""
    raise NotImplementedError


def loads_plan(text: str, *, filename: str = "<plan>") -> Plan:
    raise NotImplementedError


def dump_plan(plan: Plan) -> str:
    """TOML text for the plan (tomli-w). Never contains a secret."""
    raise NotImplementedError


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write the plan atomically; when the file exists, keep the user's comments."""
    raise NotImplementedError


def write_back_ids(path: str | Path, ids: dict[str, str]) -> None:
    """Set learned ids (keys: "application.app_id", "auth.ip_acl.ip_acl_uuid",
    "auth.credential.credential_uuid", "forwarding.plivo_number") in the file
    atomically, keeping comments and layout."""
    raise NotImplementedError
