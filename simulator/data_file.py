"""Writing a simulator data file (docs/host-data.md) that `simulator.data.load_data` reads back as the same data.

The standard library reads TOML but cannot write it, so the small part of TOML a data file uses
is written here by hand: arrays of tables, basic strings, whole numbers and comments.
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.data import LOCAL_TIME_FORMAT, ServiceAppointment, SimulatorData, Terminal
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
    return [
        "[[terminal]]",
        f"tid = {toml_string(terminal.tid)}",
        f"merchant_id = {toml_string(terminal.merchant_id)}",
        f"key = {toml_string(terminal.key.hex())}",
    ]


def _appointment_lines(appointment: ServiceAppointment) -> list[str]:
    return [
        "[[appointment]]",
        f"id = {toml_string(appointment.appt_id)}",
        f"merchant_id = {toml_string(appointment.merchant_id)}",
        f'scheduled_at = "{appointment.scheduled_at:{LOCAL_TIME_FORMAT}}"',
        f"service = {int(appointment.service)}  # {_word(appointment.service.name)}",
        f"status = {int(appointment.status)}  # {_word(appointment.status.name)}",
        f"address = {toml_string(appointment.address)}",
        f"late_fee = {appointment.late_fee}  # {format_money(appointment.late_fee)}",
        f'free_until = "{appointment.free_until:{LOCAL_TIME_FORMAT}}"',
        f'cancel_until = "{appointment.cancel_until:{LOCAL_TIME_FORMAT}}"',
    ]


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, in double quotes; anything but the escapes is written as it is (UTF-8)."""
    escaped = "".join(
        _ESCAPES.get(character)
        or (f"\\u{ord(character):04X}" if ord(character) < 0x20 or ord(character) == 0x7F else character)
        for character in text
    )
    return f'"{escaped}"'


def _word(name: str) -> str:
    return name.lower().replace("_", " ")
