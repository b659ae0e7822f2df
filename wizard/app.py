"""The Textual App: owns the one Plan and the Session, and walks the steps.

The only module of `wizard/` that imports Textual. Screens live in `screens/`
and are imported when first shown, so the first screen paints before the
rest of the UI (and the network stack, imported by workers) is loaded.
"""

from __future__ import annotations

import copy
import importlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from wizard.session import DEMO, LIVE, OFFLINE, Session

if TYPE_CHECKING:
    from textual.command import Provider

    from wizard.plans.plan import Plan
    from wizard.steps import StepResult

# step -> "module:Screen"; imported on first use.
SCREENS = {
    "welcome": "screens.welcome:WelcomeScreen",
    "option": "screens.option:OptionScreen",
    "auth": "screens.auth:AuthScreen",
    "application": "screens.application:ApplicationScreen",
    "number": "screens.number:NumberScreen",
    "review": "screens.review:ReviewScreen",
    "provider": "screens.provider:ProviderScreen",
    "verify": "screens.verify:VerifyScreen",
    "done": "screens.done:DoneScreen",
}
FLOWS = {
    "direct_sip": ["option", "auth", "application", "review", "provider", "verify", "done"],
    "did_forwarding": ["option", "application", "number", "review", "provider", "verify", "done"],
}
DEFAULT_PLAN_FILE = "byon-plan.toml"
RELEASE_WAIT = 10.0  # seconds a quit waits to put the answer_url back (the journal covers it)
SHEETS = Path(__file__).resolve().parent.parent / "screens"  # app.tcss and one per step


def step_sheet(step: str) -> Path:
    """A step's own stylesheet (``screens/<step>.tcss``; a step may have none)."""
    return SHEETS / f"{step}.tcss"


def _first_step(mode: str, env_credentials: object) -> str:
    """Welcome, unless the account is already known (demo, or credentials in the env)."""
    return "option" if mode == DEMO or (mode == LIVE and env_credentials) else "welcome"


def _wizard_commands() -> type[Provider]:
    # imported when the palette opens, not at startup
    from screens.commands import WizardCommands

    return WizardCommands


class ByonApp(App[int]):
    """The wizard: one Plan, one Session, the steps of the chosen route."""

    TITLE = "byon"
    SUB_TITLE = ""  # the step's own title needs the whole header at 80 columns
    # Absolute: Textual resolves relative paths against the module of the (sub)class.
    # The first step's own sheet is added per run (see __init__): Textual loads a screen's
    # CSS_PATH when it is pushed, and the first step is the default screen, never pushed.
    CSS_PATH = [str(SHEETS / "app.tcss")]
    COMMANDS = App.COMMANDS | {_wizard_commands}
    BINDINGS = [
        Binding("ctrl+s", "save_plan", "Save", tooltip="write the plan file (no secrets)"),
        # f1 is in the footer: a focused text field takes `?` as a character
        Binding("f1", "help", "Keys", tooltip="every key, grouped"),
        Binding("question_mark", "help", "Keys", key_display="?", show=False),
        Binding("f3", "save_plan_as", "Save plan as…", show=False),
        Binding("f2", "toggle_activity", "Activity", show=False, tooltip="REST requests made"),
        Binding("q", "quit_wizard", "Quit", show=False),
        Binding("ctrl+q", "quit_wizard", "Quit", priority=True),
    ]

    def __init__(
        self,
        *,
        mode: str = OFFLINE,
        plan: Plan | None = None,
        plan_path: str | Path | None = None,
        api_url: str = "",
        env_credentials: tuple[str, str] | None = None,
        jump_to_review: bool = False,
        env_auth_id: str = "",
    ) -> None:
        first = _first_step(mode, env_credentials)
        super().__init__(css_path=[*self.CSS_PATH, str(step_sheet(first))])
        self._plan = plan
        # the plan as last written to (or read from) its file: "unsaved" compares with it
        self._saved: Plan | None = copy.deepcopy(plan) if plan is not None else None
        self.edited = False  # a step changed the plan since the last save
        self.env_auth_id = env_auth_id  # PLIVO_AUTH_ID, pre-filled on the welcome step
        self.plan_path = Path(plan_path or (plan and plan.source) or DEFAULT_PLAN_FILE)
        self.session = Session(mode=mode, api_url=api_url, plan_path=self.plan_path)
        self.start_mode = mode
        self.env_credentials = env_credentials
        self.jump_to_review = jump_to_review
        self.dirty = False  # the plan holds changes the account does not have yet
        self.frozen_time: str | None = None  # tests freeze displayed clocks
        self.frozen_ms: str | None = None  # ...and measured latencies (stable snapshots)
        self.exit_after_first_paint = os.environ.get("BYON_EXIT_AFTER_FIRST_PAINT") == "1"
        self._session_ready = None  # asyncio.Event, created in the loop
        self.show_activity = False  # the activity pane (f2), kept across steps
        self._step_css_loaded = False  # see load_step_css
        self.session.on_activity = self._on_activity

    @property
    def plan(self) -> Plan:
        """The one Plan every step reads and writes (made on first use: the plan module
        and its validators load after the first screen has painted)."""
        if self._plan is None:
            from wizard.plans.plan import Plan

            self._plan = Plan()
        return self._plan

    def use_plan(self, plan: Plan, path: Path) -> None:
        """Continue a saved plan (Welcome's recent list): its file is where ctrl+s writes."""
        self._plan = plan
        self._saved = copy.deepcopy(plan)  # as read from its file: nothing unsaved yet
        self.edited = False
        self.plan_path = Path(path)
        from wizard.plans.recent import remember_plan

        remember_plan(path)

    @property
    def plan_loaded(self) -> bool:
        """Whether a Plan exists yet (it is made on first use, after the first paint)."""
        return self._plan is not None

    @property
    def unsaved(self) -> bool:
        """The plan holds something its file does not (or has no file and was edited)."""
        if self._saved is None:
            return self.edited
        return self.plan != self._saved

    def known_auth_id(self) -> str:
        """The auth id to pre-fill: the loaded plan's, else PLIVO_AUTH_ID."""
        return (self._plan.auth_id if self._plan is not None else "") or self.env_auth_id

    def clock(self) -> str:
        """The time shown on screen (frozen in tests for stable snapshots)."""
        return self.frozen_time or time.strftime("%H:%M:%S")

    # navigation --------------------------------------------------------------
    def make_screen(self, step: str) -> Any:
        """A new screen for ``step`` (its module is imported on first use)."""
        module_name, cls_name = SCREENS[step].split(":")
        return getattr(importlib.import_module(module_name), cls_name)()

    def load_step_css(self) -> None:
        """Read every step's stylesheet at once, after the first paint (or before the second
        step, whichever comes first).

        Textual reads a screen's CSS_PATH when the screen is first pushed, and each new
        sheet re-parses every rule and restyles every widget of every installed screen:
        about 0.1 s on each Next. One read of all of them costs a parse once, while the user
        reads the first step (its own sheet is read at start)."""
        if self._step_css_loaded:
            return
        self._step_css_loaded = True
        added = False
        for step in SCREENS:  # in the steps' order, always: a later sheet wins a tie
            path = step_sheet(step)
            if not self.stylesheet.has_source(str(path)) and path.is_file():
                self.stylesheet.read(path)
                added = True
        if added:
            # only the new sheets are parsed: the others come from the stylesheet's cache.
            # Nothing is restyled: a step's sheet styles only its own screen (a test keeps
            # every rule scoped so), and every step but the first (whose sheet was read at
            # start) is made by show_step, after this, and styled with all of them.
            self.stylesheet.parse()

    def show_step(self, step: str) -> None:
        """Show a step; its screen is made once and kept."""
        self.load_step_css()
        # installed screens survive Back, so coming forward again shows what was typed
        if not self.is_screen_installed(step):
            self.install_screen(self.make_screen(step), name=step)
        self.push_screen(step)

    def finish_step(self, step: str, result: StepResult) -> None:
        """A step's typed result: merged into the one Plan (ids kept), then the next step.

        The plan counts as changed (unapplied, unsaved) only when the merge changed it, so
        Back then Next on an applied plan changes nothing."""
        self._merge(result)
        self.next_step(step)

    def _merge(self, result: StepResult) -> None:
        """A step's result into the plan; changed (unapplied, unsaved) only if it changed."""
        from wizard.steps import merge

        before = copy.deepcopy(self.plan)
        merge(self.plan, result)
        if self.plan != before:
            self.mark_dirty()

    def next_step(self, current: str) -> None:
        """Show the step after ``current`` in the chosen route."""
        flow = FLOWS[self.plan.option]
        if current == "welcome":
            below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
            if self.jump_to_review:  # `byon --plan FILE`: the account is known now
                self.resume_at_review(start=0)
            elif getattr(below, "STEP", "") == "option":
                # welcome stood in for a start whose credentials failed: back to the
                # first step, rather than a second option step on top of it
                self.pop_screen()
            else:
                self.show_step("option")
            return
        self.show_step(flow[flow.index(current) + 1])

    def resume_at_review(self, start: int) -> None:
        """Open a loaded plan at review, every earlier step behind it (Back works)."""
        self.jump_to_review = False
        flow = FLOWS[self.plan.option]
        for step in flow[start : flow.index("review") + 1]:
            self.show_step(step)

    def step_number(self, step: str) -> int | None:
        """The step's place in the chosen route (option is 1 on both)."""
        flow = self.route_steps()
        return flow.index(step) + 1 if step in flow else None

    def route_steps(self) -> list[str]:
        """The chosen route's steps, "done" excluded (before any choice: Direct SIP's).

        Reads the option without making a Plan: the first screen paints before the plan
        module loads."""
        option = self._plan.option if self._plan is not None else "direct_sip"
        return [s for s in FLOWS.get(option, FLOWS["direct_sip"]) if s != "done"]

    def back(self) -> None:
        """Go back one step (the first step stays)."""
        if len(self.screen_stack) > 1:  # the first step is the default screen: it stays
            self.pop_screen()

    def visited_steps(self) -> list[str]:
        """The steps behind the current one, oldest first: where "go to" can jump back to.

        The current step is the top step screen, whatever dialog (the palette, say) is
        open above it: it is not a step to go back to."""
        steps = [step for s in self.screen_stack if (step := getattr(s, "STEP", ""))]
        return steps[:-1]

    def go_to_step(self, step: str) -> None:
        """Go back to an earlier step; what was typed on every step is kept."""
        if step not in self.visited_steps():
            return

        def pop() -> None:
            while len(self.screen_stack) > 1 and getattr(self.screen, "STEP", "") != step:
                self.pop_screen()

        leave = getattr(self.screen, "leave_then", None)  # verify restores the answer_url
        if leave is not None:
            leave(pop)
        else:
            pop()

    def action_go_step(self, step: str) -> None:
        """The step indicator's links: back to a done step."""
        self.go_to_step(step)

    def sip_uri(self) -> str:
        """The SIP URI to give the provider, once the application exists ("" before)."""
        app_id = self.plan.application.app_id if self.plan_loaded else ""
        from wizard.plivo.facts import sip_uri

        return sip_uri(app_id) if app_id else ""

    def action_copy_sip_uri(self) -> None:
        """Copy the SIP URI to give the provider (once the application exists)."""
        from screens.widgets.copyable import copy_value

        missing = "apply the plan first (review step)."
        copy_value(self, self.sip_uri(), "the SIP URI", missing=missing)

    def first_step(self) -> str:
        """Welcome, unless the account is already known (demo, or credentials in the env)."""
        return _first_step(self.start_mode, self.env_credentials)

    def get_default_screen(self) -> Any:
        """The first step itself (no extra screen before the first paint)."""
        # the first step is the default screen itself: no second screen to lay out and
        # paint before the user sees something they can use
        return self.make_screen(self.first_step())

    def on_mount(self) -> None:
        """Fit the footer per screen; open a loaded plan at review."""
        import asyncio

        self.screen_change_signal.subscribe(self, lambda _screen: self._fit_footer())

        self._session_ready = asyncio.Event()
        if self.first_step() == "welcome":
            self._session_ready.set()
        elif self.jump_to_review:  # without an account, welcome asks for one first
            self.resume_at_review(start=1)

    def on_resize(self, event: Any) -> None:
        """Pack or space the footers' keys for the new width."""
        # the event's size: this handler runs before Textual's own, which updates self.size
        self._fit_footer(event.size.width)

    def _fit_footer(self, width: int | None = None) -> None:
        from screens.widgets.base import StepFooter  # loaded with the first step

        packed = StepFooter.packed(self.size.width if width is None else width)
        # every screen of the stack: a step's footer shows behind a dialog open on it
        for screen in self.screen_stack:
            for footer in screen.query(StepFooter):
                footer.compact = packed

    def on_ready(self) -> None:
        """The first screen has painted: start the session."""
        # Ready is posted right after the first screen has been painted
        self._after_first_paint()

    def _after_first_paint(self) -> None:
        from wizard import collector  # paused by the command line for the start

        collector.resume()
        if self.exit_after_first_paint:
            self.exit(0)
            return
        # the later steps' styles are read now, while the user reads the first step
        self.call_after_refresh(self.load_step_css)
        if self.first_step() == "option":  # the account is known: connect to it now
            self._start_session()
        if not self.is_headless:  # tests drive a headless app: no terminal to lose
            from wizard.hangup import TerminalWatch

            TerminalWatch(self.session.close).start(self.set_interval)

    @work(exclusive=True, exit_on_error=False, group="session")
    async def _start_session(self) -> None:
        try:
            if self.start_mode == DEMO:
                await self.session.start_demo()
                self.plan.auth_id = self.session.auth_id
            else:
                auth_id, token = self.env_credentials or ("", "")
                await self.session.connect(auth_id, token)
                self.plan.auth_id = auth_id
                self.show_session_notices()
        finally:
            self._session_ready.set()

    def show_session_notices(self) -> None:
        """Say once what connecting did on its own (an answer_url restored after a crash)."""
        for notice in self.session.notices:
            self.notify(notice, title="Restored", timeout=15)
        self.session.notices.clear()

    async def wait_session(self) -> Session:
        """Workers await this before using the client (the demo starts after first paint)."""
        if self._session_ready is not None:
            await self._session_ready.wait()
        return self.session

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed session start: say why (live: back to welcome to type credentials)."""
        if event.worker.group == "session" and event.state == WorkerState.ERROR:
            self.notify(self.describe_error(event.worker.error), severity="error", timeout=15)
            if self.start_mode == LIVE:  # let the user type working credentials instead
                self.show_step("welcome")

    def describe_error(self, error: BaseException | None) -> str:
        """The one place an exception becomes a sentence (secrets scrubbed)."""
        from wizard.errors import ByonError, scrub

        if isinstance(error, ByonError):
            text = str(error)
        else:
            text = f"Unexpected error ({type(error).__name__}): {error}"
        return scrub(text, self.session.secrets())

    # saving and quitting -------------------------------------------------------
    def mark_dirty(self) -> None:
        """The plan changed: the account and the file do not have it yet."""
        self.dirty = True
        self.edited = True

    def notify(self, message: str, *, markup: bool = False, **options: Any) -> None:
        """Textual's toast, plain text by default: toasts carry paths, names and Plivo's
        own words, and a ``[/]`` in one must be shown, not read as a tag."""
        super().notify(message, markup=markup, **options)

    def take_form(self) -> str:
        """The shown step's typed values into the plan, as Next would put them: before a
        save or the quit question, what is on screen is the user's latest word. Returns
        why they could not be taken ("" when taken, or when the step has no form)."""
        result_of = getattr(self.screen, "result", None)  # the steps with a form
        if not callable(result_of):
            return ""
        result, errors = result_of()
        if errors or result is None:
            return " · ".join(errors)
        self._merge(result)
        return ""

    def save_plan(self, path: str | Path | None = None, *, quiet: bool = False) -> bool:
        """Write the plan (no secrets in it) to ``path`` or the plan file; False on failure.

        A save the user asked for takes the shown step's form first (``take_form``)."""
        from wizard.plans.plan import save_plan
        from wizard.plans.recent import remember_plan

        left_out = "" if quiet else self.take_form()
        target = Path(path) if path is not None else self.plan_path
        try:
            written = save_plan(self.plan, target)
        except Exception as exc:
            error = self.describe_error(exc)
            self.notify(f"Plan not saved: {error}", severity="error")
            return False
        # shown in full from now on: a relative default lands in the folder byon started in
        self.plan_path = Path(written).absolute()
        self.session.plan_path = self.plan_path  # its journal and lock follow the file
        self.plan.source = self.plan_path
        self._saved = copy.deepcopy(self.plan)
        self.edited = False
        remember_plan(written)  # Welcome lists it next time
        if left_out:
            self.notify(
                f"Plan saved to {self.plan_path}, without this step's form: {left_out}",
                title="Saved",
                severity="warning",
                timeout=10,
            )
        elif not quiet:
            self.notify(f"Plan saved to {self.plan_path} (no secrets in it).", title="Saved")
        saved_hook = getattr(self.screen, "plan_saved", None)  # Done says "saved" at once
        if saved_hook is not None:
            saved_hook()
        return True

    def action_save_plan(self) -> None:
        """ctrl+s: save the plan to its file."""
        self.save_plan()

    def action_save_plan_as(self) -> None:
        """Save the plan to a file the user names; it is the plan file from then on."""
        from screens.widgets.path_prompt import PathPrompt

        def chosen(path: Path | None) -> None:
            if path is not None:
                self.save_plan(path)

        note = "A TOML file; it never holds the auth token or a SIP password."
        prompt = PathPrompt("Save the plan as", str(self.plan_path), note, suffix=".toml")
        self.push_screen(prompt, chosen)

    async def plan_applied(self, view: Any = None) -> None:
        """After an apply: every id from the account into the plan, and its file (when
        there is one) rewritten, so a later `byon apply` never undoes what was done."""
        await self.session.learn_ids(self.plan, view)
        self.dirty = False
        if self.plan.source is not None and self.save_plan(self.plan.source, quiet=True):
            self.notify(f"Plan file {self.plan_path} updated from the account.", title="Saved")

    async def action_quit(self) -> None:
        """Every way out (the palette's Quit too) goes through the unsaved-plan guard."""
        self.action_quit_wizard()

    def get_system_commands(self, screen: Any) -> Any:
        """Textual's palette commands, less Keys and Quit: byon's own (the keys of this
        step, and quit with the unsaved-plan guard) stand in their place, once each."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Quit"):
                yield command

    def action_help(self) -> None:
        """f1 or ?: the keys overlay, every key of this screen, grouped."""
        from screens.widgets.help import open_help

        open_help(self)

    # the activity pane -------------------------------------------------------------
    def action_toggle_activity(self) -> None:
        """f2: show or hide the activity pane (every REST request made)."""
        self.show_activity = not self.show_activity
        self.sync_activity(self.screen)
        if self.show_activity and not self.session.activity:
            self.notify("No request to Plivo yet: they appear here as the wizard makes them.")

    def sync_activity(self, screen: Any) -> None:
        """Show or hide the pane on ``screen`` (mounted on first use, never at startup)."""
        from screens.widgets.activity import ActivityPane

        panes = list(screen.query(ActivityPane))
        if self.show_activity and not panes and hasattr(screen, "STEP"):
            screen.mount(ActivityPane(), before="#error")  # above the error line and footer
        for pane in panes:
            pane.display = self.show_activity
            if self.show_activity:
                pane.refill()

    def _on_activity(self, record: Any) -> None:
        if not self.show_activity:
            return
        from screens.widgets.activity import ActivityPane

        for pane in self.screen.query(ActivityPane):
            pane.refill()

    def action_quit_wizard(self) -> None:
        """Quit, asking first when the plan would be lost or is not applied yet."""
        from screens.widgets.quit import QuitScreen

        if isinstance(self.screen, QuitScreen):
            return  # already asking
        # an edit still in the form counts: taken into the plan, or unsaved if it is wrong
        form_left_out = bool(self.take_form())
        unapplied = self.dirty and self.session.online
        if not self.unsaved and not unapplied and not form_left_out:
            self._leave()
            return

        def done(choice: str | None) -> None:
            if choice == "quit" or (choice == "save" and self.save_plan()):
                self._leave()

        self.push_screen(
            QuitScreen(
                str(self.plan_path), unsaved=self.unsaved or form_left_out, unapplied=unapplied
            ),
            done,
        )

    def _leave(self) -> None:
        """Exit; when verify has the application's answer_url, put it back first while
        the screen can still say so (a quit used to wait up to 15 s with no word)."""
        if self.session.takeover is None:
            self.exit(0)
            return
        self.notify("Putting the application's answer_url back before quitting…", timeout=15)
        self._release_then_exit()

    @work(exclusive=True, exit_on_error=False, group="quit")
    async def _release_then_exit(self) -> None:
        import asyncio

        try:
            await asyncio.wait_for(self.session.release_app(), RELEASE_WAIT)
        except Exception:  # the takeover journal puts it back on the next byon run
            self.notify(
                "Could not put the answer_url back now; the next byon run does it.",
                severity="warning",
            )
            await asyncio.sleep(2)  # long enough to be read
        self.exit(0)

    async def on_unmount(self) -> None:
        """Restore what verify took over, stop the listener and the demo."""
        await self.session.close()
