"""A live host for the console's Pilot tests: a real HostServer on one end of a real pty cable,
with a steerable clock frozen at NOW (the machine's clock injected too), a fault board, an
activity feed and a data source; a real HostClient on the other end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from simulator.cable import NullModemCable
from simulator.data import SimulatorData
from simulator.faults import FaultBoard
from simulator.host_activity import HostActivity
from simulator.host_clock import HostClock
from simulator.serve import HostServer
from simulator.store import HostStore
from terminal.client import HostClient
from terminal.journal import Journal
from tests.simulated_host import FAST_TIMERS, data_around, terminal_client
from tests.simulator.console.fixed_host import NOW, WALL


@dataclass
class LiveHost:
    server: HostServer
    clock: HostClock
    faults: FaultBoard
    activity: HostActivity
    terminal_port: str
    data: list[SimulatorData]  # what the data source gives: a test may change it before a reload


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveHost]:
    store_path = tmp_path / "host.sqlite"
    with HostStore(store_path) as store:
        store.load(data_around(NOW))
    data = [data_around(NOW)]
    clock = HostClock(fixed=NOW, wall=lambda: WALL)
    faults, activity = FaultBoard(seed=1), HostActivity()
    with NullModemCable() as cable:
        server = HostServer(
            [cable.path_b], store_path, clock=clock, timers=FAST_TIMERS, faults=faults, activity=activity,
            data_source=lambda: data[0],
        )
        with server:
            yield LiveHost(server, clock, faults, activity, cable.path_a, data)


@pytest.fixture
def client(live: LiveHost, tmp_path: Path) -> Iterator[HostClient]:
    journal = Journal(tmp_path / "journal.sqlite")
    client = terminal_client(live.terminal_port, journal)
    yield client
    client.close()
    journal.close()
