"""Point an application's answer_url at the listener for a while, crash-safely.

Before the change a journal records the original answer_url; the change is
undone on exit, and any byon command that finds a journal left by a process
that died (kill -9, power loss) puts the original back and says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wizard.errors import ByonError, NotFound

JOURNAL_PREFIX = "takeover-"


def state_dir() -> Path:
    """`$BYON_STATE_DIR`, else `~/.local/state/byon/` (XDG_STATE_HOME honoured)."""
    env = os.environ.get("BYON_STATE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "byon"


def journal_path_for(app_id: str, directory: Path | None = None) -> Path:
    safe = "".join(ch for ch in app_id if ch.isalnum() or ch in "-_") or "app"
    return (directory or state_dir()) / f"{JOURNAL_PREFIX}{safe}.json"


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".journal-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # the rename itself must survive a crash too
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


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
        self.original: dict[str, Any] | None = None
        self.active = False

    async def begin(self) -> dict[str, Any]:
        """Journal the original answer_url, then point the app at the listener."""
        if self.journal_path.exists():
            raise ByonError(
                f"Application {self.app_id} is already taken over by another byon run "
                f"(journal {self.journal_path}).",
                hint="Stop that run, or run any byon command to restore it if it crashed.",
            )
        app = await self.client.get_application(self.app_id)
        auth_id, api_url = _client_identity(self.client)
        self.original = {
            "app_id": self.app_id,
            "answer_url": app.answer_url,
            "answer_method": app.answer_method or "POST",
            "hangup_url": app.hangup_url,
            "hangup_method": app.hangup_method or "POST",
            "listener_url": self.listener_url,
            "time": time.time(),
            "api_url": api_url,
            "auth_id": auth_id,
            "pid": os.getpid(),
        }
        _write_atomic(self.journal_path, self.original)
        self.active = True
        try:
            await self.client.update_application(
                self.app_id, answer_url=self.listener_url, answer_method="POST"
            )
        except BaseException:
            # the update may have landed before the error: put the original back
            with contextlib.suppress(Exception):
                await self.restore()
            raise
        return self.original

    async def restore(self) -> bool:
        """Put the original answer_url back; True when something was changed."""
        if not self.active:
            return False
        data = self.original or json.loads(self.journal_path.read_text(encoding="utf-8"))
        changed = await _restore_from(self.client, data)
        with contextlib.suppress(FileNotFoundError):
            self.journal_path.unlink()
        self.active = False
        return changed

    async def __aenter__(self) -> Takeover:
        await self.begin()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.restore()


async def _restore_from(client: Any, data: dict[str, Any]) -> bool:
    app = await client.get_application(data["app_id"])
    if app.answer_url != data["listener_url"]:
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
            data = json.loads(path.read_text(encoding="utf-8"))
            app_id = data["app_id"]
        except (OSError, ValueError, KeyError, TypeError):
            messages.append(f"Ignored an unreadable takeover journal {path}; remove it by hand.")
            continue
        if auth_id and data.get("auth_id") and data["auth_id"] != auth_id:
            continue
        if api_url and data.get("api_url") and data["api_url"].rstrip("/") != api_url:
            continue
        if _pid_alive(int(data.get("pid") or 0)):
            continue
        try:
            changed = await _restore_from(client, data)
        except NotFound:
            path.unlink(missing_ok=True)
            messages.append(
                f"Removed a takeover journal for app {app_id}: the app no longer exists."
            )
            continue
        except ByonError as exc:
            messages.append(
                f"Could not restore the answer_url of app {app_id} ({exc}); byon will try "
                "again next run."
            )
            continue
        path.unlink(missing_ok=True)
        if changed:
            messages.append(
                f"Restored the answer_url of app {app_id} to {data['answer_url']}, left "
                "pointing at a listener by an earlier byon run that did not exit cleanly."
            )
        else:
            messages.append(
                f"Removed a stale takeover journal for app {app_id}: its answer_url no longer "
                "points at the old listener, so it was left as it is."
            )
    return messages


async def restore_leftovers(client: Any, say: Callable[[str], None]) -> None:
    """Run first by every command that has credentials, so no app stays pointed at a
    dead listener for longer than the next byon run. Never fails the command."""
    try:
        for message in await recover_pending(client):
            say(message)
    except ByonError as exc:
        say(f"byon: could not check for answer_url takeovers left by an earlier run: {exc}")
