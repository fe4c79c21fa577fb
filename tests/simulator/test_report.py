"""`pos-sim report`'s wording where there is little to count: free cancellations only, or none at all."""

from __future__ import annotations

from datetime import datetime

from protocol import CancelRequest, Reason, RequestReceived
from simulator.host import HostLogic
from simulator.report import build_report, format_report
from simulator.store import HostStore
from tests.material import MERCHANT_ID, TID
from tests.simulator.vector_data import FIRST, vector_data

NOW = datetime(2026, 11, 27, 9, 0)  # FIRST is free to cancel


def test_free_cancellations_only_say_no_fees_charged(tmp_path) -> None:
    with HostStore(tmp_path / "host.db") as store:
        store.load(vector_data())
        request = CancelRequest(MERCHANT_ID, FIRST.appt_id, "R1", Reason.WILL_REBOOK, 0, "00", NOW)
        HostLogic(store, lambda: NOW).respond(RequestReceived(request, 1, TID))
        [cancelled] = store.cancellations()
        lines = format_report(build_report(store.cancellations())).splitlines()
    assert "No fees charged" in lines and not any(line.startswith("Fees charged") for line in lines)
    assert lines[-1] == f"  2026-11-27 09:00:00  TEST0001  {FIRST.appt_id}  will rebook  cancelled  free  {cancelled.cancel_ref}"


def test_a_host_that_answered_nothing_has_nothing_to_list() -> None:
    assert format_report(build_report([])).splitlines() == ["Cancellations: 0", "No fees charged", "Refused: 0"]
