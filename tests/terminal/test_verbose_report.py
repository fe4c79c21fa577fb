"""What `pos-terminal --verbose` prints for each thing the client hears, on an injected clock."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from protocol import EchoRequest, ErrorResponse, Result, TraceRecord
from protocol.frame import encode_message_frame
from terminal.client import AnswerAwaited, Settling, TraceLine
from terminal.verbose_report import VerboseReport
from tests.material import KEY, TID

T0 = datetime(2026, 11, 27, 12, 0, 1, 234000)
REQUEST = encode_message_frame(EchoRequest(T0.replace(microsecond=0)), seq=7, tid=TID, key=KEY)
BUSY = encode_message_frame(ErrorResponse(Result.BUSY, "busy"), seq=7, tid=TID, key=KEY)


def traced(at: datetime, direction: str, kind: str, data: bytes = b"", note: str = "") -> TraceLine:
    return TraceLine(at, TraceRecord(0.0, direction, kind, data, note))


def test_each_step_is_one_short_line_stamped_with_the_clients_clock():
    seconds = iter([100.0, 119.5])
    stream = io.StringIO()
    report = VerboseReport(stream, wall_clock=lambda: T0 + timedelta(seconds=19.5), monotonic=lambda: next(seconds))
    later = T0 + timedelta(milliseconds=500)
    for news in [
        Settling(T0, "TEST0001-AB12CD-00000003", 2, 3, 0.5),
        traced(T0, "tx", "frame", REQUEST),
        traced(later, "rx", "nak"),
        traced(later, "tx", "resend", REQUEST, "NAK; send 2 of 3"),
        traced(later, "rx", "noise", note="3 bytes"),
        traced(later, "rx", "ack"),
        AnswerAwaited(later, "ECHO_REQ", 7, 10.0),
        traced(later, "rx", "frame", BUSY),
        traced(later, "tx", "ack"),  # our own ACK: not said
    ]:
        report.hear(news)
    report.finish(1)
    assert stream.getvalue().splitlines() == [
        "12:00:01.234 settling request TEST0001-AB12CD-00000003 with STATUS_REQ, try 2/3, after a 0.5 s pause",
        f"12:00:01.234 sent ECHO_REQ SEQ 7 ({len(REQUEST)} bytes)",
        "12:00:01.734 NAK from the host: the request reached it garbled",
        "12:00:01.734 resent ECHO_REQ SEQ 7, send 2/3 (NAK)",
        "12:00:01.734 garbage on the line: 3 bytes, ignored",
        "12:00:01.734 ACK from the host",
        "12:00:01.734 waiting up to 10 s for the answer to ECHO_REQ SEQ 7",
        f"12:00:01.734 received ERROR SEQ 7 BUSY ({len(BUSY)} bytes)",
        "12:00:20.734 finished in 19.50 s, exit code 1",
    ]
    assert KEY.hex() not in stream.getvalue() and REQUEST.hex() not in stream.getvalue()


def test_a_frame_that_cannot_be_read_is_named_as_a_frame():
    stream = io.StringIO()
    report = VerboseReport(stream, wall_clock=lambda: T0, monotonic=lambda: 0.0)
    report.hear(traced(T0, "tx", "send-failed", b"\x02\x00"))
    assert stream.getvalue() == "12:00:01.234 a frame not taken after 3 sends\n"
