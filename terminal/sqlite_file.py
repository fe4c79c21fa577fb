"""One sqlite database file that a program keeps: created readable by its owner only, every commit
durable when it returns (on disk, or safe from the program's own crash where the program says so), one connection shared by the program's threads, and what sqlite's faults
mean. The terminal's journal and the host simulator's store are both kept this way.

Only the standard library is imported here: the simulator builds on this module too.
"""

from __future__ import annotations

import dataclasses
import enum
import errno
import operator
import os
import sqlite3
import threading
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

_T = TypeVar("_T")


def create_owner_only(path: Path) -> bool:
    """Create `path` empty and readable by its owner only (sqlite gives the -wal and -shm files
    it makes the same mode). False when it already existed. O_EXCL: an existing database is never
    opened here, since closing any descriptor of it would drop every POSIX lock this process holds
    on it, sqlite's own included (another connection's, on another thread)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return False
    return True


def restrict_to_owner(path: Path) -> None:
    """Take group and others' access away from the database at `path` and its -wal and -shm files."""
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = part.stat().st_mode
            if mode & 0o077:
                part.chmod(mode & 0o700)
        except OSError:
            pass  # not there, or not ours to change: sqlite says so if it matters


def connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """A connection to the file at `path` that any thread may use (callers hold a lock), waiting
    up to `busy_timeout_s` for another program's write. isolation_level=None: transactions are
    opened explicitly (BEGIN IMMEDIATE), so that a read-then-write cannot interleave with another
    connection's."""
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s)


def use_wal(db: sqlite3.Connection, *, synchronous: str = "FULL") -> str:
    """Write-ahead logging, so that readers in other processes never wait for a writer. With
    synchronous=FULL (the default) a commit is on disk when it returns: what was stored survives
    a power cut right after. With "NORMAL" a commit is in the operating system's hands when it
    returns, with no wait for the disk: it survives the program's crash (killed, say) but the
    last commits may be lost to a power cut or a crash of the machine itself; the file stays
    consistent either way. Returns the journal mode sqlite answered ("wal" unless it refused, as
    it does on some network file systems)."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    mode = str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0])
    db.execute(f"PRAGMA synchronous={synchronous}")
    return mode


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Each statement of `script` in turn, inside the caller's transaction (executescript would
    commit it first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction: committed when the block ends, rolled back when it raises.
    IMMEDIATE takes the write lock at once, so what the block decides on what it read cannot be
    overtaken by another connection's write before it is stored."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # after some faults (a full disk) sqlite has rolled back already
            db.execute("ROLLBACK")
        raise


_ERRNO_WORDS = {
    errno.ENOSPC: "full", errno.EFBIG: "full", errno.EDQUOT: "full", errno.EACCES: "permission",
    errno.EPERM: "permission", errno.EROFS: "read-only", errno.EIO: "ioerr", errno.ENOLCK: "locked",
}


def fault_words(exc: BaseException) -> str:
    """Words that say what went wrong, to match a table of causes against ("locked", "full",
    "ioerr", "permission", "malformed", ...): an OSError's code where it has one (its text holds
    the file's name, which may say "locked" or "full" itself), else sqlite's error name and text."""
    if isinstance(exc, OSError):
        return _ERRNO_WORDS.get(exc.errno or 0, "")
    name = getattr(exc, "sqlite_errorname", None)  # SQLITE_BUSY, SQLITE_IOERR_WRITE, ...
    if name:
        return name.removeprefix("SQLITE_").lower().replace("_", " ") + " " + str(exc).lower()
    return str(exc).lower()


# -- records: a dataclass's fields are a row's cells, in order ------------------------------------


def to_cell(value: object) -> object:
    """How a value is stored: a time as ISO text, an enum as its value, anything else as it is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def time_from_cell(cell: str | None) -> datetime | None:
    return None if cell is None else datetime.fromisoformat(cell)


# Values stored as they are: to_cell is asked only about the others.
_PLAIN = frozenset({str, int, float, bytes, type(None)})


def row_of(record: Any) -> tuple:
    """The cells that store a dataclass record, one a field, in the fields' order."""
    return tuple([value if type(value) in _PLAIN else to_cell(value) for value in _values_of(type(record))(record)])


_R = TypeVar("_R")


def record_of(kind: type[_R], row: tuple) -> _R:
    """The record of dataclass `kind` that `row` holds; ValueError or TypeError when a cell is not
    what its field takes (a damaged file can hold anything, an empty cell where a value is
    required too)."""
    values = {}
    for (name, field_kind, read, optional), cell in zip(_field_kinds(kind), row):
        if cell is None:
            if not optional:
                raise ValueError(f"{name} is empty")
            values[name] = None
        elif read is not None:
            values[name] = read(cell)
        elif isinstance(cell, field_kind):
            values[name] = cell
        else:
            raise ValueError(f"{name} holds {cell!r}")
    return kind(**values)


@cache
def _values_of(kind: type) -> Callable[[Any], tuple]:
    """A function that gives a record's field values, in the fields' order, as a tuple."""
    names = [field.name for field in dataclasses.fields(kind)]
    getter = operator.attrgetter(*names)
    return getter if len(names) > 1 else lambda record: (getter(record),)


@cache
def _field_kinds(kind: type) -> tuple[tuple[str, type, Callable[[Any], object] | None, bool], ...]:
    """Each field's name, the type it holds, what reads it from its cell (None: the cell is the
    value, if it is of that type) and whether it may be None; from the annotations."""
    hints = typing.get_type_hints(kind)
    kinds = []
    for field in dataclasses.fields(kind):
        hint = hints[field.name]
        args = typing.get_args(hint)
        held = ([arg for arg in args if arg is not type(None)] or [hint])[0]
        read = datetime.fromisoformat if held is datetime else held if issubclass(held, enum.Enum) else None
        kinds.append((field.name, held, read, type(None) in args))
    return tuple(kinds)


# -- the open file ---------------------------------------------------------------------------------


class SqliteFile:
    """An open database file: one connection, shared by the process's threads behind one lock.

    A subclass opens the connection (create_owner_only, connect, use_wal, its own schema) and
    says through `_fault` what a failing read or write means to its users."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db
        self._lock = threading.RLock()
        self._in_transaction = False
        self._closed = False

    def _fault(self, doing: str, exc: BaseException) -> BaseException:
        """What a failing read or write raises; `doing` is "read" or "write to". sqlite's own
        error unless a subclass tells its users more."""
        return exc

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._fault("read", exc) from None

    @contextmanager
    def transaction(self) -> Iterator[Self]:
        """Everything done inside commits together, before the block ends, or not at all; other
        threads wait meanwhile. A transaction opened inside another joins it."""
        with self._lock:
            if self._in_transaction:
                yield self
                return
            self._in_transaction = True
            try:
                with immediate(self._db):
                    yield self
            except (sqlite3.Error, OSError) as exc:
                raise self._fault("write to", exc) from None
            finally:
                self._in_transaction = False

    def write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """work(connection) in one transaction; its result once committed."""
        with self.transaction():
            return work(self._db)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
