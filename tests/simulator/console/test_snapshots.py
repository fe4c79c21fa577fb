"""SVG snapshots of each console panel at 80x24 and 120x40, on fixed content (tests/simulator/
console/fixed_host.py): a stand-in host's fixed appointments and cancellation, an activity feed
filled with fixed records, the host's and the machine's clocks injected. No text cursor is on
any panel (the number dialog's Input is not snapshotted), so none can blink into a snapshot.

Regenerate with `uv run pytest tests/simulator/console --snapshot-update` and look at what changed."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from tests.simulator.console.console_steps import wait_until
from tests.simulator.console.fixed_host import fixed_console

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
PANELS = {"lines": "1", "traffic": "2", "appointments": "3", "faults": "4", "clock": "5", "data": "6"}


def shown(key: str):
    async def setup(pilot: Pilot) -> None:
        await pilot.press(key)
        app = pilot.app
        if key in ("3", "6"):  # the store is read while a panel that shows it is up
            await wait_until(pilot, lambda: app.appointments_panel.appointments != [], "the store read")
        # Taken by the traffic panel (it paints only while its tab shows).
        await wait_until(pilot, lambda: app.traffic_panel.received > 0, "the traffic")
        await pilot.pause()

    return setup


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("panel", list(PANELS))
def test_panel(snap_compare, panel: str, size: str) -> None:
    assert snap_compare(fixed_console(), terminal_size=SIZES[size], run_before=shown(PANELS[panel]))


def test_a_frames_bytes(snap_compare) -> None:
    async def setup(pilot: Pilot) -> None:
        await shown("2")(pilot)
        table = pilot.app.traffic_panel.query_one(DataTable)
        table.move_cursor(row=12)  # the CANCEL_RESP
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(fixed_console(), terminal_size=SIZES["80x24"], run_before=setup)
