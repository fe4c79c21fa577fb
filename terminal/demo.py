"""The built-in simulated host for demo and training mode: the simulator's demo data, served
in-process on one end of a virtual null-modem cable, so the terminal still talks over a real pty
exactly as it would to a provider's host.

Its database is kept in the demo's folder, beside the demo journal, so what one run cancelled
stays cancelled in the next (the journal and the host must agree). At each start the demo
appointments are placed around the current time again: the same ids, new times, and those
cancelled stay cancelled (simulator.data.demo_data, HostStore.load)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from simulator.cable import NullModemCable
from simulator.data import demo_data
from simulator.serve import HostServer
from simulator.store import HostStore, StoreError
from terminal.journal import JournalError


@dataclass
class DemoHost:
    port: str  # the terminal's end of the cable
    stop: Callable[[], None]


def start_demo_host(folder: Path, *, clock: Callable[[], datetime] = datetime.now) -> DemoHost:
    """Serve the demo host on a new cable, its database in `folder`; JournalError when that
    database cannot be used (the demo's folder, like a journal, is this terminal's state)."""
    store_path = Path(folder) / "demo-host.sqlite"
    try:
        with HostStore(store_path) as store:
            store.load(demo_data(clock()))
    except StoreError as problem:
        raise JournalError(
            f"the demo host's database cannot be used ({problem}). It holds demo data only: delete "
            f"the folder {folder} and start again, and the demo begins afresh."
        ) from None
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
