"""The streaming frame reader, the h11 way: every case whole, one byte at a time, and with
trailing data; then T_CHAR with a fake clock, and properties over arbitrary streams."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.enums import ACK, MAX_FRAME, NAK
from protocol.frame import encode_message_frame
from protocol.framer import AbandonedFrame, ControlByte, CorruptFrame, FrameReader, GoodFrame, Noise
from protocol.messages import EchoRequest
from tests.material import KEY, vector_named

T_CHAR = 0.2
ECHO = bytes.fromhex(vector_named("echo request")["frame_hex"])  # one STX, no ACK/NAK byte inside
LIST = bytes.fromhex(vector_named("list request")["frame_hex"])
BAD_CRC = ECHO[:-1] + bytes([ECHO[-1] ^ 0x01])
BAD_ETX = ECHO[:-3] + b"\x04" + ECHO[-2:]


def echo_frame(seq: int) -> bytes:
    return encode_message_frame(
        EchoRequest(datetime(2026, 11, 27, 9, 30, seq % 60)), seq=seq, tid="TEST0001", key=KEY
    )


# (name, bytes in, events out); every input ends on a frame boundary.
CASES = [
    ("good frame", ECHO, [GoodFrame(ECHO)]),
    ("two frames back to back", ECHO + LIST, [GoodFrame(ECHO), GoodFrame(LIST)]),
    ("ACK", bytes([ACK]), [ControlByte(ACK)]),
    ("NAK", bytes([NAK]), [ControlByte(NAK)]),
    ("noise, then frame", b"xyz\x00\xff" + ECHO, [Noise(5), GoodFrame(ECHO)]),
    ("ACK between noise", b"\x00\x06\xff", [Noise(1), ControlByte(ACK), Noise(1)]),
    ("LEN below 20 means the STX was noise", b"\x02\x00\x05" + ECHO, [Noise(3), GoodFrame(ECHO)]),
    ("LEN above 4096 means the STX was noise", b"\x02\x10\x01" + ECHO, [Noise(3), GoodFrame(ECHO)]),
    (
        "bad CRC: NAK-able, hunt resumes after its STX",
        BAD_CRC + ECHO,
        [CorruptFrame(BAD_CRC, "CRC mismatch"), Noise(len(BAD_CRC) - 1), GoodFrame(ECHO)],
    ),
    (
        "bad ETX",
        BAD_ETX,
        [CorruptFrame(BAD_ETX, "ETX is 0x04"), Noise(len(BAD_ETX) - 1)],
    ),
    ("frame then ACK", ECHO + bytes([ACK]), [GoodFrame(ECHO), ControlByte(ACK)]),
]


def merged(events: list) -> list:
    """Noise split across reads is the same noise: merge neighbours before comparing."""
    out: list = []
    for event in events:
        if isinstance(event, Noise) and out and isinstance(out[-1], Noise):
            out[-1] = Noise(out[-1].count + event.count)
        else:
            out.append(event)
    return out


def feed(reader: FrameReader, chunks, now: float = 0.0) -> list:
    events = []
    for chunk in chunks:
        reader.receive_data(chunk, now)
        while (event := reader.next_event()) is not None:
            events.append(event)
    return merged(events)


@pytest.mark.parametrize("name, data, expected", CASES, ids=[c[0] for c in CASES])
def test_case_whole(name, data, expected):
    reader = FrameReader(T_CHAR)
    assert feed(reader, [data]) == expected
    assert reader.buffered == 0


@pytest.mark.parametrize("name, data, expected", CASES, ids=[c[0] for c in CASES])
def test_case_byte_by_byte(name, data, expected):
    reader = FrameReader(T_CHAR)
    assert feed(reader, [bytes([b]) for b in data]) == expected
    assert reader.buffered == 0


@pytest.mark.parametrize("name, data, expected", CASES, ids=[c[0] for c in CASES])
def test_case_with_trailing_data(name, data, expected):
    reader = FrameReader(T_CHAR)
    trailer = echo_frame(77)
    half = len(trailer) // 2
    # The case's events come out whole while the trailer is still arriving...
    assert feed(reader, [data + trailer[:half]]) == expected
    assert reader.in_frame
    # ...and the trailer completes as its own frame.
    assert feed(reader, [trailer[half:]]) == [GoodFrame(trailer)]


def test_incomplete_frame_is_abandoned_after_t_char_silence():
    reader = FrameReader(T_CHAR)
    assert feed(reader, [ECHO[:10]], now=0.0) == []
    assert reader.get_timer() == pytest.approx(T_CHAR)
    reader.handle_timer(0.2)  # not yet: the silence must be longer than T_CHAR
    assert reader.next_event() is None
    reader.handle_timer(0.21)
    events = merged(list(iter(reader.next_event, None)))
    assert events == [AbandonedFrame(ECHO[:10]), Noise(9)]
    assert reader.buffered == 0 and reader.get_timer() is None


def test_slow_but_steady_frame_is_not_abandoned():
    reader = FrameReader(T_CHAR)
    events = []
    for i, byte in enumerate(ECHO):
        reader.receive_data(bytes([byte]), now=i * 0.15)  # gaps shorter than T_CHAR
        events += list(iter(reader.next_event, None))
    assert events == [GoodFrame(ECHO)]


def test_late_byte_after_silence_starts_fresh_hunt():
    reader = FrameReader(T_CHAR)
    reader.receive_data(ECHO[:10], now=0.0)
    reader.receive_data(ECHO[10:], now=1.0)  # the rest arrives after the frame was given up
    events = merged(list(iter(reader.next_event, None)))
    assert events[0] == AbandonedFrame(ECHO[:10])
    assert not any(isinstance(e, GoodFrame) for e in events)


def test_corrupt_length_claiming_more_does_not_swallow_the_next_frame():
    reader = FrameReader(T_CHAR)
    inflated = b"\x02\x01\x00" + ECHO[3:]  # LEN 256, but only the echo body follows
    good = echo_frame(9)
    reader.receive_data(inflated, now=0.0)
    reader.receive_data(good, now=0.05)
    assert not any(isinstance(e, GoodFrame) for e in iter(reader.next_event, None))
    reader.handle_timer(0.26)
    assert GoodFrame(good) in list(iter(reader.next_event, None))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=600), max_size=30), st.floats(0, 0.5))
def test_arbitrary_bytes_never_raise_and_never_grow_the_buffer(chunks, gap):
    reader = FrameReader(T_CHAR)
    now = 0.0
    for chunk in chunks:
        reader.receive_data(chunk, now)
        assert reader.buffered < MAX_FRAME
        while reader.next_event() is not None:
            pass
        now += gap
    reader.handle_timer(now + 1)
    assert reader.buffered == 0


NOISE = st.binary(max_size=20).map(lambda b: bytes(x for x in b if x not in (2, 6, 0x15)))


@st.composite
def stream_of_frames(draw):
    """Good frames, noise and corrupted frames interleaved; returns (segments, good frames)."""
    segments, good = [], []
    for seq in range(1, draw(st.integers(1, 8)) + 1):
        segments.append(draw(NOISE))
        frame = echo_frame(seq)
        if draw(st.booleans()):
            position = draw(st.integers(1, len(frame) - 1))
            flipped = frame[position] ^ (1 << draw(st.integers(0, 7)))
            segments.append(frame[:position] + bytes([flipped]) + frame[position + 1 :])
        segments.append(frame)
        good.append(frame)
    return segments, good


@settings(max_examples=200, deadline=None)
@given(stream_of_frames(), st.integers(1, 64))
def test_every_good_frame_is_delivered_once_in_order(stream, chunk_size):
    segments, good = stream
    data = b"".join(segments)
    reader = FrameReader(T_CHAR)
    delivered = []
    now = 0.0
    for start in range(0, len(data), chunk_size):
        reader.receive_data(data[start : start + chunk_size], now)
        delivered += [e.raw for e in iter(reader.next_event, None) if isinstance(e, GoodFrame)]
        now += 0.01
    reader.handle_timer(now + 1.0)
    delivered += [e.raw for e in iter(reader.next_event, None) if isinstance(e, GoodFrame)]
    assert delivered == good


def test_awaited_counts_the_bytes_still_to_come_of_a_frame_whose_length_has_arrived():
    reader = FrameReader(T_CHAR)
    assert reader.awaited == 0
    reader.receive_data(ECHO[:2], now=0.0)  # STX and half of LEN: its size is not known yet
    assert reader.awaited == 0
    reader.receive_data(ECHO[2:10], now=0.0)
    assert reader.awaited == len(ECHO) - 10
    reader.receive_data(ECHO[10:], now=0.0)
    assert reader.awaited == 0 and list(iter(reader.next_event, None)) == [GoodFrame(ECHO)]
