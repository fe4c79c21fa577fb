"""Decoding what a technician has of a line (`pos-sim trace`): raw bytes, hand-made hex, what --capture
writes, the host's --trace output and pyserial spy:// logs; noise, bad CRCs, good frames with their
fields, resends; a file with no frame, and garbage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.enums import ACK, NAK
from protocol.link import TraceRecord
from protocol.trace import format_record
from simulator.capture import CaptureError, Chunk, decode_capture, read_capture, summary_line
from simulator.cli import main
from tests.material import KEY, vector_named

CANCEL = bytes.fromhex(vector_named("cancel request")["frame_hex"])
ANSWER = bytes.fromhex(vector_named("cancel response, ok")["frame_hex"])
NOISE = b"\xff\x00\x41"


def corrupted(frame: bytes) -> bytes:
    damaged = bytearray(frame)
    damaged[20] ^= 0x10  # inside APPT_ID: the CRC no longer matches
    return bytes(damaged)


CAPTURE = NOISE + corrupted(CANCEL) + CANCEL + CANCEL


def test_noise_a_corrupted_frame_a_good_frame_and_its_resend() -> None:
    lines, summary = decode_capture(CAPTURE)
    assert lines[0] == "#1 <- NOISE (3 bytes)"
    assert lines[1].startswith("#2 <- BAD-FRAME (CRC mismatch) CANCEL_REQ seq=3 tid=TEST0001: ")
    # As a receiver does, the hunt resumes after the bad frame's STX: its OPERATOR_ID tag (0x02)
    # looks like an STX whose LEN swallows what follows until it is abandoned.
    kinds = [line.split(" ")[2] for line in lines]
    assert kinds[2:] == ["NOISE", "ABANDONED", "NOISE", "FRAME", "RESEND"]
    frame, resend = lines[-2:]
    assert frame == (
        f"#{len(lines) - 1} <- FRAME CANCEL_REQ seq=3 tid=TEST0001: MERCHANT_ID = 898440358120001, "
        "APPT_ID = A20261128001, REQUEST_ID = TEST000100000003, REASON = 1 (NO_LONGER_NEEDED), FEE_ACCEPTED = 0, "
        f"OPERATOR_ID = 00, TIMESTAMP = 20261127093105 | {CANCEL.hex()}"
    )
    assert resend.startswith(f"#{len(lines)} <- RESEND (identical to the previous good frame) CANCEL_REQ seq=3")
    assert (summary.frames, summary.resends, summary.bad_frames) == (1, 1, 1)
    assert KEY.hex() not in "\n".join(lines)


def test_a_bad_frame_followed_by_its_good_resend_and_an_ack() -> None:
    damaged = bytearray(ANSWER)
    damaged[-4] ^= 0x01  # the MAC's last byte: only the CRC notices, no false start inside
    lines, summary = decode_capture(NOISE + bytes(damaged) + ANSWER + bytes([ACK]))
    assert [line.split(" ")[2] for line in lines] == ["NOISE", "BAD-FRAME", "NOISE", "FRAME", "ACK"]
    assert "CANCEL_REF = C7Q2M9X4" in lines[3]


def test_hex_text_decodes_the_same_as_raw_bytes() -> None:
    as_hex = "\n".join(CAPTURE.hex()[i : i + 32] for i in range(0, len(CAPTURE.hex()), 32)).upper() + "\n"
    assert decode_capture(as_hex.encode()) == decode_capture(CAPTURE)


def test_direction_marks_decode_each_direction_as_its_own_stream() -> None:
    half = len(ANSWER) // 2
    text = "\n".join(
        [
            f"> {CANCEL.hex()}",
            f"< {ACK:02x} {ANSWER[:half].hex()}",
            f"> {NAK:02x}",  # the terminal refused something; the host's frame continues regardless
            f"< {ANSWER[half:].hex()}",
            f"> {ACK:02x}",
        ]
    )
    lines, summary = decode_capture(text.encode())
    assert [line.split(" ")[1:3] for line in lines] == [
        ["->", "FRAME"], ["<-", "ACK"], ["->", "NAK"], ["<-", "FRAME"], ["->", "ACK"],
    ]
    assert "CANCEL_RESP seq=3 tid=TEST0001: RESULT = 0 (OK)" in lines[3]
    assert (summary.acks, summary.naks) == (2, 1)


def test_a_corrupted_length_cannot_swallow_the_good_frames_after_it() -> None:
    damaged = bytearray(CANCEL)
    damaged[1] = 0x0F  # LEN now claims about 3900 bytes, more than the capture holds
    lines, summary = decode_capture(bytes(damaged) + ANSWER)
    assert lines[0].startswith("#1 <- ABANDONED (LEN claims more bytes than the capture holds after it) | 020f62")
    assert summary.frames == 1 and "CANCEL_RESP seq=3" in lines[-1]


def test_raw_bytes_that_are_not_hex_text_stay_raw() -> None:
    assert read_capture(b"\x02\x00\x14") == ([Chunk("", ("", "rx"), b"\x02\x00\x14")], [])
    assert read_capture(b"0200 14") == ([Chunk("", ("", "rx"), b"\x02\x00\x14")], [])


def test_an_odd_count_of_hex_digits_is_refused() -> None:
    with pytest.raises(CaptureError, match="line 2 has an odd number of hex digits"):
        read_capture(b"0200\n141\n")


def test_pos_sim_trace_prints_the_lines_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "line.cap"
    capture.write_bytes(CAPTURE)
    assert main(["trace", str(capture)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == decode_capture(CAPTURE)[0]
    assert out[-1] == "1 frames, 1 resends, 1 bad frames, 105 noise bytes, 0 ACK, 0 NAK, 1 abandoned"


def test_pos_sim_trace_of_a_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(tmp_path / "none.cap")]) == 2
    assert "pos-sim trace: cannot read" in capsys.readouterr().err


# -- what --capture writes ---------------------------------------------------------------------

ECHO = bytes.fromhex(vector_named("echo request")["frame_hex"])
ECHO_ANSWER = bytes.fromhex(vector_named("echo response")["frame_hex"])


def expected(number: int, clock: str, direction: str, kind: str, data: bytes = b"", note: str = "") -> str:
    return format_record(TraceRecord(0.0, direction, kind, data, note), f"#{number} {clock}")


def test_a_capture_shows_each_frame_and_control_byte_with_its_time_and_line() -> None:
    at = "2026-11-27T09:30:05.{:06d}".format
    capture = "\n".join(
        [
            "# the terminal's side",
            f"{at(100)} /dev/ttyUSB0 > {CANCEL.hex()}",
            f"{at(2100)} /dev/ttyUSB0 < 06{ANSWER[:30].hex()}",
            f"{at(2400)} /dev/ttyUSB0 < {ANSWER[30:].hex()}",
            f"{at(2500)} /dev/ttyUSB0 > 06",
            "",
        ]
    )
    lines, summary = decode_capture(capture.encode())
    assert lines == [
        expected(1, f"{at(100)} /dev/ttyUSB0", "tx", "frame", CANCEL),
        expected(2, f"{at(2100)} /dev/ttyUSB0", "rx", "ack"),
        expected(3, f"{at(2400)} /dev/ttyUSB0", "rx", "frame", ANSWER),  # complete at its last chunk
        expected(4, f"{at(2500)} /dev/ttyUSB0", "tx", "ack"),
    ]
    assert "#1 2026-11-27T09:30:05.000100 /dev/ttyUSB0 -> FRAME CANCEL_REQ seq=3 tid=TEST0001: MERCHANT_ID = " in lines[0]
    assert (summary.frames, summary.acks, summary.unread_lines) == (2, 2, ())


def test_each_line_of_a_host_is_decoded_on_its_own() -> None:
    at = "2026-11-27T09:30:05.00000{}".format
    capture = "\n".join(
        [
            f"{at(1)} /dev/ttyUSB0 < {ECHO[:10].hex()}",
            f"{at(2)} /dev/ttyUSB1 < {CANCEL.hex()}",  # another terminal, between the halves
            f"{at(3)} /dev/ttyUSB0 < {ECHO[10:].hex()}",
        ]
    )
    lines, summary = decode_capture(capture.encode())
    assert lines == [
        expected(1, f"{at(2)} /dev/ttyUSB1", "rx", "frame", CANCEL),
        expected(2, f"{at(3)} /dev/ttyUSB0", "rx", "frame", ECHO),
    ]
    assert summary.noise_bytes == 0


def test_with_times_a_frame_silent_longer_than_t_char_is_abandoned_as_a_receiver_would() -> None:
    stretched = bytearray(ECHO)
    stretched[2] += 1  # LEN claims one byte more than was sent
    capture = "\n".join(
        [
            f"2026-11-27T09:30:05.000000 A->B {bytes(stretched).hex()}",
            "2026-11-27T09:30:05.150000 B->A 15",  # the other way does not end the silence
            f"2026-11-27T09:30:05.500000 A->B {ECHO.hex()}",  # the resend, after 500 ms
        ]
    )
    lines, summary = decode_capture(capture.encode())
    kinds = [line.split(" ")[2:4] for line in lines]
    assert kinds == [["B->A", "NAK"], ["A->B", "ABANDONED"], ["A->B", "NOISE"], ["A->B", "FRAME"]]
    assert lines[1].startswith("#2 2026-11-27T09:30:05.000000 A->B ABANDONED (silent longer than T_CHAR) | ")
    assert (summary.frames, summary.abandoned) == (1, 1)
    # Within T_CHAR the stretched frame takes the resend's STX as its last byte: a bad frame.
    quick = capture.replace("05.500000", "05.100000")
    assert [line.split(" ")[2:4] for line in decode_capture(quick.encode())[0]][:2] == [["B->A", "NAK"], ["A->B", "BAD-FRAME"]]


def test_a_cables_capture_shows_both_ways_as_a_to_b_and_b_to_a() -> None:
    at = "2026-11-27T09:30:05.00000{}".format
    capture = "\n".join(
        [
            f"{at(1)} A->B {ECHO.hex()}",
            f"{at(2)} B->A 06{ECHO_ANSWER.hex()}",
            f"{at(3)} A->B 06",
        ]
    )
    lines, _ = decode_capture(capture.encode())
    assert lines == [
        expected(1, at(1), "A->B", "frame", ECHO),
        expected(2, at(2), "B->A", "ack"),
        expected(3, at(2), "B->A", "frame", ECHO_ANSWER),
        expected(4, at(3), "A->B", "ack"),
    ]
    assert lines[0].startswith("#1 2026-11-27T09:30:05.000001 A->B FRAME ECHO_REQ seq=1 tid=TEST0001: TIMESTAMP = ")


# -- the host's --trace output -----------------------------------------------------------------


def test_the_hosts_trace_shows_its_frames_again_with_the_lines_it_cannot_read_named() -> None:
    clock = "2026-11-27 09:30:05.001 /tmp/host"
    records = [
        TraceRecord(0.0, "rx", "noise", note="3 bytes"),
        TraceRecord(0.0, "rx", "frame", CANCEL),
        TraceRecord(0.0, "tx", "ack"),
        TraceRecord(0.0, "tx", "frame", ANSWER),
        TraceRecord(0.0, "rx", "nak"),
        TraceRecord(0.0, "tx", "resend", ANSWER, "NAK; send 2 of 3"),
        TraceRecord(0.0, "rx", "ack"),
    ]
    traced = [format_record(record, clock) for record in records]
    cut_short = "13:27:21.371 <- FRAME ECHO_REQ seq=1 tid=TEST0001: TIMESTAMP = 20261202132720 | 020024…f8d3"
    text = "\n".join(["pos-sim host: serving /tmp/host at 115200 baud", *traced, cut_short, ""])
    lines, summary = decode_capture(text.encode())
    assert lines == [f"#{number} {line}" for number, line in enumerate([*traced, cut_short], 1)]
    assert (summary.frames, summary.resends, summary.noise_bytes, summary.acks, summary.naks) == (3, 1, 3, 2, 1)
    assert summary.unread_lines == (1,)
    assert summary_line(summary).endswith(", 1 line not read (line 1)")


def test_pos_sim_traces_own_output_reads_again() -> None:
    capture = f"> {CANCEL.hex()}\n< 06{ANSWER.hex()}\nA->B 06\n".encode()
    lines, summary = decode_capture(capture)
    again, summary_again = decode_capture(("\n".join(lines) + "\n" + summary_line(summary) + "\n").encode())
    assert [line.split(" ", 2)[2] for line in again] == [line.split(" ", 1)[1] for line in lines]
    assert summary_again.frames == summary.frames == 2 and summary_again.unread_lines == (len(lines) + 1,)


# -- pyserial spy:// logs ----------------------------------------------------------------------

# As pyserial's spy:// writes it (its default hex dump), around the echo vectors.
SPY_LOG = """\
000000.004 TX   0000  02 00 24 01 01 00 01 54  45 53 54 30 30 30 31 03  ..$....TEST0001.
000000.004 TX   0010  0E 32 30 32 36 31 31 32  37 30 39 33 30 30 30 60  .20261127093000`
000000.004 TX   0020  28 69 30 0F EE DC 25 03  3A 48                    (i0...%.:H      
000000.004 Q-TX flush
000000.006 RX   0000  06                                                .               
000000.006 Q-RX in_waiting -> 45
000000.007 RX   0000  02                                                .               
000000.008 RX   0000  00 27 01 81 00 01 54 45  53 54 30 30 30 31 05 01  .'....TEST0001..
000000.008 RX   0010  00 03 0E 32 30 32 36 31  31 32 37 30 39 33 30 30  ...2026112709300
000000.008 RX   0020  31 84 CB B0 73 5A 3B 12  F4 03 24 2E              1...sZ;...$.    
000000.009 TX   0000  06                                                .               
000000.010 RX   <empty>
"""


def test_a_spy_log_shows_what_the_port_wrote_and_read() -> None:
    lines, summary = decode_capture(SPY_LOG.encode())
    assert lines == [
        expected(1, "000000.004", "tx", "frame", ECHO),
        expected(2, "000000.006", "rx", "ack"),
        expected(3, "000000.008", "rx", "frame", ECHO_ANSWER),
        expected(4, "000000.009", "tx", "ack"),
    ]
    assert "RESULT = 0 (OK)" in lines[2] and summary.unread_lines == ()


def test_a_spy_log_in_colour_reads_the_same() -> None:
    red, green, grey = "\x1b[31m", "\x1b[32m", "\x1b[37m"
    coloured = []
    for line in SPY_LOG.splitlines(keepends=True):
        label = line.split()[1]
        coloured.append({"TX": red, "RX": green}.get(label, grey) + line)
    assert decode_capture("".join(coloured).encode()) == decode_capture(SPY_LOG.encode())


# -- files that hold no frame, and garbage -----------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"", b"\n\n", "# 注释\nhello\n".encode(), b"\x06\x15\x06", b"pos-sim host: serving /tmp/host\n", b"\xff" * 845,
        bytes(range(256)) * 40,  # a binary file: its 0x02 bytes start "frames" that fail their checks
    ],
    ids=["empty", "blank", "text", "control-bytes-only", "stderr", "noise", "binary"],
)
def test_a_file_with_no_frame_says_so_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "not-a-capture"
    path.write_bytes(content)
    assert main(["trace", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"pos-sim trace: {path}: no frames: this is not a capture, or the line carried no frame (")
    assert captured.err.rstrip().endswith(
        "pos-sim trace reads what --capture writes, the output of pos-sim host --trace, pyserial spy:// logs "
        "and raw bytes (docs/captures.md)"
    )


def test_text_that_is_no_capture_names_its_lines_instead_of_counting_noise() -> None:
    lines, summary = decode_capture("pos-sim host: serving /tmp/host\n\nCtrl-C\n".encode())
    assert lines == [] and (summary.noise_bytes, summary.unread_lines) == (0, (1, 3))
    assert summary_line(summary).endswith("0 NAK, 2 lines not read (lines 1, 3)")


_FRAGMENTS = [
    "2026-11-27T09:30:05.000001", "/dev/ttyUSB0", ">", "<", "A->B", "B->A", "->", "<-", "FRAME", "ACK",
    "NOISE", "(3 bytes)", "(", ")", "|", "#", "000000.004", "TX", "RX", "0000", "  ", " ", "…", "é",
    CANCEL.hex()[:7], CANCEL.hex(), ANSWER.hex()[:40], "02 00 24 01", "06", "0", "zz", "\t", "\x1b[31m",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_FRAGMENTS), max_size=8).map("".join), max_size=12).map("\n".join))
def test_text_made_of_the_formats_pieces_decodes_or_is_refused_never_crashes(text: str) -> None:
    try:
        decode_capture(text.encode())
    except CaptureError as problem:
        assert "odd number of hex digits" in str(problem)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_decode_without_an_error(raw: bytes) -> None:
    try:
        decode_capture(raw)
    except CaptureError as problem:  # bytes that happen to be hex text with an odd digit
        assert "odd number of hex digits" in str(problem)
