"""Appointments and cancellations as the host's store holds them, read again (by a worker, never
on the UI thread) whenever the host says its store changed or answers a CANCEL_REQ. What
cancelling each costs is worked out at the host's clock, so stepping the clock shows here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from simulator.console.live import LiveText, PaintedWhenShown, set_rows
from simulator.data import ServiceAppointment
from simulator.db_command import APPOINTMENT_HEADINGS, appointment_row
from simulator.report import request_rows
from simulator.store import Cancellation

# The columns in the order an 80-column screen wants them: what cancelling costs before who booked it.
ORDER = (0, 4, 5, 2, 3, 1)
CANCELLATION_HEADINGS = ("time", "terminal", "appointment", "reason", "result", "fee", "cancel ref")


class AppointmentsPanel(PaintedWhenShown, Vertical):
    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.appointments: list[ServiceAppointment] = []
        self.cancellations: list[Cancellation] = []
        self._at_minute: datetime | None = None
        self.read = False  # the store has been read once

    def compose(self) -> ComposeResult:
        yield LiveText("Appointments: reading the store…", id="appointments-title", classes="panel-title")
        appointments: DataTable = DataTable(id="appointments-table", cursor_type="row")
        appointments.add_columns(*(APPOINTMENT_HEADINGS[i] for i in ORDER))
        yield appointments
        yield LiveText("Cancellations: none yet", id="cancellations-title", classes="panel-title")
        cancellations: DataTable = DataTable(id="cancellations-table", cursor_type="row")
        cancellations.add_columns(*CANCELLATION_HEADINGS)
        yield cancellations

    def show(self, appointments: list[ServiceAppointment], cancellations: list[Cancellation]) -> None:
        """The store as a worker read it: painted now if the tab shows, else when it comes up."""
        self.appointments, self.cancellations = appointments, cancellations
        self.read = True
        self.repaint()

    def clock_moved(self) -> None:
        """Called on every poll: the fees are worked out again when the host's minute changes."""
        minute = self.clock().replace(second=0)
        if minute != self._at_minute and self.appointments:
            self.repaint()

    def paint(self) -> None:
        """Only the cells that changed are set (a cancel changes one row; a new minute, some
        fees); the cancellations decided since are added after the ones shown."""
        now = self.clock()
        self._at_minute = now.replace(second=0)
        rows = []
        for appointment in self.appointments:
            cells = appointment_row(appointment, now)
            rows.append((appointment.appt_id, [cells[i] for i in ORDER]))
        set_rows(self.query_one("#appointments-table", DataTable), rows)
        if self.read:
            self.query_one("#appointments-title", LiveText).say(
                f"Appointments: {len(self.appointments)}, earliest first; cancelling as of host time {now:%Y-%m-%d %H:%M}"
            )
        table = self.query_one("#cancellations-table", DataTable)
        before = table.row_count
        set_rows(table, list(enumerate(request_rows(self.cancellations, naming="appointment"))))
        if table.row_count != before:
            table.move_cursor(row=table.row_count - 1)
        self.query_one("#cancellations-title", LiveText).say(
            f"Cancellations answered: {len(self.cancellations)}, in the order decided" if self.cancellations
            else "Cancellations: none yet"
        )
