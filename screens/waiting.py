"""Waiting for the host: a spinner and the seconds waited while a worker thread makes one blocking
client call. Esc gives up only while the request has not left (the client's `abort` event)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen

from screens.keypad import Key, KeypadDialog
from screens.messages import CancelProgress, HostAnswered, RequestSent
from screens.prose import Prose
from terminal.catalogue import N_
from terminal.client import Aborted, Progress

if TYPE_CHECKING:
    from terminal.plugin_api import PluginContext

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
# How often the spinner turns and the seconds are redrawn; snapshot tests stop it turning.
TICK_SECONDS = 0.25

PROGRESS_TEXT = {
    Progress.SENDING: N_("waiting.sending"),
    Progress.SENT: N_("waiting.sent"),
    Progress.CONFIRMING: N_("waiting.confirming"),
}


@dataclass
class Call:
    """What the blocking job is handed: the abort event and callbacks that post to the screen."""

    abort: threading.Event = field(default_factory=threading.Event)
    sent: Callable[[], None] = lambda: None
    progress: Callable[[Progress], None] = lambda stage: None


@dataclass(frozen=True)
class Answer:
    value: Any = None
    error: BaseException | None = None


class WaitingScreen(KeypadDialog[Answer | None]):
    """Dismisses with the call's Answer, or None when the merchant gave up with Esc. Given
    `next_screen`, an answer for which it returns a screen is not dismissed but replaced by that
    screen: the one below is not shown again, only to be covered at once."""

    CSS_PATH = "waiting.tcss"
    TITLE = N_("waiting.title")

    def __init__(
        self,
        context: PluginContext,
        job: Callable[[Call], Any],
        *,
        what: str,
        can_abort: bool,
        next_screen: Callable[[Answer], Screen | None] = lambda answer: None,
    ) -> None:
        super().__init__(context)
        self.job = job
        self.next_screen = next_screen
        self.what = what  # message id: what is being asked of the host
        self.can_abort = can_abort
        self.call = Call()
        self._ticks = 0
        self._started = time.monotonic()
        self._stage: str | None = None

    def body(self) -> ComposeResult:
        yield Prose(self.t(self.what), id="waiting-what")
        yield Prose(self._spinner_text(0), id="waiting-spinner")
        yield Prose("", id="waiting-stage")

    def keys(self) -> list[Key]:
        if self.can_abort:
            return [Key("escape", "abort", N_("key.cancel"))]
        return []

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._tick)
        self.call.sent = lambda: self.post_message(RequestSent())
        self.call.progress = lambda stage: self.post_message(CancelProgress(stage))
        self._ask_host(self.call)

    def on_unmount(self) -> None:
        # Gone (answered, Esc, or the app closing): a request that has not left never will.
        self.call.abort.set()

    @work(thread=True, exclusive=True, group="host-call")
    def _ask_host(self, call: Call) -> None:
        try:
            value = self.job(call)
        except Aborted:
            return  # the screen is already gone
        except Exception as exc:  # noqa: BLE001 - every failure is shown, none may kill the app
            self.post_message(HostAnswered(error=exc))
            return
        self.post_message(HostAnswered(value=value))

    def _spinner_text(self, seconds: int) -> str:
        return f"{SPINNER[self._ticks % len(SPINNER)]}  {self.t('waiting.elapsed', seconds=seconds)}"

    def _tick(self) -> None:
        self._ticks += 1
        seconds = int(time.monotonic() - self._started)
        self.query_one("#waiting-spinner", Prose).update(self._spinner_text(seconds))

    def on_request_sent(self, _message: RequestSent) -> None:
        self._no_more_abort()
        self._show_stage(N_("waiting.sent"))

    def on_cancel_progress(self, message: CancelProgress) -> None:
        if message.stage is not Progress.SENDING:
            self._no_more_abort()
        self._show_stage(PROGRESS_TEXT[message.stage])

    def on_host_answered(self, message: HostAnswered) -> None:
        answer = Answer(message.value, message.error)
        following = self.next_screen(answer)
        if following is None:
            self.dismiss(answer)
        else:
            self.app.switch_screen(following)

    def key_abort(self) -> None:
        if self.can_abort:
            self.call.abort.set()
            self.dismiss(None)

    def _no_more_abort(self) -> None:
        if self.can_abort:
            self.can_abort = False
            self.refresh_keys()

    def _show_stage(self, message_id: str) -> None:
        self._stage = message_id
        self.query_one("#waiting-stage", Prose).update(self.t(message_id))
