"""Last step: what exists now, where the plan is, what to do next."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from screens.widgets.base import StepScreen, heading
from screens.widgets.copyable import CopyableValue
from screens.widgets.markup import outside
from wizard.providers.words import auth_words


def summary(plan, plan_path: str, online: bool, saved: bool = False) -> str:
    """What exists now, where the plan is, and the commands that use it (markup).

    Names, numbers and the path come from the plan file or the account: each goes in
    through ``outside``, so a bracket in a name is shown, never read as a tag."""
    app = plan.application
    path = outside(plan_path)
    app_id = outside(app.app_id) if app.app_id else "(not created yet)"
    lines = [f"[b]Application[/b]  {outside(app.name)}  app_id {app_id}"]
    if plan.option == "direct_sip":
        auth = plan.auth
        if auth is None:
            lines.append("[b]SIP auth[/b]     [$error]none: the SIP URI is open[/]")
        else:
            lines.append(f"[b]SIP auth[/b]     {auth_words(auth.type)} ({outside(auth.type)})")
            if auth.ip_acl:
                acl = auth.ip_acl
                entries = outside(", ".join(acl.entries), 1000)
                uuid = outside(acl.ip_acl_uuid or "")
                lines.append(f"  IP ACL {outside(acl.name)} {uuid}: {entries}")
            if auth.credential:
                cred = auth.credential
                uuid = outside(cred.credential_uuid or "")
                lines.append(f"  credential {outside(cred.username)} {uuid}")
    if plan.external_number:
        number, provider = outside(plan.external_number), outside(plan.provider)
        lines.append(f"[b]Your number[/b]  {number} (provider: {provider})")
    lines.append("")
    state = "saved" if saved else "not saved yet: ctrl+s saves it"
    lines.append(f"[b]Plan file[/b]    {path} ({state}; it holds no secrets)")
    lines.append("")
    lines.append("[b]Next steps[/b]")
    if not online:
        lines.append(f"  • `byon apply {path}` with PLIVO_AUTH_ID/PLIVO_AUTH_TOKEN set")
    verify = f"byon verify --plan {path} --public-url URL"
    if app.app_id:
        verify += f" --app {app_id}"
    lines += [
        f"  • `byon settings {path}` prints the provider settings again",
        f"  • `{verify}` checks real test calls headlessly",
        "  • `byon audit` lists applications whose SIP URI is still open",
        "  • point your answer_url at a server returning <Stream> XML for your AI agent",
    ]
    return "\n".join(lines)


class DoneScreen(StepScreen):
    """The summary: the value to give the provider (copyable), the plan file, next steps."""

    STEP = "done"
    TITLE = "Done · your number is routed to Plivo"
    AUTO_FOCUS = "*"  # nothing to type here: the body takes focus, so the keys scroll it
    # ctrl+s is the app's: it tells this step through plan_saved, so the summary follows
    BINDINGS = [Binding("enter", "quit", "Quit", show=False)]

    def compose_body(self) -> ComposeResult:
        """The target the provider needs, then the summary."""
        self.target = CopyableValue("SIP URI", id="target")
        self.summary_view = Static(id="summary")
        yield self.target
        yield self.summary_view

    def on_screen_resume(self) -> None:
        """Say what is true now: the ids, and whether the file holds this plan."""
        path = self.app.plan_path
        plan = self.plan
        self.title = heading(self.headline())
        saved = plan.source is not None and Path(plan.source) == path and not self.app.unsaved
        if plan.option == "direct_sip":
            self.target.label, self.target.what = "SIP URI", "the SIP URI"
            self.target.set_value(self.app.sip_uri())
        else:
            fwd = plan.forwarding
            number = fwd.plivo_number if fwd and fwd.plivo_number != "buy" else ""
            self.target.label, self.target.what = "Plivo number", "the Plivo number"
            self.target.set_value(number)
        self.summary_view.update(summary(plan, str(path), self.app.session.online, saved=saved))

    def headline(self) -> str:
        """The title, as true as the account: routed only once the plan is applied."""
        if not self.app.session.online:
            return "Done · your plan is ready: `byon apply` routes the number"
        if self.app.dirty:
            return "Done · not applied yet: go back to review (escape) to apply"
        return self.TITLE

    def plan_saved(self) -> None:
        """The app saved the plan (ctrl+s, or f3 save as): the summary says so at once."""
        self.on_screen_resume()

    def action_quit(self) -> None:
        """Quit (asks first when the plan is unsaved)."""
        self.app.action_quit_wizard()
