"""Step: the plan's changes (+ create / ~ update / = unchanged), then apply them step by step."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from screens.widgets.base import StepScreen
from screens.widgets.confirm import ConfirmScreen

MARK = {"create": "[$success]+[/]", "update": "[$warning]~[/]", "unchanged": "[dim]=[/]"}
STATE = {
    "pending": "[dim]·[/]",
    "running": "[$accent]◌[/]",
    "done": "[$success]✓[/]",
    "failed": "[$error]✗[/]",
    "rolled_back": "[$warning]↺[/]",
}


def escape(text: str) -> str:
    return text.replace("[", "\\[")


class ReviewScreen(StepScreen):
    STEP = "review"
    TITLE = "Review and apply · what will change in your Plivo account"
    CSS_PATH = "review.tcss"
    BINDINGS = [
        Binding("a", "apply", "Apply"),
        Binding("r", "retry", "Retry"),
        Binding("u", "undo", "Undo"),
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
        self._revealed = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="findings")
        yield Static("Reading your account…", id="diff")
        yield Vertical(id="steps")
        yield Static("", id="password")
        with Horizontal(classes="buttons"):
            yield Button("Apply (a)", id="apply", variant="primary")
            yield Button("Retry (r)", id="retry")
            yield Button("Undo (u)", id="undo", variant="warning")
            yield Button("Next (n)", id="next")

    def on_mount(self) -> None:
        self._buttons()
        self.query_one("#apply", Button).focus()

    def on_screen_resume(self) -> None:
        # earlier steps may have changed the plan since this screen was last shown
        if not self.failed:
            self.applied = False
            self.query_one("#steps").remove_children()
            self._buttons()
            self.refresh_diff()

    def _buttons(self) -> None:
        self.query_one("#apply").display = not self.applied and not self.failed
        self.query_one("#retry").display = self.failed
        self.query_one("#undo").display = self.failed or (self.applied and bool(self._undo()))
        self.query_one("#password").display = bool(self._password_text())
        self.refresh_bindings()

    def _undo(self) -> list:
        return self.app.session.undo

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("retry",):
            return self.failed
        if action == "undo":
            return bool(self._undo())
        if action == "apply":  # offline there is nothing to apply to: `byon apply` later
            online = self.app.session.online or self.app.session.mode == "demo"
            return not self.applied and not self.failed and online
        return super().check_action(action, parameters)

    # findings and diff -------------------------------------------------------------
    def _findings(self) -> list:
        from wizard.plans.validate import validate_plan

        findings = validate_plan(self.plan)
        if self.app.session.open_sip_confirmed:
            findings = [f for f in findings if f.key != "auth"]
        return findings

    @work(exclusive=True, exit_on_error=False, group="diff")
    async def refresh_diff(self) -> None:
        findings = self._findings()
        lines = [
            f"[{'$error' if f.level == 'error' else '$warning'}]{f.level}[/] {f.key}: "
            f"{escape(f.message)}"
            for f in findings
        ]
        self.query_one("#findings", Static).update("\n".join(lines))
        self.blocked = any(f.level == "error" for f in findings)
        session = await self.app.wait_session()
        diff = self.query_one("#diff", Static)
        if not session.online:
            diff.update(
                "Offline: nothing is sent to Plivo. Save the plan (ctrl+s) and run "
                "`byon apply PLAN.toml` with PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN set."
            )
            self.query_one("#apply").display = False
            return
        if self.blocked:
            diff.update("Fix the errors above (escape goes back) before applying.")
            return
        from wizard.plans.apply import render_change

        self.changes = await session.pending_changes(self.plan)
        warning = session.open_sip_warning(self.plan)
        if warning:
            lines.append(f"[$warning]warning[/] {escape(warning.removeprefix('warning: '))}")
            self.query_one("#findings", Static).update("\n".join(lines))
        diff.update(
            "\n".join(f"{MARK[c.action]} {escape(render_change(c)[2:])}" for c in self.changes)
            or "Nothing to change."
        )
        if all(c.action == "unchanged" for c in self.changes):
            self.applied = True
            self._buttons()

    # applying ----------------------------------------------------------------------
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        if self.blocked or not self.app.session.online:
            self.show_error("Nothing can be applied yet: see the lines above.")
            return
        session = self.app.session
        warning = session.open_sip_warning(self.plan)
        if warning and not session.open_sip_confirmed:
            # never leave a SIP URI open without an explicit, warned choice
            self.app.push_screen(
                ConfirmScreen(
                    "Apply with the SIP URI open?",
                    warning.removeprefix("warning: ")
                    + " Apply only if you accept that; otherwise choose Direct SIP with "
                    "authentication.",
                    yes="Apply anyway",
                    no="Cancel",
                ),
                self._open_confirmed,
            )
            return
        self.clear_error()
        self.query_one("#apply").display = False
        self.run_apply()

    def _open_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.app.session.open_sip_confirmed = True
            self.action_apply()

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        self.failed = False
        self.clear_error()
        self._buttons()
        self.query_one("#apply").display = False
        self.run_apply()

    def _line(self, key: str, state: str, text: str) -> None:
        steps = self.query_one("#steps")
        label = f"{STATE[state]} {escape(text)}"
        found = steps.query(f"#step-{key}")
        if found:
            found.first(Static).update(label)
        else:
            steps.mount(Static(label, id=f"step-{key}", classes="step"))

    @work(exclusive=True, exit_on_error=False, group="apply")
    async def run_apply(self) -> None:
        from wizard.plans.apply import render_change

        session = await self.app.wait_session()
        while True:
            changes = await session.pending_changes(self.plan)
            todo = [c for c in changes if c.action != "unchanged"]
            if not todo:
                break
            change = todo[0]
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
                self.show_error(
                    f"{msg}  {done} earlier step(s) are kept. Retry (r) after fixing the "
                    "cause, or undo (u) what this wizard changed."
                )
                self._buttons()
                return
        self.applied = True
        self.app.dirty = False
        self.query_one("#diff", Static).update(
            "[$success]The account now matches the plan.[/] Next: your provider's settings (n)."
        )
        self._show_password()
        self.app.notify("Applied. Every change is in your account.", title="Applied")

    @on(Button.Pressed, "#undo")
    def action_undo(self) -> None:
        self.run_undo()

    @work(exclusive=True, exit_on_error=False, group="apply")
    async def run_undo(self) -> None:
        session = await self.app.wait_session()

        def on_step(event) -> None:
            self._line(
                f"undo-{event.step}",
                "rolled_back"
                if event.state == "done"
                else event.state
                if event.state in STATE
                else "running",
                event.message,
            )

        left = await session.undo_applied(on_step)
        self.failed = False
        self.applied = False
        if left:
            self.show_error(
                "Some steps could not be undone: "
                + "; ".join(u.describe() for u in left)
                + ". They are kept in the journal for `byon apply` to finish."
            )
        else:
            self.clear_error()
            self.app.notify("Undone: the account is as it was before.", title="Undone")
        # ids of deleted resources may stay in the plan: apply falls back to names
        self.app.dirty = True
        self._buttons()
        self.refresh_diff()

    def worker_failed(self, worker) -> None:
        self.failed = worker.group == "apply"
        self._buttons()

    # password shown once ---------------------------------------------------------
    def _password_text(self) -> str:
        session = self.app.session
        plan = self.plan
        if not (session.password_generated and session.sip_password and self.applied):
            return ""
        if not (plan.auth and plan.auth.credential and plan.auth.credential.credential_uuid):
            return ""
        pw = session.sip_password if self._revealed else "•" * len(session.sip_password)
        return (
            f"SIP password for {plan.auth.credential.username}: {pw}\n"
            "[dim]Shown only in this session, never saved · ctrl+y copy · ctrl+r show. "
            "Type it into your provider's console now.[/dim]"
        )

    def _show_password(self) -> None:
        self.query_one("#password", Static).update(self._password_text())
        self._buttons()

    def action_copy_password(self) -> None:
        pw = self.app.session.sip_password
        if pw:
            self.app.copy_to_clipboard(pw)
            self.app.notify("SIP password copied to the clipboard.", title="Copied")

    def action_reveal(self) -> None:
        self._revealed = not self._revealed
        self._show_password()

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.app.session.online and not self.applied:
            self.show_error("Apply the changes first (a), or go back (escape) to edit them.")
            return
        self.app.next_step(self.STEP)
