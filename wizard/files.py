"""Where byon keeps its own files, and the one way it writes a file.

Minimal version: the files & journal security work owns this module and its
fuller version wins at merge; the signatures here are the shared contract.
"""

from __future__ import annotations

import contextlib
import os
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
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never half.

    The temp file is made with O_EXCL in the target's folder (a planted name is never
    followed), fsynced, then renamed; a final path that is a symlink is refused.
    The existing file's mode is kept unless ``mode`` is given.
    """
    path = Path(path)
    if path.is_symlink():
        raise ByonError(
            f"{path} is a symbolic link; byon does not write through links.",
            hint="Write to the file the link points at, or remove the link.",
        )
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = _exclusive_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _exclusive_temp(path: Path) -> tuple[int, str]:
    """A new temp file beside ``path``, created with O_EXCL (never an existing name)."""
    for attempt in range(100):
        tmp = str(path.parent / f".{path.name}.{os.getpid()}.{attempt}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
