"""`byon sip-probe` as a user runs it: JSON lines, text lines, exit codes 0/1/2, and the
password only ever read from the variable named by --password-env."""

from __future__ import annotations

import json
import os

import pytest

from tests.runner import run_byon_async

EDGE_SCALE = 0.1
KEYS = ["check", "ok", "result", "detail", "ms"]


async def byon(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `byon` in a subprocess while this loop keeps serving the edge."""
    done = await run_byon_async(*argv, env={**os.environ, **(env or {})})
    return done.returncode, done.stdout, done.stderr


def edge_args(edge, app_id: str) -> list[str]:
    return [
        "sip-probe", "--app", app_id, "--host", "127.0.0.1", "--port", str(edge.port),
        "--tls-port", str(edge.tls_port), "--ca-file", edge.ca_cert, "--bind", "127.0.0.3",
    ]  # fmt: skip


async def test_json_lines_and_exit_0(edge, apps, tmp_path):
    env = {"BYON_STATE_DIR": str(tmp_path), "PROBE_PW": apps.password}
    code, out, err = await byon(
        *edge_args(edge, apps.credential), "--username", apps.username,
        "--password-env", "PROBE_PW", "--json", env=env,
    )  # fmt: skip
    assert code == 0, out + err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [list(r)[:5] for r in rows] == [KEYS] * len(rows)
    assert [r["check"] for r in rows] == [
        "dns", "reach", "reach", "reach", "unauthenticated", "authenticated",
    ]  # fmt: skip
    assert [r["transport"] for r in rows if r["check"] == "reach"] == ["udp", "tcp", "tls"]
    assert rows[4]["result"] == "challenge_407" and rows[5]["result"] == "accepted"
    assert apps.password not in out + err
    assert "response=" not in out + err  # no digest response is ever printed


async def test_text_lines_and_exit_1_for_an_open_app(edge, apps, tmp_path):
    code, out, err = await byon(
        *edge_args(edge, apps.open), "--transport", "udp", env={"BYON_STATE_DIR": str(tmp_path)}
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("dns") and "skipped" in lines[0]
    assert lines[-1].startswith("unauthenticated udp") and "FAIL" in lines[-1]
    assert " open " in lines[-1] and "OPEN" in lines[-1]
    assert "1 check failed" in err


async def test_wrong_password_exits_1(edge, apps, tmp_path):
    env = {"BYON_STATE_DIR": str(tmp_path), "PROBE_PW": "wrong-password"}
    code, out, err = await byon(
        *edge_args(edge, apps.credential), "--transport", "udp", "--username", apps.username,
        "--password-env", "PROBE_PW", "--json", env=env,
    )  # fmt: skip
    assert code == 1
    assert json.loads(out.splitlines()[-1])["result"] == "forbidden_403"
    assert "wrong-password" not in out + err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ([], {}, "one of the arguments --app --uri is required"),
        (["--app", "12ab"], {}, "not a Plivo application id"),
        (["--app", "1", "--username", "u"], {}, "--username and --password-env go together"),
        (["--app", "1", "--username", "u", "--password-env", "NOPE_UNSET"], {}, "not set"),
        (
            ["--app", "1", "--username", "u", "--password-env", "hunter2!"],
            {},
            "NAME of an environment variable",
        ),
        (["--app", "1", "--timeout", "0"], {}, "--timeout"),
        (["--app", "1", "--transport", "sctp"], {}, "invalid choice"),
    ],
)
async def test_bad_input_exits_2_with_a_sentence(argv, env, message, tmp_path):
    env = {"BYON_STATE_DIR": str(tmp_path), **env}
    os.environ.pop("NOPE_UNSET", None)
    code, out, err = await byon("sip-probe", *argv, env=env)
    assert code == 2
    assert message in err
    assert out == ""
    assert "hunter2" not in err  # a password typed where the name belongs is not echoed
    assert list(tmp_path.iterdir()) == []  # nothing was sent, nothing recorded
