"""The IP ACL's entries: one validated input per address or CIDR range, add and remove."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Static

from screens.widgets.fields import CheckValidator, problem
from wizard.plivo.facts import IP_ACL, uses_ip_acl

ACL_RULE = "IPv4/IPv6 or CIDR · public addresses only · at most 50 · CGNAT only with both"


class AclEntries(Vertical):
    """Entries checked as they are typed, by the rules `byon apply` uses for the plan.

    ``auth_type`` is asked at validation time: shared/CGNAT space is allowed only with
    ``ip_acl_and_credential``. ``values`` is what the user typed (blank rows left out)."""

    class Full(Message):
        """Posted when Add was pressed on a full ACL; ``text`` says so."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    DEFAULT_CSS = """
    AclEntries { height: auto; }
    AclEntries #entry-rows, AclEntries .entry-row { height: auto; }
    AclEntries .entry { width: 50; }
    """

    def __init__(
        self,
        entries: list[str],
        *,
        auth_type: Callable[[], str],
        limit: int,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._initial = list(entries) or [""]
        self.auth_type = auth_type
        self.limit = limit
        self.rows = Vertical(id="entry-rows")
        self._count = 0

    def compose(self) -> ComposeResult:
        """The rows, the rule they follow, and the Add button."""
        yield self.rows
        yield Static(ACL_RULE, classes="rule", id="acl-rule")
        with Horizontal(classes="buttons"):
            yield Button("Add IP (ctrl+l)", id="add-entry")

    def on_mount(self) -> None:
        """One row per entry the plan has (one empty row for a new ACL)."""
        self.replace(self._initial)

    def inputs(self) -> list[Input]:
        """The entry inputs, top to bottom."""
        return list(self.rows.query(".entry").results(Input))

    @property
    def values(self) -> list[str]:
        """The typed entries, trimmed, blank rows left out."""
        return [i.value.strip() for i in self.inputs() if i.value.strip()]

    def replace(self, entries: list[str]) -> None:
        """Show exactly these entries (reusing an ACL from the account)."""
        self.rows.remove_children()
        for entry in entries or [""]:
            self._mount_row(entry)

    def _mount_row(self, value: str) -> Input:
        self._count += 1
        entry = Input(
            value,
            placeholder="e.g. 203.0.113.10 or 198.51.100.0/28",
            classes="entry",
            id=f"entry-{self._count}",
            validators=[CheckValidator("check_acl_entry", lambda: (self._acl_type(),))],
        )
        remove = Button("Remove", classes="remove", id=f"remove-{self._count}")
        self.rows.mount(Horizontal(entry, remove, classes="entry-row"))
        return entry

    def _acl_type(self) -> str:
        kind = self.auth_type()
        return kind if uses_ip_acl(kind) else IP_ACL

    @on(Input.Changed, ".entry")
    def _entry_typed(self) -> None:
        """A legal but very wide range gets its note as it is typed, not only at review."""
        from wizard.plans.validate import acl_entry_warning

        notes = [acl_entry_warning(e.value.strip()) for e in self.inputs() if e.value]
        shown = [f"⚠ {n}" for n in notes if n]
        rule = self.query_one("#acl-rule", Static)
        rule.update(Text("\n".join([ACL_RULE, *shown])))  # typed text: never markup
        rule.set_class(bool(shown), "-warn")

    @on(Button.Pressed, "#add-entry")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        refused = self.add_entry()
        if refused:
            self.post_message(self.Full(refused))

    def add_entry(self) -> str:
        """Add an empty row and focus it; returns why not ("" when added)."""
        if len(self.inputs()) >= self.limit:
            return f"An IP ACL holds at most {self.limit} entries; use CIDR ranges."
        entry = self._mount_row("")
        self.call_after_refresh(entry.focus)
        return ""

    @on(Button.Pressed, ".remove")
    def _remove(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.parent is not None:
            event.button.parent.remove()

    def revalidate(self) -> None:
        """Check the typed entries again (the auth type changed what is allowed)."""
        for entry in self.inputs():
            if entry.value:
                entry.validate(entry.value)

    def problems(self) -> list[str]:
        """Every reason the entries cannot be applied ("203.0.113.0/33: …")."""
        from wizard.plans import validate

        values = self.values
        out = [] if values else ["Add at least one IP address or CIDR range."]
        if len(values) > self.limit:
            out.append(f"At most {self.limit} ACL entries.")
        for value in values:
            msg = problem(validate.check_acl_entry, value, self._acl_type())
            if msg:
                out.append(f"{value}: {msg}")
        return out
