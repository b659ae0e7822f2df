"""`byon stream-check` and `byon echo-agent`: the terminal faces of wizard.stream."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from wizard.errors import ByonError
from wizard.stream.audio import (
    parse_content_type,
)
from wizard.stream.check import (
    EchoAgent,
    check_url,
    stream_check,
)


def cmd_stream_check(args: Any) -> int:
    """``byon stream-check URL``: 0 audio came back in the right format, 1 not, 2 bad input."""
    try:
        parse_content_type(args.content_type)
        check_url(args.url)
        if args.timeout <= 0 or args.seconds <= 0:
            raise ByonError(
                "--timeout and --seconds must be positive numbers.", hint="Try --timeout 10."
            )
    except ByonError as exc:
        print(f"byon stream-check: {exc}", file=sys.stderr)
        return 2
    # Plivo signs the upgrade with the account's token: do the same when it is at hand.
    from wizard.plivo.env import env_credentials

    auth_id, token = env_credentials()
    if getattr(args, "no_sign", False):
        token = ""
    report = asyncio.run(
        stream_check(
            args.url,
            content_type=args.content_type,
            seconds=args.seconds,
            timeout=args.timeout,
            account_id=auth_id,
            auth_token=token or None,
            signed_url_form=getattr(args, "signed_url_form", "wss"),
        )
    )
    if args.json:
        print(report.to_json(), flush=True)
    else:
        print(report.human(), file=sys.stderr)
    return 0 if report.ok else 1


def cmd_echo_agent(args: Any) -> int:
    """``byon echo-agent``: prints {"ws_url": ...} first, serves until SIGINT/SIGTERM, exits 0."""
    import signal

    async def main() -> int:
        agent = EchoAgent(getattr(args, "mode", "echo"))
        # Handlers first: a script may signal as soon as it has read the URL line.
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        try:
            url = await agent.start(args.host, args.port)
        except OSError as exc:
            from wizard.commands.serve import bind_error

            print(f"byon echo-agent: {bind_error(args.host, args.port, exc)}", file=sys.stderr)
            return 2
        print(json.dumps({"ws_url": url}), flush=True)
        print(f"echo agent ({agent.mode}) listening at {url}; Ctrl-C to stop", file=sys.stderr)
        try:
            await done.wait()
        finally:
            await agent.stop()
        print(f"echo agent stopped after {len(agent.streams)} stream(s)", file=sys.stderr)
        return 0

    return asyncio.run(main())
