"""The shop's appointments as the host lists them, one host page (8) at a time: a digit picks
one, the arrows page. Also how a page is fetched and where each kind of answer leads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App, ComposeResult

from screens.details import DetailsScreen
from screens.empty_list import EmptyListScreen
from screens.host_problem import HostProblemScreen
from screens.keypad import BACK, ChoiceButton, Key, KeypadScreen, ScreenBody, clock_of, return_to
from screens.prose import Prose
from screens.waiting import Answer, Call, WaitingScreen
from terminal.cancel_terms import CancelTerms
from terminal.catalogue import N_, day_time, service_name
from terminal.client import AppointmentPage

if TYPE_CHECKING:
    from textual.screen import Screen

    from protocol import Appointment
    from terminal.plugin_api import PluginContext


def load_appointments(
    app: App, context: PluginContext, page: int = 0, into: AppointmentListScreen | None = None
) -> None:
    """Ask the host for one page (waiting screen), then show it, or say why not.

    `into`: the list screen on top of the stack that shows the page, if there is one already."""

    def job(call: Call) -> AppointmentPage:
        return context.client.list_appointments(page, on_sent=call.sent, abort=call.abort)

    async def answered(answer: Answer | None) -> None:
        """What new_list left: Esc, an emptied page, an empty list, a page for the list below."""
        if answer is None:
            return  # Esc before the request left: stay where we were
        result: AppointmentPage = answer.value
        if not result.appointments and result.total and page > 0:
            # This page emptied (a cancellation moved the rest up): show the last one there is.
            load_appointments(app, context, min(page - 1, result.page_count - 1), into)
            return
        if not result.appointments:
            if into is not None:
                into.dismiss()
            app.push_screen(EmptyListScreen(context, retry=lambda: load_appointments(app, context)))
            return
        assert into is not None  # a page for no list on the stack became one in new_list
        await into.show_page(result)

    def new_list(answer: Answer) -> Screen | None:
        # A first page (or a problem) replaces the waiting screen: the screen below is not shown
        # again for a frame only to be covered. Anything else comes back through `answered`.
        if answer.error is not None:
            return HostProblemScreen(context, answer.error, retry=lambda: load_appointments(app, context, page, into))
        if into is None and answer.value.appointments:
            return AppointmentListScreen(context, answer.value)
        return None

    # Textual hands a dismissed screen's result to whatever pushed it. The caller may be a screen
    # on its way out (the result after Enter, a problem screen's retry): were it to push, the
    # answer would go to a closed screen and be lost. The app outlives every wait, so it pushes.
    waiting = WaitingScreen(context, job, what=N_("waiting.list"), can_abort=True, next_screen=new_list)
    app.call_next(app.push_screen, waiting, answered)


class AppointmentListScreen(KeypadScreen):
    CSS_PATH = "appointment_list.tcss"
    TITLE = N_("list.title")

    def __init__(self, context: PluginContext, page: AppointmentPage) -> None:
        super().__init__(context)
        self.page = page

    @property
    def appointments(self) -> tuple[Appointment, ...]:
        return self.page.appointments[:8]

    def title_text(self) -> str:
        return self.t("list.title_page", page=self.page.page + 1, pages=self.page.page_count)

    def body(self) -> ComposeResult:
        yield Prose(self._summary(), id="list-summary")
        yield from self._rows()
        if self.page.message:
            yield Prose(self.t("list.host_message", message=self.page.message), id="list-message")

    def _summary(self) -> str:
        return self.t("list.summary", total=self.page.total)

    def _rows(self) -> list[ChoiceButton]:
        now = clock_of(self)()
        rows = []
        for number, appointment in enumerate(self.appointments, start=1):
            terms = CancelTerms.now(appointment, now)
            label = Text()
            label.append(f"{number} ", style="bold")
            label.append(f"{day_time(appointment.scheduled_at, self.locale)} ")
            label.append(f"{service_name(appointment.service, self.locale)} ")
            label.append(terms.short(self.locale), style="bold" if terms.cancellable else "dim")
            label.append(f"  {' '.join(appointment.address.split())}", style="dim")
            rows.append(ChoiceButton(self._pick_key(number), label, classes="appointment-row"))
        return rows

    @staticmethod
    def _pick_key(number: int) -> Key:
        return Key(str(number), "pick", arg=str(number))

    def keys(self) -> list[Key]:
        keys = [self._pick_key(n) for n in range(1, len(self.appointments) + 1)]
        if self.page.page > 0:
            keys.append(Key("left", "previous", N_("key.previous_page"), also=("pageup", "up")))
        if self.page.page + 1 < self.page.page_count:
            keys.append(Key("right", "next", N_("key.next_page"), also=("pagedown", "down")))
        keys.append(BACK)
        return keys

    async def show_page(self, page: AppointmentPage) -> None:
        self.page = page
        self.set_title(self.title_text())
        await self.replace_body()
        self.query_one(ScreenBody).scroll_home(animate=False)
        self.refresh_keys()

    def come_back(self) -> None:
        """After a cancellation: back here, with the page as the host now has it."""
        return_to(self)
        load_appointments(self.app, self.context, self.page.page, into=self)

    # -- keys

    def key_pick(self, number: str) -> None:
        appointment = self.appointments[int(number) - 1]
        self.app.push_screen(DetailsScreen(self.context, appointment, finish=self.come_back))

    def key_previous(self) -> None:
        load_appointments(self.app, self.context, self.page.page - 1, into=self)

    def key_next(self) -> None:
        load_appointments(self.app, self.context, self.page.page + 1, into=self)
