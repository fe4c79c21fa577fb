"""A real simulated host (simulator.serve.HostServer on a sqlite store) at one end of a real pty
null-modem cable, and a real terminal client at the other: the rig the integration tests share."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterator, TextIO

from protocol import Service, Status, Timers
from simulator.cable import CableSettings, NullModemCable
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from simulator.faults import FaultBoard
from simulator.host_activity import HostActivity
from simulator.serve import HostServer
from simulator.store import HostStore
from terminal.client import HostClient
from terminal.journal import Journal
from terminal.transport import SerialLine
from tests.material import KEY, MERCHANT_ID, TID

NOW = datetime(2026, 11, 27, 9, 30)
# Short enough that a lost answer costs a test about a second, long enough for a loaded machine.
FAST_TIMERS = Timers(t_char=0.2, t_ack=0.3, t_resp=1.0)


class MovableClock:
    """The host's clock, fixed until a test moves it."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def appointment(appt_id: str, *, hours_ahead: float, status: Status = Status.BOOKED,
                free_hours_before: float = 24, cancel_hours_before: float = 2,
                late_fee: int = 5000, service: Service = Service.INSTALLATION,
                merchant_id: str = MERCHANT_ID, address: str = "成都市武侯区天府大道100号",
                now: datetime = NOW) -> ServiceAppointment:
    at = now + timedelta(hours=hours_ahead)
    return ServiceAppointment(
        appt_id=appt_id,
        merchant_id=merchant_id,
        scheduled_at=at,
        service=service,
        status=status,
        address=address,
        late_fee=late_fee,
        free_until=at - timedelta(hours=free_hours_before),
        cancel_until=at - timedelta(hours=cancel_hours_before),
    )


FREE = "A1FREE"  # free to cancel now
WITH_FEE = "A2FEE"  # free period over: ¥50.00
TOO_LATE = "A3LATE"  # past cancel_until, still booked
IN_PROGRESS = "A4WORK"
OTHER_MERCHANTS = "X9OTHER"



def data_around(now: datetime) -> SimulatorData:
    """The integration tests' appointments, placed relative to `now` (the host's clock)."""
    return SimulatorData(
        terminals=(Terminal(TID, MERCHANT_ID, KEY),),
        appointments=(
            appointment(FREE, hours_ahead=48, now=now),
            appointment(WITH_FEE, hours_ahead=12, service=Service.REPAIR, address="Chengdu Hi-Tech Zone, Unit 7",
                        now=now),
            appointment(TOO_LATE, hours_ahead=1, service=Service.TRAINING, now=now),
            appointment(IN_PROGRESS, hours_ahead=-0.5, status=Status.IN_PROGRESS, now=now),
            appointment(OTHER_MERCHANTS, hours_ahead=30, merchant_id="123456789012345", now=now),
        ),
        source="integration test data",
    )


DATA = data_around(NOW)


@dataclass
class Rig:
    cable: NullModemCable
    server: HostServer
    store_path: Path
    clock: MovableClock

    @property
    def terminal_port(self) -> str:
        return self.cable.path_a

    def host_store(self) -> HostStore:
        return HostStore(self.store_path, create=False)


@contextmanager
def simulated_host(
    tmp_path: Path,
    *,
    data: SimulatorData = DATA,
    cable: CableSettings | None = None,
    delay: float = 0.0,
    clock: MovableClock | None = None,
    timers: Timers = FAST_TIMERS,
    trace: TextIO | None = None,
    faults: FaultBoard | None = None,
    activity: HostActivity | None = None,
) -> Iterator[Rig]:
    clock = clock or MovableClock()
    store_path = tmp_path / "host.sqlite"
    with HostStore(store_path) as store:
        store.load(data)
    with NullModemCable(cable) as line:
        server = HostServer(
            [line.path_b], store_path, clock=clock, delay=delay, timers=timers, trace=trace, faults=faults,
            activity=activity,
        )
        with server:
            yield Rig(line, server, store_path, clock)


def terminal_client(port: str, journal: Journal, *, timers: Timers = FAST_TIMERS, **kwargs) -> HostClient:
    return HostClient(
        tid=TID,
        merchant_id=MERCHANT_ID,
        operator_id="00",
        key=KEY,
        line=SerialLine(port, 115200),
        journal=journal,
        timers=timers,
        baud=115200,
        wall_clock=lambda: NOW,
        **kwargs,
    )
