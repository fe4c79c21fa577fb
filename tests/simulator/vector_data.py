"""Simulator data equal to the protocol's test vectors, as SimulatorData and as a data file's text."""

from __future__ import annotations

from datetime import datetime

from protocol.enums import Service, Status
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from tests.material import KEY, MERCHANT_ID, TID

# The two appointments of the vector "list response, two appointments".
FIRST = ServiceAppointment(
    appt_id="A20261128001",
    merchant_id=MERCHANT_ID,
    scheduled_at=datetime(2026, 11, 28, 10, 0),
    service=Service.INSTALLATION,
    status=Status.BOOKED,
    address="成都市武侯区天府大道100号",
    late_fee=5000,
    free_until=datetime(2026, 11, 27, 10, 0),
    cancel_until=datetime(2026, 11, 28, 8, 0),
)
SECOND = ServiceAppointment(
    appt_id="A20261130007",
    merchant_id=MERCHANT_ID,
    scheduled_at=datetime(2026, 11, 30, 14, 30),
    service=Service.REPAIR,
    status=Status.BOOKED,
    address="Chengdu Hi-Tech Zone, Unit 7",
    late_fee=5000,
    free_until=datetime(2026, 11, 29, 14, 30),
    cancel_until=datetime(2026, 11, 30, 12, 30),
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
