"""The four receive paths the fuzzing drives (frame reader, message decoder, host, terminal
connection), each with its oracle, shared by bench/fuzz.py and tests/fuzz/. A case is plain data
(chunks of the line's bytes with the silence before each, or a TYPE and FIELDS); what a target
must do with it is listed in bench/fuzz.py's docstring. An unexpected exception propagates; a
broken invariant raises Violation.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from protocol.connection import (
    FrameDropped,
    HostConnection,
    RequestAccepted,
    RequestFailed,
    RequestReceived,
    RequestRefused,
    ResponseAbandoned,
    ResponseReceived,
    TerminalConnection,
)
from protocol.enums import ACK, FRAME_OVERHEAD, MAX_FRAME, NAK, Reason, Service, Status
from protocol.errors import RemoteProtocolError
from protocol.frame import declared_length, frame_body, frame_problem, parse_envelope
from protocol.framer import AbandonedFrame, ControlByte, CorruptFrame, FrameReader, GoodFrame, Noise
from protocol.integrity import ZERO_MAC
from protocol.link import BadFrame, Timers, TraceRecord
from protocol.messages import (
    CancelRequest,
    EchoRequest,
    ErrorResponse,
    ListRequest,
    Message,
    StatusRequest,
    decode_message,
)
from protocol.trace import format_record
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from simulator.host import HostLogic
from simulator.store import HostStore
from tests.material import KEY, MERCHANT_ID, TID
from tests.support.fuzz_inputs import NOW, OTHER_KEY, OTHER_TID

TIMERS = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)
TERMINAL_REQUESTS: dict[str, Callable[[], Any]] = {
    "echo": lambda: EchoRequest(NOW),
    "list": lambda: ListRequest(MERCHANT_ID, 0),
    "cancel": lambda: CancelRequest(MERCHANT_ID, "A20261128001", "TEST000100000003", Reason.NO_LONGER_NEEDED, 0, "00", NOW),
    "status": lambda: StatusRequest("TEST000100000003"),
}


class Violation(Exception):
    """A broken invariant: counted as unexpected, like an exception."""


def _check_buffer(buffered: int, latest: int, result: dict) -> None:
    result["max_buffer"] = max(result["max_buffer"], buffered)
    if buffered > MAX_FRAME + latest:
        raise Violation(f"receive buffer holds {buffered} bytes after a read of {latest}")


def run_framer(case: dict, result: dict) -> None:
    reader = FrameReader(TIMERS.t_char)
    now = 0.0
    good: list[bytes] = []
    chunks = list(case["chunks"])
    if case.get("tail"):
        chunks.append((0.0, case["tail"]))
    for gap, chunk in chunks:
        now += gap
        reader.receive_data(chunk, now)
        _check_buffer(reader.buffered, len(chunk), result)
        _drain_framer(reader, good)
    now += TIMERS.t_char + 1.0
    reader.handle_timer(now)
    _drain_framer(reader, good)
    if reader.buffered:
        raise Violation(f"{reader.buffered} bytes still buffered after a silence longer than T_CHAR")
    if case.get("tail") and (not good or good[-1] != case["tail"]):
        raise Violation("an intact frame at the end of the stream was not delivered")


def _drain_framer(reader: FrameReader, good: list[bytes]) -> None:
    while (event := reader.next_event()) is not None:
        if isinstance(event, GoodFrame):
            if frame_problem(event.raw) is not None or declared_length(event.raw) + FRAME_OVERHEAD != len(event.raw):
                raise Violation("a GoodFrame whose LEN, ETX or CRC is wrong")
            good.append(event.raw)
            try:
                parse_envelope(event.body)
            except RemoteProtocolError:
                pass
        elif isinstance(event, CorruptFrame):
            if frame_problem(event.raw) is None:
                raise Violation("a CorruptFrame that is a good frame")
        elif not isinstance(event, (ControlByte, Noise, AbandonedFrame)):
            raise Violation(f"unknown framer event {event!r}")


def run_messages(case: dict, result: dict) -> None:
    try:
        message = decode_message(case["type"], case["fields"])
    except RemoteProtocolError:
        return
    encoded = message.encode_fields()  # a LocalProtocolError here: decoder took what the encoder refuses
    again = decode_message(case["type"], encoded)
    if again != message:
        raise Violation(f"{type(message).__name__} does not survive decode -> encode -> decode")


def _trace_sink(record: TraceRecord) -> None:
    # What `pos-sim host --trace` and the technician's screen do with every record.
    format_record(record, "00:00:00.000")


class HostBench:
    """The host's side, as simulator.serve runs it: a HostConnection, HostLogic on a real store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = {TID: KEY, OTHER_TID: OTHER_KEY}
        self.store: HostStore | None = None
        self.logic: HostLogic | None = None
        self.generation = 0
        self.renew()

    def renew(self) -> None:
        """A fresh store, so the cancellations stored by earlier inputs do not grow without end."""
        self.close()
        self.generation += 1
        path = self.folder / f"fuzz-host-{os.getpid()}-{self.generation}.db"
        self.store = HostStore(path)
        self.store.load(host_data())
        self.logic = HostLogic(self.store, lambda: NOW)

    def close(self) -> None:
        if self.store is not None:
            path = self.store.path
            self.store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.store = None

    def key_for(self, tid: str) -> bytes | None:
        return self.keys.get(tid)

    def run(self, case: dict, result: dict) -> None:
        connection = HostConnection(self.key_for, timers=TIMERS, tracer=_trace_sink if case.get("trace") else None)
        held: deque = deque()
        acks = deque(case.get("acks", "a"))
        now = 0.0
        for gap, chunk in case["chunks"]:
            now += gap
            connection.receive_data(chunk, now)
            _check_buffer(connection.link.buffered, len(chunk), result)
            self._serve(connection, held, acks, now)
        for _ in range(60):  # silence: T_CHAR, T_ACK and held answers all come due
            if not held and connection.get_timer() is None:
                break
            now += 1.0
            connection.handle_timer(now)
            self._serve(connection, held, acks, now)
        if held:
            raise Violation(f"{len(held)} requests never answered")

    def _serve(self, connection: HostConnection, held: deque, acks: deque, now: float) -> None:
        timer = connection.get_timer()
        if timer is not None and now >= timer:
            connection.handle_timer(now)
        connection.data_to_send()
        while (event := connection.next_event()) is not None:
            if isinstance(event, RequestReceived):
                assert self.logic is not None
                response = self.logic.respond(event)
                if response.TYPE is not event.request.TYPE.response_type:
                    raise Violation(f"{event.request.TYPE.name} answered with {response.TYPE.name}")
                held.append((event, response))
            elif isinstance(event, RequestRefused):
                response = connection.refusal(event)
                if not isinstance(response, ErrorResponse) or response.result is not event.result:
                    raise Violation(f"a refused request ({event.result.name}) not answered with ERROR")
                held.append((event, response))
            elif not isinstance(event, (ResponseAbandoned, BadFrame)):
                raise Violation(f"unexpected host event {event!r}")
        while held and connection.state.name == "IDLE":
            event, response = held.popleft()
            out = connection.data_to_send() + connection.answer(event, response, now)
            self._check_answer(out, event, response)
            ack = acks[0] if acks else "a"
            acks.rotate(-1)
            if ack == "a":
                connection.receive_data(bytes((ACK,)), now)
            elif ack == "n":
                connection.receive_data(bytes((NAK,)), now)
                connection.data_to_send()
                connection.receive_data(bytes((ACK,)), now)
            # "-": no ACK; T_ACK runs out and the link resends, then gives up

    def _check_answer(self, out: bytes, event: RequestReceived | RequestRefused, response: Message) -> None:
        # `out` is what the link owed (ACK/NAK, and a resend asked for by a NAK that a later good
        # frame overtook as the implicit ACK), then the answer: only good frames and control bytes.
        reader = FrameReader(TIMERS.t_char)
        reader.receive_data(out, 0.0)
        events = list(iter(reader.next_event, None))
        if reader.buffered or not all(isinstance(e, (GoodFrame, ControlByte)) for e in events):
            raise Violation("the host's answer is not a good frame")
        frame = events[-1].raw if isinstance(events[-1], GoodFrame) else b""
        if not frame or not out.endswith(frame):
            raise Violation("the host's answer is not a good frame")
        envelope = parse_envelope(frame_body(frame))
        key = self.key_for(event.tid)
        if (envelope.seq, envelope.tid) != (event.seq, event.tid):
            raise Violation("the answer does not carry the request's SEQ and TID")
        if not (envelope.mac_verifies(key) if key is not None else envelope.mac == ZERO_MAC):
            raise Violation("the answer's MAC is wrong")
        if envelope.message() != response:
            raise Violation("the answer does not decode to the response sent")


def host_data() -> SimulatorData:
    def booked(appt_id: str, day: int, status: Status = Status.BOOKED) -> ServiceAppointment:
        at = datetime(2026, 11, day, 10)
        return ServiceAppointment(
            appt_id, MERCHANT_ID, at, Service.REPAIR, status, "Chengdu Hi-Tech Zone, Unit 7", 5000,
            datetime(2026, 11, day - 1, 10), datetime(2026, 11, day, 8),
        )

    return SimulatorData(
        terminals=(Terminal(TID, MERCHANT_ID, KEY), Terminal(OTHER_TID, "123456789012345", OTHER_KEY)),
        appointments=(booked("A20261128001", 28), booked("A20261130007", 30), booked("A3", 27),
                      booked("A4", 29, Status.IN_PROGRESS)),
        source="tests/support/fuzz_targets.py",
    )


def run_terminal(case: dict, result: dict) -> None:
    request = TERMINAL_REQUESTS[case["request"]]()
    connection = TerminalConnection(
        TID, KEY, timers=TIMERS, first_seq=case["seq"], tracer=_trace_sink if case.get("trace") else None
    )
    connection.send(request, 0.0)
    now = 0.001
    if case.get("acked", True):
        connection.receive_data(bytes((ACK,)), now)
    finals = 0
    for gap, chunk in case["chunks"]:
        now += gap
        connection.receive_data(chunk, now)
        _check_buffer(connection.link.buffered, len(chunk), result)
        connection.handle_timer(now)
        finals += _check_terminal_events(connection, request, case["seq"])
        connection.data_to_send()
    for _ in range(3):
        now += 6.0
        connection.handle_timer(now)
        finals += _check_terminal_events(connection, request, case["seq"])
        connection.data_to_send()
    if finals != 1:
        raise Violation(f"the request ended {finals} times (answered or failed), not once")


def _check_terminal_events(connection: TerminalConnection, request: Message, seq: int) -> int:
    finals = 0
    while (event := connection.next_event()) is not None:
        if isinstance(event, ResponseReceived):
            finals += 1
            response = event.response
            if event.seq != seq or event.request is not request:
                raise Violation("a response delivered for another request")
            if isinstance(response, ErrorResponse):
                continue
            if not event.verified:
                raise Violation(f"an unverified {response.TYPE.name} delivered")
            if response.TYPE is not request.TYPE.response_type:
                raise Violation(f"{response.TYPE.name} delivered as the answer to {request.TYPE.name}")
            if isinstance(request, (CancelRequest, StatusRequest)) and response.request_id != request.request_id:
                raise Violation("an answer about another REQUEST_ID delivered")
        elif isinstance(event, RequestFailed):
            finals += 1
        elif not isinstance(event, (RequestAccepted, FrameDropped, BadFrame)):
            raise Violation(f"unexpected terminal event {event!r}")
    return finals


def store_folder() -> Path:
    # The host's store syncs every cancellation to disk; in memory-backed /dev/shm that costs
    # microseconds instead of milliseconds, and a million inputs store tens of thousands.
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())
