"""One cancellation from the journal: its voucher when the host confirmed it, else what is known
about it; a key reprints the voucher, another settles an unconfirmed one with the host now.
AttemptActions (the reprint and settle workers) is shared with the history screen."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.widgets import Static

from screens.field_table import FieldTable
from screens.keypad import BACK, SCROLL_DOWN, SCROLL_UP, Key, KeypadScreen
from screens.messages import AttemptChanged, SettleFailed, VoucherPrinted
from screens.prose import Prose
from terminal.catalogue import N_, date_time, day_time, format_money, reason_name, result_text, service_name, t
from terminal.journal import Attempt, AttemptState
from terminal.printing import PrintError
from terminal.voucher import render_voucher

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext
    from terminal.settler import SettleNews

log = logging.getLogger("pos_terminal.screens")

SCREEN_VOUCHER_WIDTH = 32  # the narrowest paper: fits a 40-column screen with its margins


def state_word(attempt: Attempt, locale: str) -> str:
    if attempt.state is AttemptState.CANCELLED:
        return t("state.cancelled", locale)
    if attempt.state is AttemptState.REFUSED:
        return t("state.refused", locale)
    return t("state.pending", locale)


def result_word(attempt: Attempt, locale: str) -> str:
    """Why a refused cancellation was refused, in a word or two."""
    if attempt.result is None:
        return ""
    return result_text(attempt.result, "short", locale)


class AttemptActions:
    """Reprint and settle-now, off the UI thread; the screen shows `say(text)` and `changed()`."""

    context: PluginContext

    def say(self, text: str) -> None:
        raise NotImplementedError

    async def changed(self, attempt: Attempt) -> None:
        raise NotImplementedError

    def show_voucher(self, attempt: Attempt, note: str) -> None:
        """Show the voucher's text on the screen, with `note` under it (there is no printer)."""
        raise NotImplementedError

    def reprint(self, attempt: Attempt) -> None:
        locale = self.context.locale
        if attempt.state is not AttemptState.CANCELLED:
            self.say(t("history.no_voucher", locale))
            return
        if self.context.printer is None:
            self.show_voucher(attempt, t("history.no_printer", locale))
            return
        self.say(t("history.printing", locale))
        self._reprint_voucher(attempt)

    def settle_now(self, attempt: Attempt) -> None:
        if attempt.settled:
            self.say(t("history.already_settled", self.context.locale, state=state_word(attempt, self.context.locale)))
            return
        self.say(t("history.settling", self.context.locale))
        request_id = attempt.request_id

        def news(news: SettleNews) -> None:  # on the settler's thread: only messages cross over
            if news.request_id != request_id or (news.outcome is None and news.error is None):
                return
            unwatch()
            if news.outcome is None:
                self.post_message(SettleFailed(news.error or ""))  # type: ignore[attr-defined]
            else:
                self.post_message(AttemptChanged(news.outcome.attempt))  # type: ignore[attr-defined]

        unwatch = self.context.settler.watch(news)
        self.context.settler.settle_soon(request_id)

    @work(thread=True, exclusive=True, group="print")
    def _reprint_voucher(self, attempt: Attempt) -> None:
        printer = self.context.printer
        assert printer is not None
        try:
            printer.print_voucher(attempt, locale=self.context.locale, reprint=True, training=self.context.training)
        except PrintError as exc:
            self.post_message(VoucherPrinted(attempt.request_id, error=str(exc)))  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a broken printer must not end the app
            log.exception("reprinting voucher %s", attempt.request_id)
            self.post_message(VoucherPrinted(attempt.request_id, error=f"{type(exc).__name__}: {exc}"))  # type: ignore[attr-defined]
        else:
            self.post_message(VoucherPrinted(attempt.request_id))  # type: ignore[attr-defined]

    def on_voucher_printed(self, message: VoucherPrinted) -> None:
        locale = self.context.locale
        if message.error is None:
            self.say(t("history.printed", locale))
        else:
            self.say(t("history.print_failed", locale, error=message.error))

    async def on_attempt_changed(self, message: AttemptChanged) -> None:
        attempt = message.attempt
        locale = self.context.locale
        if attempt.settled:
            self.say(t("history.settled", locale, state=state_word(attempt, locale)))
        else:
            self.say(t("history.still_pending", locale))
        await self.changed(attempt)

    def on_settle_failed(self, message: SettleFailed) -> None:
        self.say(t("history.settle_failed", self.context.locale, error=message.error))


class VoucherScreen(AttemptActions, KeypadScreen):
    CSS_PATH = "voucher_view.tcss"
    TITLE = N_("voucher.title")

    def __init__(self, context: PluginContext, attempt: Attempt, note: str = "") -> None:
        super().__init__(context)
        self.attempt = attempt
        self.status = note

    def title_text(self) -> str:
        if self.attempt.state is AttemptState.CANCELLED:
            return self.t("voucher.title")
        return self.t("voucher.title_attempt")

    def body(self) -> ComposeResult:
        attempt = self.attempt
        if attempt.state is AttemptState.CANCELLED:
            text = render_voucher(
                attempt, locale=self.locale, width=SCREEN_VOUCHER_WIDTH, training=self.context.training
            )
            # Laid out for paper already (32 columns): shown as it prints, never rewrapped.
            yield Static(text.rstrip("\n"), id="voucher-text", markup=False)
        else:
            yield from self._attempt_body(attempt)
        yield Prose(self.status, id="voucher-status")

    def _attempt_body(self, attempt: Attempt) -> ComposeResult:
        locale = self.locale
        if attempt.state is AttemptState.REFUSED:
            meaning = self.t("voucher.refused", why=result_word(attempt, locale))
        else:
            meaning = self.t("voucher.pending")
        yield Prose(meaning, id="voucher-meaning")
        pairs = [
            (self.t("field.state"), state_word(attempt, locale)),
            (self.t("field.when"), day_time(attempt.scheduled_at, locale)),
            (self.t("field.service"), service_name(attempt.service, locale)),
            (self.t("field.address"), " ".join(attempt.address.split())),
            (self.t("field.reason"), reason_name(attempt.reason, locale)),
            (self.t("field.fee_accepted"), format_money(attempt.fee_accepted)),
            (self.t("field.appointment"), attempt.appt_id),
            (self.t("field.request_id"), attempt.request_id),
            (self.t("field.attempted"), date_time(attempt.created_at, locale)),
        ]
        if attempt.host_message:
            pairs.append((self.t("field.host_message"), attempt.host_message))
        yield FieldTable(pairs, id="voucher-fields")

    def keys(self) -> list[Key]:
        keys = []
        if self.attempt.state is AttemptState.CANCELLED:
            keys.append(Key("1", "reprint", N_("key.reprint")))
        if not self.attempt.settled:
            keys.append(Key("2", "settle", N_("key.settle")))
        return [*keys, SCROLL_UP, SCROLL_DOWN, BACK]

    # -- AttemptActions

    def say(self, text: str) -> None:
        self.status = text
        self.query_one("#voucher-status", Prose).update(text)

    async def changed(self, attempt: Attempt) -> None:
        self.attempt = attempt
        self.set_title(self.title_text())
        await self.replace_body()
        self.refresh_keys()

    def show_voucher(self, attempt: Attempt, note: str) -> None:
        self.say(note)  # the voucher is this screen

    # -- keys

    def key_reprint(self) -> None:
        self.reprint(self.attempt)

    def key_settle(self) -> None:
        self.settle_now(self.attempt)
