"""The host's clock as a technician steers it: real, frozen at an instant, or running at an offset
from the machine's clock; stepped forward or back so that fees and deadlines can be crossed on
purpose. Thread-safe: every serving thread reads it while the console moves it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum


class ClockMode(Enum):
    REAL = "real"  # the machine's clock
    OFFSET = "offset"  # the machine's clock plus a fixed offset: time runs
    FROZEN = "frozen"  # one instant until stepped or released: time stands still


class HostClock:
    """`now()` is the host's local time, whole seconds. `fixed` starts it frozen there (as
    `--now` does); `wall` is the machine's clock (injected by tests)."""

    def __init__(self, fixed: datetime | None = None, *, wall: Callable[[], datetime] = datetime.now) -> None:
        self._wall = wall
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = None if fixed is None else fixed.replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now()

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return (self._wall() + self._offset).replace(microsecond=0)

    @property
    def mode(self) -> ClockMode:
        with self._lock:
            if self._frozen_at is not None:
                return ClockMode.FROZEN
            return ClockMode.OFFSET if self._offset else ClockMode.REAL

    @property
    def offset(self) -> timedelta:
        """How far the host's clock is from the machine's (what a frozen clock shows, minus now)."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at - self._wall().replace(microsecond=0)
            return self._offset

    def step(self, delta: timedelta) -> datetime:
        """Move the host's time by `delta`; a frozen clock stays frozen at the new instant."""
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
                return self._frozen_at
            self._offset += delta
            return (self._wall() + self._offset).replace(microsecond=0)

    def freeze(self) -> datetime:
        """Stop the host's time where it is now."""
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = (self._wall() + self._offset).replace(microsecond=0)
            return self._frozen_at

    def run(self) -> None:
        """Let time run again from where it stands (an offset from the machine's clock, if any)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._wall().replace(microsecond=0)
                self._frozen_at = None

    def to_real(self) -> None:
        """Back to the machine's clock: no offset, running."""
        with self._lock:
            self._frozen_at = None
            self._offset = timedelta(0)

    def describe(self) -> str:
        """For the screen and the log: the mode and, away from the machine's clock, by how much."""
        mode, offset = self.mode, self.offset
        if mode is ClockMode.REAL:
            return "real (the machine's clock)"
        away = describe_offset(offset)
        return f"frozen ({away} from the machine's clock)" if mode is ClockMode.FROZEN else f"offset {away}"


def describe_offset(offset: timedelta) -> str:
    """`+1 d 02:00:00`, `-0:30:00`: a signed offset people read at a glance."""
    sign = "-" if offset < timedelta(0) else "+"
    size = abs(offset)
    days, rest = size.days, timedelta(seconds=size.seconds)
    return f"{sign}{days} d {rest}" if days else f"{sign}{rest}"
