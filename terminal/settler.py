"""The one owner of unknown outcomes. A cancellation whose answer was lost (a noisy line, a power
cut, a journal that could not take the host's answer) stays open in the journal until it is
settled with STATUS_REQ; the settler decides when that happens, and everyone else watches:

- every open attempt, once, when the terminal starts (in the background for the app; before its
  command for the CLI);
- a few rounds in the background for the one the merchant is waiting for (the result screen);
- one round at once when someone asks (History, `pos-terminal status`).

How one round goes (STATUS_REQ, the single resend of the same CANCEL_REQ, UNKNOWN_REQUEST twice
closing it) is the host client's job: docs/protocol.md §7. Rounds run one at a time (the client
serves one request at a time), on the caller's thread or on the settler's own.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from terminal.client import CancelOutcome, HostClient

log = logging.getLogger("pos_terminal.settler")

BACKGROUND_ROUNDS = 10  # for the merchant's own cancellation; then History or the next start
ROUND_PAUSE_SECONDS = 3.0


@dataclass(frozen=True)
class SettleNews:
    """What the settler is doing about one cancellation: a round starting (`outcome` None), its
    outcome, or its failure (`error`). `last`: no more rounds follow for this request."""

    request_id: str
    round: int
    rounds: int
    outcome: CancelOutcome | None = None
    error: str | None = None

    @property
    def last(self) -> bool:
        if self.outcome is not None and self.outcome.settled:
            return True
        return (self.outcome is not None or self.error is not None) and self.round >= self.rounds


Watcher = Callable[[SettleNews], None]


class Settler:
    def __init__(
        self,
        client: HostClient,
        *,
        background_rounds: int | None = None,
        pause_seconds: float | None = None,
    ) -> None:
        self.client = client
        self.background_rounds = BACKGROUND_ROUNDS if background_rounds is None else background_rounds
        self.pause_seconds = ROUND_PAUSE_SECONDS if pause_seconds is None else pause_seconds
        self._watchers: list[Watcher] = []
        self._watchers_lock = threading.Lock()
        self._jobs: queue.SimpleQueue[tuple[str, int] | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._dropped: set[str] = set()  # requests whose remaining background rounds are off

    # -- who watches

    def watch(self, watcher: Watcher) -> Callable[[], None]:
        """Call `watcher` with every piece of news (on the thread that settles: a screen only
        posts a message from it). Returns the call that stops watching."""
        with self._watchers_lock:
            self._watchers.append(watcher)

        def unwatch() -> None:
            with self._watchers_lock:
                if watcher in self._watchers:
                    self._watchers.remove(watcher)

        return unwatch

    def _tell(self, news: SettleNews) -> None:
        with self._watchers_lock:
            watchers = list(self._watchers)
        for watcher in watchers:
            try:
                watcher(news)
            except Exception:  # noqa: BLE001 - one watcher's bug must not stop the settling
                log.exception("settle watcher %r", watcher)

    # -- now, on the caller's thread (the CLI)

    def settle(self, request_id: str, *, round_number: int = 1, rounds: int = 1) -> CancelOutcome:
        """One round for this cancellation (a settled one is returned as the journal holds it).
        KeyError when the journal has no such request."""
        self._tell(SettleNews(request_id, round_number, rounds))
        outcome = self.client.settle(request_id)
        self._tell(SettleNews(request_id, round_number, rounds, outcome))
        return outcome

    def settle_open(self) -> list[CancelOutcome]:
        """One round for every open attempt, oldest first: what a start does first."""
        return [self.settle(attempt.request_id) for attempt in self.client.journal.unsettled()]

    # -- in the background (the app)

    def start(self) -> None:
        """Settle every open attempt on the settler's own thread, then serve the rounds asked for."""
        self._serve_in_background(sweep_first=True)

    def keep_settling(self, request_id: str) -> None:
        """Up to `background_rounds` rounds, `pause_seconds` apart, until it is settled."""
        self._dropped.discard(request_id)
        self._jobs.put((request_id, self.background_rounds))
        self._serve_in_background(sweep_first=False)

    def forget(self, request_id: str) -> None:
        """No more background rounds for it (nobody waits on the screen): the line is left free
        for what the merchant does next; History or the next start settles it."""
        self._dropped.add(request_id)

    def settle_soon(self, request_id: str) -> None:
        """One round as soon as the rounds before it are done."""
        self._jobs.put((request_id, 1))
        self._serve_in_background(sweep_first=False)

    def _serve_in_background(self, *, sweep_first: bool) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, args=(sweep_first,), name="settler", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        """Its background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> None:
        self._stopping.set()
        self._jobs.put(None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _serve(self, sweep_first: bool) -> None:
        try:
            for attempt in self.client.journal.unsettled() if sweep_first else ():
                if self._stopping.is_set():
                    return
                self._round(attempt.request_id, 1, 1)
        except Exception:  # noqa: BLE001 - the journal said why; the next start tries again
            log.exception("settling at start")
        while (job := self._jobs.get()) is not None:
            request_id, rounds = job
            for number in range(1, rounds + 1):
                if number > 1 and self._stopping.wait(self.pause_seconds):
                    return
                if self._stopping.is_set():
                    return
                if number > 1 and request_id in self._dropped:
                    break
                outcome = self._round(request_id, number, rounds)
                if outcome is not None and outcome.settled:
                    break

    def _round(self, request_id: str, number: int, rounds: int) -> CancelOutcome | None:
        try:
            return self.settle(request_id, round_number=number, rounds=rounds)
        except Exception as exc:  # noqa: BLE001 - said to the watchers; the next round retries
            log.exception("settling %s", request_id)
            self._tell(SettleNews(request_id, number, rounds, error=str(exc) or type(exc).__name__))
            return None
