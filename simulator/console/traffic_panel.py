"""Traffic: every frame and link happening both ways on every line, decoded, newest last.

The panel keeps the newest `cap` entries (the host's activity feed keeps as many), follows the
newest or pauses (a paused table stands still; what arrives meanwhile is kept and shown on
resuming), shows one line or all, and Enter opens the selected entry's bytes."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from protocol.trace import describe_record
from simulator.console.dialogs import FrameBytes
from simulator.host_activity import TrafficEntry

ARROWS = {"rx": "<-", "tx": "->"}
TROUBLE = {"nak", "bad-frame", "noise", "abandoned", "send-failed", "stray-ack", "stray-nak"}
# A full table is cut back to this share of the cap at once: one rebuild now and then costs less
# than removing a row for every row added.
TRIM_TO = 0.9


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
    pass


class TrafficPanel(Vertical):
    BINDINGS = [
        Binding("f", "follow", "follow/pause"),
        Binding("l", "next_line", "line filter"),
    ]

    def __init__(self, ports: list[str], cap: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ports = ports
        self.cap = cap
        self.kept: deque[TrafficEntry] = deque(maxlen=cap)
        self.received = 0  # entries this panel got from the feed
        self.missed = 0  # entries the feed dropped before the panel took them
        self.following = True
        self.line: str | None = None  # the one port shown, or None: all
        self.shown_up_to = 0  # the number of the newest entry the table was given

    def compose(self) -> ComposeResult:
        yield Static("", id="traffic-status")
        table = TrafficTable(id="traffic-table", cursor_type="row")
        table.add_column("#", key="number")
        table.add_column("time", key="time")
        table.add_column("line", key="line")
        table.add_column("", key="arrow")
        table.add_column("what", key="what")
        yield table
        yield Static("", id="traffic-detail")

    def on_mount(self) -> None:
        self._say()

    # -- fed by the app's poll

    def add(self, entries: list[TrafficEntry], missed: int) -> None:
        self.kept.extend(entries)
        self.received += len(entries)
        self.missed += missed
        if self.following:
            self._show_new()
        self._say()

    @property
    def dropped(self) -> int:
        """Entries seen on the lines that are no longer kept (the feed's or the panel's cap)."""
        return self.missed + self.received - len(self.kept)

    def _wanted(self, entry: TrafficEntry) -> bool:
        return self.line is None or entry.url == self.line

    def _row(self, entry: TrafficEntry) -> tuple:
        return (
            Text(str(entry.number), justify="right"),
            entry_time(entry),
            str(self._line_number(entry) or "?"),
            ARROWS.get(entry.record.direction, entry.record.direction),
            entry_words(entry),
        )

    def _show_new(self) -> None:
        table = self.query_one(TrafficTable)
        if self.kept and self.kept[0].number > self.shown_up_to + 1 and self.shown_up_to:
            self._rebuild()  # some were dropped before they were shown: start from what is kept
            return
        new = [entry for entry in self.kept if entry.number > self.shown_up_to] if self.kept else []
        if not new:
            return
        self.shown_up_to = new[-1].number
        for entry in new:
            if self._wanted(entry):
                table.add_row(*self._row(entry), key=str(entry.number))
        if table.row_count > self.cap:
            self._rebuild(keep=int(self.cap * TRIM_TO))
            return
        self._to_newest()

    def _rebuild(self, keep: int | None = None) -> None:
        table = self.query_one(TrafficTable)
        table.clear()
        wanted = [entry for entry in self.kept if self._wanted(entry)]
        if keep is not None:
            wanted = wanted[-keep:]
        for entry in wanted:
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
            waiting = sum(1 for entry in self.kept if entry.number > self.shown_up_to)
            state = f"PAUSED, {waiting} newer waiting"
        self.query_one("#traffic-status", Static).update(
            f"{state} · {where} · keeps the newest {self.cap}; {self.dropped} older dropped"
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
            self.query_one("#traffic-detail", Static).update(
                f"#{entry.number} line {self._line_number(entry)} {arrow} {describe_record(entry.record)}"
            )

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        message.stop()
        entry = self._entry(int(message.row_key.value or 0))
        if entry is not None:
            self.app.push_screen(FrameBytes(entry, line=self._line_number(entry)))
