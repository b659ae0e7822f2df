"""Files byon writes: its state folder, and atomic writes that refuse to follow a symlink.

(Minimal version for the provider screen's "write to a file"; the files & journal owner's
version of this module replaces it.)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wizard.errors import ByonError


def state_dir() -> Path:
    """BYON_STATE_DIR, else XDG_STATE_HOME/byon, else ~/.local/state/byon; made 0700."""
    base = os.environ.get("BYON_STATE_DIR")
    if base:
        path = Path(base)
    else:
        xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(xdg) / "byon"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_atomic(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temp file (O_EXCL) in the same folder,
    fsync, rename. Refuses a ``path`` that is a symlink; keeps the old file's mode unless
    ``mode`` is given."""
    path = Path(path)
    if path.is_symlink():
        raise ByonError(f"{path} is a symbolic link; byon does not write through links")
    if path.exists() and not path.is_file():
        raise ByonError(f"{path} is not a regular file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ByonError(f"{folder} is not a folder that exists")
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
