"""`byon verify`: the listener as a command, with takeover, preflight and a test call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from typing import Any

from wizard.errors import ByonError
from wizard.text import plain
from wizard.verify.diagnose import (
    AUTH_TYPES,
    Expectation,
)
from wizard.verify.listener import (
    COUNTED_KINDS,
    PRINTED_KINDS,
    CallbackEvent,
    Listener,
)
from wizard.verify.simulate import (
    place_test_call,
)

# --------------------------------------------------------------------------- byon verify


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _parse_listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(text)
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


MARKS = {"pass": "PASS", "unconfirmed": "UNCONFIRMED"}
NO_CONFIRMATION = (
    "Without PLIVO_AUTH_ID byon cannot check calls against Plivo's own call records: a "
    "call with a valid signature shows as 'signature valid, not confirmed' and does not "
    "count as verified. Export PLIVO_AUTH_ID to confirm calls."
)


def _human(event: CallbackEvent) -> str:
    """One callback for people: every outside value shown inert (no escapes, no newlines)."""
    mark = "REJECTED" if event.rejected else MARKS.get(event.verdict, "FAIL")
    clock = time.strftime("%H:%M:%S", time.localtime(event.received_at))

    def shown(value: str | None) -> str:
        return plain(value, 80) or "-"

    line = (
        f"{clock} {event.kind:<6} {mark}  from={shown(event.from_)} to={shown(event.to)} "
        f"SIPAuthType={shown(event.sip_auth_type)} SIPAuthUser={shown(event.sip_auth_user)} "
        f"SIPSourceIP={shown(event.sip_source_ip)} signature="
        f"{'valid' if event.signature_valid else 'INVALID'}"
    )
    if event.confirmed:
        line += " confirmed=yes"
    if event.diagnosis:
        line += f"\n    {plain(event.diagnosis, 600)}"
    if event.fix and not event.passed:
        line += f"\n    Fix: {plain(event.fix, 400)}"
    return line


def _build_expectation(args: Any) -> Expectation:
    exp = Expectation()
    if getattr(args, "plan", None):
        from wizard.plans.plan import load_plan

        exp = Expectation.from_plan(load_plan(args.plan))
    changes: dict[str, Any] = {}
    if getattr(args, "expect", None):
        changes["auth_type"] = args.expect
        if args.expect == "none" and not getattr(args, "plan", None):
            # no SIP auth expected: calls forwarded to a Plivo number
            changes["option"] = "did_forwarding"
        elif args.expect in AUTH_TYPES:
            changes["option"] = "direct_sip"
    if getattr(args, "app", None):
        changes["app_id"] = args.app
    if changes:
        exp = Expectation(**{**exp.__dict__, **changes})
    return exp


def cmd_verify(args: Any) -> int:
    """`byon verify`: listen for callbacks and judge each one (cli.md)."""
    if args.app and not args.public_url:
        _say(
            "byon verify: --app needs --public-url: Plivo must reach the listener at a public "
            "address you provide (your own tunnel or server); byon does not open one."
        )
        return 2
    call_from, call_to = getattr(args, "call_from", None), getattr(args, "call_to", None)
    if (call_from or call_to) and not (call_from and call_to and args.public_url):
        _say("byon verify: a test call needs --call-from, --call-to and --public-url together.")
        return 2
    try:
        host, port = _parse_listen(args.listen)
    except ValueError:
        _say(f"byon verify: --listen {args.listen!r} is not HOST:PORT (e.g. 127.0.0.1:8080).")
        return 2
    from wizard.plivo.env import env_credentials

    auth_id, token = env_credentials()
    if not token:
        _say(
            "byon verify: PLIVO_AUTH_TOKEN is not set: the listener needs the auth token to "
            "check each callback's X-Plivo-Signature-V3. Export it and run again."
        )
        return 2
    if (args.app or call_from) and not auth_id:
        _say("byon verify: --app and test calls need PLIVO_AUTH_ID as well.")
        return 2
    if args.timeout is not None and args.timeout <= 0:
        _say("byon verify: --timeout must be a positive number of seconds.")
        return 2
    try:
        expectation = _build_expectation(args)
    except ByonError as exc:
        _say(f"byon verify: {exc}")
        return 2
    return asyncio.run(_verify(args, host, port, (auth_id, token), expectation, call_from, call_to))


async def _find_app(client: Any, listener: Listener, exp: Expectation) -> Expectation:
    """The app already pointing at this listener, so diagnoses can name its SIP URI."""
    try:
        apps = await client.list_applications()
    except ByonError:
        return exp
    mine = [a for a in apps if a.answer_url.rstrip("/") in (listener.answer_url, listener.url)]
    if len(mine) != 1:
        return exp
    app = mine[0]
    _say(f"Judging calls to app {plain(app.app_id)} ({plain(app.app_name)}), which answers here.")
    return Expectation(**{**exp.__dict__, "app_id": app.app_id})


async def _verify(
    args: Any,
    host: str,
    port: int,
    creds: tuple[str, str],
    expectation: Expectation,
    call_from: str | None,
    call_to: str | None,
) -> int:
    from wizard.verify.takeover import Takeover

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    printer = _Printer(args, stop)

    auth_id, token = creds
    client = None
    takeover = None
    listener = Listener(
        token, public_url=args.public_url, expectation=expectation, on_event=printer.on_event
    )
    try:
        if auth_id:
            client = await _connect(auth_id, token, args)
            listener.client = client  # a pass counts once Plivo's call record backs it
        try:
            local = await listener.start(host, port)
        except ByonError as exc:
            _say(f"byon verify: {exc}")
            return 1
        _say(f"Listening on {local}: answer URL {listener.answer_url}")
        if client is None:
            _say(NO_CONFIRMATION)
        if client is not None and not expectation.app_id and not args.app:
            listener.expectation = await _find_app(client, listener, expectation)
        if not await _check_reachable(listener, args):
            return 1
        if args.app:
            assert client is not None
            try:
                takeover = Takeover(client, args.app, listener.answer_url)
                original = await takeover.begin()
                listener.forward_to = original["answer_url"] or None
            except ByonError as exc:
                _say(f"byon verify: could not take over app {args.app}: {exc}")
                return 1
            _say(
                f"App {args.app} answers at {takeover.url} until byon exits; callbacks are "
                f"forwarded to {plain(original['answer_url']) or '(none: byon answers)'}, "
                "restored on exit."
            )
        if call_from and call_to and not await _test_call(client, args, call_from, call_to):
            return 1
        waiting = f" for up to {args.timeout:g} s" if args.timeout else ""
        _say(f"Waiting for a call{waiting}. Ctrl-C stops.")
        try:
            await asyncio.wait_for(stop.wait(), args.timeout)
        except TimeoutError:
            if not printer.passed:
                _say(f"byon verify: no passing call within {args.timeout:g} s{printer.why()}.")
        return 0 if printer.passed else 1
    finally:
        if takeover is not None:
            try:
                if await takeover.restore():
                    _say(f"Restored the answer_url of app {args.app}.")
            except Exception as exc:
                _say(
                    f"byon verify: could not restore app {args.app} now ({exc}); the next byon "
                    "command will restore it."
                )
        await listener.stop()
        if client is not None:
            await client.aclose()


async def _connect(auth_id: str, token: str, args: Any) -> Any:
    """The API client (takeovers, call records), after restoring what a crash left."""
    from wizard.plivo.client import PlivoClient
    from wizard.plivo.env import api_url_from_env
    from wizard.verify.takeover import recover_pending

    client = PlivoClient(auth_id, token, base_url=api_url_from_env(args.api_url))
    try:
        for message in await recover_pending(client):
            _say(message)
    except ByonError as exc:
        _say(f"byon verify: could not check for earlier takeovers: {exc}")
    return client


class _Printer:
    """Prints each event (JSON lines and/or human lines) and counts what passed."""

    def __init__(self, args: Any, stop: asyncio.Event) -> None:
        self.args = args
        self.stop = stop
        self.passed: list[CallbackEvent] = []
        self.unconfirmed: list[CallbackEvent] = []

    def on_event(self, event: CallbackEvent) -> None:
        """One event: a callback's line(s), or a summary/notice on stderr."""
        if event.kind == "probe":
            return
        if event.kind in ("summary", "notice"):
            _say(f"byon: {plain(event.diagnosis, 600)}")
            return
        if self.args.json:
            if event.kind in PRINTED_KINDS:
                # json.dumps escapes every control character: one object, one line
                sys.stdout.write(json.dumps(event.to_json()) + "\n")
                sys.stdout.flush()
            _say(_human(event))
        else:
            print(_human(event), flush=True)
        if event.verdict == "unconfirmed":
            self.unconfirmed.append(event)
        if event.passed and event.kind in COUNTED_KINDS:
            self.passed.append(event)
            if self.args.exit_on_pass:
                self.stop.set()

    def why(self) -> str:
        """Why nothing passed, when calls did arrive with valid signatures."""
        if not self.unconfirmed:
            return ""
        return (
            f" ({len(self.unconfirmed)} had a valid signature but could not be confirmed "
            "against Plivo's call record)"
        )


async def _check_reachable(listener: Listener, args: Any) -> bool:
    """Say how Plivo reaches the listener; False when the public URL does not lead here."""
    public = args.public_url
    if not public:
        _say(
            "No --public-url: only this machine can reach the listener. Plivo needs a "
            "public address you provide (your own tunnel or server forwarding to it)."
        )
        return True
    if args.no_preflight:
        return True
    try:
        rtt = await listener.preflight(public)
    except ByonError as exc:
        _say(f"byon verify: {public} is not reachable: {exc}")
        return False
    _say(f"Reachable: a signed probe sent to {public}/answer arrived ({rtt * 1000:.0f} ms).")
    return True


async def _test_call(client: Any, args: Any, call_from: str, call_to: str) -> bool:
    """Place the test call whose inbound leg should reach the listener; False on failure."""
    assert client is not None
    try:
        request_uuid = await place_test_call(
            client,
            from_=call_from,
            to=call_to,
            answer_url=f"{args.public_url.rstrip('/')}/outbound",
        )
    except ByonError as exc:
        _say(f"byon verify: the test call could not be placed: {exc}")
        return False
    _say(f"Test call placed from {call_from} to {call_to} (request {plain(request_uuid)}).")
    return True
