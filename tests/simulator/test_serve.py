"""The serving loop over the virtual null-modem cable: impairments, held responses, BUSY, lost lines, trace."""

from __future__ import annotations

import io
import logging
import time
from datetime import datetime
from pathlib import Path

import pytest

from protocol import (
    CancelRequest,
    CancelResponse,
    EchoRequest,
    ErrorResponse,
    FailureReason,
    ListRequest,
    Reason,
    RequestFailed,
    ResponseReceived,
    Result,
    StatusRequest,
    StatusResponse,
    Timers,
)
from simulator.cable import CableSettings, NullModemCable
from simulator.serve import HostServer
from simulator.store import HostStore
from tests.material import KEY, MERCHANT_ID
from tests.simulator.line_terminal import LineTerminal, wait_until
from tests.simulator.vector_data import FIRST, SECOND, vector_data

NOW = datetime(2026, 11, 27, 9, 31, 6)
# Short timers keep resends quick; T_ACK still leaves the pty round trip (well under 10 ms) ample room.
TIMERS = Timers(t_char=0.05, t_ack=0.2, t_resp=1.0)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "host.db"
    with HostStore(path) as store:
        store.load(vector_data())
    return path


def cancel(request_id: str, appt_id: str = FIRST.appt_id, fee_accepted: int = 0) -> CancelRequest:
    return CancelRequest(MERCHANT_ID, appt_id, request_id, Reason.WILL_REBOOK, fee_accepted, "00", NOW)


def test_list_cancel_repeat_and_status_complete_through_resends_on_an_impaired_cable(store_path: Path) -> None:
    # 0.3 % drop and 0.3 % flip per byte: about one frame in three of a LIST_RESP is damaged, so the
    # link resends and now and then a whole request is retried. (At 1 % per byte a 266-byte LIST_RESP
    # arrives intact 0.5 % of the time, and no request of that size completes at all.)
    settings = CableSettings(drop=0.003, flip=0.003, seed=20261127)
    trace = io.StringIO()
    with (
        NullModemCable(settings) as cable,
        HostServer([cable.path_b], store_path, clock=lambda: NOW, timers=TIMERS, trace=trace),
        LineTerminal(cable.path_a, timers=TIMERS) as terminal,
    ):
        for round_number in range(3):
            listed = terminal.ask(ListRequest(MERCHANT_ID, 0))
            assert listed.result is Result.OK
            done = terminal.ask(cancel(f"R{round_number}", SECOND.appt_id, fee_accepted=5000))
            if round_number == 0:
                assert listed.total == 2
                assert (done.result, done.fee_charged) == (Result.OK, 0)
                first_done = done
            else:
                assert listed.total == 1
                assert done.result is Result.ALREADY_CANCELLED
            assert terminal.ask(cancel("R0", SECOND.appt_id, fee_accepted=5000)) == first_done
            status = terminal.ask(StatusRequest("R0"))
            assert isinstance(status, StatusResponse)
            assert (status.result, status.cancel_ref, status.timestamp) == (Result.OK, first_done.cancel_ref, NOW)
        damage = cable.counters.a_to_b.dropped + cable.counters.a_to_b.flipped
        damage += cable.counters.b_to_a.dropped + cable.counters.b_to_a.flipped
        resends = terminal.connection.counters.resends + trace.getvalue().count(" -> RESEND")
    assert damage > 0 and resends > 0
    with HostStore(store_path) as store:
        assert [(c.request_id, c.result) for c in store.cancellations()] == [
            ("R0", Result.OK), ("R1", Result.ALREADY_CANCELLED), ("R2", Result.ALREADY_CANCELLED),
        ]


def test_a_response_held_past_t_resp_leaves_the_outcome_to_status(store_path: Path) -> None:
    impatient = Timers(t_char=0.05, t_ack=0.2, t_resp=0.3)
    with NullModemCable() as cable, HostServer([cable.path_b], store_path, clock=lambda: NOW, timers=TIMERS, delay=0.6):
        with LineTerminal(cable.path_a, timers=impatient) as terminal:
            outcome = terminal.exchange(cancel("R-LATE"))
        assert isinstance(outcome, RequestFailed) and outcome.reason is FailureReason.TIMEOUT
        # Restarted, the terminal settles the unknown outcome; the late CANCEL_RESP, unACKed, is
        # resent to it meanwhile and dropped as answering nothing it asked.
        with LineTerminal(cable.path_a, timers=TIMERS) as terminal:
            settled = terminal.exchange(StatusRequest("R-LATE"))
    assert isinstance(settled, ResponseReceived)
    assert settled.response.result is Result.OK and settled.response.request_id == "R-LATE"


def test_busy_rate_one_answers_every_request_with_error_busy_and_cancels_nothing(store_path: Path) -> None:
    with (
        NullModemCable() as cable,
        HostServer([cable.path_b], store_path, clock=lambda: NOW, timers=TIMERS, busy_rate=1.0, seed=1),
        LineTerminal(cable.path_a, timers=TIMERS) as terminal,
    ):
        for request in (EchoRequest(NOW), cancel("R-BUSY")):
            outcome = terminal.exchange(request)
            assert isinstance(outcome, ResponseReceived) and outcome.verified
            assert isinstance(outcome.response, ErrorResponse) and outcome.response.result is Result.BUSY
    with HostStore(store_path) as store:
        assert store.cancellations() == []


def test_a_vanished_line_is_reopened_and_never_stops_the_other_lines(
    store_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="simulator.serve")
    link = tmp_path / "ttyHOST"
    steady = NullModemCable().start()
    pulled = NullModemCable(link_b=link).start()
    server = HostServer([str(link), steady.path_b, str(tmp_path / "never-there")], store_path, clock=lambda: NOW, timers=TIMERS)
    try:
        server.start()
        with LineTerminal(pulled.path_a, timers=TIMERS) as terminal:
            assert terminal.ask(EchoRequest(NOW)).result is Result.OK
        pulled.stop()  # the line vanishes: its device and its link are gone
        wait_until(lambda: f"{link}: lost" in caplog.text, "the loss is logged")
        with LineTerminal(steady.path_a, timers=TIMERS) as terminal:
            assert terminal.ask(EchoRequest(NOW)).result is Result.OK
        pulled = NullModemCable(link_b=link).start()  # plugged back in under the same name
        wait_until(lambda: f"{link}: open again" in caplog.text, "the line is reopened")
        with LineTerminal(pulled.path_a, timers=TIMERS) as terminal:
            assert terminal.ask(EchoRequest(NOW)).result is Result.OK
        assert server.serving
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0  # prompt, even with a port in backoff
        pulled.stop()
        steady.stop()


def test_a_second_host_on_the_same_line_gets_none_of_its_bytes(
    store_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A host left running retries its lines' paths; a pty path may meanwhile name another
    # cable's end. It must not read from a line another host holds.
    caplog.set_level(logging.WARNING, logger="simulator.serve")
    other_store = tmp_path / "other.db"
    with HostStore(other_store) as store:
        store.load(vector_data())
    with NullModemCable() as cable, HostServer([cable.path_b], store_path, clock=lambda: NOW, timers=TIMERS):
        with LineTerminal(cable.path_a, timers=TIMERS) as terminal:
            assert terminal.ask(EchoRequest(NOW)).result is Result.OK  # the first host holds it
        with HostServer([cable.path_b], other_store, clock=lambda: NOW, timers=TIMERS):
            wait_until(lambda: f"{cable.path_b}: cannot open" in caplog.text, "the second host refused")
            with LineTerminal(cable.path_a, timers=TIMERS) as terminal:
                for _ in range(10):
                    assert terminal.ask(EchoRequest(NOW)).result is Result.OK


def test_a_stopped_host_starts_again_at_once_and_serves(store_path: Path) -> None:
    with NullModemCable() as cable:
        server = HostServer([cable.path_b], store_path, clock=lambda: NOW, timers=TIMERS)
        server.start()
        server.stop()
        started = time.monotonic()
        server.start()
        try:
            assert time.monotonic() - started < 2.0  # not start()'s 5 s wait for a line never tried
            with LineTerminal(cable.path_a, timers=TIMERS) as terminal:
                assert terminal.ask(EchoRequest(NOW)).result is Result.OK
        finally:
            server.stop()


def test_the_trace_shows_every_frame_both_ways_decoded_and_never_a_key(store_path: Path) -> None:
    trace = io.StringIO()
    with (
        NullModemCable() as cable,
        HostServer([cable.path_b], store_path, clock=lambda: NOW, trace=trace),
        LineTerminal(cable.path_a) as terminal,
    ):
        terminal.ask(ListRequest(MERCHANT_ID, 0))
        terminal.line.write(b"\x55\x55")  # line noise
        response = terminal.ask(cancel("R-TRACE"))
        wait_until(lambda: trace.getvalue().count("<- ACK") >= 2, "the host has the terminal's last ACK")
    lines = trace.getvalue().splitlines()
    assert isinstance(response, CancelResponse)
    # A slow machine may add resends and duplicates; the frames themselves are traced once each.
    received = [line for line in lines if " <- FRAME " in line]
    sent = [line for line in lines if " -> FRAME " in line]
    assert len(received) == 2 and len(sent) == 2
    assert all(f" {cable.path_b} " in line for line in lines)
    assert "LIST_REQ seq=1 tid=TEST0001: MERCHANT_ID = 898440358120001, PAGE = 0 |" in received[0]
    assert "ADDRESS = 成都市武侯区天府大道100号" in sent[0]
    assert "CANCEL_RESP seq=2 tid=TEST0001: RESULT = 0 (OK), REQUEST_ID = R-TRACE" in sent[1]
    assert f"CANCEL_REF = {response.cancel_ref}" in sent[1]
    assert sum(int(line.split("(")[1].split(" ")[0]) for line in lines if " <- NOISE (" in line) == 2
    assert sum(" -> ACK" in line for line in lines) >= 2
    # Wall-clock time first: "YYYY-MM-DD HH:MM:SS.mmm".
    datetime.strptime(lines[0][:23], "%Y-%m-%d %H:%M:%S.%f")
    assert KEY.hex() not in trace.getvalue()
