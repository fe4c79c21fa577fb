"""The settler: the one owner of unknown outcomes. It decides when settle rounds run (every open
attempt at start, background rounds for the merchant's own, one round when asked) and tells its
watchers what became of each; how a round goes is the client's (tests/terminal/test_client_over_cable)."""

from __future__ import annotations

import threading

import pytest

from protocol import Reason
from terminal.journal import AttemptState, Journal
from terminal.settler import SettleNews, Settler
from tests.screens.scripted_client import FREE, TOO_LATE, WITH_FEE, Ok, ScriptedClient, Unknown


@pytest.fixture
def journal(tmp_path):
    with Journal.open(tmp_path / "journal.sqlite") as journal:
        yield journal


def unknown(client: ScriptedClient, appointment, *, settles_after: int, ref: str = "C1"):
    client.cancel_script.append(Unknown(Ok(ref), settles_after=settles_after))
    return client.cancel(appointment, Reason.OTHER, 0).attempt


class Recorder:
    def __init__(self) -> None:
        self.news: list[SettleNews] = []
        self.changed = threading.Condition()

    def __call__(self, news: SettleNews) -> None:
        with self.changed:
            self.news.append(news)
            self.changed.notify_all()

    def wait_for(self, condition, timeout: float = 10.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: condition(self.news), timeout), self.news


def watched(journal: Journal, **settler_options) -> tuple[ScriptedClient, Settler, Recorder]:
    """A scripted client on `journal`, its settler, and a recorder watching the settler."""
    client = ScriptedClient(journal)
    settler = Settler(client, **settler_options)
    recorder = Recorder()
    settler.watch(recorder)
    return client, settler, recorder


def test_settle_open_asks_once_for_every_open_attempt_oldest_first_and_says_so(journal) -> None:
    client, settler, recorder = watched(journal)
    first = unknown(client, FREE, settles_after=0, ref="C1")
    second = unknown(client, WITH_FEE, settles_after=5)
    outcomes = settler.settle_open()
    assert [o.attempt.request_id for o in outcomes] == [first.request_id, second.request_id]
    assert [o.state for o in outcomes] == [AttemptState.CANCELLED, AttemptState.UNKNOWN]
    assert [(n.request_id, n.outcome is None) for n in recorder.news] == [
        (first.request_id, True), (first.request_id, False), (second.request_id, True), (second.request_id, False)]
    assert recorder.news[1].last and recorder.news[3].last  # one round each was all that was asked


def test_keep_settling_runs_background_rounds_until_settled(journal) -> None:
    client, settler, recorder = watched(journal, background_rounds=5, pause_seconds=0.0)
    attempt = unknown(client, FREE, settles_after=2)
    settler.keep_settling(attempt.request_id)
    recorder.wait_for(lambda news: any(n.outcome is not None and n.outcome.settled for n in news))
    settler.stop(timeout=5)
    assert client.settle_calls == [attempt.request_id] * 3
    done = [n for n in recorder.news if n.outcome is not None][-1]
    assert (done.round, done.rounds, done.last, done.outcome.state) == (3, 5, True, AttemptState.CANCELLED)


def test_background_rounds_end_after_their_number_and_say_it_was_the_last(journal) -> None:
    client, settler, recorder = watched(journal, background_rounds=3, pause_seconds=0.0)
    attempt = unknown(client, FREE, settles_after=99)
    settler.keep_settling(attempt.request_id)
    recorder.wait_for(lambda news: any(n.last for n in news))
    settler.stop(timeout=5)
    assert len(client.settle_calls) == 3
    assert journal.get(attempt.request_id).state is AttemptState.UNKNOWN


def test_forget_frees_the_line_from_the_remaining_rounds(journal) -> None:
    client, settler, recorder = watched(journal, background_rounds=50, pause_seconds=0.05)
    attempt = unknown(client, FREE, settles_after=99)
    settler.keep_settling(attempt.request_id)
    recorder.wait_for(lambda news: len([n for n in news if n.outcome is not None]) >= 1)
    settler.forget(attempt.request_id)
    settler.settle_soon(attempt.request_id)  # a round asked for afterwards still runs
    recorder.wait_for(lambda news: news[-1].rounds == 1 and news[-1].outcome is not None)
    settler.stop(timeout=5)
    assert len(client.settle_calls) < 50


def test_start_settles_what_an_earlier_run_left_open_in_the_background(journal) -> None:
    client, settler, recorder = watched(journal)
    attempt = unknown(client, TOO_LATE, settles_after=0)
    settler.start()
    recorder.wait_for(lambda news: any(n.outcome is not None for n in news))
    settler.stop(timeout=5)
    assert journal.get(attempt.request_id).state is AttemptState.CANCELLED


def test_a_failing_round_is_told_to_the_watchers_and_the_settler_goes_on(journal) -> None:
    client, settler, recorder = watched(journal, pause_seconds=0.0)
    settler.settle_soon("NO-SUCH-REQUEST")  # the journal has no such request: KeyError
    recorder.wait_for(lambda news: any(n.error for n in news))
    attempt = unknown(client, FREE, settles_after=0)
    settler.settle_soon(attempt.request_id)
    recorder.wait_for(lambda news: any(n.outcome is not None and n.outcome.settled for n in news))
    settler.stop(timeout=5)
    failed = next(n for n in recorder.news if n.error)
    assert failed.request_id == "NO-SUCH-REQUEST" and failed.last


def test_a_watcher_that_stops_watching_hears_nothing_more(journal) -> None:
    client = ScriptedClient(journal)
    attempt = unknown(client, FREE, settles_after=5)
    settler = Settler(client)
    recorder = Recorder()
    unwatch = settler.watch(recorder)
    settler.settle(attempt.request_id)
    unwatch()
    settler.settle(attempt.request_id)
    assert len(recorder.news) == 2


def test_stop_ends_the_background_thread_within_its_pause(journal) -> None:
    client, settler, recorder = watched(journal, background_rounds=10, pause_seconds=3600.0)
    attempt = unknown(client, FREE, settles_after=99)
    settler.keep_settling(attempt.request_id)
    recorder.wait_for(lambda news: any(n.outcome is not None for n in news))
    assert settler.running
    settler.stop(timeout=5)  # it does not wait out the hour's pause
    assert not settler.running
    assert len(client.settle_calls) == 1
