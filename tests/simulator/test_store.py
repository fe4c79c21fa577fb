"""The host's store: survives reopening, loading data again resets nothing, a decision and its record
are one transaction, and it refuses files that are not its own."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from protocol import CancelRequest, Reason, RequestReceived, Result, Status
from simulator.data import Terminal
from simulator.host import HostLogic
from simulator.store import HostStore, StoreError
from tests.material import KEY, MERCHANT_ID, TID
from tests.simulator.vector_data import FIRST, SECOND, vector_data

NOW = datetime(2026, 11, 27, 9, 31, 6)


def cancel(request_id: str, appt_id: str = FIRST.appt_id) -> RequestReceived:
    return RequestReceived(CancelRequest(MERCHANT_ID, appt_id, request_id, Reason.OTHER, 0, "00", NOW), 3, TID)


def test_a_reopened_store_keeps_terminals_appointments_and_answers(tmp_path: Path) -> None:
    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(vector_data())
        done = HostLogic(store, lambda: NOW).respond(cancel("R1"))
    with HostStore(path) as store:
        assert store.key_for(TID) == KEY
        assert store.appointment(FIRST.appt_id).status is Status.CANCELLED
        assert HostLogic(store, lambda: NOW).respond(cancel("R1")) == done
        assert len(store.cancellations()) == 1


def test_loading_the_data_again_duplicates_nothing_and_keeps_what_the_host_did(tmp_path: Path) -> None:
    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(vector_data())
        HostLogic(store, lambda: NOW).respond(cancel("R1"))
    moved = replace(SECOND, address="新地址 New address", late_fee=7000)
    new_key = bytes(range(1, 33))
    with HostStore(path) as store:
        store.load(vector_data(FIRST, moved, terminals=(Terminal(TID, MERCHANT_ID, new_key),)))
        assert store.appointment(FIRST.appt_id).status is Status.CANCELLED  # the file says BOOKED
        assert store.appointment(SECOND.appt_id) == moved  # everything else follows the file
        assert store.key_for(TID) == new_key
        assert [a.appt_id for a in store.open_appointments(MERCHANT_ID)] == [SECOND.appt_id]
        assert len(store.cancellations()) == 1


def test_an_interrupted_decision_leaves_neither_the_answer_nor_the_cancellation(tmp_path: Path) -> None:
    with HostStore(tmp_path / "host.db") as store:
        store.load(vector_data())
        host = HostLogic(store, lambda: NOW)
        original = store.record

        def record_then_crash(cancellation):
            original(cancellation)
            raise RuntimeError("power lost")

        store.record = record_then_crash  # type: ignore[method-assign]
        with pytest.raises(RuntimeError):
            host.respond(cancel("R1"))
        store.record = original  # type: ignore[method-assign]
        assert store.cancellations() == []
        assert store.appointment(FIRST.appt_id).status is Status.BOOKED
        assert host.respond(cancel("R1")).result is Result.OK


def test_racing_terminals_cancel_an_appointment_exactly_once(tmp_path: Path) -> None:
    with HostStore(tmp_path / "host.db") as store:
        store.load(vector_data())
        host = HostLogic(store, lambda: NOW)
        results: list[Result] = []
        start = threading.Barrier(8)

        def attempt(n: int) -> None:
            start.wait()
            results.append(host.respond(cancel(f"R{n}")).result)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [Result.OK] + [Result.ALREADY_CANCELLED] * 7
        assert len({c.cancel_ref for c in store.cancellations() if c.cancel_ref}) == 1


def test_memory_is_refused_because_threads_and_restarts_must_share_the_store() -> None:
    with pytest.raises(StoreError, match="must be a file"):
        HostStore(":memory:")


def test_a_missing_store_is_refused_when_it_must_exist(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such database; pass the --db file the host was started with"):
        HostStore(tmp_path / "nothere.db", create=False)
    assert not (tmp_path / "nothere.db").exists()


def test_another_programs_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE mine (x)")
    other.close()
    with pytest.raises(StoreError, match="holds another program's database"):
        HostStore(path)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT name FROM sqlite_master").fetchall() == [("mine",)]
    other.close()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database at all, just some text that is long enough to have a header" * 10)
    with pytest.raises(StoreError, match="not a host simulator database"):
        HostStore(path)


def test_loading_says_what_it_added_updated_and_kept_cancelled(tmp_path: Path) -> None:
    other = replace(SECOND, appt_id="A20261130008")
    with HostStore(tmp_path / "host.db") as store:
        first = store.load(vector_data())
        HostLogic(store, lambda: NOW).respond(cancel("R1"))
        second = store.load(vector_data(FIRST, other))
    assert (first.terminals_added, first.appointments_added, first.appointments_updated) == (1, 2, 0)
    assert (second.terminals_added, second.terminals_updated) == (0, 1)
    assert (second.appointments_added, second.appointments_updated) == (1, 1)
    assert second.kept_cancelled == (FIRST.appt_id,)
    assert (second.terminals_held, second.appointments_held) == (1, 3)  # SECOND stays, out of the data


def test_an_appointment_reset_to_booked_stays_booked_when_the_data_is_loaded_again(tmp_path: Path) -> None:
    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(vector_data())
        host = HostLogic(store, lambda: NOW)
        done = host.respond(cancel("R1"))
        store.reset_to_booked(FIRST.appt_id)
        summary = store.load(vector_data())  # its OK cancellation is still on record
        assert store.appointment(FIRST.appt_id).status is Status.BOOKED and summary.kept_cancelled == ()
        assert host.respond(cancel("R1")) == done  # the old request: its answer, and nothing cancelled
        assert store.appointment(FIRST.appt_id).status is Status.BOOKED
        assert host.respond(cancel("R2")).result is Result.OK
    with HostStore(path) as store:  # a restart with the same data keeps the new cancellation
        assert store.load(vector_data()).kept_cancelled == (FIRST.appt_id,)
        assert [c.request_id for c in store.cancellations()] == ["R1", "R2"]
    with HostStore(path) as store:
        with pytest.raises(StoreError, match="no appointment NOPE"):
            store.reset_to_booked("NOPE")


def test_reset_forgets_cancellations_and_what_the_data_no_longer_holds(tmp_path: Path) -> None:
    with HostStore(tmp_path / "host.db") as store:
        store.load(vector_data())
        HostLogic(store, lambda: NOW).respond(cancel("R1"))
        summary = store.reset(vector_data(FIRST))
        assert store.cancellations() == []
        assert store.appointments() == [FIRST]  # booked again, as the data says
        assert (summary.appointments_added, summary.appointments_held, summary.kept_cancelled) == (1, 1, ())


def test_the_requests_naming_an_appointment_are_read_in_the_order_decided(tmp_path: Path) -> None:
    with HostStore(tmp_path / "host.db") as store:
        store.load(vector_data())
        host = HostLogic(store, lambda: NOW)
        host.respond(cancel("R1"))
        host.respond(cancel("R2"))
        host.respond(cancel("R3", SECOND.appt_id))
        assert [(c.request_id, c.result) for c in store.cancellations_of(FIRST.appt_id)] == [
            ("R1", Result.OK),
            ("R2", Result.ALREADY_CANCELLED),
        ]
        assert store.cancellations_of("NOPE") == []


def test_an_empty_file_is_refused_when_the_store_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match="empty.db: is empty, not a database pos-sim host has kept"):
        HostStore(path, create=False)
    assert path.stat().st_size == 0


def test_a_damaged_row_is_a_store_error_that_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(vector_data())
    with sqlite3.connect(path) as other:
        other.execute("UPDATE appointment SET scheduled_at = 'yesterday' WHERE id = ?", (FIRST.appt_id,))
    other.close()
    with HostStore(path, create=False) as store, pytest.raises(StoreError) as refused:
        store.appointments()
    assert "host.db: a row of its appointment table is damaged (" in str(refused.value)
    assert "restore a copy, or start the host on a new --db file" in str(refused.value)


def test_a_key_another_program_changes_is_used_at_once(tmp_path: Path) -> None:
    # The running host keeps the terminals it has read; `pos-sim db reset` in another process must
    # still take effect with the next request, as it did when every request read the row.
    path = tmp_path / "host.db"
    new_key = bytes(reversed(KEY))
    with HostStore(path) as host, HostStore(path) as other:
        host.load(vector_data())
        assert host.key_for(TID) == KEY
        other.reset(vector_data(terminals=(Terminal(TID, MERCHANT_ID, new_key),)))
        assert host.key_for(TID) == new_key
        other.reset(vector_data(terminals=()))
        assert host.key_for(TID) is None and host.terminal(TID) is None


def test_the_store_is_durable_against_the_hosts_crash_without_waiting_for_the_disk(tmp_path: Path) -> None:
    # synchronous=NORMAL (1): a commit is written to the system before it returns, so a killed host
    # keeps it (tests/simulator/test_cli.py kills one); the terminal's journal keeps FULL (2).
    with HostStore(tmp_path / "host.db") as store:
        assert store.read("PRAGMA synchronous") == [(1,)]
        assert store.read("PRAGMA journal_mode") == [("wal",)]
