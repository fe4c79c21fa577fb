"""Simulator data equal to the protocol's test vectors, as SimulatorData and as a data file's text."""

from __future__ import annotations

from protocol.enums import Service, Status
from protocol.fields import parse_timestamp
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from tests.material import KEY, MERCHANT_ID, TID, vector_named

# The late fee is not on the wire: the vector lists the second appointment at FEE 5000, and the
# first is free at the vector's time. The host's rule (docs/protocol.md §4) needs one for both.
LATE_FEE = 5000


def _listed(fields: list) -> ServiceAppointment:
    """An appointment of the vector "list response, two appointments", as the host stores it."""
    value = dict(fields)
    return ServiceAppointment(
        appt_id=value["APPT_ID"],
        merchant_id=MERCHANT_ID,
        scheduled_at=parse_timestamp(value["SCHEDULED_AT"]),
        service=Service(value["SERVICE"]),
        status=Status(value["STATUS"]),
        address=value["ADDRESS"],
        late_fee=LATE_FEE,
        free_until=parse_timestamp(value["FREE_UNTIL"]),
        cancel_until=parse_timestamp(value["CANCEL_UNTIL"]),
    )


FIRST, SECOND = (
    _listed(value)
    for name, value in vector_named("list response, two appointments")["fields"]
    if name == "APPOINTMENT"
)
TERMINAL = Terminal(TID, MERCHANT_ID, KEY)


def vector_data(*appointments: ServiceAppointment, terminals: tuple[Terminal, ...] = (TERMINAL,)) -> SimulatorData:
    return SimulatorData(terminals, appointments or (FIRST, SECOND), "the protocol vectors")


def as_toml(data: SimulatorData) -> str:
    """The data file that loads as `data` (docs/host-data.md)."""
    lines: list[str] = []
    for terminal in data.terminals:
        lines += [
            "[[terminal]]",
            f'tid = "{terminal.tid}"',
            f'merchant_id = "{terminal.merchant_id}"',
            f'key = "{terminal.key.hex()}"',
            "",
        ]
    for a in data.appointments:
        lines += [
            "[[appointment]]",
            f'id = "{a.appt_id}"',
            f'merchant_id = "{a.merchant_id}"',
            f'scheduled_at = "{a.scheduled_at:%Y-%m-%dT%H:%M:%S}"',
            f"service = {int(a.service)}",
            f"status = {int(a.status)}",
            f'address = "{a.address}"',
            f"late_fee = {a.late_fee}",
            f'free_until = "{a.free_until:%Y-%m-%dT%H:%M:%S}"',
            f'cancel_until = "{a.cancel_until:%Y-%m-%dT%H:%M:%S}"',
            "",
        ]
    return "\n".join(lines)
