"""The Plan: one dataclass tree, loaded from and written to TOML.

The dataclasses are the contract every screen, the CLI and apply share.
Rules: shared/contracts/plan-toml.md. The file's shape is in schema.py, the
meaning of its values in validate.py (so the wizard's forms and the plan file
can never disagree), comment-keeping edits in tomledit.py, and key lines for
messages in lines.py. ``set_id`` is the one way an id learned from the account
enters a plan.
"""

from __future__ import annotations

import copy
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import ByonError, PlanError
from wizard.files import NotRegularFile, TooLarge, read_regular, write_atomic
from wizard.numbers import with_plus
from wizard.plans.findings import Finding
from wizard.plans.lines import LineIndex, lookup
from wizard.plans.schema import DEFAULT_PASSWORD_ENV, check_shape, type_name
from wizard.plans.validate import check_e164, normalize_e164, validate_plan

PLAN_VERSION = 1
MAX_PLAN_BYTES = 256 * 1024  # a real plan is a few hundred bytes
OPTIONS = ("direct_sip", "did_forwarding")
DEFAULT_CONTENT_TYPE = "audio/x-mulaw;rate=8000"


@dataclass
class AclPlan:
    """[auth.ip_acl]: the provider's signalling addresses."""

    name: str = ""
    entries: list[str] = field(default_factory=list)
    ip_acl_uuid: str = ""


@dataclass
class CredentialPlan:
    """[auth.credential]: the SIP username and the variable holding its password."""

    username: str = ""
    password_env: str = DEFAULT_PASSWORD_ENV
    credential_uuid: str = ""


@dataclass
class AuthPlan:
    """[auth]: how Plivo authenticates the provider (direct_sip only)."""

    type: str = "credential"  # "ip_acl" | "credential" | "ip_acl_and_credential"
    ip_acl: AclPlan | None = None
    credential: CredentialPlan | None = None


@dataclass
class ApplicationPlan:
    """[application]: the Plivo application calls reach."""

    name: str = ""
    app_id: str = ""
    answer_url: str = ""
    answer_method: str = "POST"
    hangup_url: str = ""


@dataclass
class SearchPlan:
    """[forwarding.search]: which number to buy when plivo_number = "buy"."""

    country_iso: str = "US"
    type: str = "local"
    pattern: str = ""


@dataclass
class ForwardingPlan:
    """[forwarding]: the Plivo number the provider forwards to (did_forwarding only)."""

    plivo_number: str = ""  # E.164, or "buy" with `search`
    search: SearchPlan | None = None


@dataclass
class StreamPlan:
    """[stream]: the <Stream> XML the answer_url should return."""

    url: str = ""
    bidirectional: bool = True
    keep_call_alive: bool = True
    content_type: str = DEFAULT_CONTENT_TYPE
    audio_track: str = "inbound"


@dataclass
class Plan:
    """A whole plan file; ``source`` is the file it came from (not compared)."""

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


class PlanErrors(PlanError):
    """Several problems at once. ``str`` is one ``file:line: key: message`` per line;
    ``file``/``line``/``key`` are the first problem's, ``problems`` holds them all."""

    def __init__(self, problems: list[PlanError]):
        first = problems[0]
        super().__init__(first.message, file=first.file, line=first.line, key=first.key)
        self.problems = problems
        self.message = "\n".join(str(p) for p in problems)
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message


# --- loading -----------------------------------------------------------------------------------


def _build(data: dict[str, Any]) -> Plan:
    """A Plan from a dict whose shape has been checked."""
    route = data.get("route", {})
    app = data.get("application", {})
    plan = Plan(
        version=data.get("version", PLAN_VERSION),
        option=route.get("option", "direct_sip"),
        external_number=route.get("external_number", ""),
        provider=route.get("provider", "generic"),
        auth_id=data.get("account", {}).get("auth_id", ""),
        application=ApplicationPlan(**app),
    )
    if "auth" in data:
        a = dict(data["auth"])
        acl = a.pop("ip_acl", None)
        cred = a.pop("credential", None)
        plan.auth = AuthPlan(
            **a,
            ip_acl=AclPlan(**acl) if acl is not None else None,
            credential=CredentialPlan(**cred) if cred is not None else None,
        )
    if "forwarding" in data:
        fw = dict(data["forwarding"])
        search = fw.pop("search", None)
        plan.forwarding = ForwardingPlan(
            **fw, search=SearchPlan(**search) if search is not None else None
        )
    if "stream" in data:
        plan.stream = StreamPlan(**data["stream"])
    # One spelling of each number, so a diff never shows "+1 415..." vs "+1415...".
    if not check_e164(plan.external_number):
        plan.external_number = normalize_e164(plan.external_number)
    fw = plan.forwarding
    if fw and fw.plivo_number != "buy" and not check_e164(fw.plivo_number):
        plan.forwarding.plivo_number = normalize_e164(plan.forwarding.plivo_number)
    return plan


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, filename: str) -> PlanError:
    msg = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", msg)
    line: int | None = None
    if m:
        line = int(m.group(1))
        msg = msg[: m.start()] + f" (column {m.group(2)})"
    elif msg.endswith("(at end of document)"):
        line = max(1, len(text.splitlines()))
        msg = msg.replace(" (at end of document)", " at the end of the file")
    return PlanError(
        f"not valid TOML: {msg}; fix the syntax on that line", file=filename, line=line
    )


def _raise(problems: list[tuple[str, str]], index: LineIndex, data: dict, filename: str) -> None:
    errors = [
        PlanError(msg, file=filename, line=index.line_of(key, lookup(data, key)), key=key)
        for key, msg in problems
    ]
    if len(errors) == 1:
        raise errors[0]
    raise PlanErrors(errors)


def loads_plan_with_warnings(
    text: str, *, filename: str = "<plan>", check: bool = True
) -> tuple[Plan, list[Finding]]:
    """Parse and validate plan text. Errors raise PlanError (all of them, one per line);
    warnings come back. ``check=False`` enforces only syntax, keys and types (a draft)."""
    try:
        return _loads(text, filename, check)
    except RecursionError:
        raise PlanError(
            "is nested far too deeply to be a plan (arrays or tables inside each other); "
            "check that this is the right file",
            file=filename,
        ) from None


def _loads(text: str, filename: str, check: bool) -> tuple[Plan, list[Finding]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, filename) from None
    index = LineIndex(text)
    version = data.get("version")
    bad_type = not isinstance(version, int) or isinstance(version, bool)
    if "version" in data and (bad_type or version != PLAN_VERSION):
        shown = repr(version) if isinstance(version, int | str | float) else type_name(version)
        raise PlanError(
            f"version {shown} is not supported; this byon reads plans with version = 1",
            file=filename,
            line=index.line_of("version"),
            key="version",
        )
    problems: list[tuple[str, str]] = []
    check_shape(data, "", problems)
    if problems:
        _raise(problems, index, data, filename)
    plan = _build(data)
    findings = validate_plan(plan) if check else []
    errors = [(f.key, f.message) for f in findings if f.is_error]
    if errors:
        _raise(errors, index, data, filename)
    return plan, [f for f in findings if not f.is_error]


def loads_plan(text: str, *, filename: str = "<plan>", check: bool = True) -> Plan:
    """Parse and validate plan text; PlanError naming file, line and key."""
    return loads_plan_with_warnings(text, filename=filename, check=check)[0]


def _read(path: Path) -> str:
    try:
        # Bytes, then decode: read_text would turn CRLF into LF and edits would change them all.
        return read_regular(path, limit=MAX_PLAN_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise PlanError("no such file; check the path", file=str(path)) from None
    except IsADirectoryError:
        raise PlanError("is a directory, not a plan file", file=str(path)) from None
    except NotRegularFile:
        raise PlanError(
            "is not a regular file (a pipe, device or socket); give a plan file", file=str(path)
        ) from None
    except TooLarge:
        raise PlanError(
            f"is larger than {MAX_PLAN_BYTES // 1024} KiB, far more than any plan; check the path",
            file=str(path),
        ) from None
    except UnicodeDecodeError as exc:
        raise PlanError(
            f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=str(path)
        ) from None
    except OSError as exc:
        raise PlanError(f"cannot be read ({exc.strerror})", file=str(path)) from None


def load_plan_with_warnings(path: str | Path, *, check: bool = True) -> tuple[Plan, list[Finding]]:
    """Read and validate a plan file: (plan, its warnings); PlanError on any error."""
    path = Path(path)
    plan, warnings = loads_plan_with_warnings(_read(path), filename=str(path), check=check)
    plan.source = path
    return plan, warnings


def load_plan(path: str | Path, *, check: bool = True) -> Plan:
    """Read and validate a plan file; raise PlanError naming file, line and key."""
    return load_plan_with_warnings(path, check=check)[0]


def format_warnings(
    warnings: list[Finding], path: str | Path, text: str | None = None
) -> list[str]:
    """``file:line: key: warning: message`` lines for warnings from a plan file."""
    at = key_locator(path, text)
    return [f"{at(w.key)}: warning: {w.message}" for w in warnings]


def key_locator(path: str | Path, text: str | None = None) -> Callable[[str], str]:
    """``key -> "file:line: key"`` for messages about a plan file's keys (cli.md: bad
    input names the file, line and key); the file is read once, here."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    index = LineIndex(text)
    return lambda key: f"{path}:{index.line_of(key)}: {key}"


def load_plan_or_exit(path: str | Path) -> Plan:
    """For commands: the plan, with warnings on stderr; on any problem print it and exit 2."""
    try:
        plan, warnings = load_plan_with_warnings(path)
    except PlanError as exc:
        print(f"byon: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for line in format_warnings(warnings, path):
        print(f"byon: {line}", file=sys.stderr)
    return plan


# --- writing -----------------------------------------------------------------------------------


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The TOML document as a dict, keys in the order of plan-toml.md, no empty sections."""
    doc: dict[str, Any] = {"version": plan.version}
    if plan.auth_id:
        doc["account"] = {"auth_id": plan.auth_id}
    doc["route"] = {
        "option": plan.option,
        "external_number": plan.external_number,
        "provider": plan.provider,
    }
    app = plan.application
    doc["application"] = {
        "name": app.name,
        "app_id": app.app_id,
        "answer_url": app.answer_url,
        "answer_method": app.answer_method,
    }
    if app.hangup_url:
        doc["application"]["hangup_url"] = app.hangup_url
    if plan.auth is not None:
        auth: dict[str, Any] = {"type": plan.auth.type}
        if plan.auth.ip_acl is not None:
            acl = plan.auth.ip_acl
            auth["ip_acl"] = {
                "name": acl.name,
                "ip_acl_uuid": acl.ip_acl_uuid,
                "entries": list(acl.entries),
            }
        if plan.auth.credential is not None:
            c = plan.auth.credential
            auth["credential"] = {
                "username": c.username,
                "credential_uuid": c.credential_uuid,
                "password_env": c.password_env,
            }
        doc["auth"] = auth
    if plan.forwarding is not None:
        fw: dict[str, Any] = {"plivo_number": plan.forwarding.plivo_number}
        if plan.forwarding.search is not None:
            s = plan.forwarding.search
            fw["search"] = {"country_iso": s.country_iso, "type": s.type, "pattern": s.pattern}
        doc["forwarding"] = fw
    if plan.stream is not None:
        s2 = plan.stream
        doc["stream"] = {
            "url": s2.url,
            "bidirectional": s2.bidirectional,
            "keep_call_alive": s2.keep_call_alive,
            "content_type": s2.content_type,
            "audio_track": s2.audio_track,
        }
    return doc


_HEADER_COMMENT = (
    "# byon plan (see `byon settings --list-providers`; apply with `byon apply`).\n"
    "# No secret belongs here: the SIP password is read from the variable\n"
    "# named by password_env.\n\n"
)


def dump_plan(plan: Plan) -> str:
    """TOML text for the plan (tomli-w). Never contains a secret: the dataclasses hold none."""
    import tomli_w

    return _HEADER_COMMENT + _escape_hidden(tomli_w.dumps(plan_to_dict(plan)))


# Characters tomli-w writes raw that change a terminal or how text reads: C1 controls (0x9b
# is a one-byte CSI), bidi overrides and other format characters, line separators, private
# use. In its output they can only sit inside basic strings (keys or values), where a
# \uXXXX escape reads back as the same character.
_NON_ASCII = re.compile(r"[^\x00-\x7e]")
_HIDDEN = ("Cf", "Zl", "Zp", "Co")


def _escape_hidden(text: str) -> str:
    import unicodedata

    def one(match: re.Match[str]) -> str:
        ch = match.group(0)
        code = ord(ch)
        if code <= 0x9F or unicodedata.category(ch) in _HIDDEN:
            return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
        return ch

    return _NON_ASCII.sub(one, text)


def _write_error(path: Path, exc: OSError) -> PlanError:
    return PlanError(
        f"cannot be written ({exc.strerror or exc}); the old file, if any, is unchanged: "
        "check that the directory exists and is writable",
        file=str(path),
    )


def _write(path: Path, text: str) -> None:
    """Through the one atomic writer; its refusals become PlanErrors naming the file."""

    try:
        write_atomic(path, text)
    except OSError as exc:
        raise _write_error(path, exc) from None
    except PlanError:
        raise
    except ByonError as exc:
        raise PlanError(f"cannot be written: {exc}", file=str(path)) from None


def _same(text: str, plan: Plan) -> bool:
    try:
        return loads_plan(text, check=False) == plan
    except PlanError:
        return False


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write the plan atomically; when the file exists, keep the user's comments and
    layout (tomlkit edits only the values that changed)."""
    from wizard.plans.tomledit import edit_toml

    path = Path(path)
    text = dump_plan(plan)
    old_text = _read_existing(path)
    if old_text is not None:
        try:
            edited = edit_toml(old_text, plan_to_dict(plan))
        except Exception:  # not TOML any more (edited by hand): a fresh dump replaces it
            edited = None
        if edited is not None and _same(edited, plan):
            text = edited
    _write(path, text)
    plan.source = path
    return path


def _read_existing(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


# kind of resource -> where its id lives in the plan file
ID_KEYS = {
    "application": "application.app_id",
    "ip_acl": "auth.ip_acl.ip_acl_uuid",
    "credential": "auth.credential.credential_uuid",
    "number": "forwarding.plivo_number",
}


def _id_slot(plan: Plan, kind: str) -> tuple[Any, str]:
    """(the object holding ``kind``'s id, its attribute); PlanError when the table is missing."""
    if kind not in ID_KEYS:
        raise PlanError(f"is not an id apply learns; one of {', '.join(ID_KEYS)}", key=kind)
    auth = plan.auth
    slots = {
        "application": (plan.application, "app_id"),
        "ip_acl": (auth.ip_acl if auth else None, "ip_acl_uuid"),
        "credential": (auth.credential if auth else None, "credential_uuid"),
        "number": (plan.forwarding, "plivo_number"),
    }
    target, attr = slots[kind]
    if target is None:
        table = ID_KEYS[kind].rpartition(".")[0]
        raise PlanError(
            f"cannot write this id back: the plan has no [{table}] table", key=ID_KEYS[kind]
        )
    return target, attr


def set_id(plan: Plan, kind: str, rid: str) -> bool:
    """Put an id the account gave us into the plan; True when the plan changed.

    The one way ids learned by apply enter a plan (the wizard's and the CLI's). Numbers
    are written in E.164. Raises PlanError when the plan has no table for the id."""
    target, attr = _id_slot(plan, kind)
    if not rid:
        return False
    if kind == "number":
        rid = with_plus(rid)
    if getattr(target, attr) == rid:
        return False
    setattr(target, attr, rid)
    return True


def write_back_ids(path: str | Path, ids: dict[str, str]) -> list[str]:
    """Set learned ids (kind -> id, see ID_KEYS) in the plan file atomically, keeping
    every comment and changing only those values. Returns the keys it changed."""
    from wizard.plans.tomledit import set_values

    path = Path(path)
    text = _read(path)
    plan = loads_plan(text, filename=str(path), check=False)
    want = copy.deepcopy(plan)
    changed: dict[tuple[str, ...], str] = {}
    for kind, rid in ids.items():
        try:
            if set_id(want, kind, rid):
                target, attr = _id_slot(want, kind)
                changed[tuple(ID_KEYS[kind].split("."))] = getattr(target, attr)
        except PlanError as exc:
            raise PlanError(exc.message, file=str(path), key=exc.key) from None
    if not changed:
        return []
    try:
        edited = set_values(text, changed)
    except Exception:  # a layout tomlkit cannot edit in place: rewrite the file whole
        edited = None
    if edited is None or not _same(edited, want):
        edited = dump_plan(want)
    _write(path, edited)
    return [".".join(k) for k in changed]
