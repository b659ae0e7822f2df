"""Last step: what exists now, where the plan is, what to do next."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from screens.widgets.base import StepScreen
from screens.widgets.words import auth_words


def summary(plan, plan_path: str, online: bool, saved: bool = False) -> str:
    app = plan.application
    lines = [f"[b]Application[/b]  {app.name}  app_id {app.app_id or '(not created yet)'}"]
    if plan.option == "direct_sip":
        lines.append(f"[b]SIP URI[/b]      sip:{app.app_id or '{app_id}'}@app.plivo.com")
        auth = plan.auth
        if auth is None:
            lines.append("[b]SIP auth[/b]     [$error]none: the SIP URI is open[/]")
        else:
            lines.append(f"[b]SIP auth[/b]     {auth_words(auth.type)} ({auth.type})")
            if auth.ip_acl:
                acl = auth.ip_acl
                lines.append(
                    f"  IP ACL {acl.name} {acl.ip_acl_uuid or ''}: {', '.join(acl.entries)}"
                )
            if auth.credential:
                cred = auth.credential
                lines.append(f"  credential {cred.username} {cred.credential_uuid or ''}")
    else:
        fwd = plan.forwarding
        lines.append(f"[b]Plivo number[/b] {fwd.plivo_number if fwd else '(none)'}")
    if plan.external_number:
        lines.append(f"[b]Your number[/b]  {plan.external_number} (provider: {plan.provider})")
    lines.append("")
    state = "saved" if saved else "not saved yet: ctrl+s saves it"
    lines.append(f"[b]Plan file[/b]    {plan_path} ({state}; it holds no secrets)")
    lines.append("")
    lines.append("[b]Next steps[/b]")
    if not online:
        lines.append(f"  • `byon apply {plan_path}` with PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN set")
    verify = f"byon verify --plan {plan_path} --public-url URL"
    if app.app_id:
        verify += f" --app {app.app_id}"
    lines += [
        f"  • `byon settings {plan_path}` prints the provider settings again",
        f"  • `{verify}` checks real test calls headlessly",
        "  • `byon audit` lists applications whose SIP URI is still open",
        "  • point your answer_url at a server returning <Stream> XML for your AI agent",
    ]
    return "\n".join(lines)


class DoneScreen(StepScreen):
    STEP = "done"
    TITLE = "Done · your number is routed to Plivo"
    # ctrl+s is the app's: it tells this step through plan_saved, so the summary follows
    BINDINGS = [Binding("enter", "quit", "Quit", show=False)]

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")

    def on_screen_resume(self) -> None:
        path = self.app.plan_path
        saved = self.plan.source is not None and Path(self.plan.source) == path
        self.query_one("#summary", Static).update(
            summary(self.plan, str(path), self.app.session.online, saved=saved)
        )

    def plan_saved(self) -> None:
        """The app saved the plan (ctrl+s, or f3 save as): the summary says so at once."""
        self.on_screen_resume()

    def action_quit(self) -> None:
        self.app.action_quit_wizard()
