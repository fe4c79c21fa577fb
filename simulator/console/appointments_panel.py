"""Appointments and cancellations as the host's store holds them, read again (by a worker, never
on the UI thread) whenever the host says its store changed or answers a CANCEL_REQ. What
cancelling each costs is worked out at the host's clock, so stepping the clock shows here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from simulator.data import ServiceAppointment
from simulator.db_command import APPOINTMENT_HEADINGS, appointment_row
from simulator.report import request_rows
from simulator.store import Cancellation

# The columns in the order an 80-column screen wants them: what cancelling costs before who booked it.
ORDER = (0, 4, 5, 2, 3, 1)
CANCELLATION_HEADINGS = ("time", "terminal", "appointment", "reason", "result", "fee", "cancel ref")


class AppointmentsPanel(Vertical):
    def __init__(self, clock: Callable[[], datetime], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        self.appointments: list[ServiceAppointment] = []
        self.cancellations: list[Cancellation] = []
        self._at_minute: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Static("Appointments: reading the store…", id="appointments-title", classes="panel-title")
        appointments: DataTable = DataTable(id="appointments-table", cursor_type="row")
        appointments.add_columns(*(APPOINTMENT_HEADINGS[i] for i in ORDER))
        yield appointments
        yield Static("Cancellations: none yet", id="cancellations-title", classes="panel-title")
        cancellations: DataTable = DataTable(id="cancellations-table", cursor_type="row")
        cancellations.add_columns(*CANCELLATION_HEADINGS)
        yield cancellations

    def show(self, appointments: list[ServiceAppointment], cancellations: list[Cancellation]) -> None:
        self.appointments, self.cancellations = appointments, cancellations
        self._fill_appointments()
        table = self.query_one("#cancellations-table", DataTable)
        table.clear()
        table.add_rows(request_rows(cancellations, naming="appointment"))
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self.query_one("#cancellations-title", Static).update(
            f"Cancellations answered: {len(cancellations)}, in the order decided" if cancellations
            else "Cancellations: none yet"
        )

    def clock_moved(self) -> None:
        """Called on every poll: the fees are worked out again when the host's minute changes."""
        minute = self.clock().replace(second=0)
        if minute != self._at_minute and self.appointments:
            self._fill_appointments()

    def _fill_appointments(self) -> None:
        now = self.clock()
        self._at_minute = now.replace(second=0)
        table = self.query_one("#appointments-table", DataTable)
        row = table.cursor_row
        table.clear()
        for appointment in self.appointments:
            cells = appointment_row(appointment, now)
            table.add_row(*(cells[i] for i in ORDER), key=appointment.appt_id)
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), scroll=False)
        self.query_one("#appointments-title", Static).update(
            f"Appointments: {len(self.appointments)}, earliest first; cancelling as of host time {now:%Y-%m-%d %H:%M}"
        )
