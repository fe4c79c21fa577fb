"""One appointment in full: when, what, where (the whole address, wrapped), its status, and what
cancelling it costs now and until when. Enter continues only when it can still be cancelled."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from textual.app import ComposeResult

from screens.field_table import FieldTable
from screens.keypad import BACK, SCROLL_DOWN, SCROLL_UP, Key, KeypadScreen, clock_of
from screens.prose import Prose
from screens.reason import ReasonScreen
from terminal.cancel_terms import CancelTerms
from terminal.catalogue import N_, day_time, service_name, status_name

if TYPE_CHECKING:
    from protocol import Appointment
    from terminal.plugin_api import PluginContext


class DetailsScreen(KeypadScreen):
    CSS_PATH = "details.tcss"
    TITLE = N_("details.title")

    def __init__(self, context: PluginContext, appointment: Appointment, finish: Callable[[], None]) -> None:
        super().__init__(context)
        self.appointment = appointment
        self.finish = finish
        self.terms: CancelTerms | None = None

    def _terms(self) -> CancelTerms:
        if self.terms is None:
            # Judged once, when shown: the host judges again when the cancellation arrives.
            self.terms = CancelTerms.now(self.appointment, clock_of(self)())
        return self.terms

    def body(self) -> ComposeResult:
        appointment = self.appointment
        terms = self._terms()
        yield FieldTable(
            [
                (self.t("field.when"), day_time(appointment.scheduled_at, self.locale)),
                (self.t("field.service"), service_name(appointment.service, self.locale)),
                (self.t("field.address"), " ".join(appointment.address.split())),
                (self.t("field.status"), status_name(appointment.status, self.locale)),
                (self.t("field.appointment"), appointment.appt_id),
            ],
            id="details-fields",
        )
        yield Prose(self.t("details.cost"), id="details-cost-title")
        yield Prose(
            "\n".join(terms.sentences(self.locale)),
            id="details-cost",
            classes="cancellable" if terms.cancellable else "not-cancellable",
        )

    def keys(self) -> list[Key]:
        keys = [Key("enter", "next", N_("key.next"))] if self._terms().cancellable else []
        return [*keys, SCROLL_UP, SCROLL_DOWN, BACK]

    def key_next(self) -> None:
        self.app.push_screen(ReasonScreen(self.context, self.appointment, self.finish))
