"""A call through the stream bridge to an echo agent: added delay and RTP loss.

byon's own SIP client calls a credential app on `byon emulator` (its own process) from
127.0.0.2; the answer XML is a bidirectional μ-law ``<Stream>`` to an echo agent in this
process, which timestamps each ``media`` it receives and the ``playAudio`` it sends back.
Every frame carries its index, so each echo is matched to the frame that caused it.

Mouth time comes from the caller's RTP timestamps (the first frame's send time plus
timestamp / 8000), ear time is when the echo arrives; the added delay of a frame is
ear - mouth - the agent's own time for it. Targets: at most one frame (20 ms) added,
and 0 RTP packets lost, over 60 s of audio.

    .venv/bin/python benchmarks/sip_bridge.py [--seconds 60]

Exit status 0 when both targets are met.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import time

from _sipedge import Answers, credential_app, pct, start_emulator
from aiohttp import WSMsgType, web

from wizard.sip import Credentials, SipClient, Target
from wizard.sip import media as g711

FRAME = 0.020
TARGET_MS = 20.0


class TimingEcho:
    """An echo agent that notes, per frame index, when media came in and playAudio left."""

    def __init__(self) -> None:
        self.agent_ms: dict[int, float] = {}
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self.runner.addresses[0][1]}/ws"

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            came = time.perf_counter()
            obj = json.loads(msg.data)
            if obj.get("event") == "start":
                sid = obj["start"]["streamId"]
            elif obj.get("event") == "media":
                payload = obj["media"]["payload"]
                index = int.from_bytes(base64.b64decode(payload)[:2], "big")
                play = {"contentType": "audio/x-mulaw", "sampleRate": 8000, "payload": payload}
                await ws.send_str(
                    json.dumps({"event": "playAudio", "streamId": sid, "media": play})
                )
                self.agent_ms[index] = (time.perf_counter() - came) * 1000
        return ws

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def frames(count: int) -> list[bytes]:
    """μ-law frames of a tone, each starting with its index (the echo is byte-identical)."""
    tone = g711.ulaw_encode(bytes(320))
    return [i.to_bytes(2, "big") + tone[2:] for i in range(count)]


async def measure(seconds: float) -> int:
    echo = TimingEcho()
    await echo.start()
    answers = await Answers().start()
    answers.xml = (
        '<Response><Stream bidirectional="true" keepCallAlive="true" '
        f'contentType="audio/x-mulaw;rate=8000">{echo.url}</Stream></Response>'
    )
    emu = await start_emulator()
    try:
        app_id, user, password = await credential_app(emu, answers.url)
        return await call(emu.sip_port, app_id, Credentials(user, password), echo, seconds)
    finally:
        await emu.stop()
        await answers.stop()
        await echo.stop()


async def call(port: int, app_id: str, creds: Credentials, echo: TimingEcho, seconds: float) -> int:
    count = round(seconds / FRAME)
    sent: dict[int, tuple[float, int]] = {}  # index -> (send time, RTP timestamp)
    heard: dict[int, tuple[float, int]] = {}  # index -> (arrival time, RTP timestamp)
    async with SipClient(local_host="127.0.0.2") as client:
        placed = await client.call(
            Target("127.0.0.1", port), f"sip:{app_id}@app.plivo.com", "sip:bench@127.0.0.2",
            credentials=creds,
        )  # fmt: skip
        final = await placed.wait_final(10)
        assert final is not None and final.status == 200, final
        rtp = placed.rtp
        assert rtp is not None
        original = rtp.send_payload

        def send_payload(payload: bytes, *, marker: bool = False) -> None:
            sent[int.from_bytes(payload[:2], "big")] = (time.perf_counter(), rtp._timestamp)
            original(payload, marker=marker)

        rtp.send_payload = send_payload  # type: ignore[method-assign]
        rtp.on_packet = lambda p: heard.setdefault(
            int.from_bytes(p.payload[:2], "big"), (time.perf_counter(), p.timestamp)
        )
        await asyncio.sleep(0.5)  # the edge connects to the agent once the call is answered
        rtp.play(frames(count))
        await rtp.drain()
        await asyncio.sleep(0.5)  # the last echoes
        stats = rtp.stats
        await placed.bye()
    return report(count, sent, heard, echo.agent_ms, stats)


def report(count, sent, heard, agent_ms, stats) -> int:
    (t0, ts0) = sent[0]
    added, mouth_to_ear, lag = [], [], []
    for index, (ear, _ts) in heard.items():
        if index not in sent or index not in agent_ms:
            continue
        mouth = t0 + ((sent[index][1] - ts0) & 0xFFFFFFFF) / 8000
        total = (ear - mouth) * 1000
        mouth_to_ear.append(total)
        added.append(total - agent_ms[index])
        lag.append((sent[index][0] - mouth) * 1000)
    lost = count - len(heard)
    if lost:
        print(f"frames never echoed: {sorted(set(range(count)) - set(heard))[:20]}")
    got = sorted(heard)
    echo_ts = [heard[i][1] for i in got]
    steps = [((b - a) & 0xFFFFFFFF) / 8 for a, b in itertools.pairwise(echo_ts)]
    print(f"{count} frames sent ({count * FRAME:.0f} s of audio), {len(heard)} echoes heard")
    print(f"mouth to ear       : p50 {pct(mouth_to_ear, .5):5.2f} ms, "
          f"p95 {pct(mouth_to_ear, .95):5.2f} ms, max {max(mouth_to_ear):5.2f} ms")  # fmt: skip
    print(f"agent's own time   : p50 {pct(list(agent_ms.values()), 0.5):5.2f} ms")
    print(f"added by the bridge: p50 {pct(added, .5):5.2f} ms, p95 {pct(added, .95):5.2f} ms, "
          f"max {max(added):5.2f} ms (target <= {TARGET_MS:.0f} ms at p95)")  # fmt: skip
    print(f"  of which the caller's own send lag (its pacer, not the bridge): "
          f"p50 {pct(lag, .5):5.2f} ms, p95 {pct(lag, .95):5.2f} ms")  # fmt: skip
    print(f"echo RTP timestamps: step p50 {pct(steps, 0.5):.1f} ms, max {max(steps):.1f} ms")
    print(f"RTP packets lost   : {lost} of {count} (caller's jitter buffer: lost {stats.lost}, "
          f"late {stats.late}, duplicates {stats.duplicates})")  # fmt: skip
    ok = pct(added, 0.95) <= TARGET_MS and lost == 0 and stats.lost == 0
    print(f"targets: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args, _ = parser.parse_known_args()
    raise SystemExit(asyncio.run(measure(args.seconds)))
