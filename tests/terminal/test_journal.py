"""The journal: what the terminal remembers about cancellations, across restarts."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from protocol.enums import Reason, Result, Service
from terminal.journal import (
    AppointmentUnsettledError,
    Attempt,
    AttemptSettledError,
    AttemptState,
    Journal,
    JournalError,
)

T0 = datetime(2026, 11, 27, 9, 30, 0)


def record(journal: Journal, appt_id: str = "A20261128001", *, request_id: str | None = None, at: datetime = T0) -> Attempt:
    return journal.record_attempt(
        request_id=request_id or journal.next_request_id("TEST0001"),
        appt_id=appt_id,
        merchant_id="898440358120001",
        tid="TEST0001",
        operator_id="00",
        reason=Reason.WILL_REBOOK,
        fee_accepted=5000,
        created_at=at,
        scheduled_at=datetime(2026, 11, 28, 10, 0),
        service=Service.INSTALLATION,
        address="成都市武侯区天府大道100号",
    )


@pytest.fixture
def journal(tmp_path: Path):
    with Journal.open(tmp_path / "journal.sqlite") as opened:
        yield opened


def test_a_recorded_attempt_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "journal.sqlite"
    with Journal.open(path) as journal:
        attempt = record(journal)
    with Journal.open(path) as journal:
        again = journal.get(attempt.request_id)
    assert again == attempt
    assert again.state is AttemptState.PENDING
    assert again.reason is Reason.WILL_REBOOK and again.service is Service.INSTALLATION
    assert again.address == "成都市武侯区天府大道100号"
    assert again.send_count == 0 and not again.settled


def test_the_journal_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        # FULL (2): an attempt recorded is on disk before the request leaves, power cut or not.
        assert journal.read("PRAGMA synchronous") == [(2,)]
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_cancellation_goes_from_pending_through_unknown_to_cancelled(journal: Journal) -> None:
    attempt = record(journal)
    journal.mark_sent(attempt.request_id)
    journal.mark_unknown(attempt.request_id)
    journal.mark_sent(attempt.request_id)  # resent after STATUS_REQ said UNKNOWN_REQUEST
    assert journal.get(attempt.request_id).state is AttemptState.UNKNOWN
    assert journal.get(attempt.request_id).send_count == 2
    assert [a.request_id for a in journal.unsettled()] == [attempt.request_id]

    journal.mark_cancelled(
        attempt.request_id,
        cancel_ref="C0000123",
        fee_charged=5000,
        currency="156",
        host_time=datetime(2026, 11, 27, 9, 30, 5),
        settled_at=datetime(2026, 11, 27, 9, 30, 6),
    )
    done = journal.get(attempt.request_id)
    assert done.state is AttemptState.CANCELLED and done.settled
    assert (done.result, done.cancel_ref, done.fee_charged, done.currency) == (Result.OK, "C0000123", 5000, "156")
    assert done.host_time == datetime(2026, 11, 27, 9, 30, 5)
    assert done.settled_at == datetime(2026, 11, 27, 9, 30, 6)
    assert journal.find_by_cancel_ref("C0000123") == done
    assert journal.find_by_cancel_ref("C9999999") is None
    assert journal.unsettled() == []


def test_a_fee_changed_refusal_keeps_the_new_fee_and_message(journal: Journal) -> None:
    attempt = record(journal)
    journal.mark_refused(attempt.request_id, Result.FEE_CHANGED, T0, fee=8000, message="费用已变更")
    refused = journal.get(attempt.request_id)
    assert refused.state is AttemptState.REFUSED
    assert (refused.result, refused.refused_fee, refused.host_message) == (Result.FEE_CHANGED, 8000, "费用已变更")
    assert refused.cancel_ref is None


def test_a_settled_attempt_never_changes(journal: Journal) -> None:
    cancelled = record(journal, "A1")
    journal.mark_cancelled(cancelled.request_id, "C1", 0, "156", T0, T0)
    refused = record(journal, "A2")
    journal.mark_refused(refused.request_id, Result.TOO_LATE, T0)
    for request_id in (cancelled.request_id, refused.request_id):
        before = journal.get(request_id)
        with pytest.raises(AttemptSettledError, match=request_id):
            journal.mark_unknown(request_id)
        with pytest.raises(AttemptSettledError):
            journal.mark_sent(request_id)
        with pytest.raises(AttemptSettledError):
            journal.mark_cancelled(request_id, "C2", 100, "156", T0, T0)
        with pytest.raises(AttemptSettledError):
            journal.mark_refused(request_id, Result.NOT_FOUND, T0)
        assert journal.get(request_id) == before


def test_a_refusal_cannot_be_ok(journal: Journal) -> None:
    attempt = record(journal)
    with pytest.raises(ValueError):
        journal.mark_refused(attempt.request_id, Result.OK, T0)
    assert journal.get(attempt.request_id).state is AttemptState.PENDING


def test_changing_an_attempt_that_was_never_recorded_is_refused(journal: Journal) -> None:
    with pytest.raises(JournalError, match="NOPE"):
        journal.mark_unknown("NOPE")
    assert journal.get("NOPE") is None


def test_request_ids_are_the_tid_the_journals_instance_and_a_counter_that_never_repeats(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        first = [journal.next_request_id("TEST0001") for _ in range(3)]
        instance = journal.instance
    with Journal.open(path) as journal:
        after_restart = journal.next_request_id("TEST0001")
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", instance)
    assert first == [f"TEST0001-{instance}-0000000{n}" for n in (1, 2, 3)]
    assert after_restart == f"TEST0001-{instance}-00000004"
    assert len(after_restart) <= 32  # the protocol's REQUEST_ID limit


def test_a_replaced_journal_never_gives_an_id_the_first_one_gave(tmp_path: Path) -> None:
    # A device swap or wiped storage: a new journal for the same TID starts its counter at 1 again.
    taken = set()
    for name in ("first.sqlite", "replacement.sqlite", "technicians.sqlite"):
        with Journal.open(tmp_path / name) as journal:
            ids = {journal.next_request_id("TEST0001") for _ in range(5)}
        assert not ids & taken
        taken |= ids


def test_a_journal_of_the_earlier_release_keeps_its_ids_and_gives_new_ones_with_an_instance(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        record(journal, "A1", request_id="TEST000100000007")
    # Back to the first release's schema: no instance table, user_version 1, counter at 7.
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE instance")
        db.execute("INSERT OR REPLACE INTO counter (name, value) VALUES ('request_id', 7)")
        db.execute("PRAGMA user_version=1")
    db.close()
    with Journal.open(path) as journal:
        assert journal.get("TEST000100000007").appt_id == "A1"
        assert journal.next_request_id("TEST0001") == f"TEST0001-{journal.instance}-00000008"


def test_request_ids_stay_unique_with_two_threads_and_two_journal_objects(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    ui, cli = Journal.open(path), Journal.open(path)
    taken: list[str] = []
    lock = threading.Lock()

    def take(journal: Journal) -> None:
        for _ in range(25):
            request_id = journal.next_request_id("TEST0001")
            with lock:
                taken.append(request_id)

    threads = [threading.Thread(target=take, args=(j,)) for j in (ui, ui, cli)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ui.close()
    cli.close()
    assert len(taken) == 75 and len(set(taken)) == 75


def test_seq_counts_from_1_and_wraps_to_1_never_0(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        assert [journal.next_seq() for _ in range(3)] == [1, 2, 3]
    # Skip ahead to the end of the range rather than sending 65 000 requests.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE counter SET value = 65534 WHERE name = 'seq'")
    with Journal.open(path) as journal:
        assert [journal.next_seq() for _ in range(3)] == [65535, 1, 2]


def test_a_second_request_id_for_an_appointment_with_an_unknown_outcome_is_refused(journal: Journal) -> None:
    first = record(journal, "A1")
    journal.mark_unknown(first.request_id)
    with pytest.raises(AppointmentUnsettledError) as info:
        record(journal, "A1")
    assert info.value.pending.request_id == first.request_id
    assert journal.unsettled_for_appointment("A1").request_id == first.request_id
    assert journal.unsettled_for_appointment("A2") is None
    assert journal.count() == 1

    # Once the host has said no (here: the fee changed), a new request id is the way to retry.
    journal.mark_refused(first.request_id, Result.FEE_CHANGED, T0, fee=8000)
    retry = record(journal, "A1")
    assert retry.request_id != first.request_id
    assert journal.unsettled_for_appointment("A1").request_id == retry.request_id


def test_a_request_id_is_recorded_only_once(journal: Journal) -> None:
    record(journal, "A1", request_id="TEST000100000001")
    journal.mark_refused("TEST000100000001", Result.NOT_FOUND, T0)
    with pytest.raises(JournalError, match="TEST000100000001"):
        record(journal, "A2", request_id="TEST000100000001")


def test_unsettled_is_oldest_first_and_history_newest_first(journal: Journal) -> None:
    attempts = [record(journal, f"A{i}", at=T0 + timedelta(minutes=i)) for i in range(5)]
    journal.mark_cancelled(attempts[1].request_id, "C1", 0, "156", T0, T0)
    journal.mark_unknown(attempts[3].request_id)
    ids = [a.request_id for a in attempts]
    assert [a.request_id for a in journal.unsettled()] == [ids[0], ids[2], ids[3], ids[4]]
    assert [a.request_id for a in journal.history()] == ids[::-1]
    assert [a.request_id for a in journal.history(limit=2, offset=1)] == [ids[3], ids[2]]
    assert journal.count() == 5


def test_a_file_that_is_not_a_journal_is_refused_by_name(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.sqlite"
    text_file.write_text("this is a shopping list, not a database\n" * 100)
    with pytest.raises(JournalError) as info:
        Journal.open(text_file)
    assert str(text_file) in str(info.value) and "not a terminal journal" in str(info.value)
    assert text_file.read_text().startswith("this is a shopping list")

    other_db = tmp_path / "other.sqlite"
    with sqlite3.connect(other_db) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
    with pytest.raises(JournalError) as info:
        Journal.open(other_db)
    assert str(other_db) in str(info.value) and "[journal] path" in str(info.value)


def test_a_journal_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        record(journal)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(JournalError, match="newer version"):
        Journal.open(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM attempt").fetchone()[0] == 1


def test_seqs_continue_after_every_seq_used_before_a_restart(tmp_path):
    from terminal.journal import SEQ_BLOCK, Journal

    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        used = [journal.next_seq() for _ in range(3)]
    with Journal.open(path) as journal:
        after = journal.next_seq()
    assert used == [1, 2, 3] and after > max(used) and after == SEQ_BLOCK + 1


def test_seqs_wrap_from_65535_to_1_across_blocks(tmp_path):
    from terminal.journal import Journal

    with Journal.open(tmp_path / "journal.sqlite") as journal:
        seqs = [journal.next_seq() for _ in range(65535 + 5)]
    assert seqs[65534] == 65535 and seqs[65535] == 1 and 0 not in seqs


def test_request_id_is_taken_with_the_attempt_in_one_write(tmp_path):
    from datetime import datetime

    from protocol import Reason
    from terminal.journal import Journal

    with Journal.open(tmp_path / "journal.sqlite") as journal:
        first = journal.next_request_id("T1")
        attempt = journal.record_attempt(
            appt_id="A1", merchant_id="898440358120001", tid="T1", operator_id="00",
            reason=Reason.OTHER, fee_accepted=0, created_at=datetime(2026, 11, 27),
            scheduled_at=None, service=None, address=None, sending=True,
        )
        assert (first, attempt.request_id) == (f"T1-{journal.instance}-00000001", f"T1-{journal.instance}-00000002")
        assert journal.get(attempt.request_id).send_count == 1
        assert journal.get(attempt.request_id).address is None


def test_the_attempt_table_holds_exactly_the_attempts_fields(tmp_path: Path) -> None:
    import dataclasses

    with Journal.open(tmp_path / "journal.sqlite") as journal:
        record(journal, "A1")
    with sqlite3.connect(tmp_path / "journal.sqlite") as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(attempt)")]
    db.close()
    assert columns == ["id", *(field.name for field in dataclasses.fields(Attempt))]
