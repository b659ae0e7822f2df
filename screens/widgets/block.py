"""A snippet (answer XML, pjsip.conf, TwiML…) shown highlighted: copy it whole or write a file."""

from __future__ import annotations

from pathlib import Path

from rich.syntax import Syntax
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from screens.widgets.copyable import copy_value


class CopyableBlock(Static, can_focus=True):
    """A block of text the user puts somewhere else, whole.

    ``c`` copies it all; ``w`` asks for a path (PathPrompt) and writes it there.
    ``show("")`` draws the ``empty`` sentence instead, and then nothing is copied."""

    DEFAULT_CSS = """
    CopyableBlock { height: auto; }
    CopyableBlock:focus { background-tint: $foreground 5%; }
    """
    BINDINGS = [
        Binding("c", "copy", "Copy all"),
        Binding("w", "write", "Write to file"),
    ]

    def __init__(
        self,
        *,
        what: str,
        filename: str,
        language: str = "text",
        empty: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.what, self.filename, self.language, self.empty = what, filename, language, empty
        self.text = ""

    def on_mount(self) -> None:
        """Draw the empty sentence until there is text."""
        self.show(self.text)

    def show(self, text: str, *, language: str | None = None, filename: str | None = None) -> None:
        """Show ``text`` (highlighted as ``language``); ``filename`` is the write default."""
        self.text = text
        self.language = language or self.language
        self.filename = filename or self.filename
        if text:
            self.update(Syntax(text, self.language, theme="ansi_dark", word_wrap=True))
        else:
            self.update(Text(self.empty, style="dim"))

    def action_copy(self) -> None:
        """Copy the whole block."""
        copy_value(self.app, self.text, self.what, missing=self.empty or f"{self.what} is empty.")

    def action_write(self) -> None:
        """Ask where, then write the block there (atomically; symlinks refused)."""
        if not self.text:
            copy_value(self.app, "", self.what, missing=self.empty or f"{self.what} is empty.")
            return
        from screens.widgets.path_prompt import PathPrompt

        self.app.push_screen(PathPrompt(f"Write {self.what} to a file", self.filename), self._write)

    def _write(self, path: Path | None) -> None:
        if path is None:
            return
        from wizard.files import write_atomic

        text = self.text if self.text.endswith("\n") else self.text + "\n"
        try:
            write_atomic(path, text)
        except Exception as exc:
            self.app.notify(f"Not written: {exc}", severity="error", markup=False)
            return
        self.app.notify(f"Wrote {self.what} to {path}", title="Written", markup=False)
