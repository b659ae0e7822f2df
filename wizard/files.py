"""Files byon writes or trusts: the private state dir and atomic writes.

Standard library and ``wizard.errors`` only: every folder may import it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from wizard.errors import ByonError

STATE_DIR_ENV = "BYON_STATE_DIR"


def state_dir() -> Path:
    """``$BYON_STATE_DIR``, else ``$XDG_STATE_HOME/byon``, else ``~/.local/state/byon``; 0700."""
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        path = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_STATE_HOME", "")
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "state"
        path = base / "byon"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ByonError(
            f"byon's state folder {path} cannot be made ({exc.strerror or exc}).",
            hint=f"Set {STATE_DIR_ENV} to a folder you own.",
        ) from None
    return path


def write_atomic(path: str | Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``: temp file (O_EXCL) beside it, fsync, rename.

    A final path that is a symlink is refused with a ByonError; the existing file's mode is
    kept unless ``mode`` is given."""
    path = Path(path)
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISLNK(old.st_mode):
        raise ByonError(
            f"{path} is a symbolic link; byon does not write through links.",
            hint="Remove the link or choose another path.",
        )
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o644
    payload = data.encode("utf-8") if isinstance(data, str) else data
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
