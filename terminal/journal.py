"""The terminal's durable record: every cancellation attempt and the request counters. Its file also
holds the supervisor PIN's lockout, which terminal.pin_lockout keeps."""

from __future__ import annotations

import dataclasses
import enum
import fcntl
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from protocol.enums import MAX_SEQ, Reason, Result, Service
from protocol.messages import CancelAnswer
from terminal.pin_lockout import SCHEMA as _PIN_LOCKOUT_SCHEMA
from terminal.sqlite_file import (
    SqliteFile,
    connect,
    create_owner_only,
    fault_words,
    immediate,
    record_of,
    restrict_to_owner,
    row_of,
    run_script,
    to_cell,
    use_wal,
)

SCHEMA_VERSION = 2  # 2: the journal's instance code, part of every REQUEST_ID it gives
# PRAGMA application_id marks the file as ours ("POSJ"), so that another program's sqlite
# database is recognised as such instead of being written into.
APPLICATION_ID = 0x504F534A
_BUSY_TIMEOUT_MS = 5000


class JournalError(Exception):
    """The journal cannot be used as asked; the message says which file and what to do."""


class JournalInUseError(JournalError):
    """Another process has this journal open: one process at a time writes a journal."""


# What sqlite's complaint means for the person at the terminal, and what they can safely do.
# None of the remedies moves, empties or deletes a journal: it holds the vouchers.
_KEEP_IT = (
    "Keep the file (it holds the vouchers) and send a copy to the provider's support; to go on "
    "meanwhile, set [journal] path to a new file."
)
_SQLITE_FAULTS = (
    (("locked", "busy"), "another program holds it (sqlite: database is locked)",
     "Close the other program (a second pos-terminal, a database browser, a backup tool), then try again."),
    (("full",), "the disk is full or the file may not grow (sqlite: {exc})",
     "Free space on the disk (or raise the file size limit), then try again."),
    (("ioerr", "disk i/o"), "the disk did not take a read or write (sqlite: {exc})",
     "Check that the disk or card is in place and has free space; a disk that keeps failing must "
     "be replaced. " + _KEEP_IT),
    (("readonly", "read-only", "unable to open", "permission"),
     "the file or its folder is not writable (sqlite: {exc})",
     "Make the folder and the file writable for this user: sqlite also writes FILE-wal and FILE-shm "
     "beside it. Then try again."),
    (("malformed", "corrupt"), "the file is damaged (sqlite: {exc})", _KEEP_IT),
    (("not a database", "encrypted"), "it is not a terminal journal, nor any sqlite database (sqlite: {exc})",
     "Set [journal] path to the journal's own file. If this file was the journal, it is damaged: " + _KEEP_IT),
)


def journal_fault(path: Path, doing: str, exc: BaseException) -> JournalError:
    """The one way a failing journal is reported: the file, what was being done, the cause, and
    a remedy that loses nothing."""
    text = str(exc)
    for words, cause, remedy in _SQLITE_FAULTS:
        if any(word in fault_words(exc) for word in words):
            return JournalError(f"{path}: cannot {doing}: {cause.format(exc=text)}. {remedy}")
    return JournalError(
        f"{path}: cannot {doing} (sqlite: {text}). Check the disk and the file's permissions, then "
        "try again; keep the file, it holds the vouchers."
    )


class AttemptSettledError(JournalError):
    """A settled attempt (CANCELLED or REFUSED) never changes."""


class AppointmentUnsettledError(JournalError):
    """An earlier attempt for this appointment has no known outcome yet (docs/protocol.md §7)."""

    def __init__(self, message: str, pending: Attempt) -> None:
        super().__init__(message)
        self.pending = pending


class AttemptState(enum.Enum):
    PENDING = "pending"  # recorded; the request may have left
    UNKNOWN = "unknown"  # sent, no valid answer yet: to be settled with STATUS_REQ
    CANCELLED = "cancelled"
    REFUSED = "refused"

    @property
    def settled(self) -> bool:
        return self in (AttemptState.CANCELLED, AttemptState.REFUSED)


@dataclass(frozen=True)
class Attempt:
    """One cancellation the terminal attempted, as the journal holds it."""

    request_id: str
    appt_id: str
    merchant_id: str
    tid: str
    operator_id: str
    reason: Reason
    fee_accepted: int  # fen
    created_at: datetime
    # The appointment as the merchant saw it when confirming: the voucher shows this. None when
    # the cancellation named an appointment the host's list did not show (the CLI allows that).
    scheduled_at: datetime | None
    service: Service | None
    address: str | None
    state: AttemptState
    result: Result | None = None
    cancel_ref: str | None = None
    fee_charged: int | None = None  # fen
    currency: str | None = None
    host_time: datetime | None = None
    refused_fee: int | None = None  # the current fee a FEE_CHANGED refusal carried
    host_message: str | None = None
    settled_at: datetime | None = None
    send_count: int = 0  # how many times the CANCEL_REQ was sent

    @property
    def settled(self) -> bool:
        return self.state.settled


_SCHEMA = """
CREATE TABLE attempt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,  -- insertion order, immune to clock changes
    request_id    TEXT NOT NULL UNIQUE,
    appt_id       TEXT NOT NULL,
    merchant_id   TEXT NOT NULL,
    tid           TEXT NOT NULL,
    operator_id   TEXT NOT NULL,
    reason        INTEGER NOT NULL,
    fee_accepted  INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    scheduled_at  TEXT,
    service       INTEGER,
    address       TEXT,
    state         TEXT NOT NULL,
    result        INTEGER,
    cancel_ref    TEXT,
    fee_charged   INTEGER,
    currency      TEXT,
    host_time     TEXT,
    refused_fee   INTEGER,
    host_message  TEXT,
    settled_at    TEXT,
    send_count    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attempt_cancel_ref ON attempt (cancel_ref);
CREATE INDEX attempt_appt_state ON attempt (appt_id, state);
CREATE TABLE counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
""" + _PIN_LOCKOUT_SCHEMA  # the supervisor PIN's lockout, kept in the journal's file
# Version 2 adds the journal's instance code. A new journal is made at version 1 and migrated, so
# that every journal, new or old, takes the same path to the current version.
_SCHEMA_2 = """
CREATE TABLE instance (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    code  TEXT NOT NULL
);
"""

# The attempt table's columns are the Attempt's fields, in order (a test holds the schema to it),
# stored and read by sqlite_file's row_of and record_of.
_FIELDS = tuple(field.name for field in dataclasses.fields(Attempt))
_COLUMNS = ", ".join(_FIELDS)
_UNSETTLED = (AttemptState.PENDING.value, AttemptState.UNKNOWN.value)
SEQ_BLOCK = 64
# Base32 without the letters and digits people confuse (0/O, 1/I/L): read off a voucher by phone.
_INSTANCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_INSTANCE_LENGTH = 6  # 31**6: about 10**9 codes, so two journals of one TID practically never share one


def new_instance_code() -> str:
    return "".join(secrets.choice(_INSTANCE_ALPHABET) for _ in range(_INSTANCE_LENGTH))


def request_id_for(tid: str, instance: str, number: int) -> str:
    """A REQUEST_ID: the TID, this journal's instance code and its counter (at most 24 of the
    protocol's 32 characters). The instance code keeps a replaced or second journal of the same
    TID from giving an ID the host has already answered (docs/protocol.md §3: unique per
    terminal for every cancellation it attempts)."""
    return f"{tid.strip()}-{instance}-{number:08d}"


def _seq_after(seq: int, step: int) -> int:
    """`step` SEQs on from `seq` in 1..65535 (0 is never used)."""
    return (seq - 1 + step) % MAX_SEQ + 1


def _attempt(row: tuple, path: Path) -> Attempt:
    try:
        return record_of(Attempt, row)
    except (ValueError, TypeError) as exc:
        raise JournalError(
            f"{path}: cannot read the journal: cancellation {row[0]!r} is damaged ({exc}). "
            + _KEEP_IT
        ) from None


class _ProcessHold:
    """This process's claim on a journal: an exclusive lock on FILE.lock, shared by every Journal
    object of the process (the app's and its workers'), refused to any other process.

    Two processes on one journal would settle the same attempt twice, each against the other's
    writes; the second is told who holds it instead."""

    _held: dict[Path, _ProcessHold] = {}
    _guard = threading.Lock()

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self._users = 0

    @classmethod
    def take(cls, journal: Path) -> _ProcessHold:
        lock_path = Path(f"{journal.resolve()}.lock")
        with cls._guard:
            hold = cls._held.get(lock_path)
            if hold is None:
                hold = cls._held[lock_path] = cls(lock_path, cls._lock(journal, lock_path))
            hold._users += 1
            return hold

    @staticmethod
    def _lock(journal: Path, lock_path: Path) -> int:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise journal_fault(journal, "open the journal", exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise JournalInUseError(
                f"{journal}: the journal is in use by another pos-terminal process"
                + (f" (pid {holder})" if holder.isdigit() else "")
                + ". One process at a time keeps a journal: wait for that one to finish, or close "
                "it, then try again."
            ) from None
        except OSError as exc:  # no locks on this file system (ENOLCK), ...
            os.close(fd)
            raise journal_fault(journal, "open the journal", exc) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        except OSError as exc:  # a full disk: closing the descriptor gives the lock up again
            os.close(fd)
            raise journal_fault(journal, "open the journal", exc) from None
        return fd

    def release(self) -> None:
        with self._guard:
            self._users -= 1
            if self._users == 0:
                del self._held[self.path]
                os.close(self._fd)  # closing the only descriptor drops the lock


class Journal(SqliteFile):
    """One open journal file. Safe to share between the UI thread and one worker thread."""

    def __init__(
        self, path: Path | str, *, busy_timeout_s: float = _BUSY_TIMEOUT_MS / 1000,
        new_instance: Callable[[], str] = new_instance_code,
    ) -> None:
        """`new_instance` makes the instance code of a journal created (or migrated) now; tests
        pass a fixed one to get the same REQUEST_IDs every run."""
        path = Path(path)
        self._new_instance = new_instance
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError(
                f"{path}: cannot create its folder ({exc.strerror}). "
                "Set [journal] path to a writable place."
            ) from None
        self._seq_lock = threading.Lock()
        self._seq_next = 0
        self._seq_left = 0  # SEQs still reserved for this process
        self._hold = _ProcessHold.take(path)
        try:
            super().__init__(path, self._connect(path, busy_timeout_s))
            try:
                self._prepare()
            except BaseException:
                self._db.close()
                raise
        except sqlite3.Error as exc:
            self._hold.release()
            raise journal_fault(path, "open the journal", exc) from None
        except BaseException:
            self._hold.release()
            raise

    @staticmethod
    def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
        if not create_owner_only(path):  # owner-only: it holds the terminal's cancellations
            # Empty, with nothing waiting in the write-ahead log either: not a journal sqlite made.
            wal = Path(f"{path}-wal")
            if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size):
                raise JournalError(
                    f"{path}: the journal file is empty (0 bytes): it was cut short, or made by "
                    "hand. If this terminal has recorded cancellations, restore the journal from its "
                    "backup; if the file was made by hand, remove it and the terminal starts a new "
                    "journal there."
                )
            restrict_to_owner(path)  # an earlier release made the journal 0644
        return connect(path, busy_timeout_s)

    @classmethod
    def open(cls, path: Path | str, **options: Any) -> Journal:
        """Open the journal at `path`, creating it (and its folders) if need be; `options` as for
        the constructor (busy_timeout_s: how long a write waits for another program)."""
        return cls(path, **options)

    def close(self) -> None:
        with self._lock:
            if not self.closed:  # the process's hold on the file is counted once per Journal
                super().close()
                self._hold.release()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    def _fault(self, doing: str, exc: BaseException) -> BaseException:
        return journal_fault(self.path, f"{doing} the journal", exc)

    # -- schema -----------------------------------------------------------------------------

    def _prepare(self) -> None:
        db = self._db
        # A request recorded before sending must survive a power cut right after.
        mode = use_wal(db)
        if mode.lower() != "wal":
            raise JournalError(f"{self.path}: sqlite refused WAL mode ({mode}). Put the journal on a local disk.")
        with immediate(db):
            version = db.execute("PRAGMA user_version").fetchone()[0]
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if version == 0 and app_id == 0 and tables == 0:
                run_script(db, _SCHEMA)
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                version = 1
            elif app_id != APPLICATION_ID:
                raise JournalError(
                    f"{self.path} is a database of some other program, not a terminal journal. "
                    "Set [journal] path to the journal's own file (the file is left as it is)."
                )
            elif version > SCHEMA_VERSION:
                raise JournalError(
                    f"{self.path} was written by a newer version of the terminal software "
                    f"(journal version {version}, this one knows {SCHEMA_VERSION}). "
                    "Update the software; do not delete the journal, it holds the vouchers."
                )
            if version == 1:
                # A journal of an earlier release: its REQUEST_IDs (TID + counter) stay as they
                # are; the IDs it gives from now on carry an instance code of its own.
                run_script(db, _SCHEMA_2)
                db.execute("INSERT INTO instance (id, code) VALUES (1, ?)", (self._new_instance(),))
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            # Later schema versions add their migrations here, one step at a time.
            self.instance = db.execute("SELECT code FROM instance WHERE id = 1").fetchone()[0]

    # -- counters ---------------------------------------------------------------------------

    @staticmethod
    def _bump(db: sqlite3.Connection, name: str, step: Callable[[int | None], int]) -> int:
        row = db.execute("SELECT value FROM counter WHERE name = ?", (name,)).fetchone()
        value = step(None if row is None else row[0])
        db.execute(
            "INSERT INTO counter (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )
        return value

    def next_request_id(self, tid: str) -> str:
        """A new REQUEST_ID (request_id_for): never repeats in this journal, across restarts."""
        number = self.write(lambda db: self._bump(db, "request_id", lambda v: (v or 0) + 1))
        return request_id_for(tid, self.instance, number)

    def next_seq(self) -> int:
        """The SEQ for a new request: 1..65535, then 1 again; never 0 (docs/protocol.md §3).

        SEQs are reserved SEQ_BLOCK at a time: the journal records the last SEQ of the block, so
        a restart continues after every SEQ used before it, at one synced write per block rather
        than one per request (each costs a few milliseconds of the exchange)."""
        with self._seq_lock:
            if not self._seq_left:
                last = self.write(
                    lambda db: self._bump(db, "seq", lambda v: _seq_after(v or 0, SEQ_BLOCK))
                )
                self._seq_next = _seq_after(last, 1 - SEQ_BLOCK)
                self._seq_left = SEQ_BLOCK
            seq = self._seq_next
            self._seq_next = _seq_after(seq, 1)
            self._seq_left -= 1
            return seq

    # -- attempts ---------------------------------------------------------------------------

    def record_attempt(
        self,
        *,
        request_id: str | None = None,
        appt_id: str,
        merchant_id: str,
        tid: str,
        operator_id: str,
        reason: Reason,
        fee_accepted: int,
        created_at: datetime,
        scheduled_at: datetime | None,
        service: Service | None,
        address: str | None,
        sending: bool = False,
    ) -> Attempt:
        """Record a cancellation before its request leaves; on disk when this returns.

        Without a request_id one is taken from the counter in the same transaction. `sending`
        counts the first send in the same write, for a caller about to send it: one synced write
        on the way out instead of three."""

        def insert(db: sqlite3.Connection) -> Attempt:
            open_row = db.execute(
                f"SELECT {_COLUMNS} FROM attempt WHERE appt_id = ? AND state IN (?, ?) ORDER BY id LIMIT 1",
                (appt_id, *_UNSETTLED),
            ).fetchone()
            if open_row is not None:
                pending = _attempt(open_row, self.path)
                # A second request id for an appointment whose first outcome is unknown could
                # cancel twice or charge twice: settle the first one instead.
                raise AppointmentUnsettledError(
                    f"appointment {appt_id} already has cancellation {pending.request_id} whose "
                    "outcome is not yet known; settle it (STATUS_REQ) before trying again.",
                    pending,
                )
            number = request_id or request_id_for(
                tid, self.instance, self._bump(db, "request_id", lambda v: (v or 0) + 1)
            )
            attempt = Attempt(
                request_id=number,
                appt_id=appt_id,
                merchant_id=merchant_id,
                tid=tid,
                operator_id=operator_id,
                reason=Reason(reason),
                fee_accepted=fee_accepted,
                created_at=created_at,
                scheduled_at=scheduled_at,
                service=None if service is None else Service(service),
                address=address,
                state=AttemptState.PENDING,
                send_count=1 if sending else 0,
            )
            try:
                db.execute(
                    f"INSERT INTO attempt ({_COLUMNS}) VALUES ({', '.join('?' * len(_FIELDS))})",
                    row_of(attempt),
                )
            except sqlite3.IntegrityError:
                raise JournalError(
                    f"request id {number} is already in {self.path}; take a new one from "
                    "next_request_id()."
                ) from None
            return attempt

        return self.write(insert)

    def _change(self, request_id: str, allowed: tuple[AttemptState, ...], sql: str, params: tuple) -> None:
        def change(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT state FROM attempt WHERE request_id = ?", (request_id,)).fetchone()
            if row is None:
                raise JournalError(f"{self.path} has no cancellation with request id {request_id}.")
            state = AttemptState(row[0])
            if state not in allowed:
                raise AttemptSettledError(
                    f"cancellation {request_id} is already settled as {state.name}; "
                    "a settled cancellation never changes."
                )
            db.execute(f"UPDATE attempt SET {sql} WHERE request_id = ?", (*params, request_id))

        self.write(change)

    _OPEN = (AttemptState.PENDING, AttemptState.UNKNOWN)

    def mark_sent(self, request_id: str) -> None:
        """The CANCEL_REQ left once more."""
        self._change(request_id, self._OPEN, "send_count = send_count + 1", ())

    def mark_unknown(self, request_id: str) -> None:
        """Sent, but no valid answer: the outcome has to be settled with STATUS_REQ."""
        self._change(request_id, self._OPEN, "state = ?", (AttemptState.UNKNOWN.value,))

    def mark_cancelled(
        self,
        request_id: str,
        cancel_ref: str,
        fee_charged: int,
        currency: str,
        host_time: datetime,
        settled_at: datetime,
        message: str | None = None,
    ) -> None:
        self._change(
            request_id,
            self._OPEN,
            "state = ?, result = ?, cancel_ref = ?, fee_charged = ?, currency = ?, host_time = ?, "
            "host_message = ?, settled_at = ?",
            (
                AttemptState.CANCELLED.value, int(Result.OK), cancel_ref, fee_charged, currency,
                to_cell(host_time), message, to_cell(settled_at),
            ),
        )

    def mark_refused(
        self,
        request_id: str,
        result: Result,
        settled_at: datetime,
        fee: int | None = None,
        message: str | None = None,
    ) -> None:
        """The host did not cancel: `result` says why; `fee` is FEE_CHANGED's current fee."""
        result = Result(result)
        if result is Result.OK:
            raise ValueError("a refusal cannot have RESULT OK; use mark_cancelled")
        self._change(
            request_id,
            self._OPEN,
            "state = ?, result = ?, refused_fee = ?, host_message = ?, settled_at = ?",
            (AttemptState.REFUSED.value, int(result), fee, message, to_cell(settled_at)),
        )

    def record_answer(self, request_id: str, answer: CancelAnswer, settled_at: datetime) -> None:
        """What the host answered to the cancellation (CANCEL_RESP, or STATUS_RESP for it)."""
        if answer.result is Result.OK:
            self.mark_cancelled(
                request_id, answer.cancel_ref, answer.fee_charged, answer.currency,  # type: ignore[arg-type]
                answer.timestamp, settled_at, answer.message,  # type: ignore[arg-type]
            )
        else:
            self.mark_refused(request_id, answer.result, settled_at, fee=answer.fee, message=answer.message)

    def get(self, request_id: str) -> Attempt | None:
        rows = self.read(f"SELECT {_COLUMNS} FROM attempt WHERE request_id = ?", (request_id,))
        return _attempt(rows[0], self.path) if rows else None

    def find_by_cancel_ref(self, cancel_ref: str) -> Attempt | None:
        rows = self.read(
            f"SELECT {_COLUMNS} FROM attempt WHERE cancel_ref = ? ORDER BY id DESC LIMIT 1", (cancel_ref,)
        )
        return _attempt(rows[0], self.path) if rows else None

    def unsettled(self) -> list[Attempt]:
        """PENDING and UNKNOWN attempts, oldest first: what must be settled at start-up."""
        rows = self.read(f"SELECT {_COLUMNS} FROM attempt WHERE state IN (?, ?) ORDER BY id", _UNSETTLED)
        return [_attempt(row, self.path) for row in rows]

    def unsettled_for_appointment(self, appt_id: str) -> Attempt | None:
        rows = self.read(
            f"SELECT {_COLUMNS} FROM attempt WHERE appt_id = ? AND state IN (?, ?) ORDER BY id LIMIT 1",
            (appt_id, *_UNSETTLED),
        )
        return _attempt(rows[0], self.path) if rows else None

    def cancelled_for_appointment(self, appt_id: str) -> Attempt | None:
        """This terminal's confirmed cancellation of the appointment, if it has one."""
        rows = self.read(
            f"SELECT {_COLUMNS} FROM attempt WHERE appt_id = ? AND state = ? ORDER BY id DESC LIMIT 1",
            (appt_id, AttemptState.CANCELLED.value),
        )
        return _attempt(rows[0], self.path) if rows else None

    def last_attempt_number(self) -> int:
        """A mark: attempts_after(mark) are those recorded since it was taken."""
        return self.read("SELECT coalesce(max(id), 0) FROM attempt")[0][0]

    def attempts_after(self, mark: int) -> list[Attempt]:
        rows = self.read(f"SELECT {_COLUMNS} FROM attempt WHERE id > ? ORDER BY id", (mark,))
        return [_attempt(row, self.path) for row in rows]

    def history(self, limit: int = 50, offset: int = 0) -> list[Attempt]:
        """Attempts newest first, a page at a time."""
        rows = self.read(
            f"SELECT {_COLUMNS} FROM attempt ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )
        return [_attempt(row, self.path) for row in rows]

    def count(self) -> int:
        return self.read("SELECT count(*) FROM attempt")[0][0]
