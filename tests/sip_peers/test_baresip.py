"""baresip, headless, calls a credential app whose answer XML streams to the echo agent,
and hears its own audio come back (its decoded-audio dump is loud)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from tests.sip_peers.peers import free_port, private_file, run, tool
from wizard.stream.check import EchoAgent

EDGE_SCALE = 1.0
MODULES = Path("/usr/lib/baresip/modules")
NEEDED = ("g711.so", "aufile.so", "alsa.so", "sndfile.so", "account.so", "menu.so")


def write_tone(path: Path, seconds: float) -> None:
    """A 440 Hz tone, 8 kHz mono 16-bit: what baresip's aufile sends as the caller's voice."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        samples = (
            int(8000 * math.sin(2 * math.pi * 440 * i / 8000)) for i in range(int(8000 * seconds))
        )
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))


def loudest(path: Path) -> int:
    with wave.open(str(path)) as dump:
        data = dump.readframes(dump.getnframes())
    return max((abs(s) for (s,) in struct.iter_unpack("<h", data)), default=0)


def baresip_config(folder: Path, port: int, username: str, password: str) -> None:
    """A headless configuration: audio from a file, played to ALSA's null device, both
    directions dumped to WAV files; one account that answers digest challenges."""
    (folder / "config").write_text(
        f"poll_method epoll\nsip_listen 127.0.0.2:{port}\n"
        f"audio_player alsa,null\naudio_alert alsa,null\naudio_source aufile,{folder}/in.wav\n"
        "ausrc_srate 8000\nauplay_srate 8000\n"
        f"module_path {MODULES}\n"
        + "".join(f"module {m}\n" for m in NEEDED[:4])
        + "module_app account.so\nmodule_app menu.so\n"
        + f"snd_path {folder}\n"
    )
    private_file(
        folder / "accounts",
        f"<sip:{username}@127.0.0.1>;auth_pass={password};regint=0;audio_codecs=PCMU\n",
    )


async def test_baresip_hears_the_echo_agent_through_the_stream(edge, apps, answers, tmp_path):
    baresip = tool("baresip")
    missing = [m for m in NEEDED if not (MODULES / m).exists()]
    if missing:
        pytest.skip(f"baresip modules missing: {', '.join(missing)}")
    agent = EchoAgent()
    await agent.start("127.0.0.1", 0)
    answers.reply = (
        '<Response><Stream bidirectional="true" keepCallAlive="true" '
        f'contentType="audio/x-mulaw;rate=8000">{agent.ws_url}</Stream></Response>'
    )
    write_tone(tmp_path / "in.wav", 10)
    baresip_config(tmp_path, free_port("127.0.0.2"), apps.username, apps.password)
    target = f"sip:{apps.credential}@{edge.host}:{edge.port}"
    try:
        code, out = await run(
            [baresip, "-f", str(tmp_path), "-e", f"/dial {target}", "-t", "4"], tmp_path, 30
        )
    finally:
        await agent.stop()
    assert code == 0, out[-3000:]
    assert "Call established" in out, out[-3000:]
    decoded = list(tmp_path.glob("dump-*-dec.wav"))
    assert decoded, out[-3000:]
    assert loudest(decoded[0]) > 4000  # the tone came back through agent, bridge and RTP
    assert agent.streams and agent.streams[0].media > 50 and agent.streams[0].replies > 50
    forms = answers.answers()
    assert forms[0]["SIPAuthType"] == "credential" and forms[0]["SIPAuthUser"] == "trunk_user"
    record = [r for r in await edge.calls() if r["route"] == "sip"][-1]
    assert record["verbs"][0]["stream"]["frames_played"] > 50
