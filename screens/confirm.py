"""The last look before the request leaves: the appointment, the reason and the fee that will be
charged. Enter sends the cancellation; Esc goes back. A FEE_CHANGED answer comes back here with
the new fee, which the merchant must accept with Enter again (a new request, fee_accepted = it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from textual.app import ComposeResult

from protocol.enums import Reason, Result
from screens.field_table import FieldTable
from screens.prose import Prose
from screens.keypad import (
    BACK,
    SCROLL_DOWN,
    SCROLL_UP,
    Key,
    KeypadScreen,
    return_to,
)
from screens.result import ResultScreen
from screens.waiting import Answer, Call, WaitingScreen
from terminal.catalogue import N_, day_time, format_money, reason_name, service_name
from terminal.client import CancelOutcome
from terminal.journal import Attempt, AttemptState

if TYPE_CHECKING:
    from protocol import Appointment
    from terminal.plugin_api import PluginContext


class ConfirmScreen(KeypadScreen):
    CSS_PATH = "confirm.tcss"
    TITLE = N_("confirm.title")

    def __init__(
        self,
        context: PluginContext,
        appointment: Appointment,
        reason: Reason,
        finish: Callable[[], None],
    ) -> None:
        super().__init__(context)
        self.appointment = appointment
        self.reason = reason
        self.finish = finish
        self.fee = appointment.fee  # what the merchant agrees to: FEE_ACCEPTED
        self.earlier_fee: int | None = None  # set when the host said the fee changed

    def body(self) -> ComposeResult:
        yield Prose(self.t("confirm.prompt"), id="confirm-prompt")
        fields = self._fields()
        yield FieldTable(fields, emphasised={len(fields) - 1}, id="confirm-fields")
        yield Prose("", id="confirm-fee-changed")
        yield Prose(self.t("confirm.hint"), id="confirm-hint")

    def _fields(self) -> list[tuple[str, str]]:
        """The appointment, the reason, and last the fee (which stands out)."""
        appointment = self.appointment
        return [
            (self.t("field.when"), day_time(appointment.scheduled_at, self.locale)),
            (self.t("field.service"), service_name(appointment.service, self.locale)),
            (self.t("field.address"), " ".join(appointment.address.split())),
            (self.t("field.reason"), reason_name(self.reason, self.locale)),
            (self.t("field.fee"), self._fee_text()),
        ]

    def _fee_text(self) -> str:
        money = format_money(self.fee, self.appointment.currency)
        return self.t("confirm.free", money=money) if self.fee == 0 else money

    def keys(self) -> list[Key]:
        return [Key("enter", "confirm", N_("key.confirm")), SCROLL_UP, SCROLL_DOWN, BACK]

    # -- keys

    def key_confirm(self) -> None:
        appointment, reason, fee = self.appointment, self.reason, self.fee
        client = self.context.client

        def job(call: Call) -> CancelOutcome:
            return client.cancel(appointment, reason, fee, on_progress=call.progress)

        waiting = WaitingScreen(
            self.context, job, what=N_("waiting.cancel"), can_abort=False, next_screen=self._result_screen
        )
        self.app.push_screen(waiting, self._answered)

    # -- the host's answer

    def _result_screen(self, answer: Answer) -> ResultScreen | None:
        """What replaces the waiting screen: the result, or None to come back here (a new fee)."""
        if answer.error is not None:
            return ResultScreen(self.context, finish=self.finish, retry=self.come_back, error=answer.error)
        attempt = answer.value.attempt
        if _fee_changed(attempt):
            return None
        return ResultScreen(self.context, finish=self.finish, retry=self.come_back, attempt=attempt)

    def _answered(self, answer: Answer | None) -> None:
        """Back here from the waiting screen: the host asks for a new fee."""
        if answer is not None and answer.value is not None:
            self._show_new_fee(answer.value.attempt)

    def come_back(self, attempt: Attempt | None = None) -> None:
        """Back here from the result, to send again (after BUSY, a link failure, …)."""
        return_to(self)
        if attempt is not None and _fee_changed(attempt):
            self._show_new_fee(attempt)

    def _show_new_fee(self, attempt: Attempt) -> None:
        if attempt.refused_fee is None:
            return
        self.earlier_fee, self.fee = self.fee, attempt.refused_fee
        currency = self.appointment.currency
        self.set_title(self.t("confirm.title_new_fee"))
        self.query_one("#confirm-fields", FieldTable).set_pairs(self._fields())
        notice = self.query_one("#confirm-fee-changed", Prose)
        notice.update(
            self.t(
                "confirm.fee_changed",
                fee=format_money(self.fee, currency),
                earlier=format_money(self.earlier_fee, currency),
            )
        )
        notice.add_class("-shown")
        self.query_one("#confirm-hint", Prose).update(self.t("confirm.hint_new_fee"))


def _fee_changed(attempt: Attempt) -> bool:
    return attempt.state is AttemptState.REFUSED and attempt.result is Result.FEE_CHANGED
