"""APPOINTMENT TLVs nested a few hundred deep: a body of ~2 KB that the decoders must refuse as
BAD_FORMAT (or skip), not crash on. Found by bench/fuzz.py; fixed by skipping a tlv-kind tag
inside a nested record (an APPOINTMENT holds tags 0x11..0x19 only).

The bug was: protocol.fields.decode_plain_fields decoded the value of every 0x10 tag as nested TLVs,
recursively and without a depth limit, also where APPOINTMENT cannot appear (inside an
APPOINTMENT, in an ERROR); about 480 levels exceed Python's recursion limit, and the RecursionError
is not a ProtocolError, so it escapes decode_message, the connections' receive_data and the trace
formatter (protocol.trace.describe_frame catches only ProtocolError).

What it breaks: the terminal takes an ERROR with SEQ 0 whatever its MAC (§7), so anybody on the
line crashes the terminal's receive path with one forged, unauthenticated frame; `pos-sim host
--trace` formats every CRC-good frame before the MAC is checked, so its serving loop fails on any
such frame; without --trace the host fails on one with a valid MAC.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from protocol import (
    EchoRequest,
    ResponseReceived,
    HostConnection,
    RemoteProtocolError,
    RequestRefused,
    Result,
    TerminalConnection,
)
from protocol.enums import ACK, VERSION, MessageType
from protocol.frame import BodyHeader, encode_frame, encode_tid
from protocol.integrity import ZERO_MAC, compute_mac
from protocol.messages import decode_message
from protocol.tlv import encode_length
from protocol.trace import describe_frame
from tests.material import KEY, TID

DEPTH = 600
BUG = "APPOINTMENT TLVs nested ~500 deep raise RecursionError from decode_plain_fields instead of BAD_FORMAT"


def nested_appointments(depth: int = DEPTH) -> bytes:
    value = b""
    for _ in range(depth):
        value = b"\x10" + encode_length(len(value)) + value
    return value


def frame(kind: int, seq: int, fields: bytes, *, key: bytes | None) -> bytes:
    signed = BodyHeader(VERSION, kind, seq, encode_tid(TID)).pack() + fields
    return encode_frame(signed + (compute_mac(key, signed) if key else ZERO_MAC))


def test_shallow_nesting_is_skipped_or_refused_today() -> None:
    # The same shape 50 deep is handled: the limit is Python's stack, not the protocol.
    try:
        decode_message(MessageType.LIST_RESP, b"\x05\x01\x00\x08\x02\x00\x00\x07\x01\x00" + nested_appointments(50))
    except RemoteProtocolError:
        pass


@pytest.mark.parametrize("kind", [MessageType.LIST_RESP, MessageType.ERROR, MessageType.CANCEL_REQ], ids=lambda k: k.name)
def test_the_message_decoder_refuses_or_skips_deep_nesting(kind: MessageType) -> None:
    # LIST_RESP and CANCEL_REQ lack required fields: BAD_FORMAT. An ERROR holds no APPOINTMENT,
    # so the unknown-here record is skipped and the ERROR itself is read.
    try:
        message = decode_message(kind, b"\x05\x01\x11" + nested_appointments())
    except RemoteProtocolError:
        assert kind is not MessageType.ERROR
    else:
        assert kind is MessageType.ERROR and message.result is Result.BAD_FORMAT


def test_a_forged_deep_error_is_read_as_an_unverified_error_by_the_terminal() -> None:
    terminal = TerminalConnection(TID, KEY)
    terminal.send(EchoRequest(datetime(2026, 11, 27, 9, 30)), 0.0)
    terminal.receive_data(bytes((ACK,)), 0.01)
    terminal.receive_data(frame(MessageType.ERROR, 0, b"\x05\x01\x11" + nested_appointments(), key=None), 0.02)
    [event] = [e for e in iter(terminal.next_event, None) if isinstance(e, ResponseReceived)]
    # An ERROR whose MAC does not verify can only mean failure (§7), never success.
    assert isinstance(event, ResponseReceived) and not event.verified
    assert event.response.result is Result.BAD_FORMAT


def test_a_deep_request_is_refused_by_the_host() -> None:
    host = HostConnection(lambda tid: KEY if tid == TID else None)
    host.receive_data(frame(MessageType.LIST_REQ, 5, nested_appointments(), key=KEY), 0.0)
    [event] = [e for e in iter(host.next_event, None) if isinstance(e, RequestRefused)]
    assert event.result is Result.BAD_FORMAT


def test_a_deep_frame_still_makes_a_trace_line() -> None:
    assert "ERROR" in describe_frame(frame(MessageType.ERROR, 0, nested_appointments(), key=None))
