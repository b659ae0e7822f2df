"""A snippet (answer XML, pjsip.conf, TwiML…) shown highlighted: copy it whole or write a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from screens.widgets.copyable import NOT_YET, copy_value, is_placeholder


def write_block(app: Any, path: Path, text: str, what: str) -> None:
    """Write ``text`` to ``path`` (atomically, never through a symlink) and say so. A
    failure is the app's scrubbed sentence, as a toast (a step redraws when the path
    prompt closes); nothing is left half-written."""
    from wizard.files import write_atomic

    try:
        write_atomic(path, text)
    except Exception as exc:
        problem = f"Could not write {path}: {app.describe_error(exc)}"
        app.notify(problem, title="Not written", severity="error", timeout=10)
        return
    app.notify(f"Wrote {what} to {path}", title="Written")


class CopyableBlock(Static, can_focus=True):
    """A block of text the user puts somewhere else, whole.

    ``c`` copies it all; ``w`` asks for a path (PathPrompt) and writes it there.
    ``show("")`` draws the ``empty`` sentence instead, and then nothing is copied.
    ``for_clipboard`` turns the shown text into what the clipboard gets (a provider snippet
    swaps its password placeholder for the password); the screen and files keep the text."""

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
        text: str = "",
        *,
        what: str,
        filename: str,
        language: str = "text",
        empty: str = "",
        for_clipboard: Callable[[str], str] | None = None,
        write_note: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.what, self.filename, self.language, self.empty = what, filename, language, empty
        self.for_clipboard, self.write_note = for_clipboard, write_note
        self.text = text

    def on_mount(self) -> None:
        """Draw the text (or the empty sentence until there is text)."""
        self.show(self.text)

    def show(self, text: str, *, language: str | None = None, filename: str | None = None) -> None:
        """Show ``text`` (highlighted as ``language``); ``filename`` is the write default."""
        self.text = text
        self.language = language or self.language
        self.filename = filename or self.filename
        if text:
            # the terminal's own colours, dark or light as the app's theme is
            theme = "ansi_dark" if self.app.current_theme.dark else "ansi_light"
            self.update(Syntax(text, self.language, theme=theme, word_wrap=True))
        else:
            self.update(Text(self.empty, style="dim"))

    def action_copy(self) -> None:
        """Copy the whole block (a secret swapped in by ``for_clipboard`` is never shown)."""
        real = self.for_clipboard(self.text) if self.for_clipboard and self.text else self.text
        missing = self.empty or f"{self.what} is empty."
        if is_placeholder(real):  # e.g. offline: {app_id} is not real yet
            missing = f"{self.what} holds values {NOT_YET}; write it to a file to fill them in."
        copy_value(self.app, real, self.what, secret=real != self.text, missing=missing)

    def action_write(self) -> None:
        """Ask where, then write the block there (atomically; symlinks refused)."""
        if not self.text:
            copy_value(self.app, "", self.what, missing=self.empty or f"{self.what} is empty.")
            return
        from screens.widgets.path_prompt import PathPrompt

        prompt = PathPrompt(f"Write {self.what} to a file", self.filename, self.write_note)
        self.app.push_screen(prompt, self._write)

    def _write(self, path: Path | None) -> None:
        if path is None:
            return
        text = self.text if self.text.endswith("\n") else self.text + "\n"
        write_block(self.app, path, text, self.what)
