"""Where byon keeps its own files, and how it writes them (atomically, never via a symlink)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wizard.errors import ByonError


def state_dir() -> Path:
    """BYON_STATE_DIR, else XDG_STATE_HOME/byon, else ~/.local/state/byon; made 0700."""
    explicit = os.environ.get("BYON_STATE_DIR")
    if explicit:
        path = Path(explicit)
    else:
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        path = Path(base) / "byon"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_atomic(path: str | Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a fresh temp file in its folder, then rename.

    A final path that is a symlink is refused; the existing file's mode is kept unless
    ``mode`` is given."""
    target = Path(path)
    if target.is_symlink():
        raise ByonError(f"{target} is a symbolic link; byon does not write through links.")
    keep = mode
    if keep is None and target.exists():
        keep = target.stat().st_mode & 0o777
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if keep is not None:
            os.chmod(tmp, keep)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
