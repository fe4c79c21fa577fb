"""The host's durable state in sqlite: terminals and their keys, appointments, and every CANCEL_RESP it gave.

One connection serves every port thread, guarded by a lock: sqlite allows one writer at a time
anyway, and a single connection lets `transaction()` cover a whole cancel decision (read the
stored response, read the appointment, decide, store the response, mark the appointment) so
that a crash leaves either all of it or none. WAL lets `pos-sim report` read while a host runs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from protocol.enums import Reason, Result, Service, Status
from protocol.messages import CancelResponse, StatusResponse
from simulator.data import ServiceAppointment, SimulatorData, Terminal

SCHEMA_VERSION = 1
# PRAGMA application_id marks the file as a host simulator's ("POSH"), so that the terminal's
# journal or another program's database is recognised instead of being written into.
APPLICATION_ID = 0x504F5348
_BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE terminal (
    tid          TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL,
    key          BLOB NOT NULL
);
CREATE TABLE appointment (
    id            TEXT PRIMARY KEY,
    merchant_id   TEXT NOT NULL,
    scheduled_at  TEXT NOT NULL,   -- local time, YYYY-MM-DDTHH:MM:SS, so text order is time order
    service       INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    address       TEXT NOT NULL,
    late_fee      INTEGER NOT NULL,
    free_until    TEXT NOT NULL,
    cancel_until  TEXT NOT NULL
);
CREATE INDEX appointment_by_merchant ON appointment (merchant_id, status, scheduled_at);
-- Every CANCEL_REQ answered with a CANCEL_RESP, whatever its RESULT, with that response (§6).
CREATE TABLE cancellation (
    tid           TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    merchant_id   TEXT NOT NULL,
    appt_id       TEXT NOT NULL,
    reason        INTEGER NOT NULL,
    fee_accepted  INTEGER NOT NULL,
    operator_id   TEXT NOT NULL,
    service       INTEGER,          -- the appointment's, when the merchant has one by that id
    result        INTEGER NOT NULL,
    cancel_ref    TEXT UNIQUE,
    fee_charged   INTEGER,
    fee           INTEGER,
    currency      TEXT,
    timestamp     TEXT,             -- the response's TIMESTAMP
    message       TEXT,
    decided_at    TEXT NOT NULL,    -- host time of the decision
    PRIMARY KEY (tid, request_id)
);
CREATE INDEX cancellation_by_appointment ON cancellation (appt_id, result);
"""

_APPOINTMENT_COLUMNS = "id, merchant_id, scheduled_at, service, status, address, late_fee, free_until, cancel_until"
_CANCELLATION_COLUMNS = (
    "tid, request_id, merchant_id, appt_id, reason, fee_accepted, operator_id, service, result, "
    "cancel_ref, fee_charged, fee, currency, timestamp, message, decided_at"
)


class StoreError(Exception):
    """The store cannot be opened as asked; the message says which file and what to do."""


@dataclass(frozen=True)
class Cancellation:
    """One CANCEL_REQ the host answered, with the CANCEL_RESP it gave (sent again on a repeat)."""

    tid: str
    request_id: str
    merchant_id: str
    appt_id: str
    reason: Reason
    fee_accepted: int
    operator_id: str
    service: Service | None
    result: Result
    cancel_ref: str | None
    fee_charged: int | None
    fee: int | None
    currency: str | None
    timestamp: datetime | None
    message: str | None
    decided_at: datetime

    def as_cancel_response(self) -> CancelResponse:
        return CancelResponse(**self._response_fields())

    def as_status_response(self) -> StatusResponse:
        return StatusResponse(**self._response_fields())

    def _response_fields(self) -> dict:
        return {
            "result": self.result,
            "request_id": self.request_id,
            "appt_id": self.appt_id,
            "cancel_ref": self.cancel_ref,
            "fee_charged": self.fee_charged,
            "fee": self.fee,
            "currency": self.currency,
            "timestamp": self.timestamp,
            "message": self.message,
        }


class HostStore:
    """The host's state in the sqlite file at `path`; safe to share between threads.

    `create=False` refuses a file that does not exist yet (for `pos-sim report`, where a new empty
    database would only hide a wrong path).
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        if str(path) == ":memory:" or not str(path):
            raise StoreError(
                "the host's store must be a file: every port thread and every restart must see the same "
                "cancellations; pass a path such as host.db"
            )
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no such database; pass the --db file the host was started with")
        self._lock = threading.RLock()
        self._in_transaction = False
        try:
            # Owner-only: the store holds every terminal's MAC key (sqlite gives -wal and -shm
            # the same mode when it makes them). Only a new file is opened here: closing any
            # descriptor of a database drops every POSIX lock this process holds on it, sqlite's
            # own included (another store object's, on another line's thread).
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_S
            )
        except (sqlite3.Error, OSError) as problem:
            raise StoreError(f"{self.path}: cannot open the database ({problem}); check the path and its permissions") from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as problem:
            self._db.close()
            raise StoreError(f"{self.path}: not a host simulator database ({problem}); pass another --db file") from None
        except StoreError:
            self._db.close()
            raise

    def _prepare(self) -> None:
        application_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if application_id == 0:
            if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(f"{self.path}: holds another program's database; pass another --db file")
            with self.transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif application_id != APPLICATION_ID:
            raise StoreError(f"{self.path}: is not a host simulator database; pass another --db file")
        else:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: has store version {version}, this simulator reads version {SCHEMA_VERSION}; "
                    "use a new --db file"
                )
        self._db.execute("PRAGMA journal_mode = WAL")
        # FULL: a cancellation the host has answered must survive a power cut, not only a crash.
        self._db.execute("PRAGMA synchronous = FULL")

    # -- life cycle

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> HostStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[HostStore]:
        """All store calls inside commit together or not at all; other threads wait meanwhile.

        BEGIN IMMEDIATE takes the write lock at once, so a decision made on what was read inside
        cannot be overtaken by another process's write before it is stored."""
        with self._lock:
            if self._in_transaction:  # joined by a nested call
                yield self
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._in_transaction = True
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._in_transaction = False

    # -- loading the data file

    def load(self, data: SimulatorData) -> None:
        """Add or update the data's terminals and appointments; cancellations stay as they are.

        An appointment the host has cancelled stays cancelled whatever the file says, so a host
        restarted with the same data keeps what it did. Nothing is ever deleted: the host's record
        of a cancellation must outlive the appointment's entry in the file."""
        with self.transaction():
            self._db.executemany(
                "INSERT INTO terminal (tid, merchant_id, key) VALUES (?, ?, ?) "
                "ON CONFLICT (tid) DO UPDATE SET merchant_id = excluded.merchant_id, key = excluded.key",
                [(t.tid, t.merchant_id, t.key) for t in data.terminals],
            )
            self._db.executemany(
                f"INSERT INTO appointment ({_APPOINTMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET merchant_id = excluded.merchant_id, "
                "scheduled_at = excluded.scheduled_at, service = excluded.service, address = excluded.address, "
                "late_fee = excluded.late_fee, free_until = excluded.free_until, "
                "cancel_until = excluded.cancel_until, "
                "status = CASE WHEN EXISTS (SELECT 1 FROM cancellation WHERE cancellation.appt_id = excluded.id "
                f"AND cancellation.result = {int(Result.OK)}) THEN {int(Status.CANCELLED)} ELSE excluded.status END",
                [_appointment_row(a) for a in data.appointments],
            )

    # -- terminals

    def terminal(self, tid: str) -> Terminal | None:
        row = self._fetchone("SELECT tid, merchant_id, key FROM terminal WHERE tid = ?", (tid,))
        return None if row is None else Terminal(row[0], row[1], bytes(row[2]))

    def key_for(self, tid: str) -> bytes | None:
        """The key provisioned for `tid` (HostConnection's key_for), or None for an unknown terminal."""
        terminal = self.terminal(tid)
        return None if terminal is None else terminal.key

    # -- appointments

    def appointment(self, appt_id: str) -> ServiceAppointment | None:
        row = self._fetchone(f"SELECT {_APPOINTMENT_COLUMNS} FROM appointment WHERE id = ?", (appt_id,))
        return None if row is None else _appointment(row)

    def open_appointments(self, merchant_id: str) -> list[ServiceAppointment]:
        """The merchant's booked and in-progress appointments, earliest first (what LIST_RESP shows)."""
        rows = self._fetchall(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointment WHERE merchant_id = ? AND status IN (?, ?) "
            "ORDER BY scheduled_at, id",
            (merchant_id, int(Status.BOOKED), int(Status.IN_PROGRESS)),
        )
        return [_appointment(row) for row in rows]

    # -- cancellations

    def cancellation(self, tid: str, request_id: str) -> Cancellation | None:
        """The CANCEL_RESP stored for this terminal's REQUEST_ID, if the host ever gave one."""
        row = self._fetchone(
            f"SELECT {_CANCELLATION_COLUMNS} FROM cancellation WHERE tid = ? AND request_id = ?", (tid, request_id)
        )
        return None if row is None else _cancellation(row)

    def cancellations(self) -> list[Cancellation]:
        """Every stored CANCEL_RESP, in the order decided."""
        rows = self._fetchall(f"SELECT {_CANCELLATION_COLUMNS} FROM cancellation ORDER BY decided_at, rowid")
        return [_cancellation(row) for row in rows]

    def cancel_ref_taken(self, cancel_ref: str) -> bool:
        return self._fetchone("SELECT 1 FROM cancellation WHERE cancel_ref = ?", (cancel_ref,)) is not None

    def record(self, cancellation: Cancellation) -> None:
        """Store a CANCEL_RESP; an OK one also marks its appointment cancelled, in the same transaction."""
        with self.transaction():
            self._db.execute(
                f"INSERT INTO cancellation ({_CANCELLATION_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                _cancellation_row(cancellation),
            )
            if cancellation.result is Result.OK:
                self._db.execute(
                    "UPDATE appointment SET status = ? WHERE id = ?", (int(Status.CANCELLED), cancellation.appt_id)
                )

    # -- inside

    def _fetchone(self, sql: str, parameters: tuple = ()) -> tuple | None:
        with self._lock:
            return self._db.execute(sql, parameters).fetchone()

    def _fetchall(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _appointment_row(a: ServiceAppointment) -> tuple:
    return (
        a.appt_id, a.merchant_id, _time(a.scheduled_at), int(a.service), int(a.status), a.address,
        a.late_fee, _time(a.free_until), _time(a.cancel_until),
    )


def _appointment(row: tuple) -> ServiceAppointment:
    appt_id, merchant_id, scheduled_at, service, status, address, late_fee, free_until, cancel_until = row
    return ServiceAppointment(
        appt_id=appt_id,
        merchant_id=merchant_id,
        scheduled_at=datetime.fromisoformat(scheduled_at),
        service=Service(service),
        status=Status(status),
        address=address,
        late_fee=late_fee,
        free_until=datetime.fromisoformat(free_until),
        cancel_until=datetime.fromisoformat(cancel_until),
    )


def _cancellation_row(c: Cancellation) -> tuple:
    return (
        c.tid, c.request_id, c.merchant_id, c.appt_id, int(c.reason), c.fee_accepted, c.operator_id,
        None if c.service is None else int(c.service), int(c.result), c.cancel_ref, c.fee_charged, c.fee,
        c.currency, _time(c.timestamp), c.message, _time(c.decided_at),
    )


def _cancellation(row: tuple) -> Cancellation:
    (tid, request_id, merchant_id, appt_id, reason, fee_accepted, operator_id, service, result, cancel_ref,
     fee_charged, fee, currency, timestamp, message, decided_at) = row
    return Cancellation(
        tid=tid,
        request_id=request_id,
        merchant_id=merchant_id,
        appt_id=appt_id,
        reason=Reason(reason),
        fee_accepted=fee_accepted,
        operator_id=operator_id,
        service=None if service is None else Service(service),
        result=Result(result),
        cancel_ref=cancel_ref,
        fee_charged=fee_charged,
        fee=fee,
        currency=currency,
        timestamp=_parse_time(timestamp),
        message=message,
        decided_at=datetime.fromisoformat(decided_at),
    )
