"""The capture file: the bytes a serial line carried, as text people can read (docs/captures.md).

One line per chunk of bytes, in the order the chunks crossed:

    2026-12-02T15:53:43.420123 /dev/ttyUSB0 > 020024010100015445535430303031030e…
    2026-12-02T15:53:43.421817 /dev/ttyUSB0 < 06

the wall-clock time (ISO 8601, to the microsecond), the line's name (optional), the direction and
the bytes in hex. `>` marks bytes the capturing program wrote and `<` bytes it read; a cable, which
writes nothing of its own, marks its two ways `A->B` and `B->A`. Lines that start with `#` are
comments. The hand-made form `pos-sim trace` has always read is the same format without time and
name: `> 0200…`, `< 06`, or hex alone (bytes received).

`CaptureFile` writes it: appended, one line flushed per chunk, so a capture cut short by a kill
loses nothing already written and one file may hold several sessions. `parse_capture_line` reads
one line back (simulator/capture.py decodes whole files).

Imports only the standard library: the terminal and the simulator both write captures.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from typing import TextIO
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

SENT = ">"
RECEIVED = "<"
A_TO_B = "A->B"
B_TO_A = "B->A"
# The directions a LinkDriver's tap and the cable report ("tx", "rx", and the cable's two ways),
# as the file marks them; and back.
_MARK_OF_DIRECTION = {"tx": SENT, "rx": RECEIVED, A_TO_B: A_TO_B, B_TO_A: B_TO_A}
_DIRECTION_OF_MARK = {mark: direction for direction, mark in _MARK_OF_DIRECTION.items()}

_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?"
_MARK = "|".join(re.escape(mark) for mark in (A_TO_B, B_TO_A, SENT, RECEIVED))
# A name is only taken when a mark follows it, so that hex alone stays hex.
_CAPTURE_LINE = re.compile(
    rf"\s*(?:(?P<time>{_TIME})\s+)?(?:(?:(?P<line>\S+)\s+)?(?P<mark>{_MARK}))?(?P<hex>[0-9A-Fa-f\s]*)", re.ASCII
)

Tap = Callable[[str, bytes, float], None]


class CaptureFileError(Exception):
    """The capture file cannot be written; the message says what to do."""


@dataclass(frozen=True)
class CaptureLine:
    """One chunk of bytes read back from a capture: `time` and `line` as written ("" when the line
    has none), `direction` as the tap reported it: "tx", "rx" (also when unmarked), "A->B", "B->A"."""

    time: str
    line: str
    direction: str
    data: bytes


def is_comment(text: str) -> bool:
    """A blank line or a `#` comment: part of a capture, but no bytes."""
    stripped = text.strip()
    return not stripped or stripped.startswith("#")


def format_capture_line(when: datetime, direction: str, data: bytes, line: str = "") -> str:
    """The text of one chunk, without its newline."""
    name = re.sub(r"\s", "_", line)  # one word, so the reader can tell it from the rest
    fields = [when.isoformat(timespec="microseconds"), name, _MARK_OF_DIRECTION[direction], data.hex()]
    return " ".join(field for field in fields if field)


def parse_capture_line(text: str) -> CaptureLine | None:
    """The chunk one line of a capture holds; None when the text is no capture line (comments
    included: see is_comment). Raises ValueError when its hex has an odd number of digits."""
    match = _CAPTURE_LINE.fullmatch(text)
    if match is None or is_comment(text):
        return None
    digits = re.sub(r"\s", "", match["hex"])
    if len(digits) % 2:
        raise ValueError("has an odd number of hex digits; write each byte as two digits")
    direction = _DIRECTION_OF_MARK.get(match["mark"], "rx")
    return CaptureLine(match["time"] or "", match["line"] or "", direction, bytes.fromhex(digits))


class CaptureFile:
    """A capture file open for appending. Safe to share between threads (the host's lines). A
    write that fails (disk full, the file's device gone) stops the capture with one logged error;
    the line it watches goes on."""

    def __init__(self, path: str | os.PathLike[str], *, wall_clock: Callable[[], datetime] = datetime.now) -> None:
        self.path = os.fspath(path)
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        try:
            self._file = append_owner_only(self.path)
        except OSError as problem:
            raise CaptureFileError(
                f"cannot write the capture to {self.path} ({problem.strerror}); give --capture a file "
                "in a folder that exists and that you may write to"
            ) from None
        self._writing = True

    def write(self, direction: str, data: bytes, line: str = "") -> None:
        """One chunk: `direction` is "tx", "rx", "A->B" or "B->A"; `line` names the line."""
        if not data:
            return
        with self._lock:  # the time taken inside, so that the lines of several threads stay in time order
            if not self._writing:
                return
            text = format_capture_line(self._wall_clock(), direction, data, line) + "\n"
            try:
                self._file.write(text)
                self._file.flush()
            except OSError as problem:
                self._writing = False
                log.error(
                    "cannot write the capture to %s any more (%s); capturing has stopped, the line goes on",
                    self.path,
                    problem.strerror or problem,
                )

    def tap(self, line: str = "") -> Tap:
        """A tap for a LinkDriver (or the cable) that writes every chunk it sees, named `line`."""

        def capture(direction: str, data: bytes, _now: float) -> None:
            self.write(direction, data, line)

        return capture

    def close(self) -> None:
        with self._lock:
            self._writing = False
            try:
                self._file.close()
            except OSError:
                pass  # what could not be flushed was already reported, or is lost with the device

    def __enter__(self) -> CaptureFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def append_owner_only(path: str | os.PathLike[str]) -> TextIO:
    """A text file opened for appending, created readable by its owner only: captures and traces
    hold what the line carried (merchants, appointments, addresses), as the journal does."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a", encoding="utf-8", newline="\n")
