"""Decoding a capture of the line (`pos-sim trace FILE`) into the same trace lines the host writes live.

A capture is either the raw bytes as they crossed the line, or the same bytes written as hex text
(only hex digits and whitespace). In hex text a line may start with `>` (bytes sent by the side
that captured) or `<` (bytes it received); each direction is then decoded as its own stream.

The bytes are read by the protocol's own FrameReader, so the trace shows what a receiver made of
them: after a bad frame the hunt resumes at the byte after its STX (docs/protocol.md §2), and what
follows may show as noise or as a false start. A capture has no timing, so a false start whose
LEN claims more than follows is abandoned only at the end, and the good frames it held are then
read, as T_CHAR would have made a receiver do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from protocol.enums import ACK
from protocol.framer import AbandonedFrame, ControlByte, CorruptFrame, FrameReader, GoodFrame, Noise
from protocol.link import TraceRecord
from protocol.trace import format_record

_HEX_LINE = re.compile(r"\s*([<>])?([0-9A-Fa-f\s]*)")
_DIRECTIONS = {">": "tx", "<": "rx", None: "rx"}


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


def read_capture(raw: bytes) -> list[tuple[str, bytes]]:
    """The capture as (direction, bytes) chunks in file order: hex text is decoded, raw bytes kept."""
    chunks = _hex_chunks(raw)
    return [("rx", raw)] if chunks is None else chunks


def _hex_chunks(raw: bytes) -> list[tuple[str, bytes]] | None:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    matches = [_HEX_LINE.fullmatch(line) for line in text.splitlines()]
    if not text.strip() or not all(matches):
        return None
    chunks: list[tuple[str, bytes]] = []
    for number, match in enumerate(matches, 1):
        assert match is not None
        digits = re.sub(r"\s", "", match.group(2))
        if len(digits) % 2:
            raise CaptureError(f"line {number} has an odd number of hex digits; write each byte as two digits")
        if digits:
            chunks.append((_DIRECTIONS[match.group(1)], bytes.fromhex(digits)))
    return chunks


def decode_capture(raw: bytes) -> tuple[list[str], CaptureSummary]:
    """Trace lines for a capture, numbered in the order things were recognised, and the totals."""
    readers: dict[str, FrameReader] = {}
    last_good: dict[str, bytes] = {}
    lines: list[str] = []
    totals = {name: 0 for name in CaptureSummary.__dataclass_fields__}

    def emit(direction: str, kind: str, data: bytes = b"", note: str = "") -> None:
        lines.append(format_record(TraceRecord(0.0, direction, kind, data, note), f"#{len(lines) + 1}"))

    def drain(direction: str, reader: FrameReader) -> None:
        while (event := reader.next_event()) is not None:
            if isinstance(event, GoodFrame):
                if event.raw == last_good.get(direction):
                    totals["resends"] += 1
                    emit(direction, "resend", event.raw, "identical to the previous good frame")
                else:
                    totals["frames"] += 1
                    emit(direction, "frame", event.raw)
                last_good[direction] = event.raw
            elif isinstance(event, ControlByte):
                totals["acks" if event.byte == ACK else "naks"] += 1
                emit(direction, "ack" if event.byte == ACK else "nak")
            elif isinstance(event, Noise):
                totals["noise_bytes"] += event.count
                emit(direction, "noise", note=f"{event.count} bytes")
            elif isinstance(event, CorruptFrame):
                totals["bad_frames"] += 1
                emit(direction, "bad-frame", event.raw, event.problem)
            elif isinstance(event, AbandonedFrame):
                totals["abandoned"] += 1
                emit(direction, "abandoned", event.partial, "LEN claims more bytes than the capture holds after it")

    # A capture has no timing: every byte is fed at time 0, so no frame is abandoned mid-way.
    for direction, data in read_capture(raw):
        reader = readers.setdefault(direction, FrameReader(t_char=0.0))
        reader.receive_data(data, 0.0)
        drain(direction, reader)
    # The end of the capture is the silence after the last byte: a frame still incomplete (its LEN
    # may be the corrupted part) is abandoned and what it held is read again, as a receiver would.
    for direction, reader in readers.items():
        reader.handle_timer(1.0)
        drain(direction, reader)
    return lines, CaptureSummary(**totals)


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
    return ", ".join(parts)
