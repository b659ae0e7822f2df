"""Point an application's answer_url at the listener for a while, crash-safely.

Before the change a journal in the state dir records the original answer_url and
who holds the takeover (pid, host, listener URL); the change is undone on exit, and
any byon command that finds a journal left by a process that died (kill -9, power
loss) puts the original back and says so.

Two runs must never fight over one app (the second would record the first's listener
as "the original" and leave the app on a dead URL for good), so:
- the URL byon sets carries a mark (``?byon_takeover=TOKEN``, TOKEN naming the holder),
  and a takeover refuses to start while the answer_url carries someone else's mark;
- restoring is compare-and-swap: only while the answer_url is still exactly the marked
  URL this journal set. A journal can therefore only undo what byon itself set, and a
  tampered one cannot re-point an app that is not under its own takeover.
Plivo has no conditional update, so the compare and the swap are two requests; a change
made in the milliseconds between them would be overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wizard.errors import ByonError, NotFound
from wizard.files import read_private, state_dir, write_atomic
from wizard.text import plain

JOURNAL_PREFIX = "takeover-"
MARK = "byon_takeover"


def journal_path_for(app_id: str, directory: Path | None = None) -> Path:
    """The takeover journal of one app, in the state dir."""
    safe = "".join(ch for ch in app_id if ch.isalnum() or ch in "-_") or "app"
    return (directory or state_dir()) / f"{JOURNAL_PREFIX}{safe}.json"


# ---------------------------------------------------------------- the mark in the URL


def new_token() -> str:
    """``RANDOM.PID.HOST``: unguessable, and it says who holds the takeover."""
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-.")[:60]
    return f"{secrets.token_hex(6)}.{os.getpid()}.{host or 'unknown'}"


def marked_url(url: str, token: str) -> str:
    """``url`` with ``byon_takeover=token`` added to its query (Plivo signs the whole URL)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != MARK]
    query.append((MARK, token))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def mark_of(url: str) -> str:
    """The takeover token in an answer_url ("" when byon did not set it)."""
    try:
        query = parse_qsl(urlsplit(url or "").query, keep_blank_values=True)
    except ValueError:
        return ""
    return next((v for k, v in query if k == MARK), "")


def holder_of(token: str) -> str:
    """Who holds a takeover, from its token (untrusted: it came from the account)."""
    _rand, _, rest = token.partition(".")
    pid, _, host = rest.partition(".")
    if not (pid.isascii() and pid.isdigit()):
        return "another byon run"
    return f"byon process {pid[:10]} on host {plain(host, 60) or 'unknown'}"


# ---------------------------------------------------------------- journals


def _client_identity(client: Any) -> tuple[str, str]:
    auth_id = getattr(client, "auth_id", "") or ""
    base = getattr(client, "base_url", "") or getattr(client, "api_url", "") or ""
    return str(auth_id), str(base).rstrip("/")


def _pid_alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (killed, not yet reaped) is dead for our purposes
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


# Tokens of the takeovers this process holds now: its own pid in a journal means "alive"
# only for these (a container's byon is often pid 1 on every run).
_HELD: set[str] = set()


def _holder_alive(data: dict[str, Any]) -> bool:
    """True unless the holder surely died: on another host byon cannot tell, so it waits."""
    if data.get("token") in _HELD:
        return True
    if data.get("host") and data["host"] != socket.gethostname():
        return True
    try:
        return _pid_alive(int(data.get("pid") or 0))
    except (TypeError, ValueError):
        return False


def read_journal(path: Path) -> dict[str, Any] | None:
    """A takeover journal this user's byon wrote (None when absent); ByonError otherwise."""
    raw = read_private(path, limit=64 * 1024)
    if raw is None:
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        for key in ("app_id", "answer_url", "listener_url", "token"):
            if not isinstance(data[key], str):
                raise TypeError(f"{key} is not a string")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ByonError(f"the takeover journal {path} is unreadable ({exc})") from None
    return data


class Takeover:
    """``async with Takeover(client, app_id, listener_url):`` or begin()/restore()."""

    def __init__(
        self,
        client: Any,
        app_id: str,
        listener_url: str,
        journal_path: str | Path | None = None,
    ) -> None:
        self.client = client
        self.app_id = app_id
        self.listener_url = listener_url
        self.journal_path = Path(journal_path) if journal_path else journal_path_for(app_id)
        self.token = new_token()
        self.url = marked_url(listener_url, self.token)  # what the app answers at meanwhile
        self.original: dict[str, Any] | None = None
        self.active = False

    async def begin(self) -> dict[str, Any]:
        """Refuse when another run holds the app; else journal, then point it here."""
        await self._clear_leftover()
        app = await self.client.get_application(self.app_id)
        theirs = mark_of(app.answer_url)
        if theirs:
            raise ByonError(
                f"Application {self.app_id} already answers at a byon listener "
                f"({plain(app.answer_url)}), held by {holder_of(theirs)}.",
                hint="Stop that run first. If it died on another machine or state dir, run "
                "any byon command there, or set the app's answer_url back in the console.",
            )
        auth_id, api_url = _client_identity(self.client)
        self.original = {
            "app_id": self.app_id,
            "answer_url": app.answer_url,
            "answer_method": app.answer_method or "POST",
            "listener_url": self.url,
            "token": self.token,
            "time": time.time(),
            "api_url": api_url,
            "auth_id": auth_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        self.journal_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.journal_path, json.dumps(self.original, indent=2), mode=0o600)
        self.active = True
        _HELD.add(self.token)
        try:
            await self.client.update_application(
                self.app_id, answer_url=self.url, answer_method="POST"
            )
        except BaseException:
            # the update may have landed before the error: put the original back
            with contextlib.suppress(Exception):
                await self.restore()
            raise
        return self.original

    async def _clear_leftover(self) -> None:
        """A journal for this app: refuse while its holder lives, restore it if it died."""
        data = read_journal(self.journal_path)
        if data is None:
            return
        if _holder_alive(data):
            raise ByonError(
                f"Application {self.app_id} is already taken over by byon process "
                f"{data.get('pid')} on host {data.get('host') or 'unknown'} (listener "
                f"{data['listener_url'][:200]}; journal {self.journal_path}).",
                hint="Stop that run first; a run that died is cleaned up by the next byon.",
            )
        with contextlib.suppress(NotFound):
            await _restore_from(self.client, data)
        self.journal_path.unlink(missing_ok=True)

    async def restore(self) -> bool:
        """Put the original answer_url back; True when something was changed."""
        if not self.active:
            return False
        data = self.original or read_journal(self.journal_path)
        changed = await _restore_from(self.client, data) if data else False
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()
        self.active = False
        _HELD.discard(self.token)
        return changed

    async def __aenter__(self) -> Takeover:
        await self.begin()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.restore()


class NotOurs(ByonError):
    """A journal whose listener URL byon did not set (tampered, or from elsewhere)."""


async def _restore_from(client: Any, data: dict[str, Any]) -> bool:
    """Compare-and-swap: restore only while the app answers at the URL this journal set."""
    ours = data["listener_url"]
    if not data.get("token") or mark_of(ours) != data["token"]:
        # byon only ever sets URLs with its mark: anything else is not its to undo
        raise NotOurs("its listener URL is not one byon set, so nothing was restored")
    app = await client.get_application(data["app_id"])
    if app.answer_url != ours:
        # changed since (by the user, or never changed at all): do not clobber it
        return False
    await client.update_application(
        data["app_id"],
        answer_url=data["answer_url"],
        answer_method=data.get("answer_method") or "POST",
    )
    return True


async def recover_pending(client: Any, directory: Path | None = None) -> list[str]:
    """Restore apps left pointing at a listener by byon runs that died.

    Journals of other accounts, other API bases, or of a byon that is still
    running are left alone. Returns one sentence per journal handled.
    """
    folder = directory or state_dir()
    if not folder.is_dir():
        return []
    auth_id, api_url = _client_identity(client)
    messages: list[str] = []
    for path in sorted(folder.glob(f"{JOURNAL_PREFIX}*.json")):
        try:
            data = read_journal(path)
        except ByonError as exc:
            messages.append(f"Ignored a takeover journal: {exc}; remove it by hand.")
            continue
        if data is None:
            continue
        if auth_id and data.get("auth_id") and data["auth_id"] != auth_id:
            continue
        if api_url and data.get("api_url") and str(data["api_url"]).rstrip("/") != api_url:
            continue
        if _holder_alive(data):
            continue
        messages.append(await _recover_one(client, path, data))
    return messages


async def _recover_one(client: Any, path: Path, data: dict[str, Any]) -> str:
    app_id = data["app_id"]
    try:
        changed = await _restore_from(client, data)
    except NotFound:
        path.unlink(missing_ok=True)
        return f"Removed a takeover journal for app {app_id}: the app no longer exists."
    except NotOurs as exc:
        return f"Ignored the takeover journal {path} for app {app_id}: {exc}; remove it by hand."
    except ByonError as exc:
        return (
            f"Could not restore the answer_url of app {app_id} ({exc}); byon will try again "
            "next run."
        )
    path.unlink(missing_ok=True)
    if changed:
        return (
            f"Restored the answer_url of app {app_id} to {plain(data['answer_url'])}, left "
            "pointing at a listener by an earlier byon run that did not exit cleanly."
        )
    return (
        f"Removed a stale takeover journal for app {app_id}: its answer_url no longer points "
        "at the old listener, so it was left as it is."
    )


async def restore_leftovers(client: Any, say: Callable[[str], None]) -> None:
    """Run first by every command that has credentials, so no app stays pointed at a
    dead listener for longer than the next byon run. Never fails the command."""
    try:
        for message in await recover_pending(client):
            say(message)
    except ByonError as exc:
        say(f"byon: could not check for answer_url takeovers left by an earlier run: {exc}")
