"""Decoding what a technician has of a line (`pos-sim trace FILE`) into the trace lines the host
writes live, numbered, each with the time and line the file gives.

Four kinds of file are read, told apart by their content (docs/captures.md):

- a capture (terminal/capture_file.py): what `--capture` writes, and the hand-made form, hex text
  with optional `>` and `<` marks;
- trace lines (protocol/trace.py): the host's own `--trace` output, and this decoder's output;
- a pyserial `spy://PORT?file=LOG` log in its hex dump form (with or without `color`);
- raw bytes as they crossed the line: any file holding control bytes, such as a frame's STX.

A text file is read as whichever of the first three kinds reads most of its lines; the lines that
kind cannot read (every line, when none reads any) are counted and named in the summary. Each line and direction of a capture or a
log is decoded as its own stream of bytes; trace lines are already decoded, and their frames are
shown again from their hex.

The bytes are read by the protocol's own FrameReader, so the trace shows what a receiver made of
them: after a bad frame the hunt resumes at the byte after its STX (docs/protocol.md §2), and what
follows may show as noise or as a false start. Where the file gives times (captures, spy logs), a
frame silent for longer than T_CHAR (its default, 200 ms) is abandoned as a receiver would abandon
it. Raw bytes and hand-made hex have no times: a false start whose LEN claims more than follows is
abandoned only at the end of the stream, and the good frames it held are then read, as T_CHAR
would have made a receiver do.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime

from protocol.enums import ACK
from protocol.framer import AbandonedFrame, ControlByte, CorruptFrame, FrameReader, GoodFrame, Noise
from protocol.link import Timers, TraceRecord
from protocol.trace import format_record
from terminal.capture_file import is_comment, parse_capture_line

# Bytes no text file holds (ESC is kept: a spy log written with `color` has it).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")

_TRACE_LINE = re.compile(
    r"(?P<clock>.*?) ?(?P<arrow><-|->|A->B|B->A) (?P<kind>[A-Z]+(?:-[A-Z]+)*)"
    r"(?: \((?P<note>[^()]*)\))?(?P<rest>.*?)(?: \| (?P<hex>(?:[0-9a-f]{2})+))?"
)
_DIRECTION_OF_ARROW = {"<-": "rx", "->": "tx"}
_NOISE_NOTE = re.compile(r"(\d+) bytes")

# The receiver's silence limit inside a frame, for files with times (the protocol's default).
_T_CHAR = Timers().t_char

_ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
_SPY_LINE = re.compile(r"(?P<clock>\d+\.\d{3}) (?P<label>\S+) *(?P<value>.*)", re.ASCII)
_SPY_DIRECTIONS = {"TX": "tx", "RX": "rx"}
# A data row: its offset and two spaces, then 16 columns of "XX " with one more space after the
# eighth (49 characters, blank where the chunk ended), then the bytes as ASCII.
_SPY_OFFSET = re.compile(r"[0-9A-F]{4}  ", re.ASCII)
_SPY_HEX_COLUMNS = slice(6, 6 + 49)
_HEX_BYTE = re.compile(r"[0-9A-F]{2}", re.ASCII)

# What each kind of trace line adds to the summary.
_TOTAL_OF_KIND = {
    "frame": "frames",
    "resend": "resends",
    "duplicate": "resends",
    "bad-frame": "bad_frames",
    "ack": "acks",
    "stray-ack": "acks",
    "nak": "naks",
    "stray-nak": "naks",
    "abandoned": "abandoned",
}


class CaptureError(Exception):
    """The capture cannot be read; the message says what to do."""


@dataclass(frozen=True)
class CaptureSummary:
    frames: int = 0
    resends: int = 0
    bad_frames: int = 0
    noise_bytes: int = 0
    acks: int = 0
    naks: int = 0
    abandoned: int = 0  # false starts whose LEN claimed more than followed
    unread_lines: tuple[int, ...] = ()  # numbers of the lines the file's kind could not read

    @property
    def holds_frames(self) -> bool:
        """At least one good frame: damaged ones alone are what any binary file gives (a stray
        0x02 starts a "frame" whose CRC fails), so they do not make a file a capture."""
        return bool(self.frames or self.resends)


@dataclass(frozen=True)
class Chunk:
    """Bytes that crossed the line one way. `clock`: when, and on which line, as the file says
    ("" when it does not); `stream`: the line and direction, each decoded on its own; `at`: the
    time in seconds (from any origin), None when the file gives none."""

    clock: str
    stream: tuple[str, str]
    data: bytes
    at: float | None = None


@dataclass(frozen=True)
class Traced:
    """A trace line, already decoded. `verbatim`: the line from its arrow on, kept when its frame
    cannot be shown again (its hex is missing or cut short)."""

    clock: str
    record: TraceRecord
    verbatim: str | None = None


@dataclass
class _Reading:
    """A text file read as one kind of file."""

    items: list[Chunk | Traced] = field(default_factory=list)
    read: int = 0  # the file's lines this kind read
    unread: list[int] = field(default_factory=list)
    problem: str | None = None  # why a line that is of this kind is wrong


def read_capture(raw: bytes) -> tuple[list[Chunk | Traced], list[int]]:
    """What the file holds, in file order, and the numbers of the lines it could not read. Raises
    CaptureError when a capture's hex is malformed."""
    text = _as_text(raw)
    if text is not None:
        lines = text.splitlines()
        readings = [_read_capture_lines(lines), _read_trace_lines(lines), _read_spy_lines(lines)]
        best = max(readings, key=lambda reading: reading.read)  # the first of equals
        if best.problem is not None and best.read:
            raise CaptureError(best.problem)
        # Text that none of them reads holds no frame either way (no STX): its lines are named.
        return best.items, best.unread if best.read else [n for n, line in enumerate(lines, 1) if line.strip()]
    return [Chunk("", ("", "rx"), raw)], []


def _as_text(raw: bytes) -> str | None:
    if _CONTROL_BYTES.search(raw):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _read_capture_lines(lines: list[str]) -> _Reading:
    reading = _Reading()
    for number, text in enumerate(lines, 1):
        if is_comment(text):
            continue
        try:
            chunk = parse_capture_line(text)
        except ValueError as problem:
            reading.problem = reading.problem or f"line {number} {problem}"
            continue
        if chunk is None:
            reading.unread.append(number)
            continue
        reading.read += 1
        if chunk.data:
            clock = " ".join(part for part in (chunk.time, chunk.line) if part)
            reading.items.append(Chunk(clock, (chunk.line, chunk.direction), chunk.data, _seconds(chunk.time)))
    return reading


def _read_trace_lines(lines: list[str]) -> _Reading:
    reading = _Reading()
    for number, text in enumerate(lines, 1):
        match = _TRACE_LINE.fullmatch(text.rstrip())
        if match is None:
            if text.strip():
                reading.unread.append(number)
            continue
        reading.read += 1
        arrow = match["arrow"]
        direction = _DIRECTION_OF_ARROW.get(arrow, arrow)
        data = bytes.fromhex(match["hex"]) if match["hex"] else b""
        record = TraceRecord(0.0, direction, match["kind"].lower(), data, match["note"] or "")
        # A frame whose hex is missing or cut short ("…") keeps the description the line gave it.
        verbatim = text[match.start("arrow") :].rstrip() if match["rest"].strip() and not data else None
        reading.items.append(Traced(match["clock"], record, verbatim))
    return reading


def _read_spy_lines(lines: list[str]) -> _Reading:
    reading = _Reading()
    for number, text in enumerate(lines, 1):
        match = _SPY_LINE.fullmatch(_ANSI_COLOUR.sub("", text).rstrip())
        if match is None:
            if text.strip():
                reading.unread.append(number)
            continue
        direction = _SPY_DIRECTIONS.get(match["label"])
        value = match["value"]
        if direction is None or not _SPY_OFFSET.match(value):
            continue  # the port's other doings (flush, in_waiting, RTS, an empty read): no bytes
        columns = value[_SPY_HEX_COLUMNS].split()
        if len(columns) > 16 or not all(_HEX_BYTE.fullmatch(column) for column in columns):
            reading.unread.append(number)
            continue
        reading.read += 1
        data = bytes.fromhex("".join(columns))
        reading.items.append(Chunk(match["clock"], ("", direction), data, float(match["clock"])))
    return reading


def _seconds(iso_time: str) -> float | None:
    try:
        return datetime.fromisoformat(iso_time).timestamp() if iso_time else None
    except (ValueError, OverflowError, OSError):  # a hand-made time such as 25:00, or year 9999
        return None


def decode_capture(raw: bytes) -> tuple[list[str], CaptureSummary]:
    """Trace lines for a capture, numbered in the order things were recognised, and the totals."""
    items, unread = read_capture(raw)
    readers: dict[tuple[str, str], FrameReader] = {}
    last_clock: dict[tuple[str, str], str] = {}
    last_at: dict[tuple[str, str], float] = {}
    last_good: dict[tuple[str, str], bytes] = {}
    lines: list[str] = []
    totals: Counter[str] = Counter()

    def emit(clock: str, record: TraceRecord, verbatim: str | None = None) -> None:
        total = _TOTAL_OF_KIND.get(record.kind)
        if total:
            totals[total] += 1
        elif record.kind == "noise" and (count := _NOISE_NOTE.fullmatch(record.note)):
            totals["noise_bytes"] += int(count[1])
        number = " ".join(part for part in (f"#{len(lines) + 1}", clock) if part)
        lines.append(f"{number} {verbatim}" if verbatim else format_record(record, number))

    def drain(stream: tuple[str, str], abandoned: str) -> None:
        reader, clock, direction = readers[stream], last_clock[stream], stream[1]
        while (event := reader.next_event()) is not None:
            if isinstance(event, GoodFrame):
                if event.raw == last_good.get(stream):
                    emit(clock, TraceRecord(0.0, direction, "resend", event.raw, "identical to the previous good frame"))
                else:
                    emit(clock, TraceRecord(0.0, direction, "frame", event.raw))
                last_good[stream] = event.raw
            elif isinstance(event, ControlByte):
                emit(clock, TraceRecord(0.0, direction, "ack" if event.byte == ACK else "nak"))
            elif isinstance(event, Noise):
                emit(clock, TraceRecord(0.0, direction, "noise", note=f"{event.count} bytes"))
            elif isinstance(event, CorruptFrame):
                emit(clock, TraceRecord(0.0, direction, "bad-frame", event.raw, event.problem))
            elif isinstance(event, AbandonedFrame):
                emit(clock, TraceRecord(0.0, direction, "abandoned", event.partial, abandoned))

    for item in items:
        if isinstance(item, Traced):
            emit(item.clock, item.record, item.verbatim)
            continue
        stream = item.stream
        if stream not in readers:
            # Without times every byte is fed at time 0, so no frame is abandoned mid-way.
            readers[stream] = FrameReader(t_char=_T_CHAR if item.at is not None else 0.0)
        else:
            # A frame the silence before this chunk abandoned, at the time of the chunk before.
            readers[stream].handle_timer(item.at if item.at is not None else last_at[stream])
            drain(stream, "silent longer than T_CHAR")
        last_clock[stream] = item.clock
        last_at[stream] = item.at if item.at is not None else last_at.get(stream, 0.0)
        readers[stream].receive_data(item.data, last_at[stream])
        drain(stream, "silent longer than T_CHAR")
    # The end of the capture is the silence after the last byte: a frame still incomplete (its LEN
    # may be the corrupted part) is abandoned and what it held is read again, as a receiver would.
    for stream, reader in readers.items():
        reader.handle_timer(last_at[stream] + reader.t_char + 1.0)
        drain(stream, "LEN claims more bytes than the capture holds after it")
    counted = {total.name: totals[total.name] for total in fields(CaptureSummary) if total.name != "unread_lines"}
    return lines, CaptureSummary(**counted, unread_lines=tuple(unread))


def summary_line(summary: CaptureSummary) -> str:
    parts = [
        f"{summary.frames} frames",
        f"{summary.resends} resends",
        f"{summary.bad_frames} bad frames",
        f"{summary.noise_bytes} noise bytes",
        f"{summary.acks} ACK",
        f"{summary.naks} NAK",
    ]
    if summary.abandoned:
        parts.append(f"{summary.abandoned} abandoned")
    if summary.unread_lines:
        shown = ", ".join(str(number) for number in summary.unread_lines[:5])
        more = ", …" if len(summary.unread_lines) > 5 else ""
        count = len(summary.unread_lines)
        parts.append(f"{count} {'line' if count == 1 else 'lines'} not read ({'line' if count == 1 else 'lines'} {shown}{more})")
    return ", ".join(parts)
