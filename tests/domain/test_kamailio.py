"""The Kamailio template, proven with a real Kamailio: `kamailio -c` accepts every variant, and a
running Kamailio answers a 407 digest challenge with the plan's credential.

Kamailio comes from the system's packages; without it these tests skip with the reason.
Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from tests.domain.test_providers import APP_ID, direct, forwarding
from tests.kamailio_run import KAMAILIO, MISSING, receive, running, sip_request
from wizard.providers.render_kamailio import EDGE_DEFINE, rewrite_edge
from wizard.providers.templates import settings_for

needs_kamailio = pytest.mark.skipif(KAMAILIO is None, reason=MISSING)
PASSWORD = 'Sup3r"Secret#1;x'  # quotes and '#' must not break anything
REALM = "app.plivo.com"


def cfg_for(plan) -> str:
    [snippet] = settings_for(plan, "kamailio").snippets
    assert snippet.filename == "kamailio.cfg"
    return snippet.text


def check(cfg: str, tmp_path: Path, env: dict[str, str] | None = None):
    path = tmp_path / "kamailio.cfg"
    path.write_text(cfg)
    return subprocess.run(
        [KAMAILIO, "-c", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env if env is not None else {**os.environ, "BYON_SIP_PASSWORD": PASSWORD},
        check=False,
    )


@needs_kamailio
@pytest.mark.parametrize(
    "plan",
    [
        direct("credential"),
        direct("ip_acl_and_credential"),
        direct("ip_acl"),
        direct("credential", app_id=""),
        forwarding("kamailio"),
    ],
    ids=["credential", "both", "ip_acl", "no-app-id", "did-forwarding"],
)
def test_kamailio_accepts_every_variant(plan, tmp_path):
    out = check(cfg_for(plan), tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]


@needs_kamailio
def test_kamailio_refuses_to_start_without_the_password_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BYON_SIP_PASSWORD"}
    out = check(cfg_for(direct("credential")), tmp_path, env)
    assert out.returncode != 0
    assert "BYON_SIP_PASSWORD" in out.stderr


def test_the_password_is_never_in_the_file_and_the_edge_is_one_line():
    cfg = cfg_for(direct("credential"))
    assert PASSWORD not in cfg and "<your SIP password>" not in cfg
    assert "$env(BYON_SIP_PASSWORD)" in cfg and "#!defenv" in cfg
    assert cfg.count(EDGE_DEFINE) == 1
    moved = rewrite_edge(cfg, "127.0.0.1:5070")
    assert '#!define PLIVO_EDGE "127.0.0.1:5070"' in moved
    assert moved.replace('"127.0.0.1:5070"', '"app.plivo.com"') == cfg  # nothing else changed
    with pytest.raises(ValueError, match="PLIVO_EDGE"):
        rewrite_edge(moved, "127.0.0.1:5071")
    assert EDGE_DEFINE not in cfg_for(forwarding("kamailio"))  # DID forwarding: no Plivo edge


def test_a_hostile_username_stays_inside_its_string():
    plan = direct("credential")
    plan.auth.credential.username = 'a"b\\c\nloadmodule "evil.so"'
    cfg = cfg_for(plan)
    assert '#!define PLIVO_USER "a\\"b\\\\c loadmodule \\"evil.so\\""' in cfg
    assert '\nloadmodule "evil.so"' not in cfg


# --- a running Kamailio between a caller and an edge that challenges --------------------------


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    return s


def _headers(msg: str, name: str) -> list[str]:
    return [ln for ln in msg.split("\r\n") if ln.lower().startswith(name.lower() + ":")]


def _reply(request: str, status: str, extra: str = "") -> bytes:
    """A response to ``request`` as a SIP server builds it (Vias, From, To+tag, Call-ID, CSeq)."""
    to = _headers(request, "To")[0]
    lines = [f"SIP/2.0 {status}", *_headers(request, "Via"), *_headers(request, "From")]
    lines += [to if ";tag=" in to else to + ";tag=edge1", *_headers(request, "Call-ID")]
    lines += [*_headers(request, "CSeq"), *([extra] if extra else []), "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # digest auth is MD5 (RFC 2617)


@needs_kamailio
def test_a_running_kamailio_answers_the_407_with_the_plan_credential(tmp_path):
    edge, ua = _udp(), _udp()
    port = _free_udp_port()
    cfg = rewrite_edge(cfg_for(direct("credential")), f"127.0.0.1:{edge.getsockname()[1]}")
    with running(cfg, tmp_path, port, {"BYON_SIP_PASSWORD": PASSWORD}):
        ua.sendto(
            sip_request(
                "INVITE",
                f"sip:+14155550100@127.0.0.1:{port}",
                ua.getsockname()[1],
                "+14155550100",
                "call1",
            ),
            ("127.0.0.1", port),
        )
        first = receive(edge, lambda t: t.startswith("INVITE "))
        assert first.startswith(f"INVITE sip:{APP_ID}@app.plivo.com SIP/2.0")
        assert not _headers(first, "Proxy-Authorization")
        nonce = "byon-nonce-1"
        challenge = (
            f'Proxy-Authenticate: Digest realm="{REALM}", nonce="{nonce}", qop="auth", '
            "algorithm=MD5"
        )
        edge.sendto(_reply(first, "407 Proxy Authentication Required", challenge), _addr_of(first))
        second = receive(edge, lambda t: t.startswith("INVITE "))
        [auth] = _headers(second, "Proxy-Authorization")
        fields = dict(re.findall(r'(\w+)="?([^",]+)"?', auth.split(":", 1)[1]))
        assert fields["username"] == "carrier_trunk" and fields["realm"] == REALM
        ha1 = _md5(f"carrier_trunk:{REALM}:{PASSWORD}")
        ha2 = _md5(f"INVITE:{fields['uri']}")
        expected = _md5(f"{ha1}:{nonce}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")
        assert fields["response"] == expected  # the password from the environment, unchanged
        assert _headers(second, "CSeq") == ["CSeq: 2 INVITE"]  # a new transaction (dialog)
        edge.sendto(_reply(second, "486 Busy Here"), _addr_of(second))
        final = receive(ua, lambda t: t.startswith("SIP/2.0 ") and not t.startswith("SIP/2.0 1"))
        assert final.startswith("SIP/2.0 486")  # the answer came back through the proxy


@needs_kamailio
def test_a_call_for_another_number_never_leaves_the_proxy(tmp_path):
    edge, ua = _udp(), _udp()
    port = _free_udp_port()
    cfg = rewrite_edge(cfg_for(direct("credential")), f"127.0.0.1:{edge.getsockname()[1]}")
    with running(cfg, tmp_path, port, {"BYON_SIP_PASSWORD": PASSWORD}):
        invite = sip_request(
            "INVITE",
            f"sip:+19995550100@127.0.0.1:{port}",
            ua.getsockname()[1],
            "+19995550100",
            "call2",
        )
        ua.sendto(invite, ("127.0.0.1", port))
        final = receive(ua, lambda t: t.startswith("SIP/2.0 ") and not t.startswith("SIP/2.0 1"))
        assert final.startswith("SIP/2.0 404")
        # a relay would have left before the 404; on loopback it would be queued by now
        edge.setblocking(False)
        with pytest.raises(BlockingIOError):
            edge.recvfrom(65535)


def _addr_of(request: str) -> tuple[str, int]:
    """Where the top Via says to send the response."""
    via = _headers(request, "Via")[0]
    host, port = re.search(r"SIP/2\.0/UDP ([0-9.]+):(\d+)", via).groups()
    return host, int(port)
