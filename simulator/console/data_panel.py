"""Data: make the selected appointment booked again (after a confirm), so that it can be
cancelled once more; read the data file again (as a restart would) and say what it loaded. Both
run in a worker; the store is never touched on the UI thread."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from simulator.console.dialogs import Confirm
from simulator.console.live import PaintedWhenShown, set_rows
from simulator.console.messages import DataDone
from simulator.data import ServiceAppointment
from simulator.report import words
from simulator.serve import HostServer
from simulator.store import LoadSummary


def loaded_words(summary: LoadSummary, data_path: Path | None) -> str:
    text = (
        f"Reloaded {data_path}: {summary.appointments_added} appointments added, "
        f"{summary.appointments_updated} updated; {summary.terminals_added} terminals added, "
        f"{summary.terminals_updated} updated. The store holds {summary.appointments_held} appointments "
        f"and {summary.terminals_held} terminals."
    )
    if summary.kept_cancelled:
        text += f" Kept cancelled (the host cancelled them): {', '.join(summary.kept_cancelled)}."
    return text


class DataPanel(PaintedWhenShown, Vertical):
    BINDINGS = [
        Binding("b", "booked", "booked again"),
        Binding("r", "reload", "reload data file"),
    ]

    def __init__(self, server: HostServer, data_path: Path | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.server = server
        self.data_path = data_path
        self.appointments: list[ServiceAppointment] = []

    def compose(self) -> ComposeResult:
        if self.server.can_reload:
            source = f"Data file: {self.data_path or 'the one the host started with'} (r reads it again)."
        else:
            source = "No data file: the host serves its db as it is; there is nothing to reload."
        yield Static(source, id="data-source")
        yield Static("Pick an appointment and press b to make it booked again.", id="data-said")
        table: DataTable = DataTable(id="data-table", cursor_type="row")
        table.add_columns("id", "status", "scheduled", "merchant")
        yield table

    def show(self, appointments: list[ServiceAppointment]) -> None:
        """The store as a worker read it: painted now if the tab shows, else when it comes up."""
        self.appointments = appointments
        self.repaint()

    def paint(self) -> None:
        set_rows(
            self.query_one(DataTable),
            [(a.appt_id, (a.appt_id, words(a.status.name), f"{a.scheduled_at:%Y-%m-%d %H:%M}", a.merchant_id))
             for a in self.appointments],
        )

    @property
    def selected(self) -> ServiceAppointment | None:
        table = self.query_one(DataTable)
        if not self.appointments or not 0 <= table.cursor_row < len(self.appointments):
            return None
        return self.appointments[table.cursor_row]

    def say(self, text: str, failed: bool = False) -> None:
        said = self.query_one("#data-said", Static)
        said.update(text)
        said.set_class(failed, "-failed")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reload" and not self.server.can_reload:
            return None  # shown, dimmed: there is no file
        return True

    # -- keys

    def action_booked(self) -> None:
        appointment = self.selected
        if appointment is None:
            self.say("No appointment to pick: the store holds none.", failed=True)
            return
        question = (
            f"Make {appointment.appt_id} ({words(appointment.status.name)}, "
            f"{appointment.scheduled_at:%Y-%m-%d %H:%M}) booked again? A terminal can then cancel it once more; "
            "requests that cancelled it keep their stored answers."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.say(f"Making {appointment.appt_id} booked again…")
                self.reset(appointment.appt_id)
            else:
                self.say("Nothing was changed.")

        self.app.push_screen(Confirm("Booked again", question), answered)

    def action_reload(self) -> None:
        if not self.server.can_reload:
            self.say("No data file to reload: the host was started without --data.", failed=True)
            return
        self.say("Reading the data file…")
        self.reload()

    @work(thread=True, exclusive=True, group="data")
    def reset(self, appt_id: str) -> None:
        try:
            self.server.reset_to_booked(appt_id)
        except Exception as problem:  # the store says what is wrong and what to do
            self.post_message(DataDone(f"{appt_id} was not changed: {problem}", failed=True))
            return
        self.post_message(DataDone(f"{appt_id} is booked again: a terminal can cancel it once more."))

    @work(thread=True, exclusive=True, group="data")
    def reload(self) -> None:
        try:
            summary = self.server.reload_data()
        except Exception as problem:  # a data file that no longer reads: said, nothing changed
            self.post_message(DataDone(f"The data file was not reloaded: {problem}", failed=True))
            return
        self.post_message(DataDone(loaded_words(summary, self.data_path)))

    def on_data_done(self, message: DataDone) -> None:
        self.say(message.text, failed=message.failed)
