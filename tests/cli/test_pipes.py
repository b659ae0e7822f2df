"""The deadline on subprocess output: a silent or dead process fails the test with its stderr,
it never hangs the suite."""

from __future__ import annotations

import subprocess
import sys
import tempfile

import pytest

from tests.pipes import read_line, read_until

SILENT = "import sys, time; print('broken: no port', file=sys.stderr, flush=True); time.sleep(120)"
DIES = "import sys; print('cannot start', file=sys.stderr); sys.exit(3)"


def python(code: str, stderr=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=stderr, text=True
    )


def test_a_silent_process_is_killed_and_fails_with_its_stderr():
    proc = python(SILENT)
    with pytest.raises(pytest.fail.Exception) as info:
        read_line(proc, timeout=1)
    assert proc.poll() is not None  # killed, not left running
    assert "no line on stdout within 1 s" in str(info.value)
    assert "broken: no port" in str(info.value)


def test_a_process_that_exits_first_fails_with_its_stderr_from_a_file():
    with tempfile.TemporaryFile() as err:
        proc = python(DIES, stderr=err)
        with pytest.raises(pytest.fail.Exception) as info:
            read_line(proc, errfile=err)
    assert "stdout ended before a line came" in str(info.value)
    assert "exit status 3" in str(info.value) and "cannot start" in str(info.value)


def test_read_until_returns_the_lines_up_to_the_wanted_one_or_fails():
    proc = python("print('one'); print('two', flush=True); print('three')")
    assert read_until(proc, lambda line: "two" in line, stream="stdout") == ["one\n", "two\n"]
    assert read_line(proc) == "three\n"
    proc.wait(10)
    proc = python(SILENT)
    with pytest.raises(pytest.fail.Exception) as info:
        read_until(proc, lambda line: "never" in line, timeout=1)
    assert "without the awaited line" in str(info.value) and "broken: no port" in str(info.value)
    assert proc.poll() is not None
