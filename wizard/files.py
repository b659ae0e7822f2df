"""Every file byon writes or trusts goes through here: the state dir, atomic writes, locks.

- ``state_dir()``: where byon keeps what must survive a crash (journals, locks, seen
  nonces): private to the user (0700), never next to a plan file someone else wrote.
- ``write_atomic()``: a temp file made with O_EXCL in the target's folder, fsync, rename.
  A planted temp name or a symlink at the final path cannot redirect the write.
- ``read_private()``: read a state file only if this user's byon could have written it.
- ``hold_lock()``: one holder at a time (fcntl.flock), the holder's pid in the file.
- ``read_regular()``: bounded read of an input file that refuses FIFOs, devices, folders.

Standard library and ``wizard.errors`` only: the emulator and every folder may import it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from wizard.errors import ByonError

STATE_DIR_ENV = "BYON_STATE_DIR"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def state_dir() -> Path:
    """``$BYON_STATE_DIR``, else ``$XDG_STATE_HOME/byon``, else ``~/.local/state/byon``.

    Made 0700 when missing; refused (ByonError) when another user owns it."""
    env = os.environ.get(STATE_DIR_ENV)
    if env:
        path = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_STATE_HOME", "")
        # The XDG spec says to ignore a relative XDG_STATE_HOME.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "state"
        path = base / "byon"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
        info = path.stat()
    except OSError as exc:
        raise ByonError(
            f"byon's state folder {path} cannot be made ({exc.strerror or exc}).",
            hint=f"Set {STATE_DIR_ENV} to a folder you own.",
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise ByonError(
            f"byon's state folder {path} is not a folder.",
            hint=f"Set {STATE_DIR_ENV} to a folder you own.",
        )
    if info.st_uid != os.getuid():
        raise ByonError(
            f"byon's state folder {path} belongs to another user (uid {info.st_uid}); byon "
            "keeps its journals only where no one else can write.",
            hint=f"Set {STATE_DIR_ENV} to a folder you own.",
        )
    if info.st_mode & 0o077:
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_DIR)
    return path


def _refuse_link(path: Path) -> os.stat_result | None:
    """The lstat of ``path`` (None when absent); ByonError for a link or a non-file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise ByonError(
            f"{path} is a symbolic link; byon does not write through links (the write "
            "would land in whatever file it points at).",
            hint="Remove the link or choose another path.",
        )
    if not stat.S_ISREG(info.st_mode):
        raise ByonError(
            f"{path} exists and is not a regular file; byon does not replace it.",
            hint="Choose another path.",
        )
    return info


def _new_temp(directory: Path, name: str) -> tuple[int, Path]:
    """A fresh temp file beside the target, made with O_EXCL: a planted name is never reused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(16):
        tmp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(tmp, flags, PRIVATE_FILE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(directory))


def write_atomic(path: str | Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never half.

    The temp file is made with O_EXCL in the target's folder; a final path that is a
    symlink is refused (ByonError). Keeps the existing file's mode unless ``mode`` is
    given. Other IO problems raise OSError for the caller to phrase."""
    path = Path(path)
    old = _refuse_link(path)
    if mode is None:
        if old is not None:
            mode = stat.S_IMODE(old.st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = _new_temp(directory, path.name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        # rename replaces a link planted meanwhile rather than writing through it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_dir(directory)


def _sync_dir(directory: Path) -> None:
    """The rename itself must survive a power cut too."""
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def write_new_private(path: str | Path, data: str) -> None:
    """Create ``path`` (0600) for a secret: refused when anything, a link included, is there."""
    path = Path(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, PRIVATE_FILE)
    except FileExistsError:
        raise ByonError(
            f"{path} already exists; byon writes a secret only to a new file.",
            hint="Choose a path that does not exist yet.",
        ) from None
    except OSError as exc:
        raise ByonError(f"{path} cannot be created ({exc.strerror or exc}).") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def read_private(path: str | Path, *, limit: int = 1 << 20) -> bytes | None:
    """The bytes of a state file this user's byon wrote; None when it does not exist.

    Refused (ByonError) unless it is a regular file (not a link), owned by this user,
    readable and writable by no one else, and at most ``limit`` bytes."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _untrusted(path, "it is a symbolic link") from None
        raise ByonError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _untrusted(path, "it is not a regular file")
        if info.st_uid != os.getuid():
            raise _untrusted(path, f"another user (uid {info.st_uid}) owns it")
        if info.st_mode & 0o077:
            raise _untrusted(path, f"its mode is {stat.S_IMODE(info.st_mode):04o}, not 0600")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _untrusted(path, f"it is larger than {limit:,} bytes")
    return data


def _untrusted(path: Path, why: str) -> ByonError:
    return ByonError(
        f"{path} was not used: {why}, so it may not be one this user's byon wrote.",
        hint="Check what it names in the Plivo console, then delete the file.",
    )


def read_regular(path: str | Path, *, limit: int) -> bytes:
    """Up to ``limit`` bytes of a regular file; OSError for the caller to phrase.

    Opened without blocking, so a FIFO or a device fails at once instead of hanging."""
    path = Path(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(path, limit)
    return data


class NotRegularFile(OSError):
    """A FIFO, socket or device where a file was expected."""

    def __init__(self, path: Path) -> None:
        super().__init__(errno.EINVAL, "not a regular file", str(path))


class TooLarge(OSError):
    """A file past the size byon reads."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
        self.limit = limit


class Busy(ByonError):
    """Another process holds the lock; ``pid`` is its process id (0 when unknown)."""

    def __init__(self, message: str, *, pid: int, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.pid = pid


@contextlib.contextmanager
def hold_lock(path: str | Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (made 0600) for the block; Busy when taken.

    The file keeps the holder's pid so the refusal can name it. The lock dies with its
    process (kill -9 included), so a crash never leaves it stuck."""
    import fcntl

    path = Path(path)
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, PRIVATE_FILE)
    except OSError as exc:
        raise ByonError(f"cannot open the lock file {path} ({exc.strerror or exc}).") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _pid_in(fd)
            who = f"process {pid}" if pid else "another process"
            raise Busy(
                f"{what} is already running ({who} holds {path}).",
                pid=pid,
                hint="Wait for it to finish, then run this again.",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _pid_in(fd: int) -> int:
    try:
        return int(os.pread(fd, 32, 0).decode("ascii", "replace").strip() or 0)
    except (OSError, ValueError):
        return 0
