"""Decoding captures (`pos-sim trace`): noise, bad CRCs, good frames with their fields, resends; raw or hex."""

from __future__ import annotations

from pathlib import Path

import pytest

from protocol.enums import ACK, NAK
from simulator.capture import CaptureError, decode_capture, read_capture
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
    assert read_capture(b"\x02\x00\x14") == [("rx", b"\x02\x00\x14")]
    assert read_capture(b"0200 14") == [("rx", b"\x02\x00\x14")]


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
