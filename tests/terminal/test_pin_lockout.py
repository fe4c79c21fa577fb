"""The supervisor PIN's wrong tries, kept in the journal's file: they outlast a restart, and a
terminal updated while locked stays locked."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from terminal.journal import Journal
from terminal.pin_lockout import PinLockout

T0 = datetime(2026, 11, 27, 9, 30, 0)


def test_wrong_tries_are_kept_across_restarts_until_cleared(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with Journal.open(path) as journal:
        lockout = PinLockout(journal)
        assert lockout.failures() == (0, None)
        assert lockout.record_failure(T0) == 1
        assert lockout.record_failure(T0 + timedelta(seconds=5)) == 2
    with Journal.open(path) as journal:
        lockout = PinLockout(journal)
        assert lockout.failures() == (2, T0 + timedelta(seconds=5))
        lockout.clear()
        assert lockout.failures() == (0, None)


def test_a_lockout_an_earlier_release_recorded_is_still_there(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    Journal.open(path).close()
    # What the earlier release wrote for five wrong tries: the row of its journal's pin_lockout table.
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO pin_lockout (id, failures, last_failure) VALUES (1, 5, ?)", (T0.isoformat(),))
    db.close()
    with Journal.open(path) as journal:
        assert PinLockout(journal).failures() == (5, T0)
