"""The Plan: one dataclass tree, loaded from and dumped to TOML.

The dataclasses are the contract every screen, the CLI and apply share.
Rules: shared/contracts/plan-toml.md; the checks themselves live in
validate.py so the wizard's forms and the plan file can never disagree.
"""

from __future__ import annotations

import copy
import difflib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import ByonError, PlanError
from wizard.files import NotRegularFile, TooLarge, read_regular, write_atomic
from wizard.plans.findings import Finding
from wizard.plans.validate import check_e164, normalize_e164, validate_plan

PLAN_VERSION = 1
MAX_PLAN_BYTES = 256 * 1024  # a real plan is a few hundred bytes
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


# --- the schema --------------------------------------------------------------------------------

_TABLE = "table"
_LIST_STR = "list of strings"
# table path -> key -> type. Order is the order dump_plan writes.
SCHEMA: dict[str, dict[str, object]] = {
    "": {
        "version": int,
        "account": _TABLE,
        "route": _TABLE,
        "application": _TABLE,
        "auth": _TABLE,
        "forwarding": _TABLE,
        "stream": _TABLE,
    },
    "account": {"auth_id": str},
    "route": {"option": str, "external_number": str, "provider": str},
    "application": {
        "name": str,
        "app_id": str,
        "answer_url": str,
        "answer_method": str,
        "hangup_url": str,
    },
    "auth": {"type": str, "ip_acl": _TABLE, "credential": _TABLE},
    "auth.ip_acl": {"name": str, "ip_acl_uuid": str, "entries": _LIST_STR},
    "auth.credential": {"username": str, "credential_uuid": str, "password_env": str},
    "forwarding": {"plivo_number": str, "search": _TABLE},
    "forwarding.search": {"country_iso": str, "type": str, "pattern": str},
    "stream": {
        "url": str,
        "bidirectional": bool,
        "keep_call_alive": bool,
        "content_type": str,
        "audio_track": str,
    },
}
# Keys that must be written out, because a default would silently pick something.
REQUIRED = {
    "": ("version", "route", "application"),
    "route": ("option",),
    "application": ("name", "answer_url"),
    "auth": ("type",),
    "auth.ip_acl": ("name", "entries"),
    "auth.credential": ("username",),
    "forwarding": ("plivo_number",),
    "stream": ("url",),
}
_SECRET_KEYS = {
    "password",
    "passwd",
    "pass",
    "secret",
    "sip_password",
    "auth_token",
    "token",
    "plivo_auth_token",
    "api_key",
    "api_secret",
}
_TYPE_NAMES = {str: "a string", bool: "true or false", int: "an integer", _TABLE: "a table"}


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time" if value is not None else "nothing"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- line numbers ------------------------------------------------------------------------------

_KEYPART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+)'
_HEADER = re.compile(rf"^\s*\[(?!\[)\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*\]")
_ARRAY_HEADER = re.compile(rf"^\s*\[\[\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*\]\]")
_KEYLINE = re.compile(rf"^\s*({_KEYPART}(?:\s*\.\s*{_KEYPART})*)\s*=")


def _split_key(dotted: str) -> list[str]:
    parts = re.findall(_KEYPART, dotted)
    out = []
    for p in parts:
        if p[:1] in "\"'":
            p = p[1:-1]
        out.append(p)
    return out


class LineIndex:
    """Where each dotted key (and table header) sits in a TOML text.

    tomllib gives no positions, so this is a light line scan: table headers,
    ``key =`` lines, and multi-line strings skipped. Good enough to point a
    user at the right line; keys inside inline tables map to the line of
    their table's key.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.keys: dict[str, int] = {}
        self.headers: dict[str, int] = {}
        table = ""
        in_ml: str | None = None
        for n, raw in enumerate(self.lines, start=1):
            if in_ml:
                if raw.count(in_ml) % 2 == 1:
                    in_ml = None
                continue
            m = _ARRAY_HEADER.match(raw) or _HEADER.match(raw)
            if m:
                table = ".".join(_split_key(m.group(1)))
                self.headers.setdefault(table, n)
                self.keys.setdefault(table, n)
                continue
            m = _KEYLINE.match(raw)
            if m:
                full = ".".join(
                    [table, *_split_key(m.group(1))] if table else _split_key(m.group(1))
                )
                self.keys.setdefault(full, n)
                rest = raw[m.end() :]
                for q in ('"""', "'''"):
                    if rest.count(q) % 2 == 1:
                        in_ml = q
                        break

    def line_of(self, key: str, value: object = None) -> int:
        """The line of ``key`` (``a.b.c`` or ``a.b.c[2]``), else of its nearest table, else 1."""
        m = re.fullmatch(r"(.*)\[(\d+)\]", key)
        if m:
            base = self.line_of(m.group(1))
            if isinstance(value, str) and value:
                for q in (f'"{value}"', f"'{value}'"):
                    for n in range(base, len(self.lines) + 1):
                        if q in self.lines[n - 1]:
                            return n
            return base
        probe = key
        while probe:
            if probe in self.keys:
                return self.keys[probe]
            probe = probe.rpartition(".")[0]
        return 1


# --- loading -----------------------------------------------------------------------------------


def _lookup(data: dict[str, Any], key: str) -> object:
    m = re.fullmatch(r"(.*)\[(\d+)\]", key)
    idx = int(m.group(2)) if m else None
    node: object = data
    for part in (m.group(1) if m else key).split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if idx is not None:
        return node[idx] if isinstance(node, list) and idx < len(node) else None
    return node


def _secret_message(key: str) -> str:
    if "token" in key:
        return (
            "secrets never go in plan files: the auth token comes from PLIVO_AUTH_TOKEN in "
            "the environment; remove this key"
        )
    return (
        "secrets never go in plan files: put the password in an environment variable and "
        "name it in [auth.credential] with "
        f'password_env = "{DEFAULT_PASSWORD_ENV}"; remove this key'
    )


def _unknown_message(path: str, key: str, value: object) -> str:
    allowed = list(SCHEMA.get(path, {}))
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    what = "table" if isinstance(value, dict) else "key"
    where = f"in [{path}]" if path else "at the top level"
    shown = ", ".join(allowed) if allowed else "none"
    return f"unknown {what} {where}; {hint}allowed: {shown}"


def _check_shape(data: dict[str, Any], path: str, problems: list[tuple[str, str]]) -> None:
    """Unknown keys, secrets, wrong types and missing required keys, in file order."""
    spec = SCHEMA[path]
    for key, value in data.items():
        full = _join(path, key)
        if key.lower() in _SECRET_KEYS or key.lower().endswith(("_password", "_token", "_secret")):
            problems.append((full, _secret_message(key.lower())))
            continue
        if key not in spec:
            problems.append((full, _unknown_message(path, key, value)))
            continue
        want = spec[key]
        if want is _TABLE:
            if isinstance(value, dict):
                _check_shape(value, full, problems)
            else:
                problems.append((full, f"must be a table [{full}], not {_type_name(value)}"))
        elif want == _LIST_STR:
            if not isinstance(value, list):
                problems.append(
                    (
                        full,
                        f'must be a list of strings like ["203.0.113.10"], not {_type_name(value)}',
                    )
                )
            else:
                for i, item in enumerate(value):
                    if not isinstance(item, str):
                        problems.append(
                            (f"{full}[{i}]", f"must be a string in quotes, not {_type_name(item)}")
                        )
        elif want is int:
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append((full, f"must be an integer, not {_type_name(value)}"))
        elif not isinstance(value, want):  # type: ignore[arg-type]
            problems.append((full, f"must be {_TYPE_NAMES[want]}, not {_type_name(value)}"))
    for key in REQUIRED.get(path, ()):
        if key not in data:
            full = _join(path, key)
            what = f"table [{full}]" if spec[key] is _TABLE else "key"
            problems.append((full, f"missing {what}: it is required"))


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
        PlanError(msg, file=filename, line=index.line_of(key, _lookup(data, key)), key=key)
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
        shown = repr(version) if isinstance(version, int | str | float) else _type_name(version)
        raise PlanError(
            f"version {shown} is not supported; this byon reads plans with version = 1",
            file=filename,
            line=index.line_of("version"),
            key="version",
        )
    problems: list[tuple[str, str]] = []
    _check_shape(data, "", problems)
    if problems:
        _raise(problems, index, data, filename)
    plan = _build(data)
    findings = validate_plan(plan) if check else []
    errors = [(f.key, f.message) for f in findings if f.is_error]
    if errors:
        _raise(errors, index, data, filename)
    return plan, [f for f in findings if not f.is_error]


def loads_plan(text: str, *, filename: str = "<plan>", check: bool = True) -> Plan:
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
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    index = LineIndex(text)
    return [f"{path}:{index.line_of(w.key)}: {w.key}: warning: {w.message}" for w in warnings]


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

    return _HEADER_COMMENT + tomli_w.dumps(plan_to_dict(plan))


def _atomic_write(path: Path, text: str) -> None:
    """wizard.files.write_atomic, with its failures as a PlanError naming the file."""
    try:
        write_atomic(path, text)
    except OSError as exc:
        raise _write_error(path, exc) from None
    except ByonError as exc:  # a symlink or a non-file at the path: refused, nothing written
        raise PlanError(str(exc)) from None


def _write_error(path: Path, exc: OSError) -> PlanError:
    return PlanError(
        f"cannot be written ({exc.strerror or exc}); the old file, if any, is unchanged: "
        "check that the directory exists and is writable",
        file=str(path),
    )


def _toml_value(value: object) -> str:
    """One-line TOML for a value (arrays inline, so an edit stays on its line)."""
    import tomli_w

    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


def _edit_text(text: str, changes: dict[str, object]) -> str | None:
    """``text`` with each dotted key's value replaced in place (comments kept), or None
    when a change cannot be made as a one-line edit (a multi-line value, a missing table)."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    for key, value in changes.items():
        table, _, leaf = key.rpartition(".")
        index = LineIndex("".join(lines))
        rendered = _toml_value(value)
        if "\n" in rendered:
            return None
        if key in index.keys:
            n = index.keys[key]
            raw = lines[n - 1]
            m = _KEYLINE.match(raw)
            if not m or _split_key(m.group(1))[-1] != leaf:
                return None
            rest = raw[m.end() :]
            # Keep a trailing comment when the old value is a simple one-line scalar.
            vm = re.match(
                r'\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|\[[^\]#"\']*\]|\[(?:\s*"[^"#\\]*"\s*,?)*\s*\]'
                r"|true|false|[-+0-9A-Za-z_.:]+)(\s*(#.*)?)$",
                rest.rstrip("\r\n"),
            )
            if not vm:
                return None
            tail = vm.group(2) or ""
            if vm.group(3):
                # Keep a trailing comment in its column when the value grows or shrinks.
                pad = len(tail) - len(tail.lstrip()) - (len(rendered) - len(vm.group(1)))
                tail = " " * max(1, pad) + tail.lstrip()
            ending = raw[len(raw.rstrip("\r\n")) :] or newline
            lines[n - 1] = f"{raw[: m.end()]} {rendered}{tail}{ending}"
        elif table and table in index.headers:
            n = index.headers[table]
            if n - 1 < len(lines) and not lines[n - 1].endswith(("\n", "\r")):
                lines[n - 1] += newline
            lines.insert(n, f"{leaf} = {rendered}{newline}")
        else:
            return None
    return "".join(lines)


_ID_KEYS = (
    "application.app_id",
    "auth.ip_acl.ip_acl_uuid",
    "auth.credential.credential_uuid",
    "forwarding.plivo_number",
)


def _set_dotted(plan: Plan, key: str, value: str) -> None:
    if key not in _ID_KEYS:
        raise PlanError(f"is not an id apply learns; one of {', '.join(_ID_KEYS)}", key=key)
    if key == "application.app_id":
        plan.application.app_id = value
    elif key == "auth.ip_acl.ip_acl_uuid" and plan.auth and plan.auth.ip_acl:
        plan.auth.ip_acl.ip_acl_uuid = value
    elif key == "auth.credential.credential_uuid" and plan.auth and plan.auth.credential:
        plan.auth.credential.credential_uuid = value
    elif key == "forwarding.plivo_number" and plan.forwarding:
        plan.forwarding.plivo_number = value
    else:
        table = key.rpartition(".")[0]
        raise PlanError(f"cannot write this id back: the plan has no [{table}] table", key=key)


def _diff(old: dict[str, Any], new: dict[str, Any], path: str = "") -> dict[str, object] | None:
    """Leaf changes from old to new, or None when tables appear or vanish."""
    changes: dict[str, object] = {}
    for key in old.keys() | new.keys():
        full = _join(path, key)
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            if not (isinstance(a, dict) and isinstance(b, dict)):
                return None
            sub = _diff(a, b, full)
            if sub is None:
                return None
            changes.update(sub)
        elif a != b:
            if b is None and a == "":
                continue  # dump leaves out empty optional keys; the file may keep them
            if b is None:
                return None  # a key to delete: leave it to a fresh dump
            changes[full] = b
    return changes


def save_plan(plan: Plan, path: str | Path) -> Path:
    """Write the plan atomically; when the file exists, keep the user's comments
    (values are edited in place; a structural change rewrites the file)."""
    path = Path(path)
    text = dump_plan(plan)
    try:
        old_text = read_regular(path, limit=MAX_PLAN_BYTES).decode("utf-8")
        old_data = tomllib.loads(old_text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        old_text, old_data = None, None
    if old_text is not None and old_data is not None:
        changes = _diff(old_data, plan_to_dict(plan))
        edited = _edit_text(old_text, changes) if changes is not None else None
        if edited is not None and _same(edited, plan):
            text = edited
    _atomic_write(path, text)
    plan.source = path
    return path


def _same(text: str, plan: Plan) -> bool:
    try:
        return loads_plan(text, check=False) == plan
    except PlanError:
        return False


def write_back_ids(path: str | Path, ids: dict[str, str]) -> None:
    """Set learned ids (keys: "application.app_id", "auth.ip_acl.ip_acl_uuid",
    "auth.credential.credential_uuid", "forwarding.plivo_number") in the file
    atomically, keeping comments and layout."""
    path = Path(path)
    text = _read(path)
    plan = loads_plan(text, filename=str(path), check=False)
    want = copy.deepcopy(plan)
    for key, value in ids.items():
        try:
            _set_dotted(want, key, value)
        except PlanError as exc:
            raise PlanError(exc.message, file=str(path), key=key) from None
    edited = _edit_text(text, dict(ids))
    if edited is None or not _same(edited, want):
        edited = dump_plan(want)  # structure we cannot edit line by line: rewrite it whole
    if edited != text:
        _atomic_write(path, edited)
