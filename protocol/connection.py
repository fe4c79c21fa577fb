"""The two ends of the host link: TerminalConnection (numbers requests, accepts only the answer
to the outstanding one) and HostConnection (reads requests, refuses the unreadable, answers).

Both are sans-I/O, h11-style: `receive_data(data, now)` buffers and parses, `next_event()` hands
out one event or None, `send(...) -> bytes` returns the new frame, `data_to_send()` drains
ACK/NAK and resends (write those before a new frame); `get_timer()` / `handle_timer(now)` drive
T_CHAR, T_ACK and T_RESP. terminal/transport.py's LinkDriver is the loop that does all this.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from protocol.enums import MAX_SEQ, VERSION, MessageType, Result
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.frame import SEQ_BYTES, TID_BYTES, Envelope, encode_body, encode_frame, parse_envelope
from protocol.link import (
    BadFrame,
    FrameAcknowledged,
    FrameReceived,
    Link,
    LinkCounters,
    SendFailed,
    Timers,
    Tracer,
)
from protocol.messages import (
    CancelRequest,
    ErrorResponse,
    Message,
    Request,
    Response,
    StatusRequest,
)
from protocol.states import ConnectionState, Role, State, Transition

# What the package `protocol` exports of this module (protocol/__init__.py).
__all__ = [
    "FailureReason", "FrameDropped", "HostConnection", "RequestAccepted", "RequestFailed",
    "RequestReceived", "RequestRefused", "ResponseAbandoned", "ResponseReceived",
    "TerminalConnection",
]


# Why an answer whose MAC does not verify with the terminal's key is dropped (FrameDropped.reason).
MAC_NOT_VERIFIED = "MAC does not verify"


class FailureReason(Enum):
    LINK = "link"  # the request was not taken after 3 sends
    TIMEOUT = "timeout"  # taken, but no acceptable answer within T_RESP


# -- terminal-side events


@dataclass(frozen=True, slots=True)
class RequestAccepted:
    """The host ACKed our request: it has left the terminal, T_RESP runs."""

    request: Request
    seq: int


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The answer to the outstanding request. `verified` is False only for an ERROR whose MAC
    did not verify (§7: it can only mean failure, and leaves a cancellation's outcome unknown)."""

    request: Request
    response: Response
    seq: int
    verified: bool = True


@dataclass(frozen=True, slots=True)
class RequestFailed:
    request: Request
    seq: int
    reason: FailureReason


@dataclass(frozen=True, slots=True)
class FrameDropped:
    """A good frame that is not acceptable here: ACKed, not delivered, reported for the log."""

    raw: bytes
    reason: str


# -- host-side events


@dataclass(frozen=True, slots=True)
class RequestReceived:
    request: Request
    seq: int
    tid: str


@dataclass(frozen=True, slots=True)
class RequestRefused:
    """A request the host cannot trust or read: answer it with ERROR `result` (§6)."""

    result: Result
    seq: int
    tid: str
    detail: str


@dataclass(frozen=True, slots=True)
class ResponseAbandoned:
    """The terminal did not take our response after 3 sends."""

    raw: bytes


TerminalEvent = RequestAccepted | ResponseReceived | RequestFailed | FrameDropped | BadFrame
HostEvent = RequestReceived | RequestRefused | ResponseAbandoned | BadFrame


class _Connection:
    role: Role

    def __init__(self, timers: Timers, baud: int | None, tracer: Tracer | None) -> None:
        self.timers = timers
        self.link = Link(timers, baud=baud, tracer=tracer)
        self._state = ConnectionState(self.role)
        self._events: deque = deque()

    @property
    def state(self) -> State:
        return self._state.state

    @property
    def counters(self) -> LinkCounters:
        return self.link.counters

    def receive_data(self, data: bytes, now: float) -> None:
        self.link.receive_data(data, now)
        self._pump(now)

    @property
    def awaited(self) -> int:
        """Bytes still to come of the frame being received, when its length is known; else 0."""
        return self.link.awaited

    def next_event(self):
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        return self.link.data_to_send()

    def get_timer(self) -> float | None:
        return self.link.get_timer()

    def handle_timer(self, now: float) -> None:
        self.link.handle_timer(now)
        self._pump(now)

    def _send_frame(self, body: bytes, now: float) -> bytes:
        return self.link.send_frame(encode_frame(body), now)

    def _pump(self, now: float) -> None:
        while (event := self.link.next_event()) is not None:
            if isinstance(event, FrameReceived):
                self._on_frame(event, now)
            elif isinstance(event, FrameAcknowledged):
                self._on_acknowledged(now)
            elif isinstance(event, SendFailed):
                self._on_send_failed(event)
            else:
                self._events.append(event)

    def _on_frame(self, event: FrameReceived, now: float) -> None:
        raise NotImplementedError

    def _on_acknowledged(self, now: float) -> None:
        raise NotImplementedError

    def _on_send_failed(self, event: SendFailed) -> None:
        raise NotImplementedError


class TerminalConnection(_Connection):
    role = Role.TERMINAL

    def __init__(
        self,
        tid: str,
        key: bytes,
        *,
        timers: Timers = Timers(),
        baud: int | None = None,
        first_seq: int = 1,
        tracer: Tracer | None = None,
    ) -> None:
        if not 1 <= first_seq <= MAX_SEQ:
            raise LocalProtocolError(f"first SEQ must be 1..{MAX_SEQ}, not {first_seq}")
        super().__init__(timers, baud, tracer)
        self.tid = tid
        self._key = key
        self.next_seq = first_seq
        self._outstanding: tuple[Request, int] | None = None
        self._response_deadline: float | None = None

    @property
    def outstanding(self) -> tuple[Request, int] | None:
        """The request awaiting its answer, with its SEQ."""
        return self._outstanding

    def send(self, request: Request, now: float) -> bytes:
        """Number and send a request; returns its frame, to write behind data_to_send()."""
        if not getattr(request, "TYPE", MessageType.ERROR).is_request:
            raise LocalProtocolError(f"a terminal sends requests, not {type(request).__name__}")
        seq = self.next_seq
        body = encode_body(request, seq=seq, tid=self.tid, key=self._key)
        self._state.apply(Transition.SEND_REQUEST)
        self.next_seq = 1 if seq >= MAX_SEQ else seq + 1
        self._outstanding = (request, seq)
        return self._send_frame(body, now)

    def abandon(self) -> Request | None:
        """Give up the outstanding request because the line itself went away (the port vanished);
        returns it. Its outcome is unknown to us: whether it reached the host is not known."""
        self.link.reset()
        self._events.clear()
        outstanding = self._outstanding
        self._outstanding = None
        self._response_deadline = None
        self._state.apply(Transition.ABANDON)
        return outstanding[0] if outstanding else None

    def get_timer(self) -> float | None:
        deadlines = [self.link.get_timer()]
        # While a frame is arriving, T_CHAR (in the link's timer) decides; T_RESP waits for it.
        if self._response_deadline is not None and not self.link.receiving_frame:
            deadlines.append(self._response_deadline)
        present = [d for d in deadlines if d is not None]
        return min(present) if present else None

    def handle_timer(self, now: float) -> None:
        super().handle_timer(now)
        if (
            self._response_deadline is not None
            and now >= self._response_deadline
            and not self.link.receiving_frame
        ):
            request, seq = self._finish(Transition.RESPONSE_TIMEOUT)
            self._events.append(RequestFailed(request, seq, FailureReason.TIMEOUT))

    def _finish(self, transition: Transition) -> tuple[Request, int]:
        self._state.apply(transition)
        outstanding = self._outstanding
        assert outstanding is not None
        self._outstanding = None
        self._response_deadline = None
        return outstanding

    def _on_acknowledged(self, now: float) -> None:
        if self.state is not State.SENDING_REQUEST:
            return
        self._state.apply(Transition.REQUEST_ACKED)
        self._response_deadline = now + self.timers.t_resp
        request, seq = self._outstanding  # type: ignore[misc]
        self._events.append(RequestAccepted(request, seq))

    def _on_send_failed(self, event: SendFailed) -> None:
        request, seq = self._finish(Transition.SEND_FAILED)
        self._events.append(RequestFailed(request, seq, FailureReason.LINK))

    def _on_frame(self, event: FrameReceived, now: float) -> None:
        verdict = self._judge(event.body)
        if isinstance(verdict, str):
            self._events.append(FrameDropped(event.raw, verdict))
            return
        response, verified = verdict
        request, seq = self._finish(Transition.RESPONSE)
        self._events.append(ResponseReceived(request, response, seq, verified))

    def _judge(self, body: bytes) -> tuple[Response, bool] | str:
        """The acceptable answer in `body`, or why it is dropped."""
        if self.state is not State.AWAITING_RESPONSE or self._outstanding is None:
            return "no request is awaiting an answer"
        request, seq = self._outstanding
        try:
            envelope = parse_envelope(body)
        except RemoteProtocolError as exc:
            return f"unreadable body: {exc}"
        if envelope.tid != self.tid:
            return f"TID {envelope.tid!r} is not ours"
        if envelope.version != VERSION:
            return f"VERSION {envelope.version}"
        is_error = envelope.type == MessageType.ERROR
        if not is_error and envelope.type != request.TYPE.response_type:
            return f"{envelope.type_name} does not answer {request.TYPE.name}"
        if envelope.seq != seq and not (is_error and envelope.seq == 0):
            return f"SEQ {envelope.seq} does not answer SEQ {seq} (stale)"
        verified = envelope.mac_verifies(self._key)
        if not verified and not is_error:
            return MAC_NOT_VERIFIED
        try:
            response = envelope.message()
        except RemoteProtocolError as exc:
            return f"malformed {envelope.type_name}: {exc}"
        if isinstance(request, (CancelRequest, StatusRequest)) and not is_error:
            if response.request_id != request.request_id:  # type: ignore[union-attr]
                return f"REQUEST_ID {response.request_id!r} is not the one asked about"  # type: ignore[union-attr]
        if isinstance(request, CancelRequest) and not is_error:
            # The host answers a REQUEST_ID it has seen with its stored answer (§6); one naming
            # another appointment is not about this cancellation, whatever else it says.
            if response.appt_id != request.appt_id:  # type: ignore[union-attr]
                return f"APPT_ID {response.appt_id!r} is not the appointment asked about"  # type: ignore[union-attr]
        return response, verified  # type: ignore[return-value]


class HostConnection(_Connection):
    role = Role.HOST

    def __init__(
        self,
        key_for: Callable[[str], bytes | None],
        *,
        timers: Timers = Timers(),
        baud: int | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        super().__init__(timers, baud, tracer)
        self._key_for = key_for
        # The TID and key of the latest request read: its answer is MACed with the key that
        # verified it, without asking key_for (a database query on the host) again.
        self._request_key: tuple[str, bytes | None] | None = None

    def send(self, response: Response, now: float, *, seq: int, tid: str) -> bytes:
        """Answer the request SEQ `seq` from `tid`; returns the frame, to write behind
        data_to_send(). An ERROR for a TID without key gets a zero MAC."""
        if getattr(response, "TYPE", MessageType.ECHO_REQ).is_request:
            raise LocalProtocolError(f"a host sends responses, not {type(response).__name__}")
        known = self._request_key
        key = known[1] if known is not None and known[0] == tid else self._key_for(tid)
        body = encode_body(response, seq=seq, tid=tid, key=key)
        self._state.apply(Transition.SEND_RESPONSE)
        return self._send_frame(body, now)

    def answer(self, event: RequestReceived | RequestRefused, response: Response, now: float) -> bytes:
        return self.send(response, now, seq=event.seq, tid=event.tid)

    def refusal(self, event: RequestRefused) -> ErrorResponse:
        """The ERROR that answers a refused request."""
        return ErrorResponse(event.result, event.detail[:200] or None)

    def _on_acknowledged(self, now: float) -> None:
        if self.state is State.SENDING_RESPONSE:
            self._state.apply(Transition.RESPONSE_ACKED)

    def _on_send_failed(self, event: SendFailed) -> None:
        self._state.apply(Transition.SEND_FAILED)
        self._events.append(ResponseAbandoned(event.raw))

    def _on_frame(self, event: FrameReceived, now: float) -> None:
        self._events.append(self._read_request(event.body))

    def _read_request(self, body: bytes) -> RequestReceived | RequestRefused:
        self._request_key = None
        try:
            envelope = parse_envelope(body)
        except RemoteProtocolError as exc:
            seq = int.from_bytes(body[SEQ_BYTES], "big") if len(body) >= SEQ_BYTES.stop else 0
            return RequestRefused(Result.BAD_FORMAT, seq, _readable_tid(body), str(exc))
        if envelope.version != VERSION:
            return RequestRefused(
                Result.BAD_VERSION, envelope.seq, envelope.tid, f"VERSION {envelope.version} is not 1"
            )
        key = self._key_for(envelope.tid)
        self._request_key = (envelope.tid, key)
        if key is None:
            return RequestRefused(
                Result.UNKNOWN_TERMINAL, envelope.seq, envelope.tid, f"no key for TID {envelope.tid}"
            )
        if not envelope.mac_verifies(key):
            return RequestRefused(Result.BAD_MAC, envelope.seq, envelope.tid, "MAC did not verify")
        return self._decode_request(envelope)

    @staticmethod
    def _decode_request(envelope: Envelope) -> RequestReceived | RequestRefused:
        try:
            kind = MessageType(envelope.type)
        except ValueError:
            kind = None
        if kind is None or not kind.is_request:
            return RequestRefused(
                Result.BAD_FORMAT, envelope.seq, envelope.tid, f"{envelope.type_name} is not a request"
            )
        try:
            request = envelope.message()
        except RemoteProtocolError as exc:
            return RequestRefused(exc.result, envelope.seq, envelope.tid, str(exc))
        return RequestReceived(request, envelope.seq, envelope.tid)  # type: ignore[arg-type]


def _readable_tid(body: bytes) -> str:
    """A TID to address an ERROR to when the request's own TID cannot be read."""
    text = "".join(chr(b) if 0x20 <= b <= 0x7E else "?" for b in body[TID_BYTES]).rstrip(" ")
    return text or "?"
