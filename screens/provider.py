"""Step: what to type in the provider's console: field -> value -> [copy], the IP ranges for
the ACL, each snippet (copy it whole or write it to a file), what numbers look like, gotchas."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Select, Static

from screens.widgets.base import StepScreen
from screens.widgets.block import CopyableBlock
from screens.widgets.copyable import NOT_YET, PLACEHOLDER, copy_value, is_placeholder
from screens.widgets.table import Table

COPY_WIDTH = 10  # the copy column; the value column gets what is left
LABEL_MAX = 22  # longer labels wrap: the value (a URI) keeps its room at 80 columns
PLACEHOLDERS = ("{app_id}", "{plivo_number}")  # not real yet: shown, never copied as real


def _fields(settings: Any) -> list[tuple[str, str, bool]]:
    """(field, value, copyable) from the provider settings; placeholders are not copyable."""
    out = []
    for f in settings.fields:
        value = str(f.value)
        real = not any(p in value for p in PLACEHOLDERS)
        out.append((str(f.label), value, bool(getattr(f, "copyable", True)) and real))
    return out


def _shown(value: str) -> Text:
    """A value as the table shows it: a placeholder reads as one (‹app_id›), never as real."""
    text = Text(overflow="fold")  # a long value wraps, whole, never cut
    last = 0
    for m in PLACEHOLDER.finditer(value):
        text.append(value[last : m.start()])
        text.append(f"‹{m.group(1)}›", style="italic dim")
        last = m.end()
    text.append(value[last:])
    return text


def column_widths(total: int, labels: list[str]) -> tuple[int, int, int]:
    """Fixed widths (label, value, copy) that fit ``total`` cells, whatever was shown before:
    the table never grows with the providers viewed."""
    label = min(max((len(x) for x in labels), default=8), LABEL_MAX, max(8, total // 3))
    padding = 2 * 3  # one cell each side of each of the three columns
    value = max(16, total - label - COPY_WIDTH - padding - 2)
    return label, value, COPY_WIDTH


class ProviderScreen(StepScreen):
    """What to type into the provider's console, per provider, with copy keys."""

    STEP = "provider"
    TITLE = "Provider settings · type these into your provider's console"
    CSS_PATH = "provider.tcss"
    BINDINGS = [
        Binding("c", "copy", "Copy value"),
        Binding("y", "copy_snippet(0)", "Copy snippet", show=False),
        Binding("w", "save_snippet(0)", "Write to file", show=False),
        Binding("i", "copy_ips", "Copy IPs", show=False),
        Binding("ctrl+n", "next", "Next"),
    ]

    def compose_body(self) -> ComposeResult:
        """The provider picker, the field table, the snippet, the gotchas."""
        from wizard.providers.templates import PROVIDERS

        options = [(p.name, key) for key, p in PROVIDERS.items()]
        yield Select(options, value=self._plan_provider(), id="provider", allow_blank=False)
        yield Table(id="fields", cursor_type="row")
        yield Static("", id="numbers")
        with Vertical(id="ips-box"):
            yield Static("", id="ips")
            yield Button("Copy the IP list (i)", id="copy-ips", compact=True)
        yield Vertical(id="snippets")
        yield Static("", id="gotchas")

    def __init__(self) -> None:
        super().__init__()
        self._settings: Any = None  # the shown provider's settings (None until shown)
        self._values: list[tuple[str, str, bool]] = []  # the table's rows

    def on_mount(self) -> None:
        """The field table takes focus, so c copies its highlighted value at once."""
        self.query_one("#fields", DataTable).focus()

    async def on_screen_resume(self) -> None:
        """Back on this step: the picker follows the plan's provider, and the fields are
        shown again."""
        # (StepScreen's own handler numbers the title: Textual runs both)
        # The plan is the truth: the option step may have changed the provider meanwhile.
        select = self.query_one("#provider", Select)
        key = self._plan_provider()
        if select.value != key:
            with select.prevent(Select.Changed):  # not the user's choice: nothing to write
                select.value = key
        await self._show()

    def on_resize(self) -> None:
        """The terminal was resized: the table is refilled so its columns fit the width."""
        if self._settings is not None:
            self._fill_table()

    def _plan_provider(self) -> str:
        from wizard.providers.templates import PROVIDERS

        return self.plan.provider if self.plan.provider in PROVIDERS else "generic"

    @on(Select.Changed, "#provider")
    async def _provider_changed(self, event: Select.Changed) -> None:
        """The user picked another provider here: the plan takes it (and is unsaved)."""
        key = str(event.value)
        if key != self.plan.provider:
            self.plan.provider = key
            self.app.mark_dirty()
        await self._show()

    async def _show(self) -> None:
        from wizard.providers.templates import settings_for

        key = self._plan_provider()
        try:
            settings = settings_for(self.plan, key, app_id=self.plan.application.app_id or None)
        except Exception as exc:
            self.show_error(self.app.describe_error(exc))
            return
        self.clear_error()
        self._settings = settings
        self._values = _fields(settings)
        self._fill_table()
        self.query_one("#numbers", Static).update(Text(settings.number_note))
        self._show_ips(settings)
        await self._show_snippets(settings)
        gotchas = [*settings.gotchas, *settings.unconfirmed]  # each says what to check
        gotchas += [f"Verified over 90 days ago: {s}" for s in settings.stale]
        self.query_one("#gotchas", Static).update(Text("\n".join(f"⚠ {g}" for g in gotchas)))

    def _fill_table(self) -> None:
        table = self.query_one("#fields", DataTable)
        label_w, value_w, copy_w = column_widths(self._table_width(), [v[0] for v in self._values])
        table.clear(columns=True)  # widths are set anew: the last provider's never linger
        table.add_column("field", width=label_w, key="field")
        table.add_column("value", width=value_w, key="value")
        table.add_column("", width=copy_w, key="copy")
        for i, (name, value, copyable) in enumerate(self._values):
            if copyable:
                mark = Text("⧉ copy (c)", style="dim")
            elif any(p in value for p in PLACEHOLDERS):
                mark = Text("after apply", style="dim italic")
            else:
                mark = Text("")
            table.add_row(Text(name, overflow="fold"), _shown(value), mark, key=str(i), height=None)

    def _table_width(self) -> int:
        """The cells the table may use, the same on every fill: the body's width less its
        scrollbar, reserved whether the body scrolls yet or not (a URI that fit stays whole)."""
        body = self.query_one("#body")
        width = body.size.width or self.app.size.width - 2  # before the first layout: padding
        return width - body.styles.scrollbar_size_vertical

    def _show_ips(self, settings: Any) -> None:
        box = self.query_one("#ips-box", Vertical)
        box.display = bool(settings.source_ips or settings.source_ips_note)
        head = f"For the Plivo IP ACL ({settings.name}): {settings.source_ips_note}".rstrip(": ")
        lines = [head, *(f"  {ip}" for ip in settings.source_ips)]
        self.query_one("#ips", Static).update(Text("\n".join(lines)))
        self.query_one("#copy-ips", Button).display = bool(settings.source_ips)

    async def _show_snippets(self, settings: Any) -> None:
        from xml.sax.saxutils import escape

        from wizard.providers.templates import PASSWORD_PLACEHOLDER

        box = self.query_one("#snippets", Vertical)
        await box.remove_children()
        blocks = []
        for i, s in enumerate(settings.snippets):
            note = f"  ({s.note})" if s.note else ""
            title = Static(Text(f"{s.title} · {s.filename}{note}"), classes="snippet-title")
            keep = ""
            if PASSWORD_PLACEHOLDER in s.text or escape(PASSWORD_PLACEHOLDER) in s.text:
                keep = f"The file keeps {PASSWORD_PLACEHOLDER}: paste the password in yourself."
            body = CopyableBlock(
                s.text,
                what=s.filename,
                filename=s.filename,
                language=s.format,
                for_clipboard=self._real,  # the password, known this session, on copy only
                write_note=keep,
                id=f"snippet-{i}",
                classes="snippet-body",
            )
            keys = " (y)" if i == 0 else ""
            save_key = " (w)" if i == 0 else ""
            actions = Horizontal(
                Button(f"Copy whole{keys}", id=f"copy-snippet-{i}", compact=True),
                Button(f"Write to a file…{save_key}", id=f"save-snippet-{i}", compact=True),
                classes="snippet-actions",
            )
            blocks.append(Vertical(title, body, actions, classes="snippet"))
        if blocks:
            await box.mount(*blocks)

    # --- copying and writing ------------------------------------------------------------------

    def _real(self, text: str) -> str:
        """The text as the provider needs it: the placeholder swapped for the password, when
        this session knows it (the screen and files only ever show the placeholder)."""
        from xml.sax.saxutils import escape

        from wizard.providers.templates import PASSWORD_PLACEHOLDER

        password = self.app.session.sip_password
        if not password:
            return text
        # an XML snippet holds the placeholder escaped, and takes the password escaped
        text = text.replace(escape(PASSWORD_PLACEHOLDER), escape(password, {'"': "&quot;"}))
        return text.replace(PASSWORD_PLACEHOLDER, password)

    @on(DataTable.RowSelected, "#fields")
    def action_copy(self) -> None:
        """Copy the selected value (a placeholder is refused; a password is not shown)."""
        table = self.query_one("#fields", DataTable)
        if not self._values or table.cursor_row < 0:
            return
        name, value, copyable = self._values[table.cursor_row]
        if not copyable and not is_placeholder(value):
            self.app.notify(f"{name} is not a value to copy.", severity="warning")
            return
        real = self._real(value)
        copy_value(self.app, real, name, secret=real != value, missing=f"{NOT_YET} (apply first)")

    def action_copy_ips(self) -> None:
        """The user pressed i (or the button): the source IPs are copied, one per line."""
        ips = list(getattr(self._settings, "source_ips", []) or [])
        if ips:
            self.app.copy_to_clipboard("\n".join(ips))
            self.app.notify(f"{len(ips)} addresses copied, one per line.", title="Copied")

    def _block(self, index: int) -> CopyableBlock | None:
        found = self.query(f"#snippet-{index}").results(CopyableBlock)
        return next(iter(found), None)

    def action_copy_snippet(self, index: int) -> None:
        """Copy a snippet whole (with the password, when this session knows it)."""
        block = self._block(index)
        if block is not None:
            block.action_copy()

    def action_save_snippet(self, index: int) -> None:
        """Write a snippet to a file: the placeholder, never the password, on disk."""
        block = self._block(index)
        if block is not None:
            block.action_write()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        bid = event.button.id or ""
        if bid == "copy-ips":
            self.action_copy_ips()
        elif bid.startswith("copy-snippet-"):
            self.action_copy_snippet(int(bid.rsplit("-", 1)[1]))
        elif bid.startswith("save-snippet-"):
            self.action_save_snippet(int(bid.rsplit("-", 1)[1]))

    def action_next(self) -> None:
        """On to verify."""
        self.app.next_step(self.STEP)
