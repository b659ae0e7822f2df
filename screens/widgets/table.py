"""Textual's DataTable, with its header redrawn when new rows widen a column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual.widgets import DataTable


class Table(DataTable):
    """A DataTable whose header follows its columns.

    DataTable measures rows added since the last idle and widens their columns then, but
    keeps each line it already drew under a key that holds no column widths. A header drawn
    between the rows' arrival and that idle stays narrow above wide rows until something
    restyles the table (a worker that fills a table shows it). Every table of the wizard is
    this one, and its ``str`` cells are plain text, never markup."""

    def add_row(self, *cells: Any, **options: Any) -> Any:
        """DataTable's add_row, with every ``str`` cell shown as plain text: DataTable reads
        a string as markup, and the wizard's cells carry the account's names and ids."""
        plain_cells = (Text(c) if isinstance(c, str) else c for c in cells)
        return super().add_row(*plain_cells, **options)

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.get_render_width(self) for column in self.ordered_columns]:
            self._update_count += 1  # what a resize does: every cached line is stale
            self.refresh()
