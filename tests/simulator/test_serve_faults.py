"""Each fault a technician sets on the host, as it shows on the wire, over real pty pairs: a test
terminal (or the real host client) on one end, the serving loop on the other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from protocol import (
    EchoRequest,
    ErrorResponse,
    FailureReason,
    ListRequest,
    RequestFailed,
    ResponseReceived,
    Result,
    Status,
    Timers,
)
from protocol.enums import Reason
from protocol.messages import CancelRequest
from protocol.trace import describe_frame
from simulator.cable import NullModemCable
from simulator.faults import JUNK_BYTES, Fault, FaultBoard, FaultKind
from simulator.host_activity import HostActivity
from simulator.host_clock import HostClock
from simulator.serve import HostServer
from simulator.store import HostStore
from terminal.journal import AttemptState, Journal
from tests.material import MERCHANT_ID
from tests.simulated_host import FREE, NOW, data_around, simulated_host, terminal_client
from tests.simulator.line_terminal import LineTerminal, wait_until

# The test terminal's timers: T_CHAR well above a short split's gap and well below a long one's;
# T_RESP long enough for a late answer of HOST_T_ACK's order.
T_CHAR = 0.2
TERMINAL_TIMERS = Timers(t_char=T_CHAR, t_ack=0.3, t_resp=2.0)
HOST_TIMERS = Timers(t_char=T_CHAR, t_ack=0.6, t_resp=2.0)
DATA = data_around(NOW)


@dataclass
class Wire:
    """Every chunk the host wrote or read, as its capture tap sees it."""

    chunks: list[tuple[str, bytes, float]] = field(default_factory=list)

    def tap(self, _url: str):  # the part of CaptureFile HostServer uses
        return lambda direction, data, now: self.chunks.append((direction, data, now))

    def written(self) -> list[bytes]:
        return [data for direction, data, _now in self.chunks if direction == "tx"]


@dataclass
class Host:
    server: HostServer
    faults: FaultBoard
    activity: HostActivity
    clock: HostClock
    wire: Wire
    store_path: Path
    port: str  # the terminal's end

    def notes(self) -> list[str]:
        return [text for _number, _wall, text in self.activity.notes_after(0)]

    def traffic(self, kind: str) -> list:
        return [entry.record for entry in self.activity.traffic_after(0)[0] if entry.record.kind == kind]

    def cancellations(self):
        with HostStore(self.store_path, create=False) as store:
            return store.cancellations()


@contextmanager
def faulty_host(tmp_path: Path) -> Iterator[Host]:
    store_path = tmp_path / "host.db"
    with HostStore(store_path) as store:
        store.load(DATA)
    faults, activity, clock, wire = FaultBoard(seed=1), HostActivity(), HostClock(fixed=NOW), Wire()
    with NullModemCable() as cable:
        server = HostServer(
            [cable.path_b], store_path, clock=clock, timers=HOST_TIMERS, faults=faults, activity=activity,
            capture=wire,  # type: ignore[arg-type]
            data_source=lambda: DATA,
        )
        with server:
            yield Host(server, faults, activity, clock, wire, store_path, cable.path_a)


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    with faulty_host(tmp_path) as host:
        yield host


@pytest.fixture
def terminal(host: Host) -> Iterator[LineTerminal]:
    with LineTerminal(host.port, timers=TERMINAL_TIMERS) as terminal:
        yield terminal


def cancel(request_id: str, appt_id: str = FREE) -> CancelRequest:
    return CancelRequest(MERCHANT_ID, appt_id, request_id, Reason.WILL_REBOOK, 0, "00", NOW)


def answered(outcome: ResponseReceived | RequestFailed):
    assert isinstance(outcome, ResponseReceived), outcome
    return outcome.response


def test_busy_once_refuses_the_next_request_only_and_decides_nothing(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.BUSY))
    refused = answered(terminal.exchange(cancel("R-BUSY")))
    assert isinstance(refused, ErrorResponse) and refused.result is Result.BUSY
    assert host.cancellations() == []
    assert answered(terminal.exchange(cancel("R-BUSY"))).result is Result.OK  # decided afresh, normally
    assert [c.request_id for c in host.cancellations()] == ["R-BUSY"]
    assert any("ERROR BUSY (next answer): applied to CancelRequest" in note for note in host.notes())


def test_a_busy_share_until_cleared_refuses_some_requests(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.BUSY, once=False, share=0.5))
    results = [answered(terminal.exchange(EchoRequest(NOW))).result for _ in range(16)]
    assert Result.BUSY in results and Result.OK in results
    host.faults.clear()
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK


def test_a_lost_answer_is_decided_and_the_clients_cancel_settles_by_status(tmp_path: Path) -> None:
    faults, activity = FaultBoard(), HostActivity()
    faults.set(Fault(FaultKind.LOSE_ANSWER))
    with simulated_host(tmp_path, faults=faults, activity=activity) as rig, Journal.open(tmp_path / "journal.sqlite") as journal:
        client = terminal_client(rig.terminal_port, journal, settle_backoff=(0.05,))
        try:
            outcome = client.cancel(FREE, Reason.WILL_REBOOK, 0)
        finally:
            client.close()
        with rig.host_store() as store:
            (cancellation,) = store.cancellations()
            assert store.appointment(FREE).status is Status.CANCELLED
    assert outcome.settled and outcome.state is AttemptState.CANCELLED
    assert outcome.attempt.cancel_ref == cancellation.cancel_ref
    frames = [entry.record for entry in activity.traffic_after(0)[0] if entry.record.kind == "frame"]
    asked = [describe_frame(record.data).split()[0] for record in frames if record.direction == "rx"]
    answers = [describe_frame(record.data).split()[0] for record in frames if record.direction == "tx"]
    assert asked[0] == "CANCEL_REQ" and "STATUS_REQ" in asked
    assert "CANCEL_RESP" not in answers and "STATUS_RESP" in answers  # the decision came back through STATUS
    assert activity.store_version >= 1
    assert any("decide, then lose the answer" in text for _n, _w, text in activity.notes_after(0))


def test_a_lost_answer_leaves_the_next_request_answered(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.LOSE_ANSWER))
    outcome = terminal.exchange(EchoRequest(NOW))
    assert isinstance(outcome, RequestFailed) and outcome.reason is FailureReason.TIMEOUT
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK


def test_a_late_answer_is_held_back(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.LATE, milliseconds=400))
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK
    (request, response, *_rest) = host.traffic("frame")
    assert (request.direction, response.direction) == ("rx", "tx")
    assert response.at - request.at >= 0.4  # held at least that long: a bound the host keeps, not a timing
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK


def test_an_answer_split_below_t_char_is_reassembled(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.SPLIT, milliseconds=20))
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK
    frame = host.traffic("frame")[1].data
    written = host.wire.written()
    assert frame not in written  # never in one write ...
    assert any(first + rest == frame for first, rest in zip(written, written[1:]))  # ... but in two
    assert terminal.connection.counters.abandoned_frames == 0


def test_an_answer_split_above_t_char_comes_again_as_a_resend(host: Host, terminal: LineTerminal) -> None:
    # The terminal drops the half frame after T_CHAR (and the rest as noise); the host, never
    # ACKed, sends the whole frame again after its T_ACK.
    host.faults.set(Fault(FaultKind.SPLIT, milliseconds=int(T_CHAR * 1000) * 2))
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK
    assert terminal.connection.counters.abandoned_frames >= 1
    assert host.traffic("resend")
    (line,) = host.activity.lines()
    assert line.resends >= 1


def test_junk_before_the_answer_is_skipped_as_noise(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.JUNK))
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK
    assert terminal.connection.counters.noise_bytes == len(JUNK_BYTES)
    assert JUNK_BYTES in host.wire.written()
    (junk,) = host.traffic("junk")
    assert junk.direction == "tx" and junk.data == JUNK_BYTES


def test_a_silent_host_takes_nothing_until_cleared_then_serves_afresh(host: Host, terminal: LineTerminal) -> None:
    host.faults.set(Fault(FaultKind.SILENT, once=False))
    wait_until(lambda: any("silent, as if unplugged" in note for note in host.notes()), "the line goes silent")
    outcome = terminal.exchange(EchoRequest(NOW))
    assert isinstance(outcome, RequestFailed) and outcome.reason is FailureReason.LINK  # never ACKed
    ignored = host.traffic("ignored")
    assert ignored and all(record.direction == "rx" for record in ignored)
    assert not [record for record in host.traffic("ack") if record.direction == "tx"]
    host.faults.clear()
    wait_until(lambda: any("answering again" in note for note in host.notes()), "the line speaks again")
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.OK


def test_stepping_the_clock_past_free_until_makes_list_show_the_fee(host: Host, terminal: LineTerminal) -> None:
    def fee_of_free() -> int:
        listed = answered(terminal.exchange(ListRequest(MERCHANT_ID, 0)))
        return next(a.fee for a in listed.appointments if a.appt_id == FREE)

    assert fee_of_free() == 0
    host.clock.step(timedelta(days=1, hours=1))  # FREE is free until 24 h before its time, 48 h from NOW
    assert fee_of_free() == 5000


def test_a_reset_to_booked_survives_a_reload_and_an_old_request_cancels_nothing(host: Host, terminal: LineTerminal) -> None:
    first = answered(terminal.exchange(cancel("R-1")))
    assert first.result is Result.OK
    host.server.reset_to_booked(FREE)
    host.server.reload_data()  # the same data, with an OK cancellation of FREE on record
    assert next(a for a in host.server.appointments() if a.appt_id == FREE).status is Status.BOOKED
    assert answered(terminal.exchange(cancel("R-1"))) == first  # exactly once: the stored answer
    assert next(a for a in host.server.appointments() if a.appt_id == FREE).status is Status.BOOKED
    again = answered(terminal.exchange(cancel("R-2")))
    assert again.result is Result.OK and again.cancel_ref != first.cancel_ref
    assert [c.request_id for c in host.server.cancellations()] == ["R-1", "R-2"]


def test_a_refused_request_is_noted_for_the_console(host: Host, terminal: LineTerminal) -> None:
    terminal.connection = type(terminal.connection)("NOBODY01", bytes(32), timers=TERMINAL_TIMERS)
    terminal.driver.connection = terminal.connection
    assert answered(terminal.exchange(EchoRequest(NOW))).result is Result.UNKNOWN_TERMINAL
    assert any("refused SEQ 1 from NOBODY01: UNKNOWN_TERMINAL" in note for note in host.notes())
