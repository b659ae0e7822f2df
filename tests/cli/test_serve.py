"""`byon serve`: the command it serves, the loopback default, the loud warning."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.pipes import kill_group, read_line
from wizard.commands.serve import exposure_warning, wizard_command
from wizard.net import is_loopback_host

NO_CREDS = {k: v for k, v in os.environ.items() if not k.startswith("PLIVO_AUTH_")}
CREDS = {**NO_CREDS, "PLIVO_AUTH_ID": "MA" + "1" * 18, "PLIVO_AUTH_TOKEN": "tok-secret-value-1234"}


def test_demo_without_credentials_account_with_them():
    demo = shlex.split(wizard_command(NO_CREDS))
    assert demo == [sys.executable, "-m", "wizard", "demo"]
    live = wizard_command(CREDS)
    assert shlex.split(live) == [sys.executable, "-m", "wizard"]
    assert "tok-secret-value-1234" not in live  # the token travels in the environment only
    # One of the pair is not enough to leave demo mode.
    half = {**NO_CREDS, "PLIVO_AUTH_ID": "MA" + "1" * 18}
    assert shlex.split(wizard_command(half))[-1] == "demo"


def test_command_survives_paths_with_spaces(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/opt/my venv/bin/python")
    assert shlex.split(wizard_command(NO_CREDS))[0] == "/opt/my venv/bin/python"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host, loopback):
    assert is_loopback_host(host) is loopback


def test_warning_says_who_can_drive_it():
    assert exposure_warning("127.0.0.1", CREDS) == ""
    demo = exposure_warning("0.0.0.0", NO_CREDS)
    assert "anyone who can reach this port can drive the wizard (demo mode)" in demo
    live = exposure_warning("0.0.0.0", CREDS)
    assert "with the Plivo account in PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN" in live
    assert "tok-secret-value-1234" not in live
    assert "--host 127.0.0.1" in live


def _start(*args, env=NO_CREDS):
    return subprocess.Popen(
        [sys.executable, "-m", "wizard", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its wizard children share the group, for cleanup
    )


def _cleanup(proc):
    kill_group(proc)


def _wait_http(url: str, limit: float = 30.0) -> str:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return resp.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.mark.parametrize(("env", "mode"), [(NO_CREDS, "demo"), (CREDS, "account")])
def test_serves_the_page_on_loopback_and_stops_on_sigterm(env, mode):
    proc = _start("--port", "0", env=env)
    try:
        first = json.loads(read_line(proc))
        assert first["mode"] == mode
        base, _, token = first["url"].partition("/?token=")
        assert base.startswith("http://127.0.0.1:") and len(token) >= 40
        page = _wait_http(first["url"])
        assert "textual-terminal" in page
        assert base.replace("http://", "ws://") + "/ws" in page
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        assert proc.returncode == 0
        err = proc.stderr.read()
        assert "WARNING" not in err
        assert "tok-secret-value-1234" not in err + proc.stdout.read()
    finally:
        _cleanup(proc)


def test_non_loopback_host_warns_loudly_and_a_failed_bind_is_clear():
    # 192.0.2.1 (TEST-NET-1) is never assigned here, so nothing is exposed: the bind fails.
    proc = _start("--host", "192.0.2.1", "--port", "8765")
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        _cleanup(proc)
    assert "WARNING: serving on 192.0.2.1, not loopback" in err
    assert "!!!!!!!!" in err
    assert "Traceback" not in err
    assert proc.returncode == 2
    assert "byon serve: cannot listen on 192.0.2.1:8765: that address is not on this machine" in err
    assert "Use --host 127.0.0.1." in err
    assert json.loads(out.splitlines()[0])["mode"] == "demo"


def test_port_in_use_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = _start("--port", str(port))
        try:
            _out, err = proc.communicate(timeout=60)
        finally:
            _cleanup(proc)
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use. Pick another --port." in err
    assert "Traceback" not in err


def test_the_browser_server_does_not_load_textual_in_this_process():
    """byon serve starts the wizard as a subprocess; its own process stays Textual-free."""
    import subprocess
    import sys

    probe = (
        "import sys, textual_serve.server, wizard.commands.serve; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
