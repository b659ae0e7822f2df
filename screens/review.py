"""Step: the plan's changes (+ create / ~ update / = unchanged), then apply them step by step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static
from textual.worker import Worker

from screens.widgets.base import StepScreen
from screens.widgets.confirm import ConfirmScreen
from screens.widgets.markup import escape
from screens.widgets.password import PasswordField
from wizard.numbers import digits_only

MARK = {
    "create": "[$success]+[/]",
    "update": "[$warning]~[/]",
    "unchanged": "[dim]=[/]",
    "check": "[$accent]?[/]",
}
STATE = {
    "pending": "[dim]·[/]",
    "running": "[$accent]◌[/]",
    "done": "[$success]✓[/]",
    "failed": "[$error]✗[/]",
    "rolled_back": "[$warning]↺[/]",
}
OFFLINE = (
    "Offline: nothing is sent to Plivo. These are the changes `byon apply` makes from "
    "this plan: save it (ctrl+s) and run `byon apply PLAN.toml` with "
    "PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN set."
)
BUSY = "Applying: wait for every line above to finish (a ✓ or a ✗)."
PASSWORD_NOTE = (
    "Shown only in this session, never saved · ctrl+y copy · ctrl+r show. "
    "Type it into your provider's console now."
)


def _undo_state(state: str) -> str:
    """An undo step's event state as a line mark."""
    if state == "done":
        return "rolled_back"
    return state if state in STATE else "running"


@dataclass
class DiffReady(Message):
    """The account was read and compared with the plan (``changes``), or offline lines."""

    changes: list[Any]
    warning: str | None = None
    offline: list[tuple[str, str]] | None = None
    earlier: list[str] = field(default_factory=list)  # an earlier run's undo steps


@dataclass
class ApplyStep(Message):
    """One line of the apply (or undo) run changed state."""

    key: str
    state: str
    text: str


@dataclass
class ApplyFinished(Message):
    """An apply run ended: ``error`` is the error line's sentence ("" when it went through)."""

    error: str = ""


@dataclass
class UndoFinished(Message):
    """An undo run ended: ``left`` names the steps that could not be undone (kept in the
    journal)."""

    left: list[str] = field(default_factory=list)


class ReviewScreen(StepScreen):
    """What will change in the account; apply it change by change, retry or undo."""

    STEP = "review"
    TITLE = "Review and apply · what will change in your Plivo account"
    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("a", "apply", "Apply"),
        Binding("r", "retry", "Retry"),
        Binding("u", "undo", "Undo all"),
        Binding("n", "next", "Next"),
        Binding("ctrl+n", "next", "Next", show=False),  # every other step's Next key
        Binding("ctrl+y", "copy_password", "Copy password", show=False),
        Binding("ctrl+r", "reveal", "Show password", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.changes: list = []
        self.applied = False
        self.failed = False
        self.blocked = True  # until the plan has been checked

    def compose_body(self) -> ComposeResult:
        """Findings, the diff, one line per applied step, the new password, the buttons."""
        self.findings = Static("", id="findings")
        self.diff_view = Static("Reading your account…", id="diff")
        self.steps = Vertical(id="steps")
        self.password = PasswordField(PASSWORD_NOTE, id="password")
        yield from (self.findings, self.diff_view, self.steps, self.password)
        with Horizontal(classes="buttons"):
            self.apply_button = Button("Apply (a)", id="apply", variant="primary")
            self.retry_button = Button("Retry (r)", id="retry")
            self.undo_button = Button("Undo all of this session (u)", id="undo", variant="warning")
            yield from (self.apply_button, self.retry_button, self.undo_button)
            yield Button("Next (n)", id="next")

    def on_mount(self) -> None:
        """Buttons for the state; Apply has the focus."""
        self._buttons()
        self.apply_button.focus()

    def on_screen_resume(self) -> None:
        """Earlier steps may have changed the plan since this screen was last shown."""
        if not self.failed and not self.busy:
            self.applied = False
            self.steps.remove_children()
            self._show_password()
            self.refresh_diff()

    def _buttons(self) -> None:
        online = self.app.session.online
        self.apply_button.display = online and not self.applied and not self.failed
        self.retry_button.display = self.failed
        self.undo_button.display = self.failed or (self.applied and bool(self._undo()))
        self.password.display = bool(self.password.password)
        self.refresh_bindings()

    def _undo(self) -> list:
        return self.app.session.undo

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Retry after a failure, Undo with something to undo, Apply when there is work;
        none of them, and no leaving, while an apply or undo runs (a second one would
        cancel it midway; the plan it writes ids into must stay as it is)."""
        if action in ("apply", "retry", "undo", "back", "next") and self.busy:
            return False
        if action in ("retry",):
            return self.failed
        if action == "undo":  # as its button: after a failure, or once applied
            return (self.failed or self.applied) and bool(self._undo())
        if action == "apply":
            return self.app.session.online and not self.applied and not self.failed
        return super().check_action(action, parameters)

    # findings and diff -------------------------------------------------------------
    def _findings(self) -> list:
        from wizard.plans.validate import validate_plan

        findings = validate_plan(self.plan)
        if self.app.session.open_sip_confirmed:
            findings = [f for f in findings if f.key != "auth"]
        return findings

    def _finding_lines(self, findings: list, warning: str | None = None) -> str:
        lines = [
            f"[{'$error' if f.level == 'error' else '$warning'}]{f.level}[/] {escape(f.key)}: "
            f"{escape(f.message)}"
            for f in findings
        ]
        if warning:
            lines.append(f"[$warning]warning[/] {escape(warning.removeprefix('warning: '))}")
        return "\n".join(lines)

    @work(exclusive=True, exit_on_error=False, group="diff")
    async def refresh_diff(self) -> None:
        """Check the plan, then read the account and compare (offline: the plan alone)."""
        findings = self._findings()
        self.findings.update(self._finding_lines(findings))
        self.blocked = any(f.level == "error" for f in findings)
        session = await self.app.wait_session()
        if self.blocked:
            self.diff_view.update("Fix the errors above (escape goes back) before applying.")
            self._buttons()
            return
        if not session.online:
            from wizard.steps import offline_lines

            self.post_message(DiffReady([], offline=offline_lines(self.plan)))
            return
        changes = await session.pending_changes(self.plan)
        # the journal is a file: read here, where a bad one becomes the error line
        earlier = session.journal_steps(self.plan)
        self.post_message(DiffReady(changes, session.open_sip_warning(self.plan), earlier=earlier))

    def on_diff_ready(self, message: DiffReady) -> None:
        """Show the changes, one line each (a number to buy with its cost)."""
        from wizard.plans.apply import render_change

        if message.offline is not None:
            lines = [f"{MARK[a]} {escape(line[2:])}" for a, line in message.offline]
            self.diff_view.update("\n".join([*lines, "", OFFLINE]) if lines else OFFLINE)
            self._buttons()
            return
        self.changes = message.changes
        if message.warning:
            self.findings.update(self._finding_lines(self._findings(), message.warning))
        earlier = [
            f"[$warning]↺[/] {escape(u)} (left by an earlier run; Apply does it first)"
            for u in message.earlier
        ]
        self.diff_view.update(
            "\n".join(
                earlier
                + [
                    f"{MARK[c.action]} {escape(render_change(c)[2:] + self._cost(c))}"
                    for c in self.changes
                ]
            )
            or "Nothing to change."
        )
        self.applied = not earlier and all(c.action == "unchanged" for c in self.changes)
        self._buttons()

    def _cost(self, change: Any) -> str:
        """What buying a number costs, from the search the plan names."""
        if change.kind != "number" or change.action != "create":
            return ""
        from screens.widgets.words import money

        view = self.app.session.last_view
        wanted = digits_only(change.name)
        for n in getattr(view, "available", None) or []:
            if digits_only(n.number) == wanted:
                return (
                    f" · costs {money(n.setup_rate)} setup + {money(n.monthly_rental_rate)}/month"
                )
        return ""

    # applying ----------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """An apply or an undo is running."""
        return self.working("apply")

    def _start(self, run) -> None:
        """Start an apply or an undo, unless one runs: the keys go off until it ends."""
        if self.busy:
            return
        run()
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An apply or undo ended (however): the wait it asked for is over."""
        ended = event.worker.group == "apply" and event.worker.is_finished
        if ended and self.error_line.content == BUSY:  # said while it ran: no longer true
            self.clear_error()

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        """Apply every change (after the open-SIP-URI warning, when it applies)."""
        if self.busy:
            return
        if self.blocked or not self.app.session.online:
            self.show_error("Nothing can be applied yet: see the lines above.")
            return
        session = self.app.session
        warning = session.open_sip_warning(self.plan)
        name = self.plan.application.name
        # an acceptance holds for the application it was given for, not for the next one
        accepted = session.open_sip_confirmed and session.open_sip_app in ("", name)
        if warning and not accepted:
            # never leave a SIP URI open without an explicit, warned choice
            self.app.push_screen(
                ConfirmScreen(
                    "Apply with the SIP URI open?",
                    escape(warning.removeprefix("warning: "))
                    + " Apply only if you accept that; otherwise choose Direct SIP with "
                    "authentication.",
                    yes="Apply anyway",
                    no="Cancel",
                ),
                self._open_confirmed,
            )
            return
        adopted = session.password_unknown()
        if adopted is not None and session.rotate_password != adopted.name:
            # an existing credential the plan did not make: its password may not be the
            # provider's, and every call would get 403
            self.app.push_screen(
                ConfirmScreen(
                    f"Credential {adopted.name} exists already",
                    f"{escape(adopted.name)} was not made from this plan, so Plivo keeps its "
                    "own password, and calls get 403 unless your provider sends that one. "
                    "Set its password to the one in this wizard, or stop here.",
                    yes="Rotate the password",
                    no="Stop",
                ),
                self._rotate_chosen,
            )
            return
        self.clear_error()
        self.apply_button.display = False
        self._start(self.run_apply)

    def _open_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.app.session.open_sip_confirmed = True
            self.app.session.open_sip_app = self.plan.application.name
            self.action_apply()

    def _rotate_chosen(self, yes: bool | None) -> None:
        adopted = self.app.session.password_unknown()
        if yes and adopted is not None:
            # for this credential only: another username typed later is asked about again
            self.app.session.rotate_password = adopted.name
            self.action_apply()
        elif not yes:
            self.show_error("Stopped: nothing was applied.")

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        """Run the remaining changes again (after fixing the cause)."""
        if self.busy:
            return
        self.failed = False
        self.clear_error()
        self._buttons()
        self.apply_button.display = False
        self._start(self.run_apply)

    def on_apply_step(self, message: ApplyStep) -> None:
        """Add or update the line of one step."""
        label = f"{STATE[message.state]} {escape(message.text)}"
        found = self.steps.query(f"#step-{message.key}")
        if found:
            found.first(Static).update(label)
        else:
            self.steps.mount(Static(label, id=f"step-{message.key}", classes="step"))

    def _line(self, key: str, state: str, text: str) -> None:
        self.post_message(ApplyStep(key, state, text))

    # not exclusive: a second start would cancel a run that is writing to the account
    @work(exit_on_error=False, group="apply")
    async def run_apply(self) -> None:
        """Apply change by change; a failure keeps the earlier ones (retry or undo)."""
        from wizard.plans.apply import render_change

        session = await self.app.wait_session()
        if session.journal_steps(self.plan):

            def on_undo(event) -> None:
                self._line(f"undo-{event.step}", _undo_state(event.state), event.message)

            if not await session.finish_journal(self.plan, on_undo):
                self.failed = True
                self.post_message(
                    ApplyFinished("An earlier run's undo steps still fail; see the lines above.")
                )
                return
        # one read of the account, then each change in order
        changes = await session.pending_changes(self.plan)
        for change in [c for c in changes if c.action != "unchanged"]:
            key = change.kind
            self._line(key, "running", render_change(change))

            def on_step(event, key=key) -> None:
                if not event.rollback and event.state in ("done", "failed"):
                    self._line(key, event.state, event.message)

            result = await session.apply_one(self.plan, change, on_step)
            if not result.ok:
                msg = self.app.describe_error(result.error)
                self._line(key, "failed", f"{render_change(change)}: {msg}")
                self.failed = True
                done = len(self._undo())
                self.post_message(
                    ApplyFinished(
                        f"{msg}  {done} earlier step(s) are kept. Retry (r) after fixing the "
                        "cause, or undo (u) what this wizard changed."
                    )
                )
                return
        self.applied = True
        # the last read above is the account's truth: every id into the plan and its file
        await self.app.plan_applied()  # read anew: the view before apply lacks what it made
        self.post_message(ApplyFinished())

    def on_apply_finished(self, message: ApplyFinished) -> None:
        """The apply's end on screen: why it stopped (with Retry and Undo), or the account
        matching the plan and the new password."""
        if message.error:
            self.show_error(message.error)
            self._buttons()
            return
        self.diff_view.update(
            "[$success]The account now matches the plan.[/] Next: your provider's settings (n)."
        )
        self._show_password()  # no toast besides: it would still cover the provider step

    @on(Button.Pressed, "#undo")
    def action_undo(self) -> None:
        """Undo everything this wizard changed in this session (every apply), newest first."""
        self._start(self.run_undo)

    @work(exit_on_error=False, group="apply")
    async def run_undo(self) -> None:
        """Roll back this session's changes; what cannot be undone stays in the journal."""
        session = await self.app.wait_session()

        def on_step(event) -> None:
            self._line(f"undo-{event.step}", _undo_state(event.state), event.message)

        left = await session.undo_applied(on_step)
        self.failed = False
        self.applied = False
        # ids of deleted resources may stay in the plan: apply falls back to names
        self.app.dirty = True
        self.post_message(UndoFinished([u.describe() for u in left]))

    def on_undo_finished(self, message: UndoFinished) -> None:
        """The undo's end on screen: what is left to undo, or done; then the diff anew."""
        if message.left:
            self.show_error(
                "Some steps could not be undone: "
                + "; ".join(message.left)
                + ". They are kept in the journal for `byon apply` to finish."
            )
        else:
            self.clear_error()
            self.app.notify("Undone: the account is as it was before.", title="Undone")
        self._show_password()
        self.refresh_diff()

    def worker_failed(self, worker) -> None:
        """A failed apply can be retried or undone."""
        self.failed = worker.group == "apply"
        self._buttons()

    # password shown once ---------------------------------------------------------
    def _show_password(self) -> None:
        session, plan = self.app.session, self.plan
        cred = plan.auth.credential if plan.auth else None
        shown = session.password_generated and self.applied and cred and cred.credential_uuid
        username = cred.username if cred else ""
        self.password.show(session.sip_password if shown else "", f"SIP password for {username}")
        self._buttons()

    def action_copy_password(self) -> None:
        """Copy the SIP password apply set (ctrl+y)."""
        self.password.copy()

    def action_reveal(self) -> None:
        """Show or hide that password (ctrl+r)."""
        self.password.toggle()

    def action_back(self) -> None:
        """Back to edit the plan, unless an apply or undo is running."""
        if self.busy:
            self.show_error(BUSY)
            return
        super().action_back()

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        """On to the provider settings, once applied (offline: at once)."""
        if self.busy:
            self.show_error(BUSY)
            return
        if self.app.session.online and not self.applied:
            self.show_error("Apply the changes first (a), or go back (escape) to edit them.")
            return
        self.app.next_step(self.STEP)
