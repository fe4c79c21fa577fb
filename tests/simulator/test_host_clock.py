"""The host's clock: real, frozen or offset, stepped, on an injected machine clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from simulator.host_clock import ClockMode, HostClock, describe_offset

WALL = datetime(2026, 11, 27, 9, 30, 0, 500000)


class Wall:
    def __init__(self) -> None:
        self.now = WALL

    def __call__(self) -> datetime:
        return self.now


def test_a_real_clock_is_the_machines_in_whole_seconds_and_runs() -> None:
    wall = Wall()
    clock = HostClock(wall=wall)
    assert (clock.mode, clock(), clock.offset) == (ClockMode.REAL, datetime(2026, 11, 27, 9, 30), timedelta(0))
    wall.now += timedelta(minutes=5)
    assert clock.now() == datetime(2026, 11, 27, 9, 35)
    assert clock.describe() == "real (the machine's clock)"


def test_a_fixed_clock_starts_frozen_and_stands_still() -> None:
    wall = Wall()
    clock = HostClock(datetime(2026, 1, 1, 8, 0, 0, 999), wall=wall)
    assert clock.mode is ClockMode.FROZEN and clock() == datetime(2026, 1, 1, 8)
    wall.now += timedelta(hours=3)
    assert clock() == datetime(2026, 1, 1, 8)


def test_stepping_a_real_clock_makes_it_an_offset_that_runs() -> None:
    wall = Wall()
    clock = HostClock(wall=wall)
    assert clock.step(timedelta(hours=1)) == datetime(2026, 11, 27, 10, 30)
    assert clock.mode is ClockMode.OFFSET and clock.offset == timedelta(hours=1)
    wall.now += timedelta(seconds=10)
    assert clock() == datetime(2026, 11, 27, 10, 30, 10)
    clock.step(timedelta(days=1))
    assert clock.describe() == "offset +1 d 1:00:00"
    clock.step(-timedelta(days=1, hours=1))
    assert clock.mode is ClockMode.REAL  # stepped back to the machine's clock


def test_a_frozen_clock_steps_and_stays_frozen() -> None:
    wall = Wall()
    clock = HostClock(datetime(2026, 11, 27, 9, 30), wall=wall)
    assert clock.step(timedelta(days=1)) == datetime(2026, 11, 28, 9, 30)
    wall.now += timedelta(minutes=1)
    assert clock() == datetime(2026, 11, 28, 9, 30) and clock.mode is ClockMode.FROZEN
    assert clock.offset == timedelta(days=1, minutes=-1)
    assert clock.describe() == "frozen (+23:59:00 from the machine's clock)"


def test_freeze_run_and_back_to_real() -> None:
    wall = Wall()
    clock = HostClock(wall=wall)
    clock.step(timedelta(hours=2))
    frozen_at = clock.freeze()
    assert frozen_at == datetime(2026, 11, 27, 11, 30) and clock.freeze() == frozen_at  # freezing twice holds
    wall.now += timedelta(minutes=10)
    assert clock() == frozen_at
    clock.run()  # runs on from where it stood: 10 minutes behind the offset it had
    assert clock.mode is ClockMode.OFFSET and clock.offset == timedelta(hours=1, minutes=50)
    wall.now += timedelta(minutes=1)
    assert clock() == datetime(2026, 11, 27, 11, 31)
    clock.run()  # running already: nothing changes
    assert clock.offset == timedelta(hours=1, minutes=50)
    clock.to_real()
    assert (clock.mode, clock()) == (ClockMode.REAL, datetime(2026, 11, 27, 9, 41))


def test_offsets_read_at_a_glance() -> None:
    assert describe_offset(timedelta(minutes=-30)) == "-0:30:00"
    assert describe_offset(timedelta(days=2, hours=3)) == "+2 d 3:00:00"
    assert describe_offset(timedelta(0)) == "+0:00:00"
