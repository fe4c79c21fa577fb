"""Writing a simulator data file (docs/host-data.md) that `simulator.data.load_data` reads back as the same data.

The standard library reads TOML but cannot write it, so the small part of TOML a data file uses
is written here by hand: arrays of tables, basic strings, whole numbers and comments.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from simulator.data import LOCAL_TIME_FORMAT, ServiceAppointment, SimulatorData, Terminal
from simulator.report import words
from terminal.catalogue import format_money

# TOML basic strings must escape these; other control characters are written as \uXXXX.
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def data_file_text(data: SimulatorData, comments: Iterable[str] = ()) -> str:
    """The data file holding `data`, under `comments` (each written as a # line)."""
    lines = [f"# {line}" for comment in comments for line in comment.splitlines()]
    for terminal in data.terminals:
        lines += ["", *_terminal_lines(terminal)]
    for appointment in data.appointments:
        lines += ["", *_appointment_lines(appointment)]
    return "\n".join(lines).lstrip("\n") + "\n"


def _terminal_lines(terminal: Terminal) -> list[str]:
    return _entry(
        "terminal",
        tid=toml_string(terminal.tid),
        merchant_id=toml_string(terminal.merchant_id),
        key=toml_string(terminal.key.hex()),
    )


def _appointment_lines(appointment: ServiceAppointment) -> list[str]:
    return _entry(
        "appointment",
        id=toml_string(appointment.appt_id),
        merchant_id=toml_string(appointment.merchant_id),
        scheduled_at=_time(appointment.scheduled_at),
        service=f"{int(appointment.service)}  # {words(appointment.service.name)}",
        status=f"{int(appointment.status)}  # {words(appointment.status.name)}",
        address=toml_string(appointment.address),
        late_fee=f"{appointment.late_fee}  # {format_money(appointment.late_fee)}",
        free_until=_time(appointment.free_until),
        cancel_until=_time(appointment.cancel_until),
    )


def _entry(table: str, **values: str) -> list[str]:
    """An [[table]] entry: its header, then `key = value` for each value written as TOML, in order."""
    return [f"[[{table}]]", *(f"{key} = {value}" for key, value in values.items())]


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, in double quotes; anything but the escapes is written as it is (UTF-8)."""
    escaped = "".join(
        _ESCAPES.get(character)
        or (f"\\u{ord(character):04X}" if ord(character) < 0x20 or ord(character) == 0x7F else character)
        for character in text
    )
    return f'"{escaped}"'


def _time(moment: datetime) -> str:
    return f'"{moment:{LOCAL_TIME_FORMAT}}"'
