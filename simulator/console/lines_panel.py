"""Lines: each port the host serves, open or lost (and why), its speed, frames each way, NAKs,
resends and when it last carried something; under them, the host's latest notes (what
`pos-sim host` would log: a line lost, a request refused and why, a fault applied)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from simulator.console.live import LiveText, PaintedWhenShown, set_rows
from simulator.host_activity import HostNote, LineState, LineStatus

COLUMNS = ("line", "port", "state", "baud", "in", "out", "NAKs in/out", "resends", "last seen")


def line_row(number: int, line: LineStatus) -> tuple[str, ...]:
    last = f"{line.last_activity:%H:%M:%S}" if line.last_activity else "-"
    return (
        str(number),
        line.url,
        line.state,
        str(line.baud),
        str(line.frames_in),
        str(line.frames_out),
        f"{line.naks_in}/{line.naks_out}",
        str(line.resends),
        last,
    )


class LinesPanel(PaintedWhenShown, Vertical):
    def __init__(self, ports: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ports = ports
        self.lines: list[LineStatus] = []
        self.notes: tuple[HostNote, ...] = ()
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(
            "in/out: frames from/to the terminal. NAKs in: the terminal refused what the host sent; "
            "out: the host refused what it got. Resends: answers sent again.",
            id="lines-help",
        )
        table: DataTable = DataTable(id="lines-table", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield LiveText(id="lines-problems")
        yield LiveText(id="lines-notes")

    def show(self, lines: list[LineStatus], notes: tuple[HostNote, ...] = ()) -> None:
        """Called on every poll: painted when the tab shows and the lines or notes changed."""
        self.lines, self.notes = lines, notes
        if (lines, notes) != self._shown:
            self.repaint()

    def paint(self) -> None:
        lines, notes = self._shown = (self.lines, self.notes)
        self.query_one("#lines-notes", LiveText).say(
            "\n".join(["The host's latest notes:", *(f"{at:%H:%M:%S} {text}" for _number, at, text in notes)])
            if notes else ""
        )
        known = {line.url: line for line in lines}
        set_rows(
            self.query_one(DataTable),
            [(url, line_row(number, known.get(url) or LineStatus(url, 0))) for number, url in enumerate(self.ports, start=1)],
        )
        problems = [
            f"line {number} ({url}) {known[url].state}: {known[url].problem or 'no reason given'}; the host tries again"
            for number, url in enumerate(self.ports, start=1)
            if url in known and known[url].state != LineState.OPEN and known[url].problem
        ]
        self.query_one("#lines-problems", LiveText).say("\n".join(problems))
