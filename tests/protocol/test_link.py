"""The link state machine with a fake clock: ACK/NAK, resend, give-up, duplicates, counters."""

from __future__ import annotations

import pytest

from protocol.enums import ACK, NAK
from protocol.errors import LocalProtocolError
from protocol.frame import frame_body
from protocol.link import (
    BadFrame,
    FrameAcknowledged,
    FrameReceived,
    Link,
    SendFailed,
    Timers,
    wire_time,
)
from tests.material import vector_named

FRAME = bytes.fromhex(vector_named("echo request")["frame_hex"])
OTHER = bytes.fromhex(vector_named("echo response")["frame_hex"])
TIMERS = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)


def events(link: Link) -> list:
    return list(iter(link.next_event, None))


def test_a_good_frame_is_acked_and_delivered():
    link = Link(TIMERS)
    link.receive_data(FRAME, 0.0)
    assert link.data_to_send() == bytes([ACK])
    assert events(link) == [FrameReceived(frame_body(FRAME), FRAME)]
    assert link.counters.frames_in == 1 and link.counters.acks_out == 1


def test_a_corrupt_frame_is_naked_and_reported():
    link = Link(TIMERS)
    bad = FRAME[:-1] + bytes([FRAME[-1] ^ 0xFF])
    link.receive_data(bad, 0.0)
    assert link.data_to_send() == bytes([NAK])
    assert events(link) == [BadFrame(bad, "CRC mismatch")]
    assert link.counters.bad_frames == 1 and link.counters.naks_out == 1


def test_nak_gets_the_identical_frame_again():
    link = Link(TIMERS)
    assert link.send_frame(FRAME, 0.0) == FRAME
    link.receive_data(bytes([NAK]), 0.1)
    assert link.data_to_send() == FRAME
    assert link.counters.resends == 1 and link.awaiting_ack


def test_no_ack_within_t_ack_resends_then_third_failure_is_a_link_failure():
    link = Link(TIMERS)
    link.send_frame(FRAME, 0.0)
    assert link.get_timer() == pytest.approx(0.5)
    link.handle_timer(0.49)
    assert link.data_to_send() == b""
    link.handle_timer(0.5)
    assert link.data_to_send() == FRAME  # send 2
    assert link.get_timer() == pytest.approx(1.0)
    link.handle_timer(1.0)
    assert link.data_to_send() == FRAME  # send 3
    assert events(link) == []
    link.handle_timer(1.5)
    assert link.data_to_send() == b""  # never a fourth send
    assert events(link) == [SendFailed(FRAME)]
    assert not link.awaiting_ack and link.get_timer() is None
    assert link.counters.resends == 2 and link.counters.send_failures == 1


def test_three_naks_are_a_link_failure():
    link = Link(TIMERS)
    link.send_frame(FRAME, 0.0)
    sent = [FRAME]
    for at in (0.1, 0.2, 0.3):
        link.receive_data(bytes([NAK]), at)
        sent.append(link.data_to_send())
    assert sent == [FRAME, FRAME, FRAME, b""]
    assert events(link) == [SendFailed(FRAME)]


def test_ack_ends_the_wait():
    link = Link(TIMERS)
    link.send_frame(FRAME, 0.0)
    link.receive_data(bytes([ACK]), 0.2)
    assert events(link) == [FrameAcknowledged(FRAME, 1)]
    assert link.get_timer() is None
    link.handle_timer(5.0)
    assert link.data_to_send() == b""


def test_t_ack_includes_the_frames_own_wire_time():
    link = Link(TIMERS, baud=9600)
    link.send_frame(FRAME, 0.0)
    assert link.get_timer() == pytest.approx(0.5 + len(FRAME) * 10 / 9600)
    assert wire_time(960, 9600) == pytest.approx(1.0)


def test_a_good_frame_while_awaiting_ack_counts_as_the_ack_and_is_delivered():
    link = Link(TIMERS)
    link.send_frame(FRAME, 0.0)
    link.receive_data(OTHER, 0.3)
    assert events(link) == [FrameAcknowledged(FRAME, 1), FrameReceived(frame_body(OTHER), OTHER)]
    assert link.data_to_send() == bytes([ACK])
    assert not link.awaiting_ack


def test_a_retransmission_is_acked_again_but_not_delivered_twice():
    link = Link(TIMERS)
    link.receive_data(FRAME, 0.0)
    link.receive_data(FRAME, 0.6)  # the peer missed our ACK
    assert link.data_to_send() == bytes([ACK, ACK])
    assert [type(e) for e in events(link)] == [FrameReceived]
    assert link.counters.duplicates == 1


def test_stray_ack_and_nak_change_nothing():
    link = Link(TIMERS)
    link.receive_data(bytes([ACK, NAK]), 0.0)
    assert events(link) == [] and link.data_to_send() == b""


def test_one_frame_at_a_time():
    link = Link(TIMERS)
    link.send_frame(FRAME, 0.0)
    with pytest.raises(LocalProtocolError, match="already awaiting"):
        link.send_frame(OTHER, 0.1)


def test_sending_a_frame_leaves_the_acks_owed_to_be_drained_first():
    link = Link(TIMERS)
    link.receive_data(FRAME, 0.0)
    assert link.send_frame(OTHER, 0.1) == OTHER
    assert link.data_to_send() == bytes([ACK])


def test_trace_sees_every_happening():
    seen = []
    link = Link(TIMERS, tracer=seen.append)
    link.receive_data(b"zz" + FRAME, 0.0)
    link.send_frame(OTHER, 0.1)
    link.receive_data(bytes([NAK]), 0.2)
    assert [r.kind for r in seen] == ["noise", "frame", "ack", "frame", "nak", "resend"]
    assert [r.direction for r in seen] == ["rx", "rx", "tx", "tx", "rx", "tx"]


def test_trace_shows_a_frame_before_its_ack_while_the_ack_bytes_go_out_first():
    seen = []
    link = Link(TIMERS, tracer=seen.append)
    link.receive_data(FRAME, 0.0)
    link.receive_data(FRAME, 0.1)  # the peer missed our ACK and sends the frame again
    assert [(r.direction, r.kind) for r in seen] == [("rx", "frame"), ("tx", "ack"), ("rx", "duplicate"), ("tx", "ack")]
    assert link.send_frame(OTHER, 0.2) == OTHER
    assert link.data_to_send() == bytes([ACK, ACK])  # owed, written before the new frame


def test_a_retransmitted_old_frame_is_not_taken_as_the_ack_of_our_new_frame():
    link = Link(TIMERS)
    link.receive_data(FRAME, 0.0)
    events(link)
    link.send_frame(OTHER, 0.1)
    link.receive_data(FRAME, 0.2)  # the peer resends its old frame: it missed our ACK
    assert events(link) == [] and link.awaiting_ack
    link.receive_data(bytes([ACK]), 0.3)
    assert events(link) == [FrameAcknowledged(OTHER, 1)]
