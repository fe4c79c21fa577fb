"""The console's app (placeholder until the screens land): `run_console` is what `pos-sim console`
calls once the host serves."""

from __future__ import annotations

from simulator.faults import FaultBoard
from simulator.host_activity import HostActivity
from simulator.host_clock import HostClock
from simulator.serve import HostServer


def run_console(
    server: HostServer,
    *,
    clock: HostClock,
    faults: FaultBoard,
    activity: HostActivity,
    data_path: str | None,
) -> int | None:
    """Show the console over `server`, which the caller has started and stops once this returns,
    until the technician quits or SIGTERM comes. Returns the exit code, or None for EXIT_DONE."""
    raise NotImplementedError("the console's screens are not built yet")
