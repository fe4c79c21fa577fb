"""Every cancellation this terminal attempted, newest first, with its state: Enter opens one (its
voucher), a key reprints it, another settles an unconfirmed one with the host now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from screens.keypad import BACK, Key, KeypadScreen
from screens.prose import Prose
from screens.voucher_view import AttemptActions, VoucherScreen, result_word, state_word
from terminal.catalogue import N_, day_time
from terminal.journal import Attempt, AttemptState, JournalError

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext

CHUNK = 50  # attempts read from the journal at a time; more are read when the cursor gets there


class AttemptList(OptionList, can_focus=False):
    """Moved by the screen's keys, never focused (Enter belongs to the screen)."""


class HistoryScreen(AttemptActions, KeypadScreen):
    CSS_PATH = "history.tcss"
    TITLE = N_("history.title")

    def __init__(self, context: PluginContext) -> None:
        super().__init__(context)
        self.attempts: list[Attempt] = []
        self.total = 0

    def body(self) -> ComposeResult:
        yield Prose("", id="history-summary")
        yield AttemptList(id="history-list", compact=True)
        yield Prose("", id="history-status")

    def on_mount(self) -> None:
        self._reload()

    # -- the rows

    def _reload(self, keep: str | None = None) -> None:
        journal = self.context.journal
        try:
            self.total = journal.count()
            self.attempts = journal.history(limit=max(CHUNK, len(self.attempts)), offset=0)
        except JournalError as exc:
            self._journal_problem(exc)
            return
        listing = self.query_one(AttemptList)
        listing.clear_options()
        listing.add_options(self._option(attempt) for attempt in self.attempts)
        if self.attempts:
            index = next((i for i, a in enumerate(self.attempts) if a.request_id == keep), 0)
            listing.highlighted = index
        summary = self.t("history.summary", count=self.total) if self.total else self.t("history.empty")
        self.query_one("#history-summary", Prose).update(summary)
        self.refresh_keys()

    def _load_more(self) -> None:
        if len(self.attempts) >= self.total:
            return
        try:
            more = self.context.journal.history(limit=CHUNK, offset=len(self.attempts))
        except JournalError as exc:
            self._journal_problem(exc)
            return
        self.attempts.extend(more)
        self.query_one(AttemptList).add_options(self._option(attempt) for attempt in more)

    def _journal_problem(self, problem: JournalError) -> None:
        """A damaged journal: said on the screen (the file, the cause, what to do), never a crash."""
        self.total = len(self.attempts)
        self.query_one("#history-summary", Prose).update(self.t("journal.problem", error=str(problem)))
        self.refresh_keys()

    def _option(self, attempt: Attempt) -> Option:
        line = Text()
        line.append(day_time(attempt.created_at, self.locale))
        line.append("  ")
        style = {"cancelled": "bold green", "refused": "bold red"}.get(attempt.state.value, "bold yellow")
        line.append(state_word(attempt, self.locale), style=style)
        line.append("\n  ")
        if attempt.state is AttemptState.CANCELLED and attempt.cancel_ref:
            line.append(attempt.cancel_ref, style="bold")
        else:
            if attempt.state is AttemptState.REFUSED:
                line.append(f"{result_word(attempt, self.locale)} ")
            line.append(attempt.appt_id, style="dim")
        return Option(line, id=attempt.request_id)

    @property
    def selected(self) -> Attempt | None:
        listing = self.query(AttemptList)
        if not listing:
            return None  # not composed yet
        index = listing.first().highlighted
        if index is None or not 0 <= index < len(self.attempts):
            return None
        return self.attempts[index]

    def keys(self) -> list[Key]:
        attempt = self.selected
        if attempt is None:
            return [BACK]
        keys = [
            Key("up", "up", N_("key.up")),
            Key("down", "down", N_("key.down")),
            Key("enter", "open", N_("key.open")),
        ]
        if attempt.state is AttemptState.CANCELLED:
            keys.append(Key("1", "reprint", N_("key.reprint")))
        if not attempt.settled:
            keys.append(Key("2", "settle", N_("key.settle")))
        return [*keys, BACK]

    def on_option_list_option_highlighted(self, _message: OptionList.OptionHighlighted) -> None:
        self.refresh_keys()

    def on_option_list_option_selected(self, _message: OptionList.OptionSelected) -> None:
        self.key_open()  # a touch on a row

    # -- AttemptActions

    def say(self, text: str) -> None:
        self.query_one("#history-status", Prose).update(text)

    async def changed(self, attempt: Attempt) -> None:
        self._reload(keep=attempt.request_id)

    def show_voucher(self, attempt: Attempt, note: str) -> None:
        self.app.push_screen(VoucherScreen(self.context, attempt, note))

    # -- keys

    def key_up(self) -> None:
        self.query_one(AttemptList).action_cursor_up()

    def key_down(self) -> None:
        listing = self.query_one(AttemptList)
        if listing.highlighted is not None and listing.highlighted >= len(self.attempts) - 1:
            self._load_more()
        listing.action_cursor_down()

    def key_open(self) -> None:
        if self.selected is not None:
            self.app.push_screen(VoucherScreen(self.context, self.selected), lambda _: self._reload(self._keep()))

    def _keep(self) -> str | None:
        return self.selected.request_id if self.selected else None

    def key_reprint(self) -> None:
        if self.selected is not None:
            self.reprint(self.selected)

    def key_settle(self) -> None:
        if self.selected is not None:
            self.settle_now(self.selected)
