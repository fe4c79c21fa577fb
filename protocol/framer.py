"""The streaming frame reader: bytes from the line in, frames and control bytes out, resynchronising
exactly as docs/protocol.md §2 "Receiving" says.

It parses as bytes arrive, so its buffer only ever holds the one frame still being received (at
most one maximal frame) plus what the latest read added; noise never accumulates.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass

from protocol.enums import ACK, FRAME_OVERHEAD, MAX_BODY, MAX_FRAME, MIN_BODY, NAK, STX
from protocol.frame import BODY_START, declared_length, frame_body, frame_problem

# The bytes that can start something between frames; everything else there is line noise.
_FRAME_START = re.compile(rb"[\x02\x06\x15]")


@dataclass(frozen=True, slots=True)
class GoodFrame:
    raw: bytes

    @property
    def body(self) -> bytes:
        return frame_body(self.raw)


@dataclass(frozen=True, slots=True)
class ControlByte:
    byte: int  # ACK or NAK


@dataclass(frozen=True, slots=True)
class Noise:
    count: int


@dataclass(frozen=True, slots=True)
class CorruptFrame:
    """A complete frame whose ETX or CRC is wrong: to be answered with NAK."""

    raw: bytes
    problem: str


@dataclass(frozen=True, slots=True)
class AbandonedFrame:
    """A frame that fell silent for longer than T_CHAR before it was complete."""

    partial: bytes


FramerEvent = GoodFrame | ControlByte | Noise | CorruptFrame | AbandonedFrame


class FrameReader:
    def __init__(self, t_char: float) -> None:
        self.t_char = t_char
        self._buffer = bytearray()
        self._last_byte_at: float | None = None
        self._events: deque[FramerEvent] = deque()

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def awaited(self) -> int:
        """Bytes still to come of the frame being received, once its LEN has arrived; else 0."""
        buffer = self._buffer
        if len(buffer) < BODY_START:
            return 0
        length = declared_length(buffer)  # the buffer starts at the STX of the frame in progress
        return length + FRAME_OVERHEAD - len(buffer) if MIN_BODY <= length <= MAX_BODY else 0

    @property
    def in_frame(self) -> bool:
        """True while part of a frame has arrived and the rest is awaited."""
        return bool(self._buffer)

    def receive_data(self, data: bytes, now: float) -> None:
        self.handle_timer(now)
        if not data:
            return
        self._buffer += data
        self._last_byte_at = now
        self._scan()

    def next_event(self) -> FramerEvent | None:
        return self._events.popleft() if self._events else None

    def get_timer(self) -> float | None:
        """When the frame being received is abandoned if no byte arrives before then."""
        if self._buffer and self._last_byte_at is not None:
            return self._last_byte_at + self.t_char
        return None

    def handle_timer(self, now: float) -> None:
        deadline = self.get_timer()
        # Every byte still buffered has been silent since _last_byte_at, so a frame found
        # incomplete after rescanning is just as stale: keep abandoning until none is left.
        while deadline is not None and now > deadline and self._buffer:
            self._events.append(AbandonedFrame(bytes(self._buffer)))
            del self._buffer[0]
            self._scan()

    def _scan(self) -> None:
        buffer = self._buffer
        noise = 0
        while buffer:
            match = _FRAME_START.search(buffer)
            if match is None:
                noise += len(buffer)
                buffer.clear()
                break
            start = match.start()
            if start:
                noise += start
                del buffer[:start]
            first = buffer[0]
            if first != STX:
                self._flush_noise(noise)
                noise = 0
                self._events.append(ControlByte(first))
                del buffer[0]
                continue
            if len(buffer) < BODY_START:
                break
            length = declared_length(buffer)
            if not MIN_BODY <= length <= MAX_BODY:
                noise += 1  # the STX was noise
                del buffer[0]
                continue
            size = length + FRAME_OVERHEAD
            if len(buffer) < size:
                break
            candidate = bytes(buffer[:size])
            problem = frame_problem(candidate)
            self._flush_noise(noise)
            noise = 0
            if problem is None:
                self._events.append(GoodFrame(candidate))
                del buffer[:size]
            else:
                # The length itself may be what was corrupted: resume right after this STX.
                self._events.append(CorruptFrame(candidate, problem))
                del buffer[0]
        self._flush_noise(noise)
        assert len(buffer) < MAX_FRAME

    def _flush_noise(self, count: int) -> None:
        if count:
            self._events.append(Noise(count))
