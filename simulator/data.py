"""The simulator's data: terminals and appointments read from a data file (docs/host-data.md), or the built-in demo.

A malformed file is refused whole, with a DataError that names the file, the entry, the key, what is
wrong and what to write instead: the person running the simulator should be able to mend the file
from the message alone.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from protocol.enums import Result, Service, Status
from protocol.fields import is_printable_ascii

LOCAL_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_TIME_EXAMPLE = '"2026-11-28T10:00:00"'
_MAX_FEE = 0xFFFFFFFF  # FEE is a u32 on the wire
_MAX_ADDRESS_BYTES = 120

# The demo's terminal is the one the protocol's test vectors are computed for.
DEMO_TID = "TEST0001"
DEMO_MERCHANT_ID = "898440358120001"
DEMO_KEY = bytes(range(32))


class DataError(Exception):
    """The data file cannot be served; the message says where and how to mend it."""


@dataclass(frozen=True)
class Terminal:
    tid: str
    merchant_id: str
    # Kept out of repr so a key can never reach a log line or a trace by way of a printed record.
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class ServiceAppointment:
    """A visit booked with the provider, as the host holds it."""

    appt_id: str
    merchant_id: str
    scheduled_at: datetime
    service: Service
    status: Status
    address: str
    late_fee: int  # fen, charged when cancelled after free_until
    free_until: datetime  # last moment a cancellation is free
    cancel_until: datetime  # last moment a cancellation is accepted at all

    def fee_at(self, now: datetime) -> int:
        """What cancelling costs at `now` (docs/protocol.md §4): free up to and including free_until."""
        return 0 if now <= self.free_until else self.late_fee

    def refusal_at(self, now: datetime) -> Result | None:
        """Why a cancellation at `now` is refused whatever fee the merchant accepts, or None when it is possible."""
        if self.status is Status.CANCELLED:
            return Result.ALREADY_CANCELLED
        if self.status is not Status.BOOKED or now > self.cancel_until:
            return Result.TOO_LATE
        return None


@dataclass(frozen=True)
class SimulatorData:
    terminals: tuple[Terminal, ...]
    appointments: tuple[ServiceAppointment, ...]
    source: str  # the file it came from, or a description of the built-in demo


# -- reading a data file --------------------------------------------------------------------------

_TERMINAL_KEYS = ("tid", "merchant_id", "key")
_APPOINTMENT_KEYS = (
    "id",
    "merchant_id",
    "scheduled_at",
    "service",
    "status",
    "address",
    "late_fee",
    "free_until",
    "cancel_until",
)


def load_data(path: str | Path) -> SimulatorData:
    """Read and check a simulator data file; DataError when it cannot be served as written."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; pass the path of a simulator data file (TOML)") from None
    except UnicodeDecodeError as problem:
        raise DataError(f"{path}: not UTF-8 text ({problem.reason} at byte {problem.start}); save it as UTF-8") from None
    except OSError as problem:
        raise DataError(f"{path}: cannot be read ({problem.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        # tomllib's message carries "(at line L, column C)".
        raise DataError(f"{path}: not valid TOML: {problem}") from None
    return _FileReader(path, text).read(document)


class _FileReader:
    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._header_lines: dict[str, list[int]] = {}

    def read(self, document: dict[str, Any]) -> SimulatorData:
        unknown = sorted(set(document) - {"terminal", "appointment"})
        if unknown:
            self.fail(
                f"unknown table {unknown[0]!r}; a data file holds only [[terminal]] and [[appointment]] entries"
            )
        terminal_entries = self.entries(document, "terminal")
        if not terminal_entries:
            self.fail(
                "no [[terminal]] entry: the host would refuse every request as UNKNOWN_TERMINAL; add one with "
                'tid = "TEST0001", merchant_id = "898440358120001" and key = "<64 hex digits>"'
            )
        terminals = tuple(self.terminal(number, entry) for number, entry in enumerate(terminal_entries, 1))
        appointments = tuple(
            self.appointment(number, entry)
            for number, entry in enumerate(self.entries(document, "appointment"), 1)
        )
        self.refuse_repeats("terminal", [t.tid for t in terminals], "tid")
        self.refuse_repeats("appointment", [a.appt_id for a in appointments], "id")
        return SimulatorData(terminals, appointments, str(self.path))

    def entries(self, document: dict[str, Any], table: str) -> list[dict[str, Any]]:
        entries = document.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            self.fail(f"'{table}' must be an array of tables; write each entry under its own [[{table}]] header")
        return entries

    def terminal(self, number: int, entry: dict[str, Any]) -> Terminal:
        where = self.where("terminal", number, entry.get("tid"))
        self.check_keys(where, entry, _TERMINAL_KEYS)
        tid = self.text_of(where, entry, "tid")
        if not (1 <= len(tid) <= 8 and tid.isascii() and is_printable_ascii(tid.encode()) and tid == tid.strip()):
            self.fail(f"{where}: 'tid' {tid!r} is not a terminal id; write 1 to 8 printable ASCII characters, e.g. \"TEST0001\"")
        merchant_id = self.merchant_id_of(where, entry)
        key_text = self.text_of(where, entry, "key")
        if not re.fullmatch(r"[0-9a-fA-F]{64}", key_text):
            # The value itself is a secret (or nearly one): describe it, never echo it.
            self.fail(
                f"{where}: 'key' must be 64 hex digits (32 bytes), got {len(key_text)} characters"
                f"{'' if re.fullmatch(r'[0-9a-fA-F]*', key_text) else ' with some that are not hex digits'}; "
                "write the terminal's key as 64 characters from 0-9 and a-f"
            )
        return Terminal(tid, merchant_id, bytes.fromhex(key_text))

    def appointment(self, number: int, entry: dict[str, Any]) -> ServiceAppointment:
        where = self.where("appointment", number, entry.get("id"))
        self.check_keys(where, entry, _APPOINTMENT_KEYS)
        appt_id = self.text_of(where, entry, "id")
        if not (1 <= len(appt_id) <= 20 and appt_id.isascii() and is_printable_ascii(appt_id.encode())):
            self.fail(
                f"{where}: 'id' {appt_id!r} is not an appointment id; write 1 to 20 printable ASCII characters, "
                'e.g. "A20261128001"'
            )
        address = self.text_of(where, entry, "address")
        if len(address.encode("utf-8")) > _MAX_ADDRESS_BYTES:
            self.fail(
                f"{where}: 'address' is {len(address.encode('utf-8'))} bytes in UTF-8, more than the "
                f"{_MAX_ADDRESS_BYTES} the protocol carries; shorten it (a Chinese character takes 3 bytes)"
            )
        appointment = ServiceAppointment(
            appt_id=appt_id,
            merchant_id=self.merchant_id_of(where, entry),
            scheduled_at=self.time_of(where, entry, "scheduled_at"),
            service=self.enum_of(where, entry, "service", Service),
            status=self.enum_of(where, entry, "status", Status),
            address=address,
            late_fee=self.fee_of(where, entry),
            free_until=self.time_of(where, entry, "free_until"),
            cancel_until=self.time_of(where, entry, "cancel_until"),
        )
        if appointment.free_until > appointment.cancel_until:
            self.fail(
                f"{where}: 'free_until' ({appointment.free_until:{LOCAL_TIME_FORMAT}}) is after 'cancel_until' "
                f"({appointment.cancel_until:{LOCAL_TIME_FORMAT}}); a cancellation cannot be free once it is no "
                "longer possible: write a free_until at or before cancel_until"
            )
        return appointment

    # -- single values

    def check_keys(self, where: str, entry: dict[str, Any], expected: tuple[str, ...]) -> None:
        for key in entry:
            if key not in expected:
                self.fail(f"{where}: unknown key {key!r}; the keys of this entry are {', '.join(expected)}")
        for key in expected:
            if key not in entry:
                self.fail(f"{where}: key {key!r} is missing; the keys of this entry are {', '.join(expected)}")

    def text_of(self, where: str, entry: dict[str, Any], key: str) -> str:
        value = entry[key]
        if not isinstance(value, str):
            self.fail(f"{where}: {key!r} must be text in double quotes, not {_toml_kind(value)} {value!r}")
        return value

    def merchant_id_of(self, where: str, entry: dict[str, Any]) -> str:
        merchant_id = self.text_of(where, entry, "merchant_id")
        if not (len(merchant_id) == 15 and merchant_id.isascii() and is_printable_ascii(merchant_id.encode())):
            self.fail(
                f"{where}: 'merchant_id' {merchant_id!r} is not a merchant number; write exactly 15 characters, "
                'e.g. "898440358120001"'
            )
        return merchant_id

    def time_of(self, where: str, entry: dict[str, Any], key: str) -> datetime:
        value = entry[key]
        if isinstance(value, datetime):  # TOML's own unquoted local date-time
            if value.tzinfo is not None:
                self.fail(f"{where}: {key!r} has a UTC offset; times are the host's local time: write {_TIME_EXAMPLE}")
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.strptime(value, LOCAL_TIME_FORMAT)
            except ValueError:
                self.fail(f"{where}: {key!r} {value!r} is not a local time; write YYYY-MM-DDTHH:MM:SS, e.g. {_TIME_EXAMPLE}")
        else:
            self.fail(f"{where}: {key!r} must be a local time such as {_TIME_EXAMPLE}, not {_toml_kind(value)} {value!r}")
        if moment.microsecond:
            self.fail(f"{where}: {key!r} has fractions of a second, which the protocol cannot carry; write {_TIME_EXAMPLE}")
        return moment

    def enum_of(self, where: str, entry: dict[str, Any], key: str, kind: type[Service] | type[Status]) -> Any:
        value = entry[key]
        choices = ", ".join(f"{member.value} {member.name.lower().replace('_', ' ')}" for member in kind)
        if isinstance(value, bool) or not isinstance(value, int) or value not in kind._value2member_map_:
            self.fail(f"{where}: {key!r} {value!r} is not a {key}; write one of the numbers {choices}")
        return kind(value)

    def fee_of(self, where: str, entry: dict[str, Any]) -> int:
        value = entry["late_fee"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_FEE:
            self.fail(
                f"{where}: 'late_fee' {value!r} is not a fee; write a whole number of fen from 0 to {_MAX_FEE}, "
                "e.g. 5000 for ¥50.00"
            )
        return value

    # -- messages

    def refuse_repeats(self, table: str, names: list[str], key: str) -> None:
        seen: set[str] = set()
        for number, name in enumerate(names, 1):
            if name in seen:
                self.fail(
                    f"{self.where(table, number, name)}: {key} {name!r} is already used by an earlier "
                    f"[[{table}]]; give each {table} its own {key}"
                )
            seen.add(name)

    def where(self, table: str, number: int, name: object) -> str:
        """`appointment[3] (id A20261128001, line 14)`: the entry counted from 1 in the file."""
        details = []
        if isinstance(name, str):
            details.append(f"{'tid' if table == 'terminal' else 'id'} {name}")
        line = self.header_line(table, number)
        if line is not None:
            details.append(f"line {line}")
        return f"{table}[{number}]" + (f" ({', '.join(details)})" if details else "")

    def header_line(self, table: str, number: int) -> int | None:
        """The line of the number-th [[table]] header; tomllib gives no positions of its own."""
        lines = self._header_lines.get(table)
        if lines is None:
            # Found once per table: scanning the text for every entry made loading quadratic
            # (10,000 appointments took five minutes).
            header = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]")
            lines = [n for n, line in enumerate(self.text.splitlines(), 1) if header.match(line)]
            self._header_lines[table] = lines
        return lines[number - 1] if 0 < number <= len(lines) else None

    def fail(self, message: str) -> NoReturn:
        raise DataError(f"{self.path}: {message}")


def _toml_kind(value: object) -> str:
    if isinstance(value, bool):
        return "the boolean"
    if isinstance(value, (int, float)):
        return "the number"
    if isinstance(value, datetime):
        return "the date-time"
    if isinstance(value, (list, dict)):
        return "the table or array"
    return "the value"


# -- the built-in demo ----------------------------------------------------------------------------


def demo_data(now: datetime) -> SimulatorData:
    """Demo data placed around `now`, so the demo always shows a free cancellation, one with a fee,
    one that is too late, a visit in progress and one later in the week.

    The ids stay the same from run to run, so a host restarted on the same database with the demo
    finds the appointments it already holds (and their cancellations) instead of new copies.
    """
    hour = now.replace(minute=0, second=0, microsecond=0)
    merchant = DEMO_MERCHANT_ID

    def booked(
        appt_id: str,
        scheduled_at: datetime,
        service: Service,
        address: str,
        late_fee: int,
        free_until: datetime,
        cancel_until: datetime,
        status: Status = Status.BOOKED,
    ) -> ServiceAppointment:
        return ServiceAppointment(
            appt_id, merchant, scheduled_at, service, status, address, late_fee, free_until, cancel_until
        )

    day_after_tomorrow = (hour + timedelta(days=2)).replace(hour=10)
    later_this_week = (hour + timedelta(days=5)).replace(hour=14, minute=30)
    appointments = (
        # Free: free until tomorrow, this time of day.
        booked(
            "DEMO0001", day_after_tomorrow, Service.INSTALLATION, "成都市武侯区天府大道100号",
            5000, day_after_tomorrow - timedelta(days=1), day_after_tomorrow - timedelta(hours=2),
        ),
        # With a fee: the free period ended an hour ago, cancelling is possible for three more hours.
        booked(
            "DEMO0002", hour + timedelta(hours=6), Service.REPAIR, "Chengdu Hi-Tech Zone, Tianfu Software Park, Unit 7",
            5000, hour - timedelta(hours=1), hour + timedelta(hours=4),
        ),
        # Too late: still booked, but the last moment to cancel passed an hour ago.
        booked(
            "DEMO0003", hour + timedelta(hours=2), Service.TRAINING, "成都市锦江区春熙路88号2楼",
            3000, hour - timedelta(days=1), hour - timedelta(hours=1),
        ),
        # In progress: the technician is on site.
        booked(
            "DEMO0004", hour - timedelta(minutes=30), Service.REPLACEMENT, "成都市青羊区人民中路一段9号",
            8000, hour - timedelta(days=1, minutes=30), hour - timedelta(hours=2, minutes=30),
            status=Status.IN_PROGRESS,
        ),
        # Later in the week: free for a few days yet.
        booked(
            "DEMO0005", later_this_week, Service.REMOVAL, "No. 1 Jiaozi Avenue, Chengdu",
            6000, later_this_week - timedelta(days=1), later_this_week - timedelta(hours=2),
        ),
        # Done yesterday: the host keeps it, but a LIST_RESP does not show it.
        booked(
            "DEMO0006", hour - timedelta(days=1), Service.REPAIR, "成都市高新区益州大道1999号",
            5000, hour - timedelta(days=2), hour - timedelta(days=1, hours=2),
            status=Status.COMPLETED,
        ),
    )
    terminal = Terminal(DEMO_TID, merchant, DEMO_KEY)
    return SimulatorData((terminal,), appointments, f"built-in demo data around {now:{LOCAL_TIME_FORMAT}}")
