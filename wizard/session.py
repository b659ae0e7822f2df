"""The wizard's session: who we talk to and the long-lived things we started.

UI-free (no Textual): the screens call these coroutines from their workers.
Heavy modules (httpx via plivo.py, aiohttp via the emulator and verify) are
imported inside the coroutines so that the first screen paints before they load.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.errors import ByonError
from wizard.plivo.facts import CREDENTIAL, IP_ACL, IP_ACL_AND_CREDENTIAL

LIVE, DEMO, OFFLINE = "live", "demo", "offline"
CONNECT_DEADLINE = 4.0  # seconds of retries for the account check


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
    """Who the wizard talks to (client, demo emulator) and what it started (listener)."""

    mode: str = OFFLINE
    api_url: str = ""
    auth_id: str = ""
    _token: str = field(default="", repr=False)
    emulator: Any = field(default=None, repr=False)
    client: Any = field(default=None, repr=False)
    listener: Any = field(default=None, repr=False)
    # demo: the in-process agent the answer XML's <Stream> points at (the audio hop)
    echo_agent: Any = field(default=None, repr=False)
    writes: int = 0  # requests that may have changed the account, this session
    # the SIP password for a new credential: kept only in memory, never in the plan
    sip_password: str = field(default="", repr=False)
    password_generated: bool = False
    open_sip_confirmed: bool = False  # the user explicitly accepted an unauthenticated SIP URI
    open_sip_app: str = ""  # ...for this application (name); "" until one was applied so
    deadline: float = 15.0  # seconds a request may spend on retries
    # the one apply engine: its undo list is what Undo on Review takes back
    applier: Any = field(default=None, repr=False)
    rotate_password: str = ""  # the username whose existing credential gets our password
    last_view: Any = field(default=None, repr=False)  # the account as last read for review
    # the app whose answer_url points at the listener (journaled: a crash is undone next run)
    takeover: Any = field(default=None, repr=False)
    notices: list[str] = field(default_factory=list)  # what connecting restored, to show once
    # demo: why the emulator's SIP edge could not start ("" while it runs or was not tried);
    # the simulated calls then take the HTTP route
    sip_edge_error: str = ""
    # the plan file this session saves to: its apply lock and undo journal are `byon apply`'s
    plan_path: Path | None = None
    _demo_dir: Path | None = field(default=None, repr=False)
    activity: list[RequestRecord] = field(default_factory=list, repr=False)  # oldest first
    on_activity: Callable[[RequestRecord], None] | None = field(default=None, repr=False)

    @property
    def token(self) -> str:
        """The auth token in use (kept out of repr)."""
        return self._token

    @property
    def is_demo(self) -> bool:
        """True in ``byon demo``: the built-in emulator stands in for the account."""
        return self.mode == DEMO

    @property
    def online(self) -> bool:
        """Connected to an account (live or demo)."""
        return self.client is not None

    def secrets(self) -> list[str]:
        """Values no message may show: the token and the SIP password."""
        return [s for s in (self._token, self.sip_password) if s]

    # account ---------------------------------------------------------------
    async def start_demo(self) -> Any:
        """Start the in-process emulator with demo data and connect to it.

        Once only: a second call uses the running demo. Nothing is left half-started: on
        a failure what started is stopped, and the session is not in demo mode."""
        import functools

        from wizard.emulator import Emulator
        from wizard.stream.check import EchoAgent, emulator_stream_hook

        if self.emulator is not None and self.mode == DEMO and self.client is not None:
            return await self.client.get_account()
        emu, agent = Emulator(seed="demo"), EchoAgent()
        try:
            await emu.start("127.0.0.1", 0)
            await agent.start("127.0.0.1", 0)
            # the emulator follows the answer XML's <Stream> to the echo agent, as Plivo
            # would, and signs the upgrade with the account's token, as Plivo does
            emu.on_stream = functools.partial(emulator_stream_hook, auth_token=emu.auth_token)
            self.mode = DEMO  # before connect: a demo session never counts as live
            account = await self.connect(emu.auth_id, emu.auth_token, api_url=emu.api_url)
        except BaseException:
            self.mode = OFFLINE if self.client is None else self.mode
            await agent.stop()
            await emu.stop()
            raise
        self.emulator, self.echo_agent = emu, agent
        return account

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
        if method.upper() != "GET":
            self.writes += 1  # the account may have changed: lists read before are stale
        self.activity.append(record)
        del self.activity[:-ACTIVITY_KEPT]
        if self.on_activity is not None:
            self.on_activity(record)

    def require_client(self) -> Any:
        """The API client; ByonError with the way forward when offline."""
        if self.client is None:
            raise ByonError(
                "This step needs a Plivo account, and the wizard is offline.",
                hint="Save the plan (ctrl+s) and run `byon apply PLAN.toml` later.",
            )
        return self.client

    async def close(self) -> None:
        """Put back what the session changed for verification and stop what it started."""
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
        if self._demo_dir is not None:  # its journals speak of an account that is gone
            import shutil

            demo_dir, self._demo_dir = self._demo_dir, None
            shutil.rmtree(demo_dir, ignore_errors=True)

    # verification ------------------------------------------------------------
    async def start_sip_edge(self) -> dict[str, Any] | None:
        """Demo: start the emulator's SIP edge (after the first paint); None when it cannot
        start, with the reason in ``sip_edge_error``."""
        emu = self.emulator
        if emu is None:
            return None
        if emu.sip_info() is not None:
            return emu.sip_info()
        try:
            info = await emu.start_sip("127.0.0.1", 0, tls_port=0)
        except (OSError, RuntimeError, ValueError) as exc:
            self.sip_edge_error = str(exc) or type(exc).__name__
            return None
        # a presenter's first call must not wait on the signer; `byon emulator` leaves it to
        # its first call, as most of its runs place none
        await asyncio.to_thread(emu.edge.load_signer)  # an import: off the event loop
        self.sip_edge_error = ""
        return info

    async def call_ladder(self, key: str) -> list[dict[str, Any]]:
        """Demo: the SIP ladder of a call from ``GET /__emulator__/calls``, matched by its
        call_uuid or SIP Call-ID ([] when the emulator has none)."""
        import httpx

        from wizard.verify.sipcalls import ladder_rows

        if self.emulator is None:
            return []
        from wizard.plivo.http import plain_http_context

        auth = (self.auth_id, self._token)
        async with httpx.AsyncClient(auth=auth, timeout=10, verify=plain_http_context()) as http:
            resp = await http.get(f"{self.emulator.api_url}/__emulator__/calls")
        if resp.status_code != 200:
            return []
        for call in resp.json().get("calls") or []:
            if key in (call.get("call_uuid"), call.get("call_id")):
                return ladder_rows(call.get("ladder") or [])
        return []

    async def run_probe(self, plan: Any, emit: Callable[[Any], None]) -> list[Any]:
        """``byon sip-probe`` for the plan's app: the emulator's edge in the demo, Plivo
        otherwise; each check's result goes to ``emit`` as it comes."""
        from wizard.sip.probe import run_probe
        from wizard.verify.probe_wizard import probe_options

        if self.mode == DEMO:
            await self.start_sip_edge()
        opts = probe_options(self, plan)
        return await run_probe(opts, emit)

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
        from wizard.verify.signature import ReplayStore

        await self.stop_listener()
        listener = verify.Listener(
            self._token,
            public_url=public_url or None,
            expectation=expectation,
            on_event=on_event,
            answer_xml=answer_xml,
            client=self.client,  # a pass counts once Plivo's call record backs it
            # the demo's emulator dies with the process: its nonces need no state file
            replays=ReplayStore(None) if self.mode == DEMO else None,
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
            journal = self._demo_folder() / f"takeover-{app_id}.json"
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
        """Stop the answer_url listener, if one runs."""
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
            url,
            content_type=content_type,
            seconds=seconds,
            timeout=5.0,
            account_id=self.auth_id,
            auth_token=self._token or None,  # signs the upgrade, as Plivo does
        )

    # applying, one change at a time ---------------------------------------------
    def _applier_for(self, plan: Any) -> Any:
        """The session's one apply engine (one undo list), following the current plan."""
        from wizard.plans.apply import Applier

        client = self.require_client()
        if self.applier is None or self.applier.client is not client:
            undo = self.applier.undo if self.applier is not None else []
            self.applier = Applier(client, plan, auth_id=self.auth_id)
            self.applier.undo = undo
        self.applier.plan = plan
        self.applier.plan_file = self.plan_path
        self.applier.journal_file = self.journal_path()
        self.applier.password = self.sip_password or None
        cred = plan.auth.credential if plan.auth is not None else None
        # the choice holds for the credential it was made for, not one typed in later
        self.applier.rotate_password = bool(cred) and cred.username == self.rotate_password
        return self.applier

    @property
    def undo(self) -> list[Any]:
        """What this session applied and can undo (journal.Undo, oldest first)."""
        return self.applier.undo if self.applier is not None else []

    async def pending_changes(self, plan: Any) -> list[Any]:
        """Read the account once and diff it with the plan (the review screen's lines)."""
        applier = self._applier_for(plan)
        changes = await applier.read()
        self.last_view = applier.view
        return changes

    def journal_steps(self, plan: Any) -> list[str]:
        """What an earlier run left to undo for this plan; applying finishes it first."""
        if self.client is None:
            return []
        return [u.describe() for u in self._applier_for(plan).journal_steps()]

    def open_sip_warning(self, plan: Any) -> str | None:
        """The risk apply cannot fix for DID forwarding, from the last account read."""
        from wizard.plans.risks import dangerous_risks

        if self.last_view is None:
            return None
        risks = dangerous_risks(plan, self.last_view.application)
        opened = [r for r in risks if r.kind == "open_sip_uri"]
        return f"warning: {opened[0].message}." if opened else None

    def password_unknown(self) -> Any:
        """The last read's existing credential the plan did not make (password unknown)."""
        if self.applier is None:
            return None
        return next((c for c in self.applier.changes if c.adopted), None)

    async def finish_journal(self, plan: Any, on_step: Callable[[Any], None]) -> bool:
        """Finish what an earlier run could not undo (shown on Review before Apply)."""
        from wizard.plans.journal import apply_lock

        applier = self._applier_for(plan)
        with apply_lock(self.plan_path, self.auth_id):
            return await applier.finish_journal(on_step)

    async def apply_one(self, plan: Any, change: Any, on_step: Callable[[Any], None]) -> Any:
        """Apply one change of the last read; its id goes into the plan, its way back
        into the one undo list.

        The wizard applies change by change so that a failure keeps every earlier step
        (the user then chooses retry or undo) instead of rolling everything back.
        """
        from wizard.plans.journal import apply_lock

        applier = self._applier_for(plan)
        with apply_lock(self.plan_path, self.auth_id):  # `byon apply` of this plan waits
            result = await applier.run([change], on_step=on_step)
        if result.ok and result.generated_password:
            self.sip_password = result.generated_password
            self.password_generated = True
        return result

    async def learn_ids(self, plan: Any, view: Any = None) -> None:
        """Set every id in the plan from the account, unchanged resources too (after an
        apply), so the plan and its file never disagree with what exists. ``view``: an
        account read made after the last change (else it is read now)."""
        from wizard.errors import PlanError
        from wizard.plans.apply import read_account
        from wizard.plans.plan import set_id

        if view is None:
            view = await read_account(self.require_client(), plan)
            self.last_view = view
        found = (
            ("application", view.application and view.application.app_id),
            ("ip_acl", view.ip_acl and view.ip_acl.ip_acl_uuid),
            ("credential", view.credential and view.credential.credential_uuid),
            ("number", view.number and view.number.number),
        )
        for kind, rid in found:
            with contextlib.suppress(PlanError):  # the plan has no table for it
                set_id(plan, kind, rid or "")

    async def undo_applied(self, on_step: Callable[[Any], None]) -> list[Any]:
        """Undo this session's changes, newest first; return what could not be undone."""
        from wizard.plans.journal import apply_lock

        if self.applier is None:
            return []
        with apply_lock(self.plan_path, self.auth_id):
            return await self.applier.undo_all(on_step)

    def journal_path(self) -> Path:
        """This account and plan file's undo journal, `byon apply`'s too (the demo's: temp)."""
        from wizard.plans.journal import journal_path_for

        if self.mode == DEMO:
            return self._demo_folder() / "journal.json"
        return journal_path_for(self.plan_path, self.auth_id)

    def _demo_folder(self) -> Path:
        """A private temp folder for the demo's journals, removed with the session (the
        demo's account dies with it)."""
        if self._demo_dir is None:
            from tempfile import mkdtemp  # not at import: the first paint does without it

            self._demo_dir = Path(mkdtemp(prefix="byon-demo-"))
        return self._demo_dir


@dataclass(frozen=True)
class Recommendation:
    """The option step's advice: route, auth type and the reason."""

    option: str  # "direct_sip" | "did_forwarding"
    auth_type: str  # "" for DID forwarding
    reason: str


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
            IP_ACL_AND_CREDENTIAL,
            "Shared/CGNAT IPs: an IP ACL alone would admit other customers, so require "
            "IP ACL and credentials.",
        )
    if stable_ips:
        return Recommendation(
            "direct_sip",
            IP_ACL,
            "Stable outbound IPs: an IP ACL is fastest (no challenge) and hardest to abuse.",
        )
    return Recommendation(
        "direct_sip",
        CREDENTIAL,
        "Your provider rotates IPs: use SIP digest credentials with a strong password.",
    )
