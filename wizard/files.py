"""Files byon writes: one atomic, symlink-refusing writer (the minimal shared version)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wizard.errors import ByonError


def write_atomic(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half.

    The temp file is made with O_EXCL in the target's folder, fsynced, then renamed over
    the target; a target that is a symlink is refused. Keeps the existing file's mode
    unless ``mode`` is given."""
    path = Path(path)
    if path.is_symlink():
        raise ByonError(f"{path} is a symbolic link; byon does not write through links.")
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ByonError(f"{path} cannot be written ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise ByonError(f"{path} cannot be written ({exc.strerror or exc}).") from None
        raise
