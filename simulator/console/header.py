"""The one line always on top: the host's clock (time and mode), the fault in force (or
"answering normally") and how many of the host's lines are open."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from simulator.faults import Fault
from simulator.host_activity import LineState, LineStatus
from simulator.host_clock import ClockMode

NORMAL = "answering normally"


def clock_words(now: datetime, mode: ClockMode) -> str:
    return f"host {now:%Y-%m-%d %H:%M:%S} {mode.value}"


def fault_words(fault: Fault | None) -> str:
    return NORMAL if fault is None else fault.describe()


def lines_words(lines: list[LineStatus], total: int) -> str:
    open_lines = sum(1 for line in lines if line.state == LineState.OPEN)
    return f"lines {open_lines}/{total} open"


class HostHeader(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static("", id="header-clock")
        yield Static(NORMAL, id="header-fault")
        yield Static("", id="header-lines")

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[str, str] = {}

    def show(self, clock: str, fault: Fault | None, lines: str) -> None:
        """Called ten times a second: a part is redrawn only when its words change."""
        for widget_id, text in (("#header-clock", clock), ("#header-fault", fault_words(fault)), ("#header-lines", lines)):
            if self._shown.get(widget_id) != text:
                self._shown[widget_id] = text
                self.query_one(widget_id, Static).update(text)
        self.query_one("#header-fault").set_class(fault is not None, "-fault")
