"""`pos-terminal --verbose`: what the host client does, one short line on stderr as it happens, for
a technician watching a slow or failing exchange: each request sent (type, SEQ, size), the host's
ACK or NAK, each resend, the wait for the answer with its bound, the answer, each STATUS_REQ of a
settle round, and at the end how long the command took.

It hears the client's one listener (HostClient.listen): the link's trace records and the client's
own steps. Frames are named by type and SEQ, an answer with its RESULT: never another field, a key
or a MAC."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Callable, TextIO

from protocol import RemoteProtocolError, Result, Tag, TraceRecord
from protocol.fields import safe_decode_plain_fields
from protocol.frame import frame_body, parse_envelope
from protocol.link import MAX_SENDS
from terminal.client import AnswerAwaited, Settling, TraceLine

# What the host's side of the link says, as the technician reads it (our own ACKs and NAKs are
# left out: the lines about what came in say when we sent one).
_FROM_THE_HOST = {
    "ack": "ACK from the host",
    "nak": "NAK from the host: the request reached it garbled",
    "implicit-ack": "the answer came before the ACK: taken as the ACK",
    "duplicate": "the host sent its frame again (it missed our ACK): ACKed again",
    "stray-ack": "stray ACK byte: ignored",
    "stray-nak": "stray NAK byte: ignored",
}


class VerboseReport:
    """Writes the client's progress to `stream`, each line stamped with the time it happened."""

    def __init__(
        self,
        stream: TextIO,
        *,
        wall_clock: Callable[[], datetime] = datetime.now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._wall = wall_clock
        self._mono = monotonic
        self._started = monotonic()
        self._sends = 0  # of the frame being sent: 1, then one more a resend

    def hear(self, news: TraceLine | AnswerAwaited | Settling) -> None:
        """The client's listener."""
        if isinstance(news, TraceLine):
            text = self._record_text(news.record)
        elif isinstance(news, AnswerAwaited):
            text = f"waiting up to {news.seconds:g} s for the answer to {news.request} SEQ {news.seq}"
        else:
            pause = f", after a {news.pause:g} s pause" if news.pause else ""
            text = (f"settling request {news.request_id} with STATUS_REQ, try {news.try_number}/{news.tries}"
                    f"{pause}")
        if text is not None:
            self._say(news.at, text)

    def finish(self, exit_code: int) -> None:
        """The last line: how long the whole command took, and how it ended."""
        self._say(self._wall(), f"finished in {self._mono() - self._started:.2f} s, exit code {exit_code}")

    def _record_text(self, record: TraceRecord) -> str | None:
        kind, size = record.kind, len(record.data)
        if record.direction == "tx":
            if kind == "frame":
                self._sends = 1
                return f"sent {_frame_name(record.data)} ({size} bytes)"
            if kind == "resend":
                self._sends += 1
                why = record.note.partition(";")[0]
                return f"resent {_frame_name(record.data)}, send {self._sends}/{MAX_SENDS} ({why})"
            if kind == "send-failed":
                return f"{_frame_name(record.data)} not taken after {MAX_SENDS} sends"
            return None
        if kind == "frame":
            return f"received {_frame_name(record.data, with_result=True)} ({size} bytes)"
        if kind == "noise":
            return f"garbage on the line: {record.note}, ignored"
        if kind == "bad-frame":
            return f"bad frame from the host ({record.note}): NAKed"
        if kind == "abandoned":
            return f"incomplete frame from the host ({record.note}): dropped"
        return _FROM_THE_HOST.get(kind, f"{kind} {record.note}".strip())

    def _say(self, at: datetime, text: str) -> None:
        print(f"{at:%H:%M:%S}.{at.microsecond // 1000:03d} {text}", file=self._stream, flush=True)


def _frame_name(raw: bytes, *, with_result: bool = False) -> str:
    """`CANCEL_REQ SEQ 7`: a frame by its type and SEQ; `with_result`, an answer's RESULT after
    them (`STATUS_RESP SEQ 7 UNKNOWN_REQUEST`)."""
    try:
        envelope = parse_envelope(frame_body(raw))
    except RemoteProtocolError:
        return "a frame"
    name = f"{envelope.type_name} SEQ {envelope.seq}"
    result = _result(envelope.fields) if with_result else None
    return name if result is None else f"{name} {result.name}"


def _result(encoded_fields: bytes) -> Result | None:
    fields = safe_decode_plain_fields(encoded_fields)
    for tag, value in fields if isinstance(fields, list) else ():
        if tag is Tag.RESULT:
            try:
                return Result(value)
            except ValueError:
                return None
    return None
