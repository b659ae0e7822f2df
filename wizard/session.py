"""The wizard's session: who we talk to and the long-lived things we started.

UI-free (no Textual): the screens call these coroutines from their workers.
Heavy modules (httpx via plivo.py, aiohttp via the emulator and verify) are
imported inside the coroutines so that the first screen paints before they load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import ByonError

LIVE, DEMO, OFFLINE = "live", "demo", "offline"
CONNECT_DEADLINE = 4.0  # seconds of retries for the account check


@dataclass
class CallRow:
    """One observed test call: a callback, or a SIP outcome that produced none."""

    key: str
    time: str
    from_: str
    to: str
    sip_auth_type: str = ""
    sip_auth_user: str = ""
    sip_source_ip: str = ""
    signature_valid: bool | None = None
    sip_status: int = 200
    verdict: str = "fail"  # "pass" | "fail"
    diagnosis: str = ""  # what happened, one sentence ("" on pass)
    # the emulator's report of following the answer XML's <Stream> (demo only): StreamReport dict
    stream: dict[str, Any] | None = None
    fix: str = ""  # what to change (the troubleshooting row's solution)
    # what the call carried, shown as plain text when the row is selected
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # the SIP messages of the call, [{"ms", "dir", "line"}] (shared/contracts/sip.md);
    # empty until the SIP edge records them
    ladder: list[dict[str, Any]] = field(default_factory=list)
    sip_reason: str = ""  # Plivo's reason phrase for a refused call

    @property
    def audio(self) -> str:
        """The audio cell: "✓ 12 ms", "✗ no audio", or "" when no stream was followed."""
        return audio_cell(self.stream)


def audio_cell(stream: dict[str, Any] | None, ms_text: str | None = None) -> str:
    """``ms_text`` replaces the measured figure (tests freeze it for stable snapshots)."""
    if not stream:
        return ""
    ms = stream.get("first_audio_ms")
    if stream.get("ok") and ms is not None:
        return f"✓ {ms_text or (f'{ms:.0f}' if ms >= 1 else '<1')} ms"
    if stream.get("audio_received"):
        return "✗ format"
    hs = stream.get("handshake") or {}
    if hs and not hs.get("ok"):
        return "✗ no ws"
    return "✗ no audio"


def audio_sentence(stream: dict[str, Any] | None, ms_text: str | None = None) -> str:
    """The diagnosis panel's words about the audio hop (first_audio_ms, format)."""
    if not stream:
        return ""
    fmt = stream.get("content_type", "")
    if stream.get("ok"):
        ms = ms_text or f"{stream.get('first_audio_ms') or 0:.1f}"
        return (
            f"Audio reached the agent over its <Stream> and came back: first audio {ms} ms "
            f"after the first frame sent, in the negotiated format ({fmt})."
        )
    verdict = stream.get("verdict") or stream.get("error") or "no audio came back"
    return f"Audio did not make the round trip to the agent over its <Stream>: {verdict}"


@dataclass(frozen=True)
class RequestRecord:
    """One REST request the wizard made: what the activity pane lists (no bodies, no secrets)."""

    at: float  # time.time() when it finished
    method: str
    path: str  # after /v1/Account/{auth_id}, e.g. "/Application/"
    status: int | str  # HTTP status, or the error's name when no answer came
    seconds: float


ACTIVITY_KEPT = 500  # requests remembered for the activity pane


@dataclass
class Session:
    mode: str = OFFLINE
    api_url: str = ""
    auth_id: str = ""
    _token: str = field(default="", repr=False)
    emulator: Any = field(default=None, repr=False)
    client: Any = field(default=None, repr=False)
    listener: Any = field(default=None, repr=False)
    # demo: the in-process agent the answer XML's <Stream> points at (the audio hop)
    echo_agent: Any = field(default=None, repr=False)
    # the SIP password for a new credential: kept only in memory, never in the plan
    sip_password: str = field(default="", repr=False)
    password_generated: bool = False
    open_sip_confirmed: bool = False  # the user explicitly accepted an unauthenticated SIP URI
    deadline: float = 15.0  # seconds a request may spend on retries
    undo: list[Any] = field(default_factory=list, repr=False)  # journal.Undo, oldest first
    last_view: Any = field(default=None, repr=False)  # the account as last read for review
    # the app whose answer_url points at the listener (journaled: a crash is undone next run)
    takeover: Any = field(default=None, repr=False)
    notices: list[str] = field(default_factory=list)  # what connecting restored, to show once
    activity: list[RequestRecord] = field(default_factory=list, repr=False)  # oldest first
    on_activity: Callable[[RequestRecord], None] | None = field(default=None, repr=False)

    @property
    def token(self) -> str:
        return self._token

    @property
    def online(self) -> bool:
        return self.client is not None

    def secrets(self) -> list[str]:
        return [s for s in (self._token, self.sip_password) if s]

    # account ---------------------------------------------------------------
    async def start_demo(self) -> Any:
        """Start the in-process emulator with demo data and connect to it."""
        from wizard.emulator import Emulator
        from wizard.stream.check import EchoAgent, emulator_stream_hook

        emu = Emulator(seed="demo")
        await emu.start("127.0.0.1", 0)
        self.emulator = emu
        self.mode = DEMO
        agent = EchoAgent()
        await agent.start("127.0.0.1", 0)
        self.echo_agent = agent
        # the emulator follows the answer XML's <Stream> to the echo agent, as Plivo would
        emu.on_stream = emulator_stream_hook
        return await self.connect(emu.auth_id, emu.auth_token, api_url=emu.api_url)

    async def connect(self, auth_id: str, token: str, *, api_url: str | None = None) -> Any:
        """Check the pair against the account endpoint; keep the client when it works."""
        from wizard.plivo.client import PlivoClient, api_url_from_env

        url = api_url or self.api_url or api_url_from_env()
        # a person is waiting on this first check: say "unreachable" in seconds, not after
        # the full retry budget that later steps get
        client = PlivoClient(auth_id, token, base_url=url, deadline=CONNECT_DEADLINE)
        client.on_request = self.record_request
        try:
            account = await client.get_account()
        except BaseException:
            await client.aclose()
            raise
        client.deadline = self.deadline
        if self.client is not None:
            await self.client.aclose()
        self.client, self.auth_id, self._token, self.api_url = client, auth_id, token, url
        if self.mode != DEMO:
            self.mode = LIVE
            from wizard.verify.takeover import restore_leftovers

            await restore_leftovers(client, self.notices.append)
        return account

    def record_request(self, method: str, path: str, status: int | str, seconds: float) -> None:
        """The client's request hook: remember the request and tell the activity pane."""
        import time

        record = RequestRecord(time.time(), method, path, status, seconds)
        self.activity.append(record)
        del self.activity[:-ACTIVITY_KEPT]
        if self.on_activity is not None:
            self.on_activity(record)

    def require_client(self) -> Any:
        if self.client is None:
            raise ByonError(
                "This step needs a Plivo account, and the wizard is offline.",
                hint="Save the plan (ctrl+s) and run `byon apply PLAN.toml` later.",
            )
        return self.client

    async def close(self) -> None:
        await self.release_app()
        await self.stop_listener()
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.emulator is not None:
            await self.emulator.stop()
            self.emulator = None
        if self.echo_agent is not None:
            agent, self.echo_agent = self.echo_agent, None
            await agent.stop()

    # verification ------------------------------------------------------------
    async def start_listener(
        self,
        *,
        expectation: Any,
        on_event: Callable[[Any], None],
        public_url: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
        answer_xml: str | None = None,
    ) -> str:
        """Start the answer_url listener in this event loop; return its URL."""
        from wizard.verify import listener as verify

        await self.stop_listener()
        listener = verify.Listener(
            self._token,
            public_url=public_url or None,
            expectation=expectation,
            on_event=on_event,
            answer_xml=answer_xml,
        )
        url = await listener.start(host, port)
        self.listener = listener
        return str(url or public_url)

    async def point_app_at_listener(self, app_id: str) -> None:
        """Journal the app's answer_url, then point it at the running listener.

        With a real account each callback is forwarded to the original answer_url, so
        the user's agent still answers; the journal lets the next byon run restore the
        app if this one dies (same mechanism as `byon verify --app`)."""
        from wizard.verify.takeover import Takeover

        if self.listener is None or self.client is None or not app_id:
            return
        await self.release_app()
        journal = None
        if self.mode == DEMO:  # the demo account dies with the process: no journal to leave
            import tempfile

            journal = Path(tempfile.mkdtemp(prefix="byon-demo-")) / f"takeover-{app_id}.json"
        takeover = Takeover(self.client, app_id, self.listener.answer_url, journal)
        original = await takeover.begin()
        self.takeover = takeover
        if self.mode != DEMO:
            self.listener.forward_to = original.get("answer_url") or None

    async def release_app(self) -> None:
        """Put the answer_url back (raises ByonError when Plivo refuses; the journal stays)."""
        takeover, self.takeover = self.takeover, None
        if takeover is not None:
            await takeover.restore()

    async def stop_listener(self) -> None:
        if self.listener is not None:
            listener, self.listener = self.listener, None
            await listener.stop()

    # the agent's audio stream -------------------------------------------------------
    def stream_settings(self, plan: Any) -> Any:
        """The plan's [stream] (or the defaults: bidirectional, mu-law 8k), with the URL the
        wizard checks: in the demo the echo agent's, else the plan's own."""
        from dataclasses import replace

        from wizard.plans.plan import StreamPlan

        stream = plan.stream or StreamPlan()
        if self.echo_agent is not None:
            return replace(stream, url=self.echo_agent.ws_url)
        return stream

    def demo_answer_xml(self, plan: Any) -> str | None:
        """The demo listener's answer: a <Stream> to the echo agent (None outside the demo)."""
        if self.echo_agent is None:
            return None
        from wizard.stream.xml import stream_xml

        return stream_xml(self.stream_settings(plan), pretty=False)

    async def check_stream(self, url: str, content_type: str, *, seconds: float = 1.0) -> Any:
        """Stream test audio to the agent as Plivo would; a StreamReport, never raises for
        network outcomes."""
        from wizard.stream.check import stream_check

        return await stream_check(
            url, content_type=content_type, seconds=seconds, timeout=5.0, account_id=self.auth_id
        )

    # applying, one change at a time ---------------------------------------------
    async def pending_changes(self, plan: Any) -> list[Any]:
        """Read the account and diff it with the plan (the review screen's lines)."""
        from wizard.plans.apply import diff, read_account

        view = await read_account(self.require_client(), plan)
        self.last_view = view
        return diff(plan, view)

    def open_sip_warning(self, plan: Any) -> str | None:
        """The risk apply cannot fix for DID forwarding, from the last account read."""
        from wizard.plans.apply import open_sip_warning

        return open_sip_warning(plan, self.last_view) if self.last_view is not None else None

    async def apply_one(self, plan: Any, change: Any, on_step: Callable[[Any], None]) -> Any:
        """Apply one change; on success learn its id into the plan and remember the way back.

        The wizard applies change by change so that a failure keeps every earlier step
        (the user then chooses retry or undo) instead of rolling everything back.
        """
        from wizard.plans.apply import apply_changes
        from wizard.plans.journal import Undo

        result = await apply_changes(
            self.require_client(),
            plan,
            [change],
            on_step=on_step,
            password=self.sip_password or None,
            auth_id=self.auth_id,
        )
        if not result.ok:
            return result
        if result.generated_password:
            self.sip_password = result.generated_password
            self.password_generated = True
        rid = result.ids.get(change.kind, "") or change.resource_id
        learn_id(plan, change.kind, rid)
        if change.action == "create" and change.kind != "number":
            self.undo.append(Undo("delete", change.kind, rid, change.name))
        elif change.action == "update" and change.kind in ("ip_acl", "application", "number"):
            old = {k: o or "" for k, (o, _n) in change.fields.items()}
            if change.kind == "ip_acl" and "ip_addresses" in old:
                old["ip_addresses"] = list(change.fields["ip_addresses"][0] or [])
            target = rid.lstrip("+") if change.kind == "number" else rid
            self.undo.append(Undo("update", change.kind, target, change.name, old))
        return result

    async def undo_applied(self, on_step: Callable[[Any], None]) -> list[Any]:
        """Undo this session's changes, newest first; return what could not be undone."""
        from wizard.plans.journal import journal_path_for, roll_back

        undos, self.undo = list(reversed(self.undo)), []
        left = await roll_back(
            self.require_client(),
            undos,
            journal=journal_path_for(None),
            auth_id=self.auth_id,
            on_step=on_step,
        )
        self.undo = list(reversed(left))
        return left


def learn_id(plan: Any, kind: str, rid: str) -> None:
    """Write an id the account gave us back into the plan."""
    if not rid:
        return
    if kind == "application":
        plan.application.app_id = rid
    elif kind == "ip_acl" and plan.auth and plan.auth.ip_acl:
        plan.auth.ip_acl.ip_acl_uuid = rid
    elif kind == "credential" and plan.auth and plan.auth.credential:
        plan.auth.credential.credential_uuid = rid
    elif kind == "number" and plan.forwarding:
        plan.forwarding.plivo_number = rid if rid.startswith("+") else f"+{rid}"


@dataclass(frozen=True)
class Recommendation:
    option: str  # "direct_sip" | "did_forwarding"
    auth_type: str  # "" for DID forwarding
    reason: str

    @property
    def label(self) -> str:
        """What to do, in words: "Direct SIP with IP ACL and SIP credentials"."""
        words = {
            "ip_acl": "IP ACL",
            "credential": "SIP credentials",
            "ip_acl_and_credential": "IP ACL and SIP credentials",
        }
        if self.option != "direct_sip":
            return "DID forwarding"
        return f"Direct SIP with {words.get(self.auth_type, self.auth_type)}"


def recommend(*, sip: bool, stable_ips: bool, shared_ips: bool) -> Recommendation:
    """The option screen's three questions -> option, auth type and why (the seed's rules)."""
    if not sip:
        return Recommendation(
            "did_forwarding",
            "",
            "Your provider cannot send SIP to a URI, so forward calls to a Plivo number.",
        )
    if shared_ips:
        return Recommendation(
            "direct_sip",
            "ip_acl_and_credential",
            "Shared/CGNAT IPs: an IP ACL alone would admit other customers, so require "
            "IP ACL and credentials.",
        )
    if stable_ips:
        return Recommendation(
            "direct_sip",
            "ip_acl",
            "Stable outbound IPs: an IP ACL is fastest (no challenge) and hardest to abuse.",
        )
    return Recommendation(
        "direct_sip",
        "credential",
        "Your provider rotates IPs: use SIP digest credentials with a strong password.",
    )


def row_from_event(event: Any, time_text: str) -> CallRow:
    """A listener CallbackEvent as a verify-table row."""
    return CallRow(
        key=event.call_uuid or f"cb-{event.seq}",
        time=time_text,
        from_=event.from_,
        to=event.to,
        sip_auth_type=event.sip_auth_type or "",
        sip_auth_user=event.sip_auth_user,
        sip_source_ip=event.sip_source_ip,
        signature_valid=event.signature_valid,
        sip_status=200,
        verdict=event.verdict,
        diagnosis=event.diagnosis,
        fix=event.fix,
        params=dict(event.params or {}),
        headers=dict(getattr(event, "headers", None) or {}),
    )


def row_from_simulation(result: Any, key: str, time_text: str, from_: str, to: str) -> CallRow:
    """A simulated call's outcome as a row; SIP failures produce no callback, so no params."""
    out = result.outcome
    status = int(out.get("sip_status") or 0)
    callback = out.get("callback") or {}
    params = callback.get("params") or {}
    stream = callback.get("stream_result")
    diag = result.diagnosis
    return CallRow(
        key=str(out.get("call_uuid") or key),
        time=time_text,
        from_=str(params.get("From") or from_),
        to=str(params.get("To") or _uri_user(str(out.get("request_uri") or "")) or to),
        sip_auth_type=str(params.get("SIPAuthType") or ""),
        sip_auth_user=str(params.get("SIPAuthUser") or ""),
        sip_source_ip=str(params.get("SIPSourceIP") or out.get("source_ip") or ""),
        signature_valid=None,
        sip_status=status,
        verdict=diag.verdict,
        diagnosis=diag.sentence,
        fix=diag.fix,
        stream=stream if isinstance(stream, dict) else None,
        params=dict(params) if isinstance(params, dict) else {},
        headers=dict(callback.get("signature_headers") or {}),
        ladder=[x for x in (out.get("ladder") or []) if isinstance(x, dict)],
        sip_reason=str(out.get("reason") or ""),
    )


def _uri_user(uri: str) -> str:
    """``sip:USER@host`` -> USER (what the provider put in the Request-URI)."""
    return uri.removeprefix("sip:").split("@", 1)[0] if uri else ""
