"""Traffic: every frame and link happening both ways on every line, decoded, newest last.

The panel keeps the newest `cap` entries (the host's activity feed keeps as many), follows the
newest or pauses (a paused table stands still; what arrives meanwhile is kept and shown on
resuming), shows one line or all, and Enter opens the selected entry's bytes."""

from __future__ import annotations

import itertools
import time
from collections import deque

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.strip import Strip
from textual.widgets import DataTable

from protocol.trace import describe_record
from simulator.console.dialogs import FrameBytes
from simulator.console.live import LiveText, PaintedWhenShown
from simulator.host_activity import TrafficEntry

ARROWS = {"rx": "<-", "tx": "->"}
TROUBLE = {"nak", "bad-frame", "noise", "abandoned", "send-failed", "stray-ack", "stray-nak"}
# The table holds the newest TABLE_ROWS of the entries kept (the line filter picks from all of
# them): filling a table costs in proportion to its rows, and a full one is filled again, cut back
# to TRIM_TO of that at once, which costs less than removing a row for every row added.
TABLE_ROWS = 1000
TRIM_TO = 0.5
TABLE_SECONDS = 0.3  # the table takes new rows at most this often while following
LINES_KEPT = 400  # painted lines kept: a tall screen's worth, with the cursor on and off each


class OneLine:
    """A cell of words on one line, drawn from the segments worked out the first time: a Text
    cell is wrapped and justified again on every paint, which is most of what painting a new
    row costs. Shows as Text does (its styles; right-justified when asked); reads as its words."""

    def __init__(self, text: Text) -> None:
        self.text = text
        self.width = text.cell_len
        self._segments: list[Segment] | None = None

    def __str__(self) -> str:
        return self.text.plain

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OneLine) and other.text == self.text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width, self.width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self._segments is None:
            flat = Text()
            flat.append_text(self.text)  # the text's own style becomes a span: render() reads only spans
            self._segments = list(flat.render(console))
        room = options.max_width - self.width
        if room > 0 and self.text.justify == "right":
            yield Segment(" " * room)
        yield from self._segments


def entry_time(entry: TrafficEntry) -> str:
    return f"{entry.wall:%H:%M:%S.%f}"[:-3]


def entry_words(entry: TrafficEntry) -> Text:
    words = describe_record(entry.record)
    if entry.record.kind in TROUBLE:
        return Text(words, style="bold red")
    if "RESULT = " in words and "(OK)" not in words:
        return Text(words, style="yellow")  # a refusal and its reason
    return Text(words)


class TrafficTable(DataTable):
    """A DataTable that keeps each painted line of an entry for as long as nothing that shows in
    it changes. DataTable throws all its painted lines away whenever a row is added, so a table
    growing at every poll would paint every visible row again each time; an entry's row never
    changes once added, so its line is kept, keyed by what it is drawn from: the row, the column
    widths, the width and horizontal scroll, the cursor or mouse on that row, the table's focus
    and style."""

    def __init__(self, *, id: str | None = None, cursor_type: str = "row") -> None:
        super().__init__(id=id, cursor_type=cursor_type)  # type: ignore[arg-type]
        self._lines: LRUCache[tuple, Strip] = LRUCache(LINES_KEPT)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = y + scroll_y - 1 if y else -1  # line 0 is the header; every row is one line high
        if row >= self.row_count:
            return super().render_line(y)
        row_key = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value if row >= 0 else None
        key = (
            row_key,
            self.size.width,
            scroll_x,
            tuple(column.get_render_width(self) for column in self.ordered_columns),
            self.cursor_coordinate if self.cursor_coordinate.row == row else None,
            self.hover_coordinate if self.hover_coordinate.row == row else None,
            self.cursor_type,
            self.get_pseudo_class_state(),
            self.rich_style,
        )
        line = self._lines.get(key)
        if line is None:
            line = self._lines[key] = super().render_line(y)
        return line


class TrafficPanel(PaintedWhenShown, Vertical):
    BINDINGS = [
        Binding("f", "follow", "follow/pause"),
        Binding("l", "next_line", "line filter"),
    ]

    def __init__(self, ports: list[str], cap: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ports = ports
        self.cap = cap
        self.rows = min(cap, TABLE_ROWS)  # the most rows the table holds
        self.kept: deque[TrafficEntry] = deque(maxlen=cap)
        self.received = 0  # entries this panel got from the feed
        self.missed = 0  # entries the feed dropped before the panel took them
        self.following = True
        self.line: str | None = None  # the one port shown, or None: all
        self.shown_up_to = 0  # the number of the newest entry the table was given
        self._table_at = -TABLE_SECONDS  # when (monotonic) the table last took new rows
        self._rows_waiting = False  # new rows wait for the next batch

    def compose(self) -> ComposeResult:
        yield LiveText(id="traffic-status")
        table = TrafficTable(id="traffic-table", cursor_type="row")
        table.add_column("#", key="number")
        table.add_column("time", key="time")
        table.add_column("line", key="line")
        table.add_column("", key="arrow")
        table.add_column("what", key="what")
        yield table
        yield LiveText(id="traffic-detail")

    def on_mount(self) -> None:
        self._say()

    # -- fed by the app's poll

    def add(self, entries: list[TrafficEntry], missed: int) -> None:
        """Called on every poll: what is new is kept at once; painted if the tab shows, else
        when it comes up."""
        self.kept.extend(entries)
        self.received += len(entries)
        self.missed += missed
        if entries or missed or self._rows_waiting:
            self.repaint()

    def paint(self) -> None:
        if self.following:
            # A growing table lays the screen out again at each paint: while the traffic flows,
            # it takes its new rows in batches of at most TABLE_SECONDS (the count on the status
            # line keeps up at every poll).
            now = time.monotonic()
            self._rows_waiting = now - self._table_at < TABLE_SECONDS
            if not self._rows_waiting:
                self._table_at = now
                self._show_new()
        self._say()

    @property
    def dropped(self) -> int:
        """Entries seen on the lines that are no longer kept (the feed's or the panel's cap)."""
        return self.missed + self.received - len(self.kept)

    def _wanted(self, entry: TrafficEntry) -> bool:
        return self.line is None or entry.url == self.line

    def _row(self, entry: TrafficEntry) -> tuple:
        """The cells: words, never read as markup, each on one line."""
        return (
            OneLine(Text(str(entry.number), justify="right")),
            OneLine(Text(entry_time(entry))),
            OneLine(Text(str(self._line_number(entry) or "?"))),
            OneLine(Text(ARROWS.get(entry.record.direction, entry.record.direction))),
            OneLine(entry_words(entry)),
        )

    def _newer(self) -> list[TrafficEntry]:
        """The kept entries not given to the table yet, oldest first (looked for from the newest)."""
        newer = list(itertools.takewhile(lambda entry: entry.number > self.shown_up_to, reversed(self.kept)))
        newer.reverse()
        return newer

    def _show_new(self) -> None:
        table = self.query_one(TrafficTable)
        new = [entry for entry in self._newer() if self._wanted(entry)]
        newest = self.kept[-1].number if self.kept else 0
        # Some were dropped before they were shown, or more came than the table holds: start
        # again from the newest kept.
        dropped_unshown = self.shown_up_to and self.kept and self.kept[0].number > self.shown_up_to + 1
        if dropped_unshown or table.row_count + len(new) > self.rows:
            self._rebuild(keep=max(1, int(self.rows * TRIM_TO)) if not dropped_unshown else None)
            return
        self.shown_up_to = newest
        for entry in new:
            table.add_row(*self._row(entry), key=str(entry.number))
        if new:
            self._to_newest()

    def _rebuild(self, keep: int | None = None) -> None:
        """The table filled again with the newest `keep` wanted entries (or as many as it holds)."""
        table = self.query_one(TrafficTable)
        table.clear()
        wanted = [entry for entry in self.kept if self._wanted(entry)]
        for entry in wanted[-(keep or self.rows):]:
            table.add_row(*self._row(entry), key=str(entry.number))
        self.shown_up_to = self.kept[-1].number if self.kept else 0
        self._to_newest()

    def _to_newest(self) -> None:
        table = self.query_one(TrafficTable)
        if self.following and table.row_count:
            table.move_cursor(row=table.row_count - 1)

    def _say(self) -> None:
        where = "all lines" if self.line is None else f"line {self.ports.index(self.line) + 1} only ({self.line})"
        if self.following:
            state = "following the newest"
        else:
            waiting = len(self._newer())
            state = f"PAUSED, {waiting} newer waiting"
        self.query_one("#traffic-status", LiveText).say(
            f"{state} · {where} · keeps the newest {self.cap}; {self.dropped} older dropped"
            + (f", {self.missed} of them before they were shown" if self.missed else "")
        )

    # -- keys

    def action_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self._show_new()
        self._say()

    def action_next_line(self) -> None:
        choices: list[str | None] = [None, *self.ports]
        self.line = choices[(choices.index(self.line) + 1) % len(choices)]
        self._rebuild()
        self._say()

    def _entry(self, number: int) -> TrafficEntry | None:
        """A kept entry by its number (looked for from the newest: the one usually wanted)."""
        return next((entry for entry in reversed(self.kept) if entry.number == number), None)

    def _line_number(self, entry: TrafficEntry) -> int:
        return self.ports.index(entry.url) + 1 if entry.url in self.ports else 0

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        """The highlighted entry in full under the table: a row is cut at the screen's edge."""
        entry = self._entry(int(message.row_key.value or 0))
        if entry is not None:
            arrow = ARROWS.get(entry.record.direction, entry.record.direction)
            self.query_one("#traffic-detail", LiveText).say(
                f"#{entry.number} line {self._line_number(entry)} {arrow} {describe_record(entry.record)}"
            )

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()
        entry = self._entry(int(message.row_key.value or 0))
        if entry is not None:
            self.app.push_screen(FrameBytes(entry, line=self._line_number(entry)))
