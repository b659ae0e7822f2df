"""Step: what to type in the provider's console: field -> value -> [copy], snippet, gotchas."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Select, Static

from screens.widgets.base import StepScreen

FIELD_WIDTH, COPY_WIDTH = 22, 10


def _fields(settings: Any) -> list[tuple[str, str, bool]]:
    """(field, value, copyable) from the provider settings."""
    return [
        (str(f.label), str(f.value), bool(getattr(f, "copyable", True))) for f in settings.fields
    ]


class ProviderScreen(StepScreen):
    STEP = "provider"
    TITLE = "Provider settings · type these into your provider's console"
    CSS_PATH = "provider.tcss"
    BINDINGS = [
        Binding("c", "copy", "Copy value"),
        Binding("ctrl+n", "next", "Next"),
    ]

    def compose_body(self) -> ComposeResult:
        from wizard.providers.templates import PROVIDERS

        options = [(_title(key, p), key) for key, p in PROVIDERS.items()]
        value = self.plan.provider if self.plan.provider in PROVIDERS else "generic"
        yield Select(options, value=value, id="provider", allow_blank=False)
        yield DataTable(id="fields", cursor_type="row")
        yield Static("", id="snippet")
        yield Static("", id="gotchas")

    def on_mount(self) -> None:
        self.query_one("#fields", DataTable).focus()

    def on_screen_resume(self) -> None:
        self._show()

    @on(Select.Changed, "#provider")
    def _show(self) -> None:
        from rich.syntax import Syntax

        from wizard.providers.templates import settings_for

        key = str(self.query_one("#provider", Select).value)
        self.plan.provider = key
        try:
            settings = settings_for(self.plan, key, app_id=self.plan.application.app_id or None)
        except Exception as exc:
            self.show_error(self.app.describe_error(exc))
            return
        self.clear_error()
        self._values = _fields(settings)
        table = self.query_one("#fields", DataTable)
        # fixed widths, rebuilt each time: DataTable widens a column to its longest value
        # ever shown, so the table grew with each provider viewed and the copy column fell
        # off the screen; a long value now wraps (whole, never cut)
        table.clear(columns=True)
        value_width = max(30, self.app.size.width - 9 - FIELD_WIDTH - COPY_WIDTH)
        for label, width in (("field", FIELD_WIDTH), ("value", value_width), ("", COPY_WIDTH)):
            table.add_column(label, width=width)
        for i, (name, value, copyable) in enumerate(self._values):
            mark = Text("⧉ copy (c)" if copyable else "", style="dim")
            cells = (Text(name, overflow="fold"), Text(value, overflow="fold"), mark)
            table.add_row(*cells, key=str(i), height=None)
        snippet = getattr(settings, "snippet", "") or ""
        box = self.query_one("#snippet", Static)
        box.display = bool(snippet)
        if snippet:
            snips = getattr(settings, "snippets", None) or []
            lang = snips[0].format if snips else "ini"
            box.update(Syntax(snippet, lang, theme="ansi_dark", word_wrap=True))
        gotchas = list(getattr(settings, "gotchas", []) or [])
        self.query_one("#gotchas", Static).update(
            "\n".join(f"⚠ {_escape(str(g))}" for g in gotchas)
        )

    @on(DataTable.RowSelected, "#fields")
    def action_copy(self) -> None:
        table = self.query_one("#fields", DataTable)
        if not getattr(self, "_values", None) or table.cursor_row < 0:
            return
        from wizard.providers.templates import PASSWORD_PLACEHOLDER

        name, value, _copyable = self._values[table.cursor_row]
        password = self.app.session.sip_password
        if PASSWORD_PLACEHOLDER in value and password:
            # the screen shows a placeholder; the clipboard gets the real password
            self.app.copy_to_clipboard(value.replace(PASSWORD_PLACEHOLDER, password))
            self.app.notify(f"{name} copied (not shown).", title="Copied")
            return
        self.app.copy_to_clipboard(value)
        self.app.notify(f"{name} copied: {value}", title="Copied")

    def action_next(self) -> None:
        self.app.next_step(self.STEP)


def _title(key: str, provider: Any) -> str:
    return str(getattr(provider, "title", None) or getattr(provider, "name", None) or key)


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
