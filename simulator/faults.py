"""Faults a technician sets on the host while terminals talk to it, for the next answer or until
cleared. The board only says which fault the next answer gets; the serving loop carries it out
(simulator/serve.py). Thread-safe: every serving thread takes from it while the console sets it."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
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
    cleared, the share of requests refused (1.0 = all). `milliseconds`: LATE's delay, SPLIT's gap.
    `cancels_only`: only answers to CANCEL_REQ get it (a terminal lists before it cancels, so
    "the next answer" alone would hit the LIST)."""

    kind: FaultKind
    once: bool = True
    share: float = 1.0
    milliseconds: int = 0
    cancels_only: bool = False

    def __post_init__(self) -> None:
        if not 0.0 < self.share <= 1.0:
            raise ValueError(f"a share is a number above 0 and at most 1, not {self.share!r}")
        if self.milliseconds < 0:
            raise ValueError(f"milliseconds cannot be negative ({self.milliseconds!r})")
        if self.kind is FaultKind.SILENT and self.once:
            raise ValueError("silence lasts until cleared; set it with once=False")
        if self.kind is FaultKind.SILENT and self.cancels_only:
            raise ValueError("silence is the whole line's: it cannot spare the requests that are not cancels")

    def describe(self) -> str:
        what = {
            FaultKind.BUSY: "ERROR BUSY" if self.share >= 1.0 else f"ERROR BUSY to {self.share:.0%} of requests",
            FaultKind.LOSE_ANSWER: "decide, then lose the answer",
            FaultKind.LATE: f"answer {self.milliseconds} ms late",
            FaultKind.SPLIT: f"answer in two writes, {self.milliseconds} ms apart",
            FaultKind.JUNK: "junk bytes before the answer",
            FaultKind.SILENT: "silent, as if unplugged",
        }[self.kind]
        if self.once:
            return f"{what} (next {'cancel ' if self.cancels_only else ''}answer)"
        return f"{what} ({'cancel answers ' if self.cancels_only else ''}until cleared)"


class FaultBoard:
    """The fault set at run time, if any, and the standing faults in force for the board's life
    (`pos-sim host --busy/--delay`). `seed` makes a BUSY share repeatable."""

    def __init__(self, seed: int | None = None, *, standing: Sequence[Fault] = ()) -> None:
        for fault in standing:
            if fault.once or fault.kind is FaultKind.SILENT:
                raise ValueError(f"a standing fault lasts until the host stops and answers: not {fault.describe()}")
        self._lock = threading.Lock()
        self._fault: Fault | None = None
        self._standing = tuple(standing)
        self._random = random.Random(seed)
        self.applied = 0  # answers a fault has changed so far, for the screen

    @classmethod
    def for_host(cls, *, busy_share: float = 0.0, delay_ms: int = 0, seed: int | None = None) -> FaultBoard | None:
        """The board for `pos-sim host --busy P --delay MS --seed N`; None when neither is asked."""
        standing = []
        if busy_share:
            standing.append(Fault(FaultKind.BUSY, once=False, share=busy_share))
        if delay_ms:
            standing.append(Fault(FaultKind.LATE, once=False, milliseconds=delay_ms))
        return cls(seed, standing=standing) if standing else None

    @property
    def active(self) -> Fault | None:
        """The fault set at run time (the standing ones are in `standing`)."""
        with self._lock:
            return self._fault

    @property
    def standing(self) -> tuple[Fault, ...]:
        return self._standing

    @property
    def silent(self) -> bool:
        with self._lock:
            return self._fault is not None and self._fault.kind is FaultKind.SILENT

    def set(self, fault: Fault) -> None:
        with self._lock:
            self._fault = fault

    def clear(self) -> None:
        """Answer normally from now on (the standing faults stay)."""
        with self._lock:
            self._fault = None

    def take(self, *, refused: bool = False, cancel: bool = False) -> tuple[Fault, ...]:
        """The faults the answer to the request just received gets, standing ones first; empty
        for a normal answer. A fault for the next answer is used up by it; a BUSY share draws
        for each request (one draw per BUSY fault, in order, so a seed repeats a run). A request
        the host `refused` (BAD_MAC, ...) keeps its refusal: BUSY would hide what is wrong with
        it, so BUSY neither applies to it nor is used up by it. A fault for `cancels_only` waits
        for a request that is a `cancel`."""
        with self._lock:
            taken = [fault for fault in self._standing if self._fits(fault, refused, cancel) and self._applies(fault)]
            fault = self._fault
            if (
                fault is not None
                and fault.kind is not FaultKind.SILENT
                and self._fits(fault, refused, cancel)
                and self._applies(fault)
            ):
                if fault.once:
                    self._fault = None
                taken.append(fault)
            if taken:
                self.applied += 1
            return tuple(taken)

    @staticmethod
    def _fits(fault: Fault, refused: bool, cancel: bool) -> bool:
        return not (refused and fault.kind is FaultKind.BUSY) and (cancel or not fault.cancels_only)

    def _applies(self, fault: Fault) -> bool:
        return fault.kind is not FaultKind.BUSY or fault.share >= 1.0 or self._random.random() < fault.share
