"""wizard/files.py: the state dir, atomic writes that no planted file can redirect, trusted
reads of state files, locks, and bounded reads of input files (issue 10 #1, #11, #12, #17)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from tests.pipes import read_line
from wizard.errors import ByonError
from wizard.files import (
    Busy,
    NotRegularFile,
    TooLarge,
    hold_lock,
    read_private,
    read_regular,
    state_dir,
    write_atomic,
    write_new_private,
)


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.txt"
    path.write_text("precious\n")
    return path


def test_write_atomic_replaces_and_keeps_the_mode(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_atomic(path, "new\n")
    assert path.read_text() == "new\n" and stat.S_IMODE(path.stat().st_mode) == 0o640
    write_atomic(path, b"bytes\n", mode=0o600)
    assert path.read_bytes() == b"bytes\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]  # no temp left


@pytest.mark.parametrize("name", [".out.toml.tmp", ".out.toml.000000000000.tmp", ".out.toml.tmp.0"])
def test_a_planted_temp_name_is_never_written_through(tmp_path, victim, name):
    """Attack (issue 10 #11): `export -o` wrote through a planted `.NAME.tmp` symlink."""
    (tmp_path / name).symlink_to(victim)
    write_atomic(tmp_path / "out.toml", "routing\n")
    assert victim.read_text() == "precious\n"
    assert (tmp_path / "out.toml").read_text() == "routing\n"
    assert (tmp_path / name).is_symlink()


def test_a_symlink_at_the_final_path_is_refused(tmp_path, victim):
    """Attack (issue 10 #11): ctrl+s wrote through a `byon-plan.toml` symlink."""
    link = tmp_path / "byon-plan.toml"
    link.symlink_to(victim)
    with pytest.raises(ByonError, match="symbolic link") as info:
        write_atomic(link, "overwritten\n")
    assert str(link) in str(info.value)
    assert victim.read_text() == "precious\n" and link.is_symlink()
    dangling = tmp_path / "dangling.toml"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ByonError, match="symbolic link"):
        write_atomic(dangling, "x")
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_or_fifo_at_the_final_path_is_refused(tmp_path):
    (tmp_path / "dir").mkdir()
    os.mkfifo(tmp_path / "fifo")
    for name in ("dir", "fifo"):
        with pytest.raises(ByonError, match="not a regular file"):
            write_atomic(tmp_path / name, "x")


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("old\n")
    with pytest.raises(TypeError):
        write_atomic(path, 42)  # type: ignore[arg-type]
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.toml"]


def test_write_new_private_refuses_anything_already_there(tmp_path, victim):
    path = tmp_path / "secret"
    write_new_private(path, "pw\n")
    assert path.read_text() == "pw\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ByonError, match="already exists"):
        write_new_private(path, "other\n")
    link = tmp_path / "link"
    link.symlink_to(victim)
    with pytest.raises(ByonError, match="already exists"):
        write_new_private(link, "pw\n")
    assert victim.read_text() == "precious\n"


def test_state_dir_is_made_private(tmp_path, monkeypatch):
    target = tmp_path / "a" / "state"
    monkeypatch.setenv("BYON_STATE_DIR", str(target))
    assert state_dir() == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    os.chmod(target, 0o777)
    state_dir()
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


def test_state_dir_follows_xdg_and_ignores_a_relative_one(tmp_path, monkeypatch):
    monkeypatch.delenv("BYON_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "byon"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/xdg")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert state_dir() == tmp_path / ".local" / "state" / "byon"


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a folder to another user")
def test_state_dir_of_another_user_is_refused(tmp_path, monkeypatch):
    other = tmp_path / "theirs"
    other.mkdir()
    os.chown(other, 4242, 4242)
    monkeypatch.setenv("BYON_STATE_DIR", str(other))
    with pytest.raises(ByonError, match="belongs to another user"):
        state_dir()


def test_read_private_reads_only_what_this_user_wrote(tmp_path, victim):
    mine = tmp_path / "mine.json"
    write_atomic(mine, "{}", mode=0o600)
    assert read_private(mine) == b"{}"
    assert read_private(tmp_path / "absent.json") is None
    open_one = tmp_path / "open.json"
    write_atomic(open_one, "{}", mode=0o644)
    with pytest.raises(ByonError, match="mode is 0644"):
        read_private(open_one)
    link = tmp_path / "link.json"
    link.symlink_to(mine)
    with pytest.raises(ByonError, match="symbolic link"):
        read_private(link)
    with pytest.raises(ByonError, match="larger than"):
        read_private(mine, limit=1)
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(ByonError, match="not a regular file"):
        read_private(tmp_path / "fifo")  # and it does not hang


@pytest.mark.skipif(os.getuid() != 0, reason="only root can give a file to another user")
def test_read_private_refuses_a_file_of_another_user(tmp_path):
    theirs = tmp_path / "theirs.json"
    write_atomic(theirs, "{}", mode=0o600)
    os.chown(theirs, 4242, 4242)
    with pytest.raises(ByonError, match="another user"):
        read_private(theirs)


def test_read_regular_refuses_fifos_devices_and_huge_files(tmp_path):
    """Attack (issue 10 #17): a FIFO or /dev/zero as the plan hung byon."""
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(NotRegularFile):
        read_regular(tmp_path / "fifo", limit=100)  # no writer: would block without O_NONBLOCK
    with pytest.raises(NotRegularFile):
        read_regular("/dev/zero", limit=100)
    big = tmp_path / "big"
    big.write_bytes(b"x" * 101)
    with pytest.raises(TooLarge):
        read_regular(big, limit=100)
    with pytest.raises(IsADirectoryError):
        read_regular(tmp_path, limit=100)
    assert read_regular(big, limit=101) == b"x" * 101


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path):
    path = tmp_path / "apply.lock"
    with hold_lock(path, "an apply"):
        assert path.read_text().strip() == str(os.getpid())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        errors: list[BaseException] = []

        def second() -> None:  # flock locks belong to the open file, so a thread can try
            try:
                with hold_lock(path, "an apply"):
                    pass
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=second)
        t.start()
        t.join()
        (busy,) = errors
        assert isinstance(busy, Busy) and busy.pid == os.getpid()
        assert "an apply is already running" in str(busy) and f"process {os.getpid()}" in str(busy)
    with hold_lock(path, "an apply"):  # released on exit
        pass


def test_lock_of_a_killed_process_is_free_again(tmp_path):
    path = tmp_path / "apply.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from wizard.files import hold_lock\n"
            f"with hold_lock({str(path)!r}, 'x'):\n"
            "    print('held', flush=True); time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert read_line(holder).strip() == "held"
        with pytest.raises(Busy) as info, hold_lock(path, "x"):
            pass
        assert info.value.pid == holder.pid
    finally:
        holder.kill()
        holder.wait()
    with hold_lock(path, "x"):  # kill -9 released it
        pass


def test_lock_file_that_is_a_symlink_is_refused(tmp_path, victim):
    link = tmp_path / "apply.lock"
    link.symlink_to(victim)
    with pytest.raises(ByonError, match="cannot open the lock file"), hold_lock(link, "x"):
        pass
    assert victim.read_text() == "precious\n"
