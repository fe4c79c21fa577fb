"""Terminal and host connections against each other in memory, with a fake clock (the h11
two-sided pair idiom): numbering, matching answers to requests, refusing forgeries, T_RESP."""

from __future__ import annotations

from datetime import datetime

import pytest

from protocol import (
    CancelRequest,
    CancelResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    FailureReason,
    FrameDropped,
    HostConnection,
    ListRequest,
    LocalProtocolError,
    Reason,
    RequestAccepted,
    RequestFailed,
    RequestReceived,
    RequestRefused,
    ResponseAbandoned,
    ResponseReceived,
    Result,
    State,
    StatusRequest,
    StatusResponse,
    TerminalConnection,
    Timers,
)
from protocol.enums import ACK, HEADER_SIZE
from protocol.frame import encode_frame, encode_message_frame, frame_body, parse_header
from tests.material import KEY, MERCHANT_ID, TID

T0 = datetime(2026, 11, 27, 9, 30)
TIMERS = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)


class Pair:
    """A terminal and a host joined by a perfect line; the test moves time and bytes."""

    def __init__(self, first_seq: int = 1) -> None:
        self.terminal = TerminalConnection(TID, KEY, timers=TIMERS, first_seq=first_seq)
        self.host = HostConnection(lambda tid: KEY if tid == TID else None, timers=TIMERS)
        self.now = 0.0

    def to_host(self, data: bytes) -> list:
        self.host.receive_data(data, self.now)
        return list(iter(self.host.next_event, None))

    def to_terminal(self, data: bytes) -> list:
        self.terminal.receive_data(data, self.now)
        return list(iter(self.terminal.next_event, None))

    def exchange(self, request, answer) -> list:
        """Request -> host -> answer(event) -> terminal; returns the terminal's events."""
        [received] = self.to_host(self.terminal.send(request, self.now))
        reply = self.host.answer(received, answer(received), self.now)
        events = self.to_terminal(self.host.data_to_send() + reply)
        self.to_host(self.terminal.data_to_send())
        return events


def echo_ok(_event):
    return EchoResponse(Result.OK, T0)


def test_echo_round_trip_and_both_sides_back_to_idle():
    pair = Pair()
    events = pair.exchange(EchoRequest(T0), echo_ok)
    assert [type(e) for e in events] == [RequestAccepted, ResponseReceived]
    assert events[1].response == EchoResponse(Result.OK, T0) and events[1].verified
    assert pair.terminal.state is State.IDLE and pair.host.state is State.IDLE


def test_seq_increments_per_request_and_wraps_from_65535_to_1():
    pair = Pair(first_seq=65534)
    seqs = []
    for _ in range(3):
        seqs.append(pair.exchange(EchoRequest(T0), echo_ok)[-1].seq)
    assert seqs == [65534, 65535, 1]


def test_one_request_at_a_time():
    pair = Pair()
    pair.terminal.send(EchoRequest(T0), 0.0)
    with pytest.raises(LocalProtocolError, match="terminal cannot 'send request' in state 'sending request'"):
        pair.terminal.send(EchoRequest(T0), 0.0)


def test_a_terminal_sends_only_requests_and_a_host_only_responses():
    pair = Pair()
    with pytest.raises(LocalProtocolError):
        pair.terminal.send(EchoResponse(Result.OK, T0), 0.0)
    with pytest.raises(LocalProtocolError):
        pair.host.send(EchoRequest(T0), 0.0, seq=1, tid=TID)


def _answer_frame(message, seq, key=KEY, tid=TID):
    return encode_message_frame(message, seq=seq, tid=tid, key=key)


def _awaiting(pair: Pair) -> int:
    pair.terminal.send(EchoRequest(T0), pair.now)
    pair.to_terminal(bytes([ACK]))
    return pair.terminal.outstanding[1]


@pytest.mark.parametrize(
    "frame, why",
    [
        (_answer_frame(EchoResponse(Result.OK, T0), seq=99), "stale"),
        (_answer_frame(EchoResponse(Result.OK, T0), seq=1, key=bytes(32)), "MAC does not verify"),
        (_answer_frame(EchoResponse(Result.OK, T0), seq=1, tid="OTHER001"), "not ours"),
        (
            _answer_frame(StatusResponse(Result.UNKNOWN_REQUEST, "X"), seq=1),
            "does not answer ECHO_REQ",
        ),
    ],
    ids=["wrong SEQ", "wrong key", "wrong TID", "wrong TYPE"],
)
def test_unacceptable_answers_are_acked_dropped_and_reported(frame, why):
    pair = Pair()
    _awaiting(pair)
    events = pair.to_terminal(frame)
    assert pair.terminal.data_to_send() == bytes([ACK])
    [dropped] = events
    assert isinstance(dropped, FrameDropped) and why in dropped.reason
    assert pair.terminal.state is State.AWAITING_RESPONSE  # still waiting for the real answer
    real = pair.to_terminal(_answer_frame(EchoResponse(Result.OK, T0), seq=1))
    assert isinstance(real[0], ResponseReceived)


def test_an_answer_about_another_request_id_is_dropped():
    pair = Pair()
    pair.terminal.send(StatusRequest("TEST000100000003"), 0.0)
    pair.to_terminal(bytes([ACK]))
    other = StatusResponse(Result.UNKNOWN_REQUEST, "TEST000100000099")
    [dropped] = pair.to_terminal(_answer_frame(other, seq=1))
    assert isinstance(dropped, FrameDropped) and "REQUEST_ID" in dropped.reason


def test_an_error_whose_mac_does_not_verify_is_delivered_as_unverified():
    pair = Pair()
    _awaiting(pair)
    forged = encode_message_frame(ErrorResponse(Result.UNKNOWN_TERMINAL), seq=1, tid=TID, key=None)
    [event] = pair.to_terminal(forged)
    assert isinstance(event, ResponseReceived) and not event.verified
    assert event.response.result is Result.UNKNOWN_TERMINAL


def test_a_frame_when_nothing_is_outstanding_is_dropped():
    pair = Pair()
    [dropped] = pair.to_terminal(_answer_frame(EchoResponse(Result.OK, T0), seq=1))
    assert isinstance(dropped, FrameDropped) and "no request" in dropped.reason


def test_no_answer_within_t_resp_fails_the_request_with_timeout():
    pair = Pair()
    _awaiting(pair)
    assert pair.terminal.get_timer() == pytest.approx(10.0)
    pair.terminal.handle_timer(9.99)
    assert pair.terminal.next_event() is None
    pair.terminal.handle_timer(10.0)
    [failed] = list(iter(pair.terminal.next_event, None))
    assert failed == RequestFailed(EchoRequest(T0), 1, FailureReason.TIMEOUT)
    assert pair.terminal.state is State.IDLE


def test_a_dropped_frame_does_not_restart_t_resp():
    pair = Pair()
    _awaiting(pair)
    pair.now = 6.0
    pair.to_terminal(_answer_frame(EchoResponse(Result.OK, T0), seq=99))
    assert pair.terminal.get_timer() == pytest.approx(10.0)


def test_t_resp_waits_for_a_response_frame_already_arriving():
    pair = Pair()
    _awaiting(pair)
    answer = _answer_frame(EchoResponse(Result.OK, T0), seq=1)
    pair.now = 9.95
    pair.to_terminal(answer[:5])
    pair.terminal.handle_timer(10.05)  # T_RESP has passed, but the answer's first byte came in time
    assert pair.terminal.next_event() is None
    pair.now = 10.1
    [event] = pair.to_terminal(answer[5:])
    assert isinstance(event, ResponseReceived)


def test_request_not_taken_after_three_sends_is_a_link_failure():
    pair = Pair()
    pair.terminal.send(EchoRequest(T0), 0.0)
    for at in (0.5, 1.0, 1.5):
        pair.terminal.handle_timer(at)
    events = list(iter(pair.terminal.next_event, None))
    assert events == [RequestFailed(EchoRequest(T0), 1, FailureReason.LINK)]
    assert pair.terminal.counters.resends == 2


def test_lost_ack_of_the_response_makes_the_host_resend_and_the_terminal_not_deliver_twice():
    pair = Pair()
    [received] = pair.to_host(pair.terminal.send(EchoRequest(T0), 0.0))
    owed = pair.host.data_to_send()
    response = pair.host.answer(received, EchoResponse(Result.OK, T0), 0.0)
    assert owed == bytes([ACK])  # the request's ACK, owed before the response is made
    first = pair.to_terminal(owed + response)
    pair.terminal.data_to_send()  # our ACK is lost on the line
    pair.host.handle_timer(0.6)
    resent = pair.host.data_to_send()
    assert resent == response  # the identical frame
    assert pair.to_terminal(resent) == []
    assert pair.terminal.data_to_send() == bytes([ACK])
    assert [type(e) for e in first] == [RequestAccepted, ResponseReceived]


def test_host_abandons_a_response_after_three_sends():
    pair = Pair()
    [received] = pair.to_host(pair.terminal.send(EchoRequest(T0), 0.0))
    pair.host.answer(received, EchoResponse(Result.OK, T0), 0.0)
    for at in (0.5, 1.0, 1.5):
        pair.host.handle_timer(at)
    assert [type(e) for e in iter(pair.host.next_event, None)] == [ResponseAbandoned]
    assert pair.host.state is State.IDLE


def test_host_sees_a_retransmitted_request_once():
    pair = Pair()
    request = pair.terminal.send(EchoRequest(T0), 0.0)
    assert len(pair.to_host(request)) == 1
    assert pair.to_host(request) == []  # our ACK was lost; the terminal resent
    assert pair.host.data_to_send() == bytes([ACK, ACK])


def _request_frame(message, *, key=KEY, tid=TID, seq=7, version=None):
    frame = encode_message_frame(message, seq=seq, tid=tid, key=key)
    if version is not None:
        # Only VERSION changed, the MAC left as it was: VERSION is checked first.
        body = frame_body(frame)
        return encode_frame(parse_header(body)._replace(version=version).pack() + body[HEADER_SIZE:])
    return frame


@pytest.mark.parametrize(
    "frame, result",
    [
        (_request_frame(EchoRequest(T0), key=bytes(32)), Result.BAD_MAC),
        (_request_frame(EchoRequest(T0), tid="NOBODY01"), Result.UNKNOWN_TERMINAL),
        (_request_frame(EchoRequest(T0), version=2), Result.BAD_VERSION),
        (_request_frame(EchoResponse(Result.OK, T0)), Result.BAD_FORMAT),
    ],
    ids=["bad MAC", "unknown terminal", "bad version", "not a request"],
)
def test_host_refuses_what_it_cannot_trust_or_read(frame, result):
    pair = Pair()
    [refused] = pair.to_host(frame)
    assert isinstance(refused, RequestRefused) and refused.result is result and refused.seq == 7


def test_host_refuses_a_request_missing_a_field_with_bad_format():
    from protocol.fields import encode_plain_fields
    from protocol.frame import encode_frame
    from protocol.integrity import compute_mac

    signed = bytes([1, 0x10, 0, 7]) + TID.encode() + encode_plain_fields([("PAGE", 0)])
    [refused] = Pair().to_host(encode_frame(signed + compute_mac(KEY, signed)))
    assert refused.result is Result.BAD_FORMAT and refused.detail == "missing MERCHANT_ID"


def test_error_to_an_unknown_terminal_carries_an_all_zero_mac():
    pair = Pair()
    [refused] = pair.to_host(_request_frame(EchoRequest(T0), tid="NOBODY01"))
    reply = pair.host.answer(refused, pair.host.refusal(refused), 0.0)
    assert reply[-11:-3] == bytes(8)


def test_cancel_exchange_round_trips_typed_fields():
    pair = Pair()
    request = CancelRequest(MERCHANT_ID, "A20261128001", "TEST000100000003", Reason.WILL_REBOOK, 0, "00", T0)

    def accept(event: RequestReceived):
        assert event.request == request
        return CancelResponse(
            Result.OK, request.request_id, request.appt_id, "C7Q2M9X4", 0, None, "156", T0
        )

    events = pair.exchange(request, accept)
    assert events[-1].response.cancel_ref == "C7Q2M9X4"


def test_list_request_to_bad_page_type_is_refused_before_anything_leaves():
    pair = Pair()
    with pytest.raises(LocalProtocolError):
        pair.terminal.send(ListRequest(MERCHANT_ID, 300), 0.0)
    assert pair.terminal.state is State.IDLE
    assert pair.terminal.next_seq == 1


def test_abandon_after_the_line_went_away_leaves_the_terminal_ready_for_a_new_request():
    pair = Pair()
    pair.terminal.send(EchoRequest(T0), 0.0)
    pair.to_terminal(b"\x02\x00\x30")  # half a frame, then the port vanished
    assert pair.terminal.abandon() == EchoRequest(T0)
    assert pair.terminal.state is State.IDLE and pair.terminal.get_timer() is None
    assert pair.terminal.data_to_send() == b""
    events = pair.exchange(EchoRequest(T0), echo_ok)
    assert events[-1].seq == 2
