"""The host's activity feed: line states and counters, the capped traffic log, notes, the store's version."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from protocol.link import TraceRecord
from simulator.host_activity import HostActivity, LineState

T0 = datetime(2026, 11, 27, 9, 30)
URL = "/dev/pts/7"


class Wall:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def record(direction: str, kind: str) -> TraceRecord:
    return TraceRecord(0.0, direction, kind, b"\x02")


def test_a_line_goes_waiting_open_lost_open() -> None:
    activity = HostActivity(wall=Wall())
    activity.line_waiting(URL, 115200)
    (line,) = activity.lines()
    assert (line.state, line.baud, line.last_activity) == (LineState.WAITING, 115200, None)
    activity.line_opened(URL, 115200)
    activity.line_lost(URL, "read failed: gone")
    (line,) = activity.lines()
    assert (line.state, line.problem) == (LineState.LOST, "read failed: gone")
    activity.line_opened(URL, 115200)
    (line,) = activity.lines()
    assert (line.state, line.problem) == (LineState.OPEN, "")


def test_traced_records_count_frames_naks_and_resends_per_line() -> None:
    activity = HostActivity(wall=Wall())
    activity.line_opened(URL, 9600)
    activity.line_opened("/dev/pts/8", 9600)
    for direction, kind in [("rx", "frame"), ("tx", "ack"), ("tx", "frame"), ("rx", "nak"), ("tx", "resend"),
                            ("rx", "frame"), ("tx", "nak"), ("rx", "noise")]:
        activity.traced(URL, record(direction, kind))
    line, other = activity.lines()
    assert (line.frames_in, line.frames_out, line.naks_in, line.naks_out, line.resends) == (2, 1, 1, 1, 1)
    assert line.last_activity == T0 + timedelta(seconds=10)
    assert (other.frames_in, other.last_activity) == (0, T0 + timedelta(seconds=2))


def test_a_view_takes_what_is_new_and_learns_how_much_the_cap_dropped() -> None:
    activity = HostActivity(traffic_cap=3, wall=Wall())
    assert activity.traffic_after(0) == ([], 0)
    for _ in range(2):
        activity.traced(URL, record("rx", "frame"))
    new, missed = activity.traffic_after(0)
    assert [entry.number for entry in new] == [1, 2] and missed == 0
    for _ in range(5):
        activity.traced(URL, record("tx", "frame"))
    new, missed = activity.traffic_after(2)  # 3..7 seen, only 5..7 kept
    assert [entry.number for entry in new] == [5, 6, 7] and missed == 2
    assert activity.traffic_after(6)[0][0].number == 7
    assert activity.traffic_after(7) == ([], 0)
    assert activity.traffic_seen == 7


def test_the_traffic_log_never_grows_past_its_cap() -> None:
    activity = HostActivity(traffic_cap=50)
    for _ in range(1000):
        activity.traced(URL, record("rx", "frame"))
    new, missed = activity.traffic_after(0)
    assert len(new) == 50 and missed == 950


def test_notes_and_the_store_version() -> None:
    activity = HostActivity(wall=Wall())
    activity.note("one")
    activity.note("two")
    assert [(number, text) for number, _wall, text in activity.notes_after(1)] == [(2, "two")]
    assert activity.store_version == 0
    activity.store_changed()
    assert activity.store_version == 1


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        HostActivity(traffic_cap=0)
