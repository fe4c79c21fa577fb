"""The supervisor PIN's lockout as it is kept: how many wrong PINs in a row, and when the last one
was tried (terminal.supervisor_pin decides what they mean: 5 lock the cancel function for 5 minutes).

It is kept in the journal's file, in the `pin_lockout` table terminals have always had there, not
in a file of its own: a terminal updated while locked stays locked (a new file would start it at no
wrong tries), there is nothing to create or migrate, and it is in the one file that is backed up,
held by one process and readable by its owner only. The journal creates the table with the rest of
its schema (version 1); every read and write of it is here.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from terminal.sqlite_file import time_from_cell, to_cell

if TYPE_CHECKING:
    import sqlite3

    from terminal.sqlite_file import SqliteFile

# One row at most (id 1): the wrong tries in a row, and when the last one was made.
SCHEMA = """
CREATE TABLE pin_lockout (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    failures     INTEGER NOT NULL,
    last_failure TEXT
);
"""


class PinLockout:
    """The wrong-PIN count kept in `file` (the journal), read and written at once: it survives a
    restart, a crash and a power cut."""

    def __init__(self, file: SqliteFile) -> None:
        self._file = file

    def __repr__(self) -> str:
        return f"PinLockout({str(self._file.path)!r})"

    def record_failure(self, now: datetime) -> int:
        """Count one more wrong PIN in a row, tried at `now`; returns the count."""

        def bump(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT failures FROM pin_lockout WHERE id = 1").fetchone()
            failures = (row[0] if row else 0) + 1
            db.execute(
                "INSERT INTO pin_lockout (id, failures, last_failure) VALUES (1, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET failures = excluded.failures, "
                "last_failure = excluded.last_failure",
                (failures, to_cell(now)),
            )
            return failures

        return self._file.write(bump)

    def clear(self) -> None:
        """No wrong PIN in a row any more."""
        self._file.write(lambda db: db.execute("DELETE FROM pin_lockout"))

    def failures(self) -> tuple[int, datetime | None]:
        """(wrong PINs in a row, time of the last one)."""
        rows = self._file.read("SELECT failures, last_failure FROM pin_lockout WHERE id = 1")
        if not rows:
            return 0, None
        return rows[0][0], time_from_cell(rows[0][1])
