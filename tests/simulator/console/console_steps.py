"""Steps the console's Pilot tests share: run a scenario, read what a panel shows (its texts and
its tables' cells), wait for a condition with a deadline."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, Static

from tests.screens.pilot_steps import plain, run, wait_until

__all__ = ["run", "text_of", "wait_for", "wait_until", "table_rows"]


def table_rows(table: DataTable) -> list[list[str]]:
    return [[plain(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def text_of(root: Widget) -> str:
    """Every text under `root` (a panel, a screen), tables cell by cell, one widget a line."""
    lines = []
    for widget in root.query("*"):
        if isinstance(widget, Static):
            lines.append(plain(widget.content))
        elif isinstance(widget, DataTable):
            lines.extend("  ".join(row) for row in table_rows(widget))
        elif isinstance(widget, OptionList):
            lines.extend(plain(option.prompt) for option in widget.options)
    return "\n".join(lines)


async def wait_for(pilot: Pilot, root: Callable[[], Widget], text: str) -> None:
    await wait_until(pilot, lambda: text in text_of(root()), repr(text))
