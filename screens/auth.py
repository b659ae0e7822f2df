"""Step 2 (Direct SIP): who may send calls to the SIP URI. IP ACL, credential, or both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, RadioSet, Static

from screens.widgets.acl import AclEntries
from screens.widgets.base import StepScreen
from screens.widgets.choices import Choice as RadioButton  # (●)/( ) reads without colour
from screens.widgets.confirm import ConfirmScreen
from screens.widgets.fields import CheckValidator, problem
from screens.widgets.password import PasswordField
from screens.widgets.table import Table
from wizard.plans.plan import AclPlan, AuthPlan, CredentialPlan
from wizard.plans.validate import MAX_ACL_ENTRIES
from wizard.plivo.facts import uses_credential, uses_ip_acl
from wizard.providers.words import AUTH_LABELS
from wizard.steps import NO_AUTH, AclChoice, AuthResult, CredentialChoice
from wizard.text import plain

TYPES = (*AUTH_LABELS.items(), (NO_AUTH, "None (open)"))
USER_RULE = "3-64 characters: letters, digits, . _ -"
PASS_RULE = "12-128 characters with an upper-case letter, a lower-case letter and a digit"
GENERATED_NOTE = (
    "Shown only in this session · ctrl+y copy · ctrl+r show · never saved; set it on your provider."
)
REUSED_NOTE = "Reusing an existing credential: its password stays as it is on your provider."


@dataclass
class ExistingAuth(Message):
    """The account's IP ACLs and credentials, read by a worker (offered for reuse)."""

    acls: list[Any]
    credentials: list[Any]
    online: bool = True


class AuthScreen(StepScreen):
    """Choose the auth type and fill in its ACL and/or credential (or reuse the account's)."""

    STEP = "auth"
    TITLE = "SIP authentication: who may send calls to your SIP URI"
    CSS_PATH = "auth.tcss"
    BINDINGS = [
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+l", "add_entry", "Add IP"),
        Binding("ctrl+y", "copy_password", "Copy password"),
        Binding("ctrl+r", "reveal", "Reveal", tooltip="show or hide the generated password"),
        Binding("ctrl+g", "regenerate", "New password", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._type = "credential"
        self._acls: dict[str, Any] = {}
        self._creds: dict[str, Any] = {}
        self._reused_acl = ""
        self._reused_cred: Any = None  # the account credential picked for reuse

    def compose_body(self) -> ComposeResult:
        """The type, then the ACL panel and the credential panel (shown by type)."""
        auth = self.plan.auth or AuthPlan()
        self._type = NO_AUTH if self.app.session.open_sip_confirmed else auth.type
        with RadioSet(id="auth-type"):
            for key, label in TYPES:
                yield RadioButton(label, value=key == self._type, id=f"type-{key}")
        acl = auth.ip_acl or AclPlan(name=f"{self.plan.application.name or 'byon'}-acl")
        with Vertical(id="acl", classes="panel") as self.acl_panel:
            yield Static("IP ACL", classes="section")
            with Horizontal(classes="row"):
                yield Static("Name", classes="label")
                self.acl_name = Input(acl.name, id="acl-name", placeholder="e.g. carrier-edge")
                yield self.acl_name
            self.entries = AclEntries(
                acl.entries, auth_type=lambda: self._type, limit=MAX_ACL_ENTRIES, id="entries"
            )
            yield self.entries
            yield Static("Or reuse an ACL from the account (enter on a row):", classes="hint")
            self.acl_table = Table(id="acls", cursor_type="row")
            yield self.acl_table
        yield from self._compose_credential(auth.credential or CredentialPlan())
        with Horizontal(classes="buttons"):
            yield Button("Next (ctrl+n)", id="next", variant="primary")

    def _compose_credential(self, cred: CredentialPlan) -> ComposeResult:
        with Vertical(id="cred", classes="panel") as self.cred_panel:
            yield Static("Credential", classes="section")
            with Horizontal(classes="row"):
                yield Static("Username", classes="label")
                self.username = Input(
                    cred.username,
                    id="username",
                    placeholder="e.g. carrier_trunk",
                    validators=[CheckValidator("check_username")],
                )
                yield self.username
            yield Static(USER_RULE, classes="rule", id="user-rule")
            with RadioSet(id="pw-mode"):
                self.generate = RadioButton("Generate a strong password", value=True, id="pw-gen")
                yield self.generate
                yield RadioButton("Type my own", id="pw-typed")
            self.shown = PasswordField(GENERATED_NOTE, id="pw-shown")
            yield self.shown
            self.password = Input(
                id="password",
                password=True,
                placeholder="your own password (12+ characters)",
                validators=[CheckValidator("check_password")],
            )
            yield self.password
            self.pw_rule = Static(PASS_RULE, classes="rule", id="pw-rule")
            yield self.pw_rule
            yield Static("Or reuse a credential from the account (enter on a row):", classes="hint")
            self.cred_table = Table(id="creds", cursor_type="row")
            yield self.cred_table

    def on_mount(self) -> None:
        """A password ready to use, the tables' columns, then the account's ACLs/credentials."""
        if not self.app.session.sip_password:
            self._new_password()
        self.acl_table.add_columns("name", "ip_acl_uuid", "entries")
        self.cred_table.add_columns("username", "credential_uuid")
        self._show_type()
        self._show_password()
        self.load_existing()
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        if uses_credential(self._type):
            self.username.focus()
        elif self.entries.inputs():
            self.entries.inputs()[0].focus()

    def on_screen_resume(self) -> None:
        """Show the auth type the plan has now (the option step may have set it)."""
        auth = self.plan.auth
        if auth and not self.app.session.open_sip_confirmed and auth.type != self._type:
            self.query_one(f"#type-{auth.type}", RadioButton).value = True

    # auth type ---------------------------------------------------------------
    @on(RadioSet.Changed, "#auth-type")
    def _type_changed(self, event: RadioSet.Changed) -> None:
        key = (event.pressed.id or "").removeprefix("type-")
        if key == NO_AUTH and not self.app.session.open_sip_confirmed:
            self.app.push_screen(
                ConfirmScreen(
                    "Leave the SIP URI open?",
                    "With no SIP authentication, anyone who learns the URI can send calls "
                    "into your application: toll fraud and abuse. Plivo advises against it. "
                    "Choose this only for a short, supervised test.",
                    yes="Leave it open",
                    no="Keep authentication",
                ),
                self._open_confirmed,
            )
            return
        if key != NO_AUTH:
            self.app.session.open_sip_confirmed = False
        self._type = key
        self._show_type()
        self.entries.revalidate()

    def _open_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.app.session.open_sip_confirmed = True
            self._type = NO_AUTH
            self.app.notify("SIP URI will be open: no authentication.", severity="warning")
        else:
            self.query_one(f"#type-{self._type}", RadioButton).value = True
        self._show_type()

    def _show_type(self) -> None:
        self.acl_panel.display = uses_ip_acl(self._type)
        self.cred_panel.display = uses_credential(self._type)
        self.refresh_bindings()  # Add IP and the password keys follow the type

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys of a hidden panel are hidden too: no "Add IP" in credential mode."""
        if action == "add_entry":
            return uses_ip_acl(self._type)
        if action in ("copy_password", "reveal", "regenerate"):
            return uses_credential(self._type) and bool(self.app.session.sip_password)
        return super().check_action(action, parameters)

    # ACL entries ---------------------------------------------------------------
    def action_add_entry(self) -> None:
        """Add an ACL entry row (ctrl+l)."""
        refused = self.entries.add_entry()
        if refused:
            self.show_error(refused)

    def on_acl_entries_full(self, message: AclEntries.Full) -> None:
        """The Add button on a full ACL: say why nothing was added."""
        self.show_error(message.text)

    # password ------------------------------------------------------------------
    def _new_password(self) -> None:
        from wizard.plans.passwords import generate_password

        self.app.session.sip_password = generate_password()
        self.app.session.password_generated = True

    def _show_password(self) -> None:
        self.refresh_bindings()
        generated = self.generate.value
        self.password.display = self.pw_rule.display = not generated
        self.shown.display = generated
        if self._reused_cred is not None:
            self.shown.show("", note=REUSED_NOTE)
        elif generated:
            self.shown.show(self.app.session.sip_password, note=GENERATED_NOTE)

    @on(RadioSet.Changed, "#pw-mode")
    def _pw_mode(self) -> None:
        session = self.app.session
        if self.generate.value:
            self._new_password()
        else:
            session.password_generated = False
            session.sip_password = self.password.value
        self._show_password()

    @on(Input.Changed, "#password")
    def _typed_password(self, event: Input.Changed) -> None:
        if not self.generate.value:
            self.app.session.sip_password = event.value
            self.pw_rule.update(f"{PASS_RULE}\n{_strength(event.value)}")

    @on(Input.Changed, "#username")
    def _username_changed(self, event: Input.Changed) -> None:
        reused = self._reused_cred
        if reused is not None and event.value.strip() != reused.username:
            # another username is another credential: it needs its own password
            self._reused_cred = None
            if self.generate.value:
                self._new_password()
            self._show_password()

    def action_copy_password(self) -> None:
        """Copy the SIP password (ctrl+y)."""
        self.shown.copy()

    def action_reveal(self) -> None:
        """Show or hide the generated password (ctrl+r)."""
        self.shown.toggle()

    def action_regenerate(self) -> None:
        """Generate another password (ctrl+g)."""
        self._new_password()
        self._show_password()

    # reuse -----------------------------------------------------------------------
    @work(exclusive=True, exit_on_error=False, group="load")
    async def load_existing(self) -> None:
        """Read the account's ACLs and credentials (nothing offline)."""
        session = await self.app.wait_session()
        if not session.online:
            self.post_message(ExistingAuth([], [], online=False))
            return
        acls = await session.client.list_ip_acls()
        creds = await session.client.list_credentials()
        self.post_message(ExistingAuth(acls, creds))

    def on_existing_auth(self, message: ExistingAuth) -> None:
        """Offer the account's ACLs and credentials for reuse (no tables offline)."""
        self._acls = {a.ip_acl_uuid: a for a in message.acls}
        self._creds = {c.credential_uuid: c for c in message.credentials}
        self.acl_table.display = self.cred_table.display = message.online
        for acl in message.acls:
            ips = plain(", ".join(acl.ip_addresses), 1000)
            cells = (plain(acl.name), plain(acl.ip_acl_uuid), ips)  # Table: plain text
            self.acl_table.add_row(*cells, key=acl.ip_acl_uuid)
        for cred in message.credentials:
            cells = (plain(cred.username), plain(cred.credential_uuid))
            self.cred_table.add_row(*cells, key=cred.credential_uuid)

    @on(DataTable.RowSelected, "#acls")
    def _reuse_acl(self, event: DataTable.RowSelected) -> None:
        acl = self._acls[event.row_key.value]
        self.acl_name.value = acl.name
        self.entries.replace(list(acl.ip_addresses))
        self._reused_acl = acl.ip_acl_uuid
        self.app.notify(f"Reusing IP ACL {acl.name}.")

    @on(DataTable.RowSelected, "#creds")
    def _reuse_cred(self, event: DataTable.RowSelected) -> None:
        cred = self._creds[event.row_key.value]
        self._reused_cred = cred
        self.username.value = cred.username
        self.app.session.sip_password = ""
        self.app.session.password_generated = False
        self._show_password()

    # next ------------------------------------------------------------------------
    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        """Check every visible field; hand the choice to the plan only when all pass."""
        result, errors = self.result()
        if errors:
            self.show_error(" · ".join(errors))
            return
        self.finish(result)

    def result(self) -> tuple[AuthResult, list[str]]:
        """The typed result of this step, and what is wrong with it."""
        from wizard.plans import validate

        if self._type == NO_AUTH:
            return AuthResult(NO_AUTH), []
        errors: list[str] = []
        acl = cred = None
        if uses_ip_acl(self._type):
            name = self.acl_name.value.strip()
            if not name:
                errors.append("Give the IP ACL a name.")
            errors += self.entries.problems()
            acl = AclChoice(name, tuple(self.entries.values), self._reused_acl)
        if uses_credential(self._type):
            username = self.username.value.strip()
            msg = problem(validate.check_username, username)
            if msg:
                errors.append(f"Username: {msg}")
            reused = self._reused_cred
            if reused is None:
                msg = problem(validate.check_password, self.app.session.sip_password)
                if msg:
                    errors.append(f"Password: {msg}")
                cred = CredentialChoice(username)
            else:
                cred = CredentialChoice(username, reused.credential_uuid, reused.username)
        return AuthResult(self._type, acl, cred), errors


def _strength(password: str) -> str:
    from wizard.plans.validate import password_strength

    if not password:
        return ""
    score, word = password_strength(password)
    return f"Strength: {'█' * (score + 1)}{'░' * (4 - score)} {word}"
