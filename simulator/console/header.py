"""The one line always on top: the host's clock (time and mode), the fault in force (or
"answering normally") and how many of the host's lines are open."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal

from simulator.console.live import LiveText
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
        yield self.clock
        yield self.fault
        yield self.lines

    def __init__(self) -> None:
        super().__init__()
        self.clock = LiveText(id="header-clock")
        self.fault = LiveText(NORMAL, id="header-fault")
        self.lines = LiveText(id="header-lines")

    def show(self, clock: str, fault: Fault | None, lines: str) -> None:
        """Called ten times a second: a part is redrawn only when its words change, and the line
        laid out again only when a part's width does (the clock ticking is a repaint)."""
        self.clock.say(clock)
        self.fault.say(fault_words(fault))
        self.lines.say(lines)
        self.fault.set_class(fault is not None, "-fault")
