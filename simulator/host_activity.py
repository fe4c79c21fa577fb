"""What the host is doing, for a live view: each line's state and counters, and the traffic both
ways. The serving threads only append under a lock (cheap, never waiting on a screen); a view
takes what is new at its own pace. The traffic log is capped: the oldest entries go first, and a
view that fell further behind than the cap is told how many it missed."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from protocol.link import TraceRecord

TRAFFIC_CAP = 5000  # entries kept; 32 busy lines make about 4 a second each (~40 s of all of them)


class LineState:
    WAITING = "waiting"  # not opened yet
    OPEN = "open"
    LOST = "lost"  # was open or never opened; being retried


@dataclass(frozen=True, slots=True)
class LineStatus:
    url: str
    baud: int
    state: str = LineState.WAITING
    problem: str = ""
    frames_in: int = 0
    frames_out: int = 0
    naks_in: int = 0  # the terminal NAKed what the host sent
    naks_out: int = 0  # the host NAKed what the terminal sent
    resends: int = 0  # the host sent a response again (no ACK in time, or NAKed)
    last_activity: datetime | None = None


HostNote = tuple[int, datetime, str]  # number, the machine's time, what the host would log


@dataclass(frozen=True, slots=True)
class TrafficEntry:
    number: int  # 1, 2, ... in the order seen, across all lines
    wall: datetime  # the machine's time it was seen
    url: str
    record: TraceRecord


_COUNTED = {
    ("rx", "frame"): "frames_in",
    ("tx", "frame"): "frames_out",
    ("tx", "resend"): "resends",
    ("rx", "nak"): "naks_in",
    ("tx", "nak"): "naks_out",
}


class HostActivity:
    def __init__(self, *, traffic_cap: int = TRAFFIC_CAP, wall: Callable[[], datetime] = datetime.now) -> None:
        if traffic_cap < 1:
            raise ValueError("the traffic log must keep at least one entry")
        self.traffic_cap = traffic_cap
        self._wall = wall
        self._lock = threading.Lock()
        self._lines: dict[str, LineStatus] = {}
        self._traffic: deque[TrafficEntry] = deque(maxlen=traffic_cap)
        self._seen = 0
        self._notes: deque[HostNote] = deque(maxlen=200)
        self._noted = 0
        self._store_version = 0

    # -- told by the serving threads

    def line_waiting(self, url: str, baud: int) -> None:
        with self._lock:
            self._lines.setdefault(url, LineStatus(url, baud))

    def line_opened(self, url: str, baud: int) -> None:
        with self._lock:
            held = self._lines.get(url) or LineStatus(url, baud)
            self._lines[url] = replace(held, baud=baud, state=LineState.OPEN, problem="", last_activity=self._wall())

    def line_lost(self, url: str, problem: str) -> None:
        with self._lock:
            held = self._lines.get(url) or LineStatus(url, 0)
            self._lines[url] = replace(held, state=LineState.LOST, problem=problem, last_activity=self._wall())

    def traced(self, url: str, record: TraceRecord) -> None:
        wall = self._wall()
        with self._lock:
            self._seen += 1
            self._traffic.append(TrafficEntry(self._seen, wall, url, record))
            held = self._lines.get(url)
            if held is not None:
                counter = _COUNTED.get((record.direction, record.kind))
                changes: dict = {"last_activity": wall}
                if counter is not None:
                    changes[counter] = getattr(held, counter) + 1
                self._lines[url] = replace(held, **changes)

    def note(self, text: str) -> None:
        """Something the host would log (a line lost, a refused request, a fault applied)."""
        with self._lock:
            self._noted += 1
            self._notes.append((self._noted, self._wall(), text))

    def store_changed(self) -> None:
        """The store's appointments or cancellations changed: a view should read them again."""
        with self._lock:
            self._store_version += 1

    # -- read by a view

    def lines(self) -> list[LineStatus]:
        with self._lock:
            return list(self._lines.values())

    def traffic_after(self, number: int) -> tuple[list[TrafficEntry], int]:
        """Entries numbered above `number`, oldest first, and how many of those the cap dropped."""
        with self._lock:
            if self._seen <= number:
                return [], 0
            # Numbers run without gaps, so the first new entry's place is known without a search.
            skip = max(0, number - self._traffic[0].number + 1)
            new = list(itertools.islice(self._traffic, skip, None))
            return new, max(0, new[0].number - number - 1)

    @property
    def traffic_seen(self) -> int:
        with self._lock:
            return self._seen

    def notes_after(self, number: int) -> list[HostNote]:
        with self._lock:
            return [note for note in self._notes if note[0] > number]

    @property
    def store_version(self) -> int:
        with self._lock:
            return self._store_version
