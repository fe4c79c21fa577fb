"""Replayed old requests and replayed old responses change no state on either side and are logged.

A request replayed byte for byte right after itself is a retransmission: ACKed, not delivered
(traced as DUPLICATE). Replayed later, or to a host that has restarted since, it is read again and
answered with the response stored for its REQUEST_ID: the same bytes, and nothing cancelled twice.
A stale answer replayed at the terminal carries an old SEQ: it is dropped (FrameDropped), logged,
and the journal does not change."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pytest

from protocol import (
    CancelRequest,
    EchoRequest,
    Reason,
    Result,
    TerminalConnection,
    Timers,
)
from protocol.frame import frame_body, parse_envelope
from simulator.cable import NullModemCable
from simulator.serve import HostServer
from simulator.store import HostStore
from terminal.journal import AttemptState, Journal
from tests.material import KEY, MERCHANT_ID, TID
from tests.security.line_host import LineHost, RawTerminal, Script
from tests.simulated_host import (
    DATA,
    FAST_TIMERS,
    FREE,
    NOW,
    WITH_FEE,
    simulated_host,
    terminal_client,
)


def answer(frame: bytes):
    return parse_envelope(frame_body(frame))


def test_a_replayed_cancel_request_cancels_nothing_twice(tmp_path: Path) -> None:
    trace = io.StringIO()
    cancel = CancelRequest(MERCHANT_ID, FREE, "TEST000100000010", Reason.WILL_REBOOK, 0, "00", NOW)
    with simulated_host(tmp_path, trace=trace) as rig:
        raw = RawTerminal(rig.terminal_port)
        try:
            connection = TerminalConnection(TID, KEY, timers=Timers(t_ack=1.0), first_seq=10)
            first = raw.exchange(connection, cancel)
            assert first.response.result is Result.OK
            captured = raw.sent[-1]
            raw.pump(0.3)
            answers = len(raw.frames)

            # 1. The same bytes again at once: taken for a retransmission, ACKed and not delivered.
            raw.line.write(captured)
            raw.pump(0.4)
            assert len(raw.frames) == answers
            assert "<- DUPLICATE (retransmission, ACKed again, not delivered)" in trace.getvalue()

            # 2. After another request: read again, answered from the store with the same bytes.
            raw.exchange(connection, EchoRequest(NOW))
            raw.pump(0.3)
            before = len(raw.frames)
            raw.line.write(captured)
            raw.pump_until(before + 1)
            replayed = raw.frames[-1]
            assert answer(replayed).seq == 10 and answer(replayed).message() == first.response

            # 3. To a host restarted since (a fresh connection, no "last frame"): the same again.
            rig.server.stop()
            answers = len(raw.frames)
            with HostServer([rig.cable.path_b], rig.store_path, clock=rig.clock, timers=FAST_TIMERS, trace=trace):
                time.sleep(0.3)  # the port is open (pyserial empties its input when it opens)
                raw.line.write(captured)
                raw.pump_until(answers + 1)
                raw.pump(0.3)  # and nothing more
            assert raw.frames[answers:] == [replayed]
        finally:
            raw.close()
        with rig.host_store() as store:
            [done] = store.cancellations()
            assert (done.request_id, done.result, done.cancel_ref) == (cancel.request_id, Result.OK, first.response.cancel_ref)
            assert FREE not in [a.appt_id for a in store.open_appointments(MERCHANT_ID)]
    # Each time the host read it, the trace shows the request and the one stored answer.
    lines = trace.getvalue().splitlines()
    assert sum("<- FRAME CANCEL_REQ" in line for line in lines) == 3
    sent = [line for line in lines if "-> FRAME CANCEL_RESP" in line]
    assert len(sent) == 3 and len({line.split(" | ")[1] for line in sent}) == 1


def test_replayed_old_answers_are_dropped_and_change_nothing(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pos_terminal.client")
    store_path = tmp_path / "host.sqlite"
    with HostStore(store_path) as store:
        store.load(DATA)
    replays: list[bytes] = []
    script = Script(before_answer=lambda event: list(replays))
    with NullModemCable() as cable, LineHost(cable.path_b, store_path, lambda: NOW, script=script) as host:
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal)
            assert client.list_appointments().total == 4
            first = client.cancel(FREE, Reason.WILL_REBOOK, 0)
            assert first.state is AttemptState.CANCELLED
            before = journal.get(first.attempt.request_id)
            old_list, old_cancel = host.exchanges[0].answer_raw, host.exchanges[1].answer_raw

            # The last answer again, between requests: identical to the last frame received, so
            # the link takes it for a retransmission (ACKed, traced as DUPLICATE, not delivered).
            host.inject(old_cancel)
            time.sleep(0.3)
            client.echo()
            assert any("DUPLICATE" in line for line in client.trace_lines(40))

            # Old answers in front of the answers to new requests: wrong TYPE or stale SEQ.
            replays[:] = [old_list, old_cancel]
            second = client.cancel(WITH_FEE, Reason.OTHER, 5000)
            page = client.list_appointments()
            # And an old answer between requests once more, no longer the last frame received.
            replays.clear()
            host.inject(old_cancel)
            time.sleep(0.3)
            client.echo()
            client.close()

            assert second.state is AttemptState.CANCELLED and second.attempt.cancel_ref != first.attempt.cancel_ref
            assert page.total == 2  # the fresh list, not the replayed one (4)
            assert journal.get(first.attempt.request_id) == before
            assert journal.count() == 2
    messages = [r.getMessage() for r in caplog.records]
    stale = [m for m in messages if m.startswith("dropped a frame from the host: SEQ")]
    assert len(stale) == 2 and all("(stale)" in m for m in stale)
    assert any("LIST_RESP does not answer CANCEL_REQ" in m for m in messages)
    assert any("CANCEL_RESP does not answer LIST_REQ" in m for m in messages)
    assert any(m.startswith("discarded a late frame: no request is awaiting an answer") for m in messages)
    with HostStore(store_path, create=False) as store:
        assert [c.result for c in store.cancellations()] == [Result.OK, Result.OK]


def test_a_stored_answer_about_another_appointment_is_not_taken_as_this_cancellation(tmp_path: Path) -> None:
    # A terminal whose journal was replaced numbers its REQUEST_IDs from 1 again. Its instance
    # code keeps them apart from the old journal's; were the two codes the same (a chance of one
    # in about 10**9, forced here), the host has a stored CANCEL_RESP for that REQUEST_ID and, as
    # exactly-once requires, sends it again: it names the earlier appointment, not this one.
    same_instance = {"new_instance": lambda: "SAMEXX"}
    with simulated_host(tmp_path) as rig:
        with Journal(tmp_path / "old-journal.sqlite", **same_instance) as old:
            client = terminal_client(rig.terminal_port, old)
            first = client.cancel(FREE, Reason.OTHER, 0)
            client.close()
        with Journal(tmp_path / "new-journal.sqlite", **same_instance) as new:
            client = terminal_client(rig.terminal_port, new)
            second = client.cancel(WITH_FEE, Reason.OTHER, 5000)
            client.close()
        with rig.host_store() as store:
            still_booked = WITH_FEE in [a.appt_id for a in store.open_appointments(MERCHANT_ID)]
    assert first.attempt.request_id == second.attempt.request_id and still_booked
    assert second.state is not AttemptState.CANCELLED, (
        f"{WITH_FEE} recorded as cancelled with voucher {second.attempt.cancel_ref}, which is {FREE}'s"
    )
