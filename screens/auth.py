"""Step 2 (Direct SIP): who may send calls to the SIP URI. IP ACL, credential, or both."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, RadioSet, Static

from screens.widgets.base import StepScreen
from screens.widgets.confirm import ConfirmScreen
from screens.widgets.fields import CheckValidator, problem
from screens.widgets.toggles import Choice as RadioButton  # (●)/( ) reads without colour
from wizard.plans.plan import AclPlan, AuthPlan, CredentialPlan
from wizard.plans.validate import MAX_ACL_ENTRIES

TYPES = (
    ("ip_acl", "IP ACL"),
    ("credential", "Credential"),
    ("ip_acl_and_credential", "ACL + credential"),
    ("none", "None (open)"),
)
ACL_RULE = "IPv4/IPv6 or CIDR · public addresses only · at most 50 · CGNAT only with both"
USER_RULE = "3-64 characters: letters, digits, . _ -"
PASS_RULE = "12-128 characters with an upper-case letter, a lower-case letter and a digit"


class AuthScreen(StepScreen):
    STEP = "auth"
    TITLE = "Step 2 · SIP authentication: who may send calls to your SIP URI"
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
        self._revealed = False
        self._rows = 0
        self._acls: dict = {}
        self._creds: dict = {}
        self._reused_acl = ""
        self._reused_cred = ""

    def compose_body(self) -> ComposeResult:
        auth = self.plan.auth or AuthPlan()
        self._type = "none" if self.app.session.open_sip_confirmed else auth.type
        with RadioSet(id="auth-type"):
            for key, label in TYPES:
                yield RadioButton(label, value=key == self._type, id=f"type-{key}")
        with Vertical(id="acl", classes="panel"):
            yield Static("IP ACL", classes="section")
            acl = auth.ip_acl or AclPlan(name=f"{self.plan.application.name or 'byon'}-acl")
            with Horizontal(classes="row"):
                yield Static("Name", classes="label")
                yield Input(acl.name, id="acl-name", placeholder="e.g. carrier-edge")
            yield Vertical(id="entries")
            yield Static(ACL_RULE, classes="rule", id="acl-rule")
            with Horizontal(classes="buttons"):
                yield Button("Add IP (ctrl+l)", id="add-entry")
            yield Static("Or reuse an ACL from the account (enter on a row):", classes="hint")
            yield DataTable(id="acls", cursor_type="row")
        with Vertical(id="cred", classes="panel"):
            yield Static("Credential", classes="section")
            cred = auth.credential or CredentialPlan()
            with Horizontal(classes="row"):
                yield Static("Username", classes="label")
                yield Input(
                    cred.username,
                    id="username",
                    placeholder="e.g. carrier_trunk",
                    validators=[CheckValidator("check_username")],
                )
            yield Static(USER_RULE, classes="rule", id="user-rule")
            with RadioSet(id="pw-mode"):
                yield RadioButton("Generate a strong password", value=True, id="pw-gen")
                yield RadioButton("Type my own", id="pw-typed")
            yield Static("", id="pw-shown")
            yield Input(
                id="password",
                password=True,
                placeholder="your own password (12+ characters)",
                validators=[CheckValidator("check_password")],
            )
            yield Static(PASS_RULE, classes="rule", id="pw-rule")
            yield Static("Or reuse a credential from the account (enter on a row):", classes="hint")
            yield DataTable(id="creds", cursor_type="row")
        with Horizontal(classes="buttons"):
            yield Button("Next (ctrl+n)", id="next", variant="primary")

    def on_mount(self) -> None:
        auth = self.plan.auth
        entries = list(auth.ip_acl.entries) if auth and auth.ip_acl else []
        for entry in entries or [""]:
            self._add_row(entry)
        session = self.app.session
        if not session.sip_password:
            self._new_password()
        self.query_one("#acls", DataTable).add_columns("name", "ip_acl_uuid", "entries")
        self.query_one("#creds", DataTable).add_columns("username", "credential_uuid")
        self._show_type()
        self._show_password()
        self.load_existing()
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        if "credential" in self._type:
            self.query_one("#username", Input).focus()
        elif self._entry_inputs():
            self._entry_inputs()[0].focus()

    def on_screen_resume(self) -> None:
        # the option step may have recommended another auth type since last time
        auth = self.plan.auth
        if auth and not self.app.session.open_sip_confirmed and auth.type != self._type:
            self.query_one(f"#type-{auth.type}", RadioButton).value = True

    # auth type ---------------------------------------------------------------
    @on(RadioSet.Changed, "#auth-type")
    def _type_changed(self, event: RadioSet.Changed) -> None:
        key = (event.pressed.id or "").removeprefix("type-")
        if key == "none" and not self.app.session.open_sip_confirmed:
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
        if key != "none":
            self.app.session.open_sip_confirmed = False
        self._type = key
        self._show_type()
        self._revalidate_entries()

    def _open_confirmed(self, yes: bool | None) -> None:
        if yes:
            self.app.session.open_sip_confirmed = True
            self._type = "none"
            self.app.notify("SIP URI will be open: no authentication.", severity="warning")
        else:
            self.query_one(f"#type-{self._type}", RadioButton).value = True
        self._show_type()

    def _show_type(self) -> None:
        self.query_one("#acl").display = "ip_acl" in self._type
        self.query_one("#cred").display = "credential" in self._type
        self.refresh_bindings()  # Add IP and the password keys follow the type

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # keys of a hidden panel are hidden too: no "Add IP" in credential mode
        if action == "add_entry":
            return "ip_acl" in self._type
        if action in ("copy_password", "reveal", "regenerate"):
            return "credential" in self._type and bool(self.app.session.sip_password)
        return super().check_action(action, parameters)

    # ACL rows ------------------------------------------------------------------
    def _add_row(self, value: str = "") -> None:
        self._rows += 1
        row = Horizontal(classes="entry-row", id=f"entry-row-{self._rows}")
        entry = Input(
            value,
            placeholder="e.g. 203.0.113.10 or 198.51.100.0/28",
            classes="entry",
            id=f"entry-{self._rows}",
            validators=[CheckValidator("check_acl_entry", lambda: (self._acl_type(),))],
        )
        self.query_one("#entries").mount(row)
        row.mount(entry)
        row.mount(Button("Remove", classes="remove", id=f"remove-{self._rows}"))

    def _acl_type(self) -> str:
        return "ip_acl_and_credential" if self._type == "ip_acl_and_credential" else "ip_acl"

    def _entry_inputs(self) -> list[Input]:
        return list(self.query_one("#entries").query(".entry").results(Input))

    def _revalidate_entries(self) -> None:
        for entry in self._entry_inputs():
            if entry.value:
                entry.validate(entry.value)

    @on(Input.Changed, ".entry")
    def _entry_typed(self) -> None:
        """A legal but very wide range gets its note as it is typed, not only at review."""
        from wizard.plans.validate import acl_entry_warning

        notes = [acl_entry_warning(e.value.strip()) for e in self._entry_inputs() if e.value]
        notes = [f"⚠ {n}" for n in notes if n]
        rule = self.query_one("#acl-rule", Static)
        rule.update("\n".join([ACL_RULE, *notes]))
        rule.set_class(bool(notes), "-warn")

    @on(Button.Pressed, "#add-entry")
    def action_add_entry(self) -> None:
        if len(self._entry_inputs()) >= MAX_ACL_ENTRIES:
            self.show_error(f"An IP ACL holds at most {MAX_ACL_ENTRIES} entries; use CIDR ranges.")
            return
        self._add_row()
        self.call_after_refresh(lambda: self._entry_inputs()[-1].focus())

    @on(Button.Pressed, ".remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.button.parent.remove()

    # password ------------------------------------------------------------------
    def _new_password(self) -> None:
        from wizard.plans.passwords import generate_password

        self.app.session.sip_password = generate_password()
        self.app.session.password_generated = True

    def _show_password(self) -> None:
        self.refresh_bindings()
        session = self.app.session
        generated = self.query_one("#pw-gen", RadioButton).value
        self.query_one("#password").display = not generated
        self.query_one("#pw-rule").display = not generated
        shown = self.query_one("#pw-shown", Static)
        shown.display = generated
        if generated:
            pw = session.sip_password
            text = pw if self._revealed else "•" * len(pw)
            shown.update(
                f"Password: {text}\n[dim]Shown once · ctrl+y copy · ctrl+r show · "
                "it is never saved; set it on your provider.[/dim]"
            )

    @on(RadioSet.Changed, "#pw-mode")
    def _pw_mode(self) -> None:
        session = self.app.session
        if self.query_one("#pw-gen", RadioButton).value:
            self._new_password()
        else:
            session.password_generated = False
            session.sip_password = self.query_one("#password", Input).value
        self._show_password()

    @on(Input.Changed, "#password")
    def _typed_password(self, event: Input.Changed) -> None:
        if self.query_one("#pw-typed", RadioButton).value:
            self.app.session.sip_password = event.value
            self.query_one("#pw-rule", Static).update(f"{PASS_RULE}\n{_strength(event.value)}")

    def action_copy_password(self) -> None:
        if self.app.session.sip_password:
            self.app.copy_to_clipboard(self.app.session.sip_password)
            self.app.notify("Password copied to the clipboard.", title="Copied")

    def action_reveal(self) -> None:
        self._revealed = not self._revealed
        self._show_password()

    def action_regenerate(self) -> None:
        self._new_password()
        self._show_password()

    # reuse -----------------------------------------------------------------------
    @work(exclusive=True, exit_on_error=False, group="load")
    async def load_existing(self) -> None:
        session = await self.app.wait_session()
        if not session.online:
            self.query_one("#acls").display = False
            self.query_one("#creds").display = False
            return
        client = session.client
        acls = await client.list_ip_acls()
        creds = await client.list_credentials()
        table = self.query_one("#acls", DataTable)
        for acl in acls:
            table.add_row(
                acl.name, acl.ip_acl_uuid, ", ".join(acl.ip_addresses), key=acl.ip_acl_uuid
            )
        self._acls = {a.ip_acl_uuid: a for a in acls}
        table = self.query_one("#creds", DataTable)
        for cred in creds:
            table.add_row(cred.username, cred.credential_uuid, key=cred.credential_uuid)
        self._creds = {c.credential_uuid: c for c in creds}

    @on(DataTable.RowSelected, "#acls")
    def _reuse_acl(self, event: DataTable.RowSelected) -> None:
        acl = self._acls[event.row_key.value]
        self.query_one("#acl-name", Input).value = acl.name
        for row in self.query(".entry-row"):
            row.remove()
        for entry in acl.ip_addresses or ("",):
            self._add_row(entry)
        self._reused_acl = acl.ip_acl_uuid
        self.app.notify(f"Reusing IP ACL {acl.name}.")

    @on(DataTable.RowSelected, "#creds")
    def _reuse_cred(self, event: DataTable.RowSelected) -> None:
        cred = self._creds[event.row_key.value]
        self.query_one("#username", Input).value = cred.username
        self._reused_cred = cred.credential_uuid
        self.app.session.sip_password = ""
        self.app.session.password_generated = False
        self.refresh_bindings()
        self.query_one("#pw-shown", Static).update(
            "Reusing an existing credential: its password stays as it is on your provider."
        )

    # next ------------------------------------------------------------------------
    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        errors = self.collect()
        if errors:
            self.show_error(" · ".join(errors))
            return
        self.clear_error()
        self.app.mark_dirty()
        self.app.next_step(self.STEP)

    def collect(self) -> list[str]:
        """Check every visible field; write the plan only when all pass."""
        from wizard.plans import validate

        errors: list[str] = []
        if self._type == "none":
            self.plan.auth = None
            return errors
        acl = cred = None
        if "ip_acl" in self._type:
            entries = [e.value.strip() for e in self._entry_inputs() if e.value.strip()]
            name = self.query_one("#acl-name", Input).value.strip()
            if not name:
                errors.append("Give the IP ACL a name.")
            if not entries:
                errors.append("Add at least one IP address or CIDR range.")
            if len(entries) > MAX_ACL_ENTRIES:
                errors.append(f"At most {MAX_ACL_ENTRIES} ACL entries.")
            for entry in entries:
                msg = problem(validate.check_acl_entry, entry, self._acl_type())
                if msg:
                    errors.append(f"{entry}: {msg}")
            uuid = self._reused_acl
            acl = AclPlan(name=name, entries=entries, ip_acl_uuid=uuid)
        if "credential" in self._type:
            username = self.query_one("#username", Input).value.strip()
            msg = problem(validate.check_username, username)
            if msg:
                errors.append(f"Username: {msg}")
            uuid = self._reused_cred
            if not uuid:
                pw = self.app.session.sip_password
                msg = problem(validate.check_password, pw)
                if msg:
                    errors.append(f"Password: {msg}")
            old = self.plan.auth.credential if self.plan.auth else None
            cred = CredentialPlan(
                username=username,
                credential_uuid=uuid,
                password_env=old.password_env if old else CredentialPlan().password_env,
            )
        if not errors:
            self.plan.auth = AuthPlan(type=self._type, ip_acl=acl, credential=cred)
        return errors


def _strength(password: str) -> str:
    from wizard.plans.validate import password_strength

    if not password:
        return ""
    score, word = password_strength(password)
    return f"Strength: {'█' * (score + 1)}{'░' * (4 - score)} {word}"
