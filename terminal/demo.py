"""The built-in simulated host for demo and training mode: the simulator's demo data, served
in-process on one end of a virtual null-modem cable, so the terminal still talks over a real pty
exactly as it would to a provider's host."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from simulator.cable import NullModemCable
from simulator.data import demo_data
from simulator.serve import HostServer
from simulator.store import HostStore


@dataclass
class DemoHost:
    port: str  # the terminal's end of the cable
    stop: Callable[[], None]


def start_demo_host(workdir: Path, *, clock: Callable[[], datetime] = datetime.now) -> DemoHost:
    store_path = Path(workdir) / "demo-host.sqlite"
    store = HostStore(store_path)
    try:
        store.load(demo_data(clock()))
    finally:
        store.close()
    cable = NullModemCable().start()
    try:
        server = HostServer([cable.path_b], store_path, clock=clock).start()
    except BaseException:
        cable.stop()
        raise

    def stop() -> None:
        server.stop()
        cable.stop()

    return DemoHost(port=cable.path_a, stop=stop)
