"""Faults a technician sets on the host while terminals talk to it, for the next answer or until
cleared. The board only says which fault the next answer gets; the serving loop carries it out
(simulator/serve.py). Thread-safe: every serving thread takes from it while the console sets it."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum


class FaultKind(Enum):
    BUSY = "busy"  # answer ERROR BUSY and do nothing
    LOSE_ANSWER = "lose"  # decide and store, never send the answer: the terminal must settle by STATUS_REQ
    LATE = "late"  # hold the answer back `milliseconds`
    SPLIT = "split"  # write the answer in two writes, `milliseconds` apart
    JUNK = "junk"  # write bytes that are no frame just before the answer
    SILENT = "silent"  # read nothing, answer nothing, ACK nothing: as if unplugged


# The line's bytes a junk fault writes before the answer: no STX, no ACK/NAK, so the terminal's
# framer must skip them as noise (docs/protocol.md §2).
JUNK_BYTES = b"\xff\x00junk\x55\xaa"


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault. `once`: for the next answer only, else until cleared. `share`: for BUSY until
    cleared, the share of requests refused (1.0 = all). `milliseconds`: LATE's delay, SPLIT's gap."""

    kind: FaultKind
    once: bool = True
    share: float = 1.0
    milliseconds: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.share <= 1.0:
            raise ValueError(f"a share is a number above 0 and at most 1, not {self.share!r}")
        if self.milliseconds < 0:
            raise ValueError(f"milliseconds cannot be negative ({self.milliseconds!r})")
        if self.kind is FaultKind.SILENT and self.once:
            raise ValueError("silence lasts until cleared; set it with once=False")

    def describe(self) -> str:
        what = {
            FaultKind.BUSY: "ERROR BUSY" if self.share >= 1.0 else f"ERROR BUSY to {self.share:.0%} of requests",
            FaultKind.LOSE_ANSWER: "decide, then lose the answer",
            FaultKind.LATE: f"answer {self.milliseconds} ms late",
            FaultKind.SPLIT: f"answer in two writes, {self.milliseconds} ms apart",
            FaultKind.JUNK: "junk bytes before the answer",
            FaultKind.SILENT: "silent, as if unplugged",
        }[self.kind]
        return f"{what} ({'next answer' if self.once else 'until cleared'})"


class FaultBoard:
    """The one fault in force, if any. `seed` makes a BUSY share repeatable."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._random = random.Random(seed)
        self.applied = 0  # answers a fault has changed so far, for the screen

    @property
    def active(self) -> Fault | None:
        with self._lock:
            return self._fault

    @property
    def silent(self) -> bool:
        with self._lock:
            return self._fault is not None and self._fault.kind is FaultKind.SILENT

    def set(self, fault: Fault) -> None:
        with self._lock:
            self._fault = fault

    def clear(self) -> None:
        """Answer normally from now on."""
        with self._lock:
            self._fault = None

    def take(self) -> Fault | None:
        """The fault the answer to the request just received gets, if any; a fault for the next
        answer is used up by it. A BUSY share draws for each request."""
        with self._lock:
            fault = self._fault
            if fault is None or fault.kind is FaultKind.SILENT:
                return None
            if fault.kind is FaultKind.BUSY and fault.share < 1.0 and self._random.random() >= fault.share:
                return None
            if fault.once:
                self._fault = None
            self.applied += 1
            return fault
