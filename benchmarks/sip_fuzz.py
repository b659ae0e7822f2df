"""Fuzz the SIP edge: random and mutated datagrams and TCP messages, then OPTIONS.

`byon emulator` runs as its own process with a credential app and an open one. From a
fixed seed, this sends N messages (default 100,000): mutations of real INVITE, ACK, BYE,
CANCEL, OPTIONS, REGISTER and response messages (bit flips, cuts, inserted junk, lines
dropped, doubled or swapped, wild Content-Length, NUL bytes, oversize), and plain random
bytes; about 10 % go over TCP connections, the rest over UDP from several loopback
sources. Targets: 0 crashes (the process is alive and logged no traceback) and OPTIONS
answered over UDP, TCP and TLS afterwards.

    .venv/bin/python benchmarks/sip_fuzz.py [--messages 100000] [--seed 1]

Exit status 0 when both targets are met.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import ssl
import time

from _sipedge import credential_app, start_emulator

from wizard.sip import SipClient, Target

SOURCES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
SDP = (
    "v=0\r\no=x 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
)


def templates(app_ids: list[str]) -> list[str]:
    """Well-formed messages to start mutating from."""
    out = []
    for method in ("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "INFO"):
        for app in app_ids:
            body = SDP if method == "INVITE" else ""
            auth = (
                'Proxy-Authorization: Digest username="trunk_user", realm="app.plivo.com", '
                'nonce="abc", uri="sip:x@app.plivo.com", '
                'response="0123456789abcdef0123456789abcdef", '
                "qop=auth, nc=00000001, cnonce=\"x\", algorithm=MD5\r\n"
            )  # fmt: skip
            out.append(
                f"{method} sip:{app}@app.plivo.com;transport=udp SIP/2.0\r\n"
                "Via: SIP/2.0/UDP 127.0.0.2:5999;branch=z9hG4bK776asdhds;rport\r\n"
                "Max-Forwards: 70\r\n"
                f'From: "Provider" <sip:provider@127.0.0.2>;tag=1928301774\r\n'
                f"To: <sip:{app}@app.plivo.com>\r\n"
                "Call-ID: a84b4c76e66710@127.0.0.2\r\n"
                f"CSeq: 314159 {method}\r\n"
                "Contact: <sip:provider@127.0.0.2:5999>\r\n"
                + (auth if method == "INVITE" else "")
                + ("Content-Type: application/sdp\r\n" if body else "")
                + f"Content-Length: {len(body)}\r\n\r\n{body}"
            )
    out.append(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnashds8\r\n"
        "From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x@y\r\nCSeq: 1 BYE\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    return out


def mutate(rng: random.Random, base: str) -> bytes:
    """One mutation (or a few) of ``base``; sometimes pure junk."""
    if rng.random() < 0.08:
        return rng.randbytes(rng.randint(0, 1500))
    data = bytearray(base.encode())
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(10)
        lines = bytes(data).split(b"\r\n")
        if kind == 0 and data:  # bit flips
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1 and data:  # cut
            del data[rng.randrange(len(data)) :]
        elif kind == 2:  # junk inserted
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.randbytes(rng.randint(1, 40))
        elif kind == 3 and len(lines) > 2:  # a line dropped
            del lines[rng.randrange(1, len(lines))]
            data = bytearray(b"\r\n".join(lines))
        elif kind == 4 and len(lines) > 2:  # a line doubled
            i = rng.randrange(1, len(lines))
            lines.insert(i, lines[i])
            data = bytearray(b"\r\n".join(lines))
        elif kind == 5 and len(lines) > 3:  # two lines swapped
            i, j = rng.sample(range(len(lines)), 2)
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\r\n".join(lines))
        elif kind == 6:  # wild Content-Length
            value = rng.choice([b"-1", b"99999999999", b"abc", b"1e3", b"  7 ", b"0x10", b"65536"])
            data = bytearray(
                bytes(data).replace(b"Content-Length: ", b"Content-Length: " + value + b" #", 1)
            )
        elif kind == 7 and data:  # NUL or bare CR
            data.insert(rng.randrange(len(data)), rng.choice([0, 13, 10, 0xFF]))
        elif kind == 8:  # a header value replaced by junk
            i = rng.randrange(len(lines))
            name = lines[i].split(b":", 1)[0]
            lines[i] = (
                name + b": " + bytes(rng.randrange(32, 127) for _ in range(rng.randint(0, 80)))
            )
            data = bytearray(b"\r\n".join(lines))
        else:  # oversize or repeated
            data = data * rng.randint(2, 30)
    return bytes(data[:65000])


class Sink(asyncio.DatagramProtocol):
    """Counts replies; wakes the sender when the reply to its probe OPTIONS arrives."""

    def __init__(self) -> None:
        self.replies = 0
        self.probe: tuple[str, asyncio.Future[None]] | None = None

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.replies += 1
        waiting = self.probe
        if waiting is not None and waiting[0].encode() in data and not waiting[1].done():
            waiting[1].set_result(None)


def probe_options(call_id: str, port: int) -> bytes:
    return (
        f"OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};"
        f"branch=z9hG4bK{call_id};rport\r\nFrom: <sip:fuzz@127.0.0.1>;tag=f\r\n"
        f"To: <sip:probe@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()


async def probe(sink: Sink, sock: asyncio.DatagramTransport, port: int, call_id: str) -> int:
    """How many sends an OPTIONS took to be answered (up to 3: the kernel may drop a
    datagram when big ones fill the socket's buffer), 0 when it never was."""
    local_port = sock.get_extra_info("sockname")[1]
    for attempt in range(1, 4):
        sink.probe = (call_id, asyncio.get_running_loop().create_future())
        sock.sendto(probe_options(call_id, local_port), ("127.0.0.1", port))
        try:
            await asyncio.wait_for(sink.probe[1], 1.0)
            return attempt
        except TimeoutError:
            continue
    return 0


async def fuzz(port: int, bases: list[str], count: int, seed: int) -> dict[str, int]:
    """Send ``count`` messages in batches; after each batch an OPTIONS probe whose answer
    paces the next batch (so the edge really parses every message instead of the kernel
    dropping a flood)."""
    rng = random.Random(seed)
    loop = asyncio.get_running_loop()
    socks = []
    for host in SOURCES:
        transport, sink = await loop.create_datagram_endpoint(Sink, local_addr=(host, 0))
        socks.append((transport, sink))
    probe_sock, probe_sink = socks[0]
    writer = None
    counts = {"udp": 0, "tcp": 0, "probes": 0, "probes_answered": 0, "probes_resent": 0}
    for i in range(count):
        message = mutate(rng, rng.choice(bases))
        if rng.random() < 0.1:
            if writer is None or writer.is_closing():
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(message)
                await writer.drain()
            except (ConnectionError, OSError):
                writer = None
            counts["tcp"] += 1
        else:
            rng.choice(socks)[0].sendto(message, ("127.0.0.1", port))
            counts["udp"] += 1
        if i % 25 == 24:
            counts["probes"] += 1
            sends = await probe(probe_sink, probe_sock, port, f"probe{i}")
            counts["probes_answered"] += sends > 0
            counts["probes_resent"] += max(0, sends - 1)
    await asyncio.sleep(1.0)
    counts["udp_replies"] = sum(sink.replies for _, sink in socks)
    for transport, _ in socks:
        transport.close()
    if writer is not None:
        writer.close()
    return counts


async def options_everywhere(info: dict) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for kind in ("udp", "tcp", "tls"):
        address = info["sip"][kind]
        if not address:
            out[kind] = None
            continue
        host, port = address.rsplit(":", 1)
        ctx = None
        if kind == "tls":
            ctx = ssl.create_default_context(cafile=info["sip"]["ca_cert"])
        target = Target(host, int(port), kind.upper(), "app.plivo.com", ctx)
        async with SipClient(transport=kind.upper()) as client:
            out[kind] = (await client.options(target, timeout=10)).status
    return out


async def main(count: int, seed: int) -> int:
    emu = await start_emulator()
    try:
        cred, _, _ = await credential_app(emu, "http://127.0.0.1:9/answer")
        async with emu.rest() as api:
            r = await api.post(
                "Application/", json={"app_name": "open", "answer_url": "http://127.0.0.1:9/a"}
            )
            open_app = r.json()["app_id"]
        bases = templates([cred, open_app, "nobody"])
        start = time.perf_counter()
        counts = await fuzz(emu.sip_port, bases, count, seed)
        elapsed = time.perf_counter() - start
        answered = await options_everywhere(emu.info)
        alive = emu.proc.returncode is None
        tracebacks = sum("Traceback" in line for line in emu.stderr)
        if tracebacks:
            first = next(i for i, line in enumerate(emu.stderr) if "Traceback" in line)
            print("\n".join(emu.stderr[max(0, first - 2) : first + 30]))
    finally:
        await emu.stop()
    udp, tcp = counts["udp"], counts["tcp"]
    print(f"{udp + tcp} messages in {elapsed:.1f} s ({udp} UDP datagrams, {tcp} TCP messages), "
          f"seed {seed}; {counts['udp_replies']} UDP replies came back")  # fmt: skip
    print(
        f"OPTIONS probes during the fuzz: {counts['probes_answered']} of {counts['probes']} "
        f"answered (one after every 25 messages; {counts['probes_resent']} resends)"
    )
    print(f"edge process alive: {alive}; tracebacks logged: {tracebacks}")
    print(f"OPTIONS afterwards: {answered}")
    ok = alive and tracebacks == 0 and all(v == 200 for v in answered.values())
    ok = ok and counts["probes_answered"] == counts["probes"]
    print(f"targets (0 crashes, OPTIONS answered after): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args, _ = parser.parse_known_args()
    raise SystemExit(asyncio.run(main(args.messages, args.seed)))
