"""The host's durable state in sqlite: terminals and their keys, appointments, and every CANCEL_RESP it gave.

One connection serves every port thread, guarded by a lock: sqlite allows one writer at a time
anyway, and a single connection lets `transaction()` cover a whole cancel decision (read the
stored response, read the appointment, decide, store the response, mark the appointment) so
that a crash leaves either all of it or none. WAL lets `pos-sim report` read while a host runs.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from protocol.enums import Reason, Result, Service, Status
from protocol.messages import CancelResponse, StatusResponse
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from terminal.sqlite_file import SqliteFile, connect, create_owner_only, record_of, row_of, run_script, use_wal

SCHEMA_VERSION = 1
# PRAGMA application_id marks the file as a host simulator's ("POSH"), so that the terminal's
# journal or another program's database is recognised instead of being written into.
APPLICATION_ID = 0x504F5348
_BUSY_TIMEOUT_S = 5.0
_R = TypeVar("_R")

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
    """The store cannot be opened or read as asked; the message says which file and what to do."""


@dataclass(frozen=True)
class LoadSummary:
    """What loading data did to the store, and what the store holds afterwards."""

    terminals_added: int
    terminals_updated: int
    appointments_added: int
    appointments_updated: int
    kept_cancelled: tuple[str, ...]  # appointments the data books that the host has cancelled
    terminals_held: int
    appointments_held: int


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


class HostStore(SqliteFile):
    """The host's state in the sqlite file at `path`; safe to share between threads.

    `create=False` refuses a file that does not exist yet, or is empty (for `pos-sim report` and
    `pos-sim db`, where a new empty database would only hide a wrong path).
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        if str(path) == ":memory:" or not str(path):
            raise StoreError(
                "the host's store must be a file: every port thread and every restart must see the same "
                "cancellations; pass a path such as host.db"
            )
        path = Path(path)
        if not create and not path.exists():
            raise StoreError(f"{path}: no such database; pass the --db file the host was started with")
        try:
            create_owner_only(path)  # owner-only: the store holds every terminal's MAC key
            db = connect(path, _BUSY_TIMEOUT_S)
        except (sqlite3.Error, OSError) as problem:
            raise _cannot_open(path, problem) from None
        super().__init__(path, db)
        self._terminals: dict[str, Terminal] = {}  # see terminal()
        self._terminals_version: int | None = None
        try:
            self._prepare(create)
        except sqlite3.DatabaseError as problem:
            self._db.close()
            if getattr(problem, "sqlite_errorname", "") == "SQLITE_CANTOPEN":  # sqlite opens the file lazily
                raise _cannot_open(path, problem) from None
            raise StoreError(f"{self.path}: not a host simulator database ({problem}); pass another --db file") from None
        except StoreError:
            self._db.close()
            raise

    def _prepare(self, create: bool) -> None:
        application_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        if application_id == 0:
            if self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise StoreError(f"{self.path}: holds another program's database; pass another --db file")
            if not create:
                raise StoreError(
                    f"{self.path}: is empty, not a database pos-sim host has kept; pass the --db file the host "
                    "was started with"
                )
            with self.transaction():
                run_script(self._db, _SCHEMA)
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
        # A cancellation the host has answered must survive the host's crash, so that a repeated
        # REQUEST_ID after a restart gets the stored answer: a commit handed to the operating
        # system does (synchronous=NORMAL). Waiting for the disk at every answer as well (FULL)
        # cost about 0.15 ms of CPU and 0.6 ms with the store locked, every other line waiting;
        # the simulator's store need not outlive a power cut of the machine it runs on.
        use_wal(self._db, synchronous="NORMAL")

    # -- loading the data file

    def load(self, data: SimulatorData) -> LoadSummary:
        """Add or update the data's terminals and appointments; cancellations stay as they are.

        An appointment the host holds cancelled stays cancelled whatever the file says, so a host
        restarted with the same data keeps what it did (an OK cancellation marks its appointment
        cancelled in the same transaction). One reset to booked by a technician stays booked: the
        cancellations that named it are kept, but no longer hold it. Nothing is ever deleted: the
        host's record of a cancellation must outlive the appointment's entry in the file (`reset`
        is the one way to forget)."""
        with self.transaction():
            self._terminals.clear()  # this connection's own writes leave data_version as it was
            held_tids = {tid for (tid,) in self.read("SELECT tid FROM terminal")}
            held_ids = {appt_id for (appt_id,) in self.read("SELECT id FROM appointment")}
            self._db.executemany(
                "INSERT INTO terminal (tid, merchant_id, key) VALUES (?, ?, ?) "
                "ON CONFLICT (tid) DO UPDATE SET merchant_id = excluded.merchant_id, key = excluded.key",
                [row_of(t) for t in data.terminals],
            )
            self._db.executemany(
                f"INSERT INTO appointment ({_APPOINTMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET merchant_id = excluded.merchant_id, "
                "scheduled_at = excluded.scheduled_at, service = excluded.service, address = excluded.address, "
                "late_fee = excluded.late_fee, free_until = excluded.free_until, "
                "cancel_until = excluded.cancel_until, "
                f"status = CASE WHEN appointment.status = {int(Status.CANCELLED)} THEN {int(Status.CANCELLED)} "
                "ELSE excluded.status END",
                [row_of(a) for a in data.appointments],
            )
            cancelled = {
                appt_id
                for (appt_id,) in self.read("SELECT id FROM appointment WHERE status = ?", (int(Status.CANCELLED),))
            }
            kept_cancelled = tuple(
                a.appt_id for a in data.appointments if a.status is not Status.CANCELLED and a.appt_id in cancelled
            )
            return LoadSummary(
                terminals_added=sum(t.tid not in held_tids for t in data.terminals),
                terminals_updated=sum(t.tid in held_tids for t in data.terminals),
                appointments_added=sum(a.appt_id not in held_ids for a in data.appointments),
                appointments_updated=sum(a.appt_id in held_ids for a in data.appointments),
                kept_cancelled=kept_cancelled,
                terminals_held=len(held_tids | {t.tid for t in data.terminals}),
                appointments_held=len(held_ids | {a.appt_id for a in data.appointments}),
            )

    def reset(self, data: SimulatorData) -> LoadSummary:
        """Forget everything, cancellations included, and hold `data` alone, in one transaction."""
        with self.transaction():
            for table in ("cancellation", "appointment", "terminal"):
                self._db.execute(f"DELETE FROM {table}")
            return self.load(data)

    # -- terminals

    def terminal(self, tid: str) -> Terminal | None:
        """The terminal `tid`, or None. Asked twice an exchange (its key, and whether it serves the
        merchant), so a terminal read is kept until the database changes: by this connection's
        load or reset, or by another program's commit (`pos-sim db reset`), which changes
        sqlite's data_version. Reading that costs half a row's read, with no record to build."""
        with self._lock:
            version = self.read("PRAGMA data_version")[0][0]
            if version != self._terminals_version:
                self._terminals.clear()
                self._terminals_version = version
            known = self._terminals.get(tid)
            if known is not None:
                return known
            row = self._fetchone("SELECT tid, merchant_id, key FROM terminal WHERE tid = ?", (tid,))
            if row is None:
                return None  # not kept: unknown TIDs, whatever a peer sends, must not fill memory
            terminal = self._terminals[tid] = self._record(Terminal, row)
            return terminal

    def terminals(self) -> list[Terminal]:
        return [self._record(Terminal, row) for row in self.read("SELECT tid, merchant_id, key FROM terminal ORDER BY tid")]

    def key_for(self, tid: str) -> bytes | None:
        """The key provisioned for `tid` (HostConnection's key_for), or None for an unknown terminal."""
        terminal = self.terminal(tid)
        return None if terminal is None else terminal.key

    # -- appointments

    def appointment(self, appt_id: str) -> ServiceAppointment | None:
        row = self._fetchone(f"SELECT {_APPOINTMENT_COLUMNS} FROM appointment WHERE id = ?", (appt_id,))
        return None if row is None else self._record(ServiceAppointment, row)

    def appointments(self) -> list[ServiceAppointment]:
        """Every appointment, whatever its merchant and status, earliest first."""
        rows = self.read(f"SELECT {_APPOINTMENT_COLUMNS} FROM appointment ORDER BY scheduled_at, id")
        return [self._record(ServiceAppointment, row) for row in rows]

    def reset_to_booked(self, appt_id: str) -> None:
        """Make one appointment booked again (a technician's console, to cancel it once more)."""
        with self.transaction():
            changed = self._db.execute(
                "UPDATE appointment SET status = ? WHERE id = ?", (int(Status.BOOKED), appt_id)
            ).rowcount
        if not changed:
            raise StoreError(f"{self.path}: holds no appointment {appt_id}; pick one from the list")

    def open_appointments(self, merchant_id: str) -> list[ServiceAppointment]:
        """The merchant's booked and in-progress appointments, earliest first (what LIST_RESP shows)."""
        rows = self.read(
            f"SELECT {_APPOINTMENT_COLUMNS} FROM appointment WHERE merchant_id = ? AND status IN (?, ?) "
            "ORDER BY scheduled_at, id",
            (merchant_id, int(Status.BOOKED), int(Status.IN_PROGRESS)),
        )
        return [self._record(ServiceAppointment, row) for row in rows]

    # -- cancellations

    def cancellation(self, tid: str, request_id: str) -> Cancellation | None:
        """The CANCEL_RESP stored for this terminal's REQUEST_ID, if the host ever gave one."""
        row = self._fetchone(
            f"SELECT {_CANCELLATION_COLUMNS} FROM cancellation WHERE tid = ? AND request_id = ?", (tid, request_id)
        )
        return None if row is None else self._record(Cancellation, row)

    def cancellations(self) -> list[Cancellation]:
        """Every stored CANCEL_RESP, in the order decided."""
        rows = self.read(f"SELECT {_CANCELLATION_COLUMNS} FROM cancellation ORDER BY decided_at, rowid")
        return [self._record(Cancellation, row) for row in rows]

    def cancellations_of(self, appt_id: str) -> list[Cancellation]:
        """The stored CANCEL_RESPs to requests naming `appt_id` (any merchant's), in the order decided."""
        rows = self.read(
            f"SELECT {_CANCELLATION_COLUMNS} FROM cancellation WHERE appt_id = ? ORDER BY decided_at, rowid", (appt_id,)
        )
        return [self._record(Cancellation, row) for row in rows]

    def cancel_ref_taken(self, cancel_ref: str) -> bool:
        return self._fetchone("SELECT 1 FROM cancellation WHERE cancel_ref = ?", (cancel_ref,)) is not None

    def record(self, cancellation: Cancellation) -> None:
        """Store a CANCEL_RESP; an OK one also marks its appointment cancelled, in the same transaction."""
        with self.transaction():
            self._db.execute(
                f"INSERT INTO cancellation ({_CANCELLATION_COLUMNS}) VALUES ({', '.join('?' * 16)})",
                row_of(cancellation),
            )
            if cancellation.result is Result.OK:
                self._db.execute(
                    "UPDATE appointment SET status = ? WHERE id = ?", (int(Status.CANCELLED), cancellation.appt_id)
                )

    # -- inside

    def _fetchone(self, sql: str, parameters: tuple = ()) -> tuple | None:
        rows = self.read(sql, parameters)
        return rows[0] if rows else None

    def _record(self, kind: type[_R], row: tuple) -> _R:
        try:
            return record_of(kind, row)
        except (ValueError, TypeError) as problem:
            raise StoreError(
                f"{self.path}: a row of its {_TABLES[kind]} table is damaged ({problem}); the file was changed outside "
                "pos-sim: restore a copy, or start the host on a new --db file"
            ) from None

    def _fault(self, doing: str, exc: BaseException) -> BaseException:
        return StoreError(
            f"{self.path}: cannot {doing} the database ({exc}); if it is damaged, restore a copy or start the host "
            "on a new --db file"
        )


_TABLES = {Terminal: "terminal", ServiceAppointment: "appointment", Cancellation: "cancellation"}


def _cannot_open(path: Path, problem: BaseException) -> StoreError:
    return StoreError(f"{path}: cannot open the database ({problem}); check the path and its permissions")
