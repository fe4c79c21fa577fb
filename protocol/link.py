"""The link layer state machine (docs/protocol.md §2): ACK/NAK, resending the identical frame on NAK or
T_ACK, giving up after three sends, suppressing retransmitted duplicates, T_CHAR.

Sans-I/O: the caller passes bytes in, drains bytes out, and drives every timer with the `now` it
passes (seconds on any monotonic scale), as aioquic's get_timer()/handle_timer() do.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import Callable

from protocol.enums import ACK, NAK
from protocol.errors import LocalProtocolError
from protocol.frame import frame_body
from protocol.framer import AbandonedFrame, ControlByte, CorruptFrame, FrameReader, GoodFrame, Noise

# What the package `protocol` exports of this module (protocol/__init__.py).
__all__ = ["BadFrame", "LinkCounters", "Timers", "TraceRecord", "wire_time"]

MAX_SENDS = 3
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


@dataclass(frozen=True, slots=True)
class Timers:
    """docs/protocol.md §2 defaults, in seconds."""

    t_char: float = 0.2
    t_ack: float = 0.5
    t_resp: float = 10.0


def wire_time(size: int, baud: int | None) -> float:
    """Seconds that `size` bytes take on the line at `baud` (0 when the speed is unknown)."""
    return size * BITS_PER_BYTE / baud if baud else 0.0


@dataclass(slots=True)
class LinkCounters:
    frames_in: int = 0
    frames_out: int = 0
    acks_in: int = 0
    acks_out: int = 0
    naks_in: int = 0
    naks_out: int = 0
    resends: int = 0
    noise_bytes: int = 0
    bad_frames: int = 0
    abandoned_frames: int = 0
    duplicates: int = 0
    send_failures: int = 0

    def snapshot(self) -> LinkCounters:
        return replace(self)


@dataclass(frozen=True, slots=True)
class TraceRecord:
    """One thing that crossed (or was refused at) the link, for trace lines and the technician."""

    at: float
    direction: str  # "rx" or "tx"
    kind: str  # frame, resend, ack, nak, noise, bad-frame, abandoned, duplicate, stray-ack, stray-nak
    data: bytes = b""
    note: str = ""


Tracer = Callable[[TraceRecord], None]


# Events the link hands up.
@dataclass(frozen=True, slots=True)
class FrameReceived:
    body: bytes
    raw: bytes


@dataclass(frozen=True, slots=True)
class FrameAcknowledged:
    raw: bytes
    sends: int


@dataclass(frozen=True, slots=True)
class SendFailed:
    """The peer did not take our frame after MAX_SENDS sends."""

    raw: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A complete frame with a wrong ETX or CRC was refused with NAK."""

    raw: bytes
    problem: str


LinkEvent = FrameReceived | FrameAcknowledged | SendFailed | BadFrame


@dataclass(slots=True)
class _Outgoing:
    raw: bytes
    sends: int
    deadline: float


class Link:
    def __init__(
        self,
        timers: Timers = Timers(),
        *,
        baud: int | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.timers = timers
        self.baud = baud
        self.tracer = tracer
        self.counters = LinkCounters()
        self._reader = FrameReader(timers.t_char)
        self._to_send = bytearray()
        self._events: deque[LinkEvent] = deque()
        self._outgoing: _Outgoing | None = None
        self._last_good_frame: bytes | None = None

    # -- state seen from outside

    @property
    def awaiting_ack(self) -> bool:
        return self._outgoing is not None

    @property
    def receiving_frame(self) -> bool:
        return self._reader.in_frame

    @property
    def buffered(self) -> int:
        return self._reader.buffered

    @property
    def awaited(self) -> int:
        """Bytes still to come of the frame being received, when its length is known; else 0."""
        return self._reader.awaited

    def ack_timeout(self, frame_size: int) -> float:
        """T_ACK plus the frame's own wire time at the line's baud."""
        return self.timers.t_ack + wire_time(frame_size, self.baud)

    # -- the three verbs

    def send_frame(self, raw: bytes, now: float) -> bytes:
        """Queue a frame for sending; returns the frame, to write behind data_to_send() (an ACK
        or NAK owed for an earlier frame goes out first)."""
        if self._outgoing is not None:
            raise LocalProtocolError("link: a frame is already awaiting its ACK; send one at a time")
        self._outgoing = _Outgoing(raw, 1, now + self.ack_timeout(len(raw)))
        self.counters.frames_out += 1
        self._trace(now, "tx", "frame", raw)
        return raw

    def receive_data(self, data: bytes, now: float) -> None:
        self._reader.receive_data(data, now)
        self._drain_reader(now)

    def next_event(self) -> LinkEvent | None:
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        """ACK/NAK bytes owed and resends due, in the order they arose."""
        out = bytes(self._to_send)
        self._to_send.clear()
        return out

    def reset(self) -> None:
        """Forget the frame awaiting ACK, the partial frame and owed bytes: the line was lost
        (port closed or replaced), so nothing in flight can still complete."""
        self._outgoing = None
        self._reader = FrameReader(self.timers.t_char)
        self._to_send.clear()
        self._events.clear()

    # -- timers

    def get_timer(self) -> float | None:
        deadlines = [self._reader.get_timer()]
        if self._outgoing is not None:
            deadlines.append(self._outgoing.deadline)
        present = [d for d in deadlines if d is not None]
        return min(present) if present else None

    def handle_timer(self, now: float) -> None:
        self._reader.handle_timer(now)
        self._drain_reader(now)
        if self._outgoing is not None and now >= self._outgoing.deadline:
            self._retry_or_fail(now, "no ACK within T_ACK")

    # -- internals

    def _drain_reader(self, now: float) -> None:
        while (event := self._reader.next_event()) is not None:
            if isinstance(event, GoodFrame):
                self._on_good_frame(event.raw, now)
            elif isinstance(event, ControlByte):
                self._on_control(event.byte, now)
            elif isinstance(event, Noise):
                self.counters.noise_bytes += event.count
                self._trace(now, "rx", "noise", note=f"{event.count} bytes")
            elif isinstance(event, CorruptFrame):
                self.counters.bad_frames += 1
                self._trace(now, "rx", "bad-frame", event.raw, event.problem)
                self._queue_control(NAK, now)
                self._events.append(BadFrame(event.raw, event.problem))
            elif isinstance(event, AbandonedFrame):
                self.counters.abandoned_frames += 1
                self._trace(now, "rx", "abandoned", event.partial, "silent longer than T_CHAR")

    def _on_good_frame(self, raw: bytes, now: float) -> None:
        # A good frame is ACKed before it is processed; the trace shows the frame, then its ACK.
        if raw == self._last_good_frame:
            # A retransmission says only that the peer missed our ACK, not that it has our frame.
            self.counters.duplicates += 1
            self._trace(now, "rx", "duplicate", raw, "retransmission, ACKed again, not delivered")
            self._queue_control(ACK, now)
            return
        if self._outgoing is not None:
            # The peer evidently has our frame: its answer counts as the ACK.
            self._acknowledged(now, "answered before ACK")
        self._last_good_frame = raw
        self.counters.frames_in += 1
        self._trace(now, "rx", "frame", raw)
        self._queue_control(ACK, now)
        self._events.append(FrameReceived(frame_body(raw), raw))

    def _on_control(self, byte: int, now: float) -> None:
        if byte == ACK:
            self.counters.acks_in += 1
            if self._outgoing is None:
                self._trace(now, "rx", "stray-ack")
                return
            self._trace(now, "rx", "ack")
            self._acknowledged(now)
        else:
            self.counters.naks_in += 1
            if self._outgoing is None:
                self._trace(now, "rx", "stray-nak")
                return
            self._trace(now, "rx", "nak")
            self._retry_or_fail(now, "NAK")

    def _acknowledged(self, now: float, note: str = "") -> None:
        outgoing = self._outgoing
        assert outgoing is not None
        self._outgoing = None
        if note:
            self._trace(now, "rx", "implicit-ack", note=note)
        self._events.append(FrameAcknowledged(outgoing.raw, outgoing.sends))

    def _retry_or_fail(self, now: float, why: str) -> None:
        outgoing = self._outgoing
        assert outgoing is not None
        if outgoing.sends >= MAX_SENDS:
            self._outgoing = None
            self.counters.send_failures += 1
            self._trace(now, "tx", "send-failed", outgoing.raw, f"{why} after {MAX_SENDS} sends")
            self._events.append(SendFailed(outgoing.raw))
            return
        outgoing.sends += 1
        outgoing.deadline = now + self.ack_timeout(len(outgoing.raw))
        self.counters.resends += 1
        self._trace(now, "tx", "resend", outgoing.raw, f"{why}; send {outgoing.sends} of {MAX_SENDS}")
        self._to_send += outgoing.raw

    def _queue_control(self, byte: int, now: float) -> None:
        if byte == ACK:
            self.counters.acks_out += 1
            self._trace(now, "tx", "ack")
        else:
            self.counters.naks_out += 1
            self._trace(now, "tx", "nak")
        self._to_send.append(byte)

    def _trace(self, at: float, direction: str, kind: str, data: bytes = b"", note: str = "") -> None:
        if self.tracer is not None:
            self.tracer(TraceRecord(at, direction, kind, data, note))
