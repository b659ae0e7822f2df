"""Step: what to type in the provider's console: field -> value -> [copy], snippet, gotchas."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Select, Static

from screens.widgets.base import StepScreen
from screens.widgets.block import CopyableBlock
from screens.widgets.copyable import NOT_YET, PLACEHOLDER, copy_value, is_placeholder


def _fields(settings: Any) -> list[tuple[str, str, bool]]:
    """(field, value, copyable) from the provider settings; a placeholder is not copyable."""
    return [
        (
            str(f.label),
            str(f.value),
            bool(getattr(f, "copyable", True)) and not is_placeholder(str(f.value)),
        )
        for f in settings.fields
    ]


def _shown(value: str) -> Text:
    """A value as the table shows it: a placeholder reads as one, never as a real value."""
    text = Text()
    last = 0
    for m in PLACEHOLDER.finditer(value):
        text.append(value[last : m.start()])
        text.append(f"‹{m.group(1)}›", style="italic dim")
        last = m.end()
    text.append(value[last:])
    return text


class ProviderScreen(StepScreen):
    """What to type into the provider's console, per provider, with copy keys."""

    STEP = "provider"
    TITLE = "Provider settings · type these into your provider's console"
    CSS_PATH = "provider.tcss"
    BINDINGS = [
        Binding("c", "copy", "Copy value"),
        Binding("ctrl+n", "next", "Next"),
    ]

    def compose_body(self) -> ComposeResult:
        """The provider picker, the field table, the snippet, the gotchas."""
        from wizard.providers.templates import PROVIDERS

        options = [(_title(key, p), key) for key, p in PROVIDERS.items()]
        value = self.plan.provider if self.plan.provider in PROVIDERS else "generic"
        yield Select(options, value=value, id="provider", allow_blank=False)
        yield DataTable(id="fields", cursor_type="row")
        yield CopyableBlock(what="the snippet", filename="snippet.txt", id="snippet")
        yield Static("", id="gotchas")

    def on_mount(self) -> None:
        """The table's columns; it has the focus (c copies its row)."""
        table = self.query_one("#fields", DataTable)
        table.add_columns("field", "value", "")
        table.focus()

    def on_screen_resume(self) -> None:
        """Show the settings for the plan as it is now."""
        self._show()

    @on(Select.Changed, "#provider")
    def _show(self) -> None:
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
        table.clear()
        for i, (name, value, copyable) in enumerate(self._values):
            held = is_placeholder(value)
            mark = Text("⧉ copy (c)" if copyable else "after apply" if held else "", style="dim")
            table.add_row(name, _shown(value), mark, key=str(i))
        snippet = getattr(settings, "snippet", "") or ""
        box = self.query_one("#snippet", CopyableBlock)
        box.display = bool(snippet)
        snips = getattr(settings, "snippets", None) or []
        lang = snips[0].format if snips else "ini"
        box.show(snippet, language=lang, filename=f"{key}.{_suffix(lang)}")
        gotchas = list(getattr(settings, "gotchas", []) or [])
        self.query_one("#gotchas", Static).update(
            "\n".join(f"⚠ {_escape(str(g))}" for g in gotchas)
        )

    @on(DataTable.RowSelected, "#fields")
    def action_copy(self) -> None:
        """Copy the selected value (a placeholder is refused; a password is not shown)."""
        table = self.query_one("#fields", DataTable)
        if not getattr(self, "_values", None) or table.cursor_row < 0:
            return
        from wizard.providers.templates import PASSWORD_PLACEHOLDER

        name, value, _copyable = self._values[table.cursor_row]
        password = self.app.session.sip_password
        if PASSWORD_PLACEHOLDER in value and password:
            # the screen shows a placeholder; the clipboard gets the real password
            real = value.replace(PASSWORD_PLACEHOLDER, password)
            copy_value(self.app, real, name, secret=True)
            return
        copy_value(self.app, value, name, missing=f"{name} is {NOT_YET} (`byon apply`).")

    def action_next(self) -> None:
        """On to verify."""
        self.app.next_step(self.STEP)


def _title(key: str, provider: Any) -> str:
    return str(getattr(provider, "title", None) or getattr(provider, "name", None) or key)


def _suffix(language: str) -> str:
    """A file name ending for a snippet's format."""
    return {"xml": "xml", "json": "json", "ini": "conf"}.get(language, "txt")


def _escape(text: str) -> str:
    return text.replace("[", "\\[")
