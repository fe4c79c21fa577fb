"""Clock: the host's time, whether it is frozen, real or offset from the machine's clock, and keys
to step it so that fees and deadlines are crossed on purpose. Every answer from now on is decided
at the host's time (a fee is charged after free-until, a cancel refused after cancel-until)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from simulator.console.live import LiveText, PaintedWhenShown
from simulator.host_clock import ClockMode, HostClock, describe_offset

MODE_WORDS = {
    ClockMode.REAL: "real: the machine's clock",
    ClockMode.OFFSET: "running, offset from the machine's clock",
    ClockMode.FROZEN: "frozen: time stands still until stepped or run",
}


class ClockPanel(PaintedWhenShown, Vertical, can_focus=True):
    BINDINGS = [
        Binding("plus,h", "step(1)", "+1 h"),
        Binding("minus", "step(-1)", "-1 h"),
        Binding("d", "step(24)", "+1 day"),
        Binding("f", "freeze", "freeze"),
        Binding("r", "run", "run"),
        Binding("0", "to_real", "real"),
    ]

    def __init__(self, clock: HostClock, wall: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.wall = wall

    def compose(self) -> ComposeResult:
        yield LiveText(id="clock-state")
        yield Static(
            "The host decides every answer at its own time: step it past an appointment's free-until and "
            "the next LIST shows the fee; past cancel-until and a cancel is refused as too late.",
            id="clock-help",
        )

    def show(self) -> None:
        """Called on every poll and after each key: painted while the tab shows (the times tick
        in place; the panel is laid out again only when the mode's words change)."""
        self.repaint()

    def paint(self) -> None:
        now, mode, offset = self.clock.now(), self.clock.mode, self.clock.offset
        text = "\n".join(
            [
                f"Host time:        {now:%Y-%m-%d %H:%M:%S}",
                f"Mode:             {MODE_WORDS[mode]}",
                f"From the machine: {describe_offset(offset)}",
                f"Machine's time:   {self.wall():%Y-%m-%d %H:%M:%S}",
            ]
        )
        self.query_one("#clock-state", LiveText).say(text)

    def action_step(self, hours: int) -> None:
        self.clock.step(timedelta(hours=hours))
        self.show()

    def action_freeze(self) -> None:
        self.clock.freeze()
        self.show()

    def action_run(self) -> None:
        self.clock.run()
        self.show()

    def action_to_real(self) -> None:
        self.clock.to_real()
        self.show()
