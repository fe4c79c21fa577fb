"""What the panels share to stay cheap while the host serves in the same process: a text that is
redrawn only when its words change (and laid out again only when its shape does), and a table
whose rows are changed cell by cell rather than cleared and filled again."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence

from rich.text import Text
from textual.content import Content
from textual.widgets import DataTable, Static

_NOT_SPACE = re.compile(r"\S")


def _shape(text: str) -> str:
    """Where the words and spaces are: texts of one shape take the same room on screen."""
    return _NOT_SPACE.sub("x", text)


class LiveText(Static):
    """A Static that a poll may set ten times a second: the same words cost nothing, new words of
    the same shape (a clock ticking, a count growing within its digits) are only repainted, and
    only a change of shape lays the screen out again."""

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Content(text), id=id, classes=classes)
        self._said = text

    @property
    def said(self) -> str:
        return self._said

    def say(self, text: str) -> None:
        if text == self._said:
            return
        layout = _shape(text) != _shape(self._said)
        self._said = text
        self.update(Content(text), layout=layout)


def set_rows(table: DataTable, rows: Sequence[tuple[Hashable, Sequence]]) -> None:
    """Make `table` show `rows` (key, cells), keeping the cursor's row: when the keys are the ones
    shown, in the same order, only the cells that changed are set; when rows only came after
    them, only those are added; otherwise the table is filled again. Words are cells as they are
    (Text), never read as markup."""
    rows = [(key, [Text(cell) if isinstance(cell, str) else cell for cell in cells]) for key, cells in rows]
    keys = [str(key) for key, _ in rows]
    shown = [row_key.value for row_key in table.rows]
    if keys == shown:
        for key, cells in rows:
            old = table.get_row(str(key))
            for column, (before, after) in zip(table.ordered_columns, zip(old, cells)):
                if before != after:
                    table.update_cell(str(key), column.key, after)
        return
    if shown and keys[: len(shown)] == shown and all(
        table.get_row(key) == cells for key, (_, cells) in zip(shown, rows)
    ):
        for key, cells in rows[len(shown):]:  # only new rows after the ones shown
            table.add_row(*cells, key=str(key))
        return
    row = table.cursor_row
    table.clear()
    for key, cells in rows:
        table.add_row(*cells, key=str(key))
    if table.row_count:
        table.move_cursor(row=min(row, table.row_count - 1), scroll=False)


class PaintedWhenShown:
    """A panel painted only while its tab is showing: what it is given meanwhile is kept, and
    painted once when its tab comes up again. The app says which panel shows (`set_showing`)."""

    showing = False
    _stale = True

    def paint(self) -> None:
        raise NotImplementedError

    def repaint(self) -> None:
        if self.showing:
            self._stale = False
            self.paint()
        else:
            self._stale = True

    def set_showing(self, showing: bool) -> None:
        self.showing = showing
        if showing and self._stale:
            self.repaint()
