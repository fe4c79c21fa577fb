"""The capture file `--capture` writes: one line per chunk, appended and flushed at once, read back
the same; a file that cannot be written is refused with what to do, and one that fails later stops
the capture, never the line."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest

from terminal.capture_file import CaptureFile, CaptureFileError, CaptureLine, format_capture_line, parse_capture_line

WHEN = datetime(2026, 11, 27, 9, 30, 5, 120034)
FRAME_START = bytes.fromhex("020024010100015445535430303031")


def test_each_chunk_is_one_line_with_its_time_line_direction_and_hex_written_at_once(tmp_path: Path) -> None:
    path = tmp_path / "line.cap"
    with CaptureFile(path, wall_clock=lambda: WHEN) as capture:
        tap = capture.tap("/dev/ttyUSB0")
        tap("tx", FRAME_START, 12.5)
        tap("rx", b"\x06", 12.6)
        tap("rx", b"", 12.7)  # nothing read: no line
        # Flushed with each chunk: readable while the program still runs.
        assert path.read_text(encoding="utf-8").splitlines() == [
            f"2026-11-27T09:30:05.120034 /dev/ttyUSB0 > {FRAME_START.hex()}",
            "2026-11-27T09:30:05.120034 /dev/ttyUSB0 < 06",
        ]


def test_a_second_capture_appends_to_the_first(tmp_path: Path) -> None:
    path = tmp_path / "line.cap"
    for way in ("A->B", "B->A"):
        with CaptureFile(path, wall_clock=lambda: WHEN) as capture:
            capture.tap()(way, b"\x15", 0.0)
    assert path.read_text(encoding="utf-8") == "2026-11-27T09:30:05.120034 A->B 15\n2026-11-27T09:30:05.120034 B->A 15\n"


@pytest.mark.parametrize("direction", ["tx", "rx", "A->B", "B->A"])
@pytest.mark.parametrize("line", ["", "/dev/pts/3", "socket://bench:7000"])
def test_what_is_written_reads_back_the_same(direction: str, line: str) -> None:
    text = format_capture_line(WHEN, direction, FRAME_START, line)
    assert parse_capture_line(text) == CaptureLine("2026-11-27T09:30:05.120034", line, direction, FRAME_START)


def test_a_line_name_with_spaces_is_written_as_one_word() -> None:
    text = format_capture_line(WHEN, "rx", b"\x06", "COM 3")
    assert text == "2026-11-27T09:30:05.120034 COM_3 < 06"
    assert parse_capture_line(text) == CaptureLine("2026-11-27T09:30:05.120034", "COM_3", "rx", b"\x06")


@pytest.mark.parametrize(
    ("text", "chunk"),
    [
        ("> 0200 24", CaptureLine("", "", "tx", b"\x02\x00\x24")),
        ("<06", CaptureLine("", "", "rx", b"\x06")),
        ("0200 14", CaptureLine("", "", "rx", b"\x02\x00\x14")),  # unmarked: received
        ("  A->B 06 ", CaptureLine("", "", "A->B", b"\x06")),
        ("2026-11-27T09:30:05+08:00 /dev/ttyS0 > 06", CaptureLine("2026-11-27T09:30:05+08:00", "/dev/ttyS0", "tx", b"\x06")),
    ],
)
def test_the_hand_made_forms_and_other_times_are_read(text: str, chunk: CaptureLine) -> None:
    assert parse_capture_line(text) == chunk


@pytest.mark.parametrize(
    "text",
    ["", "   ", "# a comment", "hello", "2026-12-02 15:53:43.420 /dev/pts/5 -> ACK", "000000.001 TX   0000  06", "> 0x06"],
)
def test_what_is_not_a_capture_line_reads_as_none(text: str) -> None:
    assert parse_capture_line(text) is None


def test_an_odd_number_of_hex_digits_is_an_error_that_says_how_to_write_bytes() -> None:
    with pytest.raises(ValueError, match="odd number of hex digits; write each byte as two digits"):
        parse_capture_line("> 020")


@pytest.mark.parametrize("where", ["missing/line.cap", "."])
def test_a_file_that_cannot_be_written_is_refused_saying_what_to_do(tmp_path: Path, where: str) -> None:
    with pytest.raises(CaptureFileError) as refused:
        CaptureFile(tmp_path / where)
    assert f"cannot write the capture to {tmp_path / where} (" in str(refused.value)
    assert "give --capture a file in a folder that exists and that you may write to" in str(refused.value)


def test_a_write_that_fails_stops_the_capture_with_one_error_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    full = Path("/dev/full")  # every write to it fails: no space left on device
    if not full.exists():
        pytest.skip("needs /dev/full")
    with CaptureFile(full) as capture, caplog.at_level(logging.ERROR, logger="terminal.capture_file"):
        capture.write("tx", FRAME_START)
        capture.write("rx", b"\x06")
    [record] = caplog.records
    assert record.getMessage().startswith("cannot write the capture to /dev/full any more (")
    assert record.getMessage().endswith("capturing has stopped, the line goes on")


def test_a_write_after_close_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "line.cap"
    capture = CaptureFile(path, wall_clock=lambda: WHEN)
    tap = capture.tap("/dev/pts/3")
    capture.close()
    tap("rx", b"\x06", 0.0)  # a line thread that had not yet stopped
    assert path.read_text(encoding="utf-8") == ""


def test_a_capture_is_readable_by_its_owner_only(tmp_path):
    import stat

    from terminal.capture_file import CaptureFile

    path = tmp_path / "line.cap"
    with CaptureFile(path) as capture:
        capture.tap("/dev/ttyUSB0")("tx", b"\x06", 0.0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
