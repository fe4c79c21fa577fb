"""The console app: the header line, one tab per panel, the footer of keys, and the poll that
feeds them. The host serves on its own threads; this app reads its activity feed ten times a
second, taking everything new at once, and reads the store in a worker when it changed."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, OptionList, TabbedContent, TabPane

from simulator.console.appointments_panel import AppointmentsPanel
from simulator.console.clock_panel import ClockPanel
from simulator.console.data_panel import DataPanel
from simulator.console.faults_panel import FaultsPanel
from simulator.console.header import HostHeader, clock_words, lines_words
from simulator.console.lines_panel import LinesPanel
from simulator.console.messages import StoreRead
from simulator.console.traffic_panel import TrafficPanel
from simulator.faults import FaultBoard
from simulator.host_activity import HostActivity, HostNote
from simulator.host_clock import HostClock
from simulator.serve import HostServer
from terminal.exit_codes import EXIT_DONE

NOTES_SHOWN = 6  # the host's latest notes under the lines
POLL_SECONDS = 0.1  # the screen follows the host at most ten times a second
SWITCH_SECONDS = 0.0001

# (key, pane id, title)
PANELS = (
    ("1", "lines", "Lines"),
    ("2", "traffic", "Traffic"),
    ("3", "appointments", "Appointments"),
    ("4", "faults", "Faults"),
    ("5", "clock", "Clock"),
    ("6", "data", "Data"),
)
PANEL_KEYS = Binding.Group("panels", compact=True)
STORE_PANELS = ("appointments", "data")  # the panels that show the store


class ConsoleApp(App[int]):
    TITLE = "pos-sim console"
    CSS_PATH = [
        "app.tcss",
        "header.tcss",
        "lines_panel.tcss",
        "traffic_panel.tcss",
        "appointments_panel.tcss",
        "faults_panel.tcss",
        "clock_panel.tcss",
        "data_panel.tcss",
    ]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        *(Binding(key, f"panel('{pane}')", title, group=PANEL_KEYS) for key, pane, title in PANELS),
        Binding("q", "quit_console", "quit"),
    ]

    def __init__(
        self,
        server: HostServer,
        *,
        clock: HostClock,
        faults: FaultBoard,
        activity: HostActivity,
        data_path: Path | None = None,
        wall: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__()
        self.server = server
        self.clock = clock
        self.faults = faults
        self.activity = activity
        self.data_path = data_path
        self.wall = wall
        self.notes: tuple[HostNote, ...] = ()  # the host's latest notes, oldest first
        self.traffic_seen = 0  # the number of the newest traffic entry taken from the feed
        self.store_seen: int | None = None  # the store version last read (None: never read)
        self.showing = "lines"  # the panel whose tab is up

        ports = server.ports
        # Held, not queried: the poll reaches them whichever screen (a dialog) is on top.
        self.header = HostHeader()
        self.lines_panel = LinesPanel(ports, id="lines-panel")
        self.traffic_panel = TrafficPanel(ports, activity.traffic_cap, id="traffic-panel")
        self.appointments_panel = AppointmentsPanel(clock.now, id="appointments-panel")
        self.faults_panel = FaultsPanel(faults, server.timers.t_char, id="faults-panel")
        self.clock_panel = ClockPanel(clock, wall, id="clock-panel")
        self.data_panel = DataPanel(server, data_path, id="data-panel")

        self.panels = dict(zip((pane for _, pane, _ in PANELS), (
            self.lines_panel, self.traffic_panel, self.appointments_panel, self.faults_panel, self.clock_panel,
            self.data_panel,
        )))

    def compose(self) -> ComposeResult:
        yield self.header
        with TabbedContent(initial="lines"):
            for (key, pane, title), panel in zip(PANELS, self.panels.values()):
                with TabPane(f"{key} {title}", id=pane):
                    yield panel
        yield Footer()

    def on_mount(self) -> None:
        self.action_panel("lines")
        self.poll()
        self.set_interval(POLL_SECONDS, self.poll)

    # -- the poll: everything new at once

    def poll(self) -> None:
        try:
            self._poll()
        except NoMatches:
            pass  # the app is closing: its widgets are going

    def _poll(self) -> None:
        """Every panel is told what is new; only the one showing paints it (the others paint
        what they were told when their tab comes up)."""
        activity = self.activity
        entries, missed = activity.traffic_after(self.traffic_seen)
        if entries:
            self.traffic_seen = entries[-1].number
        self.traffic_panel.add(entries, missed)
        lines = activity.lines()
        new_notes = activity.notes_after(self.notes[-1][0] if self.notes else 0)
        if new_notes:
            self.notes = (*self.notes, *new_notes)[-NOTES_SHOWN:]
        self.lines_panel.show(lines, self.notes)
        self.header.show(
            clock_words(self.clock.now(), self.clock.mode), self.faults.active, lines_words(lines, len(self.server.ports))
        )
        self.faults_panel.show()
        self.clock_panel.show()
        self.appointments_panel.clock_moved()
        self._read_store_if_shown()

    def _read_store_if_shown(self) -> None:
        """The store is read again when the host says it changed (after each cancel it decides),
        and only while a panel that shows it is up: 32 busy lines change it many times a second."""
        version = self.activity.store_version
        if version != self.store_seen and self.showing in STORE_PANELS:
            self.store_seen = version
            self.read_store()

    @work(thread=True, exclusive=True, group="store")
    def read_store(self) -> None:
        try:
            read = StoreRead(self.server.appointments(), self.server.cancellations())
        except Exception as problem:  # a store gone bad: said on the panel, the console carries on
            read = StoreRead(problem=f"the store could not be read: {problem}")
        self.post_message(read)

    def on_store_read(self, message: StoreRead) -> None:
        if message.problem:
            self.notify(message.problem, severity="error")
            return
        self.appointments_panel.show(message.appointments, message.cancellations)
        self.data_panel.show(message.appointments)

    # -- keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A dialog's keys are its own: no panel switch nor quit behind it."""
        if action in ("panel", "quit_console") and isinstance(self.screen, ModalScreen):
            return False
        return True

    def action_panel(self, pane: str) -> None:
        self.screen.query_one(TabbedContent).active = pane
        self._show_panel(pane)

    def on_tabbed_content_tab_activated(self, message: TabbedContent.TabActivated) -> None:
        if message.pane.id:
            self._show_panel(message.pane.id)

    def _show_panel(self, pane: str) -> None:
        self.showing = pane
        for name, panel in self.panels.items():
            if name != pane:
                panel.set_showing(False)
        self.panels[pane].set_showing(True)  # painted with what it was told while hidden
        self._focus_panel(pane)
        self._read_store_if_shown()

    def _focus_panel(self, pane: str) -> None:
        panel = self.screen.query_one(f"#{pane}-panel")
        if panel.can_focus:
            panel.focus()
            return
        for widget in panel.query("*"):
            if isinstance(widget, (DataTable, OptionList)):
                widget.focus()
                return

    def action_quit_console(self) -> None:
        self.exit(EXIT_DONE)


def build_console(
    server: HostServer,
    *,
    clock: HostClock,
    faults: FaultBoard,
    activity: HostActivity,
    data_path: Path | str | None = None,
    wall: Callable[[], datetime] = datetime.now,
) -> ConsoleApp:
    """The console on a host that is serving (`server.start()` done): the caller stops it."""
    return ConsoleApp(
        server, clock=clock, faults=faults, activity=activity,
        data_path=Path(data_path) if data_path is not None else None, wall=wall,
    )


def run_console(
    server: HostServer,
    *,
    clock: HostClock,
    faults: FaultBoard,
    activity: HostActivity,
    data_path: Path | str | None = None,
) -> int:
    """Run the console until the technician quits (q): the exit code, 0."""
    # The serving threads share the interpreter with the screen: a thread woken by the line waits
    # for the screen's Python to let go at most this long (Python's default is 5 ms).
    sys.setswitchinterval(SWITCH_SECONDS)
    app = build_console(server, clock=clock, faults=faults, activity=activity, data_path=data_path)
    code = app.run()
    return EXIT_DONE if code is None else code
