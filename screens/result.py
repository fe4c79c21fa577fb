"""How the cancellation ended: the cancellation number (and the voucher printed or kept), the
host's refusal in plain words with what to do next, or "not yet confirmed" while a background
worker keeps settling it with the host (STATUS_REQ) for a bounded number of rounds."""

from __future__ import annotations

import enum
import logging
from typing import TYPE_CHECKING, Callable

from textual import work
from textual.app import ComposeResult
from textual.widgets import Digits

from protocol.enums import Result
from screens.host_problem import describe_problem, link_todo
from screens.field_table import FieldTable
from screens.keypad import SCROLL_DOWN, SCROLL_UP, Key, KeypadScreen
from screens.messages import AttemptChanged, SettleRound, SettlingStopped, VoucherPrinted
from screens.prose import Prose
from terminal.catalogue import N_, day_time, format_money, full_time, result_text, service_name
from terminal.client import LinkFailure
from terminal.journal import Attempt, AttemptState
from terminal.printing import PrintError

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext
    from terminal.settler import SettleNews

log = logging.getLogger("pos_terminal.screens")

# What Textual's Digits can draw; other cancellation numbers are shown as plain bold text.
DIGITS_CHARACTERS = frozenset("0123456789ABCDEF+-.:")

# Refusals after which sending again may succeed: back to the confirmation.
RETRYABLE = frozenset(
    {
        Result.FEE_CHANGED,
        Result.BUSY,
        Result.UNKNOWN_REQUEST,
        Result.BAD_MAC,
        Result.BAD_FORMAT,
        Result.BAD_VERSION,
        Result.UNKNOWN_TERMINAL,
    }
)


class Ending(enum.Enum):
    CANCELLED = "cancelled"
    REFUSED = "refused"
    UNKNOWN = "unknown"
    FAILED = "failed"  # the request never left (or the terminal failed): nothing was cancelled


class ResultScreen(KeypadScreen):
    CSS_PATH = "result.tcss"

    def __init__(
        self,
        context: PluginContext,
        *,
        finish: Callable[[], None],
        retry: Callable[[Attempt | None], None],
        attempt: Attempt | None = None,
        error: BaseException | None = None,
    ) -> None:
        super().__init__(context)
        assert (attempt is None) != (error is None)
        self.finish = finish
        self.retry = retry
        self.attempt = attempt
        self.error = error
        self.voucher_status = ""
        self.settle_status = ""
        self._unwatch: Callable[[], None] = lambda: None

    @property
    def ending(self) -> Ending:
        if self.attempt is None:
            return Ending.FAILED
        if self.attempt.state is AttemptState.CANCELLED:
            return Ending.CANCELLED
        if self.attempt.state is AttemptState.REFUSED:
            return Ending.REFUSED
        return Ending.UNKNOWN

    # -- what it shows

    def title_text(self) -> str:
        ending = self.ending
        if ending is Ending.CANCELLED:
            return self.t("result.cancelled.title")
        if ending is Ending.UNKNOWN:
            return self.t("result.unknown.title")
        if ending is Ending.FAILED:
            return self.t("result.failed.title")
        assert self.attempt is not None and self.attempt.result is not None
        return result_text(self.attempt.result, "title", self.locale)

    def body(self) -> ComposeResult:
        ending = self.ending
        if ending is Ending.CANCELLED:
            yield from self._cancelled_body()
        elif ending is Ending.UNKNOWN:
            yield from self._unknown_body()
        elif ending is Ending.REFUSED:
            yield from self._refused_body()
        else:
            yield from self._failed_body()

    def _appointment_line(self, attempt: Attempt) -> str:
        return f"{day_time(attempt.scheduled_at, self.locale)} {service_name(attempt.service, self.locale)}"

    def _cancelled_body(self) -> ComposeResult:
        attempt = self.attempt
        assert attempt is not None and attempt.cancel_ref is not None
        ref = attempt.cancel_ref
        yield Prose(self.t("result.cancelled.headline"), id="result-headline", classes="-good")
        yield Prose(self.t("result.cancel_ref"), id="ref-label")
        drawable = set(ref) <= DIGITS_CHARACTERS
        if drawable:
            yield Digits(ref, id="ref-digits")
        yield Prose(ref, id="ref-text", classes="" if drawable else "-only")
        fee = "-" if attempt.fee_charged is None else format_money(attempt.fee_charged, attempt.currency or "156")
        yield FieldTable(
            [
                (self.t("field.host_time"), full_time(attempt.host_time, self.locale) if attempt.host_time else "-"),
                (self.t("field.fee_charged"), fee),
                (self.t("field.appointment"), self._appointment_line(attempt)),
            ],
            id="result-fields",
        )
        if not self.voucher_status:
            # Said from the first frame: set once the screen is up, it would cost a layout more.
            if self.context.printer is None:
                self.voucher_status = self.t("result.voucher.kept")
            else:
                self.voucher_status = self.t("result.voucher.printing")
        yield Prose(self.voucher_status, id="voucher-status")

    def _unknown_body(self) -> ComposeResult:
        attempt = self.attempt
        assert attempt is not None
        yield Prose(self.t("result.unknown.headline"), id="result-headline", classes="-warn")
        yield Prose(self.t("result.unknown.what"), id="result-what")
        yield Prose(self.settle_status, id="settle-status")
        yield FieldTable(
            [
                (self.t("field.appointment"), self._appointment_line(attempt)),
                (self.t("field.request_id"), attempt.request_id),
            ],
            id="result-fields",
        )
        yield Prose(self.t("result.unknown.todo"), id="result-todo")

    def _refused_body(self) -> ComposeResult:
        attempt = self.attempt
        assert attempt is not None and attempt.result is not None
        fee = format_money(attempt.refused_fee or 0)
        yield Prose(result_text(attempt.result, "what", self.locale, fee=fee), id="result-headline", classes="-bad")
        yield Prose(result_text(attempt.result, "todo", self.locale), id="result-todo")
        if attempt.host_message:
            yield Prose(self.t("result.host_says", message=attempt.host_message), id="result-detail")
        yield FieldTable(
            [
                (self.t("field.appointment"), self._appointment_line(attempt)),
                (self.t("field.request_id"), attempt.request_id),
            ],
            id="result-fields",
        )

    def _failed_body(self) -> ComposeResult:
        assert self.error is not None
        if isinstance(self.error, LinkFailure):
            todo = link_todo(self.error, self.context) or self.t("result.failed.todo")
            what, detail = self.t("result.failed.what"), str(self.error)
        else:
            problem = describe_problem(self.error, self.context)
            what, todo, detail = problem.what, problem.todo, problem.detail
        yield Prose(what, id="result-headline", classes="-bad")
        yield Prose(todo, id="result-todo")
        if detail:
            yield Prose(self.t("problem.detail", detail=detail), id="result-detail")

    def keys(self) -> list[Key]:
        ending = self.ending
        retryable = ending is Ending.FAILED or (
            ending is Ending.REFUSED and self.attempt is not None and self.attempt.result in RETRYABLE
        )
        if retryable:
            return [Key("enter", "retry", N_("key.retry")), SCROLL_UP, SCROLL_DOWN, Key("escape", "done", N_("key.done"))]
        return [Key("enter", "done", N_("key.done")), SCROLL_UP, SCROLL_DOWN, Key("escape", "done")]

    # -- life

    def on_mount(self) -> None:
        self._unwatch = self.context.settler.watch(self._settle_news)
        self._start_background()

    def on_unmount(self) -> None:
        self._unwatch()
        if self.attempt is not None and not self.attempt.settled:
            self.context.settler.forget(self.attempt.request_id)

    def _start_background(self) -> None:
        if self.attempt is None:
            return
        if self.ending is Ending.CANCELLED:
            if self.context.printer is not None:  # "printing" is shown already (the body)
                self._print_voucher(self.attempt)
        elif self.ending is Ending.UNKNOWN:
            self.context.settler.keep_settling(self.attempt.request_id)

    def _settle_news(self, news: SettleNews) -> None:
        """On the settler's thread: only messages cross over to the screen."""
        if self.attempt is None or news.request_id != self.attempt.request_id:
            return
        if news.outcome is None and news.error is None:
            self.post_message(SettleRound(news.round, news.rounds))
        elif news.outcome is not None and news.outcome.settled:
            self.post_message(AttemptChanged(news.outcome.attempt))
        elif news.last:
            self.post_message(SettlingStopped(news.outcome.attempt if news.outcome else None))

    async def _rebuild(self) -> None:
        self.set_title(self.title_text())
        await self.replace_body()
        self.refresh_keys()

    def _show_voucher_status(self, text: str) -> None:
        self.voucher_status = text
        for widget in self.query("#voucher-status").results(Prose):
            widget.update(text)

    # -- workers

    @work(thread=True, exclusive=True, group="print")
    def _print_voucher(self, attempt: Attempt) -> None:
        printer = self.context.printer
        assert printer is not None
        try:
            printer.print_voucher(attempt, locale=self.context.locale, training=self.context.training)
        except PrintError as exc:
            self.post_message(VoucherPrinted(attempt.request_id, error=str(exc)))
        except Exception as exc:  # noqa: BLE001 - a broken printer must not end the app
            log.exception("printing voucher %s", attempt.request_id)
            self.post_message(VoucherPrinted(attempt.request_id, error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(VoucherPrinted(attempt.request_id))

    # -- worker news

    def on_voucher_printed(self, message: VoucherPrinted) -> None:
        if message.error is None:
            self._show_voucher_status(self.t("result.voucher.printed"))
        else:
            self._show_voucher_status(self.t("result.voucher.print_failed", error=message.error))

    def on_settle_round(self, message: SettleRound) -> None:
        self.settle_status = self.t("result.unknown.asking", number=message.number, rounds=message.rounds)
        for widget in self.query("#settle-status").results(Prose):
            widget.update(self.settle_status)

    async def on_attempt_changed(self, message: AttemptChanged) -> None:
        self.attempt = message.attempt
        await self._rebuild()
        self._start_background()

    def on_settling_stopped(self, _message: SettlingStopped) -> None:
        self.settle_status = self.t("result.unknown.later")
        for widget in self.query("#settle-status").results(Prose):
            widget.update(self.settle_status)

    # -- keys

    def key_done(self) -> None:
        self.finish()

    def key_retry(self) -> None:
        self.retry(self.attempt)
