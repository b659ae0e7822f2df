"""Textual's DataTable, with its header redrawn when new rows widen a column."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable


class Table(DataTable):
    """A DataTable whose header follows its columns.

    DataTable measures rows added since the last idle and widens their columns then, but
    keeps each line it already drew under a key that holds no column widths. A header drawn
    between the rows' arrival and that idle stays narrow above wide rows until something
    restyles the table (a worker that fills a table shows it). Every table of the wizard is
    this one."""

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.get_render_width(self) for column in self.ordered_columns]:
            self._update_count += 1  # what a resize does: every cached line is stale
            self.refresh()
