"""Frames and body envelopes (docs/protocol.md §2, §3), plus the MAC'd body codec.

The layout is declared with construct in protocol/layout.py; the codec here packs and unpacks the
same layout with `struct`, which the tests check against that declaration on every vector. A
frame is read and written several times an exchange on both sides, and construct costs there:
its build of a frame takes about 10 µs against 1 µs, and importing it (and compiling the frame's
declaration) added about 2.8 MiB and 30 ms to every process that speaks the protocol, the
terminal's app included. construct is imported only where the declaration is checked.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import NamedTuple

from protocol.enums import (
    ETX,
    HEADER_SIZE,
    MAC_SIZE,
    MAX_BODY,
    MIN_BODY,
    MIN_FRAME,
    STX,
    TID_SIZE,
    VERSION,
    MessageType,
    Result,
)
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.fields import is_printable_ascii
from protocol.integrity import ZERO_MAC, compute_mac, crc16_ccitt_false, mac_matches
from protocol.messages import Message, decode_message

# layout.BODY_HEADER: VERSION, TYPE, SEQ, TID.
HEADER = struct.Struct(f">BBH{TID_SIZE}s")
# layout.FRAME_ENVELOPE around the BODY: STX and LEN before it, ETX and CRC after it.
FRAME_HEAD = struct.Struct(">BH")
FRAME_TAIL = struct.Struct(">BH")

# Where the parts sit, for code that reads them without a full parse (§2, §3): a frame is
# STX | LEN | BODY | ETX | CRC, a BODY is VERSION | TYPE | SEQ | TID | FIELDS | MAC.
BODY_START = 3  # after STX and LEN
TRAILER_SIZE = 3  # ETX and CRC
SEQ_BYTES = slice(2, 4)
TID_BYTES = slice(HEADER_SIZE - TID_SIZE, HEADER_SIZE)
FIELDS_BYTES = slice(HEADER_SIZE, -MAC_SIZE)


def frame_body(frame: bytes) -> bytes:
    """The BODY of a frame (STX through CRC): what lies between LEN and ETX."""
    return frame[BODY_START:-TRAILER_SIZE]


def declared_length(frame: bytes | bytearray) -> int:
    """The BODY length a frame's LEN (the two bytes after STX) claims, right or wrong."""
    return (frame[1] << 8) | frame[2]


class BodyHeader(NamedTuple):
    """A BODY's header as it is on the wire, nothing checked: what tests and the fuzzer build
    frames from, including ones the encoders refuse to make."""

    version: int
    type: int
    seq: int
    tid: bytes  # TID_SIZE bytes, space-padded

    def pack(self) -> bytes:
        return HEADER.pack(*self)


def parse_header(body: bytes) -> BodyHeader:
    """The header of a body of at least HEADER_SIZE bytes."""
    return BodyHeader(*HEADER.unpack_from(body))


def encode_frame(body: bytes) -> bytes:
    """STX | LEN | BODY | ETX | CRC around a body of 20..4096 bytes."""
    length = len(body)
    if not MIN_BODY <= length <= MAX_BODY:
        raise LocalProtocolError(f"a BODY must be {MIN_BODY}..{MAX_BODY} bytes, not {length}")
    head = FRAME_HEAD.pack(STX, length)
    covered = head[1:] + body + bytes((ETX,))
    return head + body + FRAME_TAIL.pack(ETX, crc16_ccitt_false(covered))


def frame_problem(frame: bytes) -> str | None:
    """Why a complete candidate frame (STX through CRC) is bad, or None when it is good.

    The reader has already found STX and a LEN in range and counted LEN + 6 bytes, so only ETX
    and CRC are left to check."""
    if len(frame) < MIN_FRAME or frame[0] != STX:
        return "truncated frame"
    if frame[-3] != ETX:
        return f"ETX is 0x{frame[-3]:02X}"
    if crc16_ccitt_false(frame[1:-2]) != int.from_bytes(frame[-2:], "big"):
        return "CRC mismatch"
    return None


@lru_cache(maxsize=64)
def encode_tid(tid: str) -> bytes:
    raw = tid.encode("ascii", errors="replace")
    # Trailing spaces would be indistinguishable from the padding.
    if not tid or tid != tid.rstrip(" ") or len(raw) > TID_SIZE or not is_printable_ascii(raw):
        raise LocalProtocolError(f"a TID is 1..8 printable ASCII characters, not {tid!r}")
    return raw.ljust(TID_SIZE, b" ")


class Envelope(NamedTuple):
    """A body split into its header, its FIELDS and its MAC, nothing yet checked but the sizes.

    A NamedTuple rather than a frozen dataclass: one is made per frame received, and a tuple is
    built about three times faster."""

    version: int
    type: int
    seq: int
    tid: str
    fields: bytes
    mac: bytes
    signed: bytes

    def mac_verifies(self, key: bytes | None) -> bool:
        return key is not None and mac_matches(key, self.signed, self.mac)

    def message(self) -> Message:
        if self.version != VERSION:
            raise RemoteProtocolError(f"VERSION {self.version} is not 1", Result.BAD_VERSION)
        return decode_message(self.type, self.fields)

    @property
    def type_name(self) -> str:
        try:
            return MessageType(self.type).name
        except ValueError:
            return f"TYPE 0x{self.type:02X}"


def parse_envelope(body: bytes) -> Envelope:
    if len(body) < MIN_BODY:
        raise RemoteProtocolError(f"a BODY of {len(body)} bytes is shorter than {MIN_BODY}")
    version, message_type, seq, tid = HEADER.unpack_from(body)
    raw_tid = tid.rstrip(b" ")
    if not raw_tid or not is_printable_ascii(raw_tid):
        raise RemoteProtocolError(f"TID {tid!r} is not printable ASCII")
    return Envelope(
        version=version,
        type=message_type,
        seq=seq,
        tid=raw_tid.decode("ascii"),
        fields=body[FIELDS_BYTES],
        mac=body[-MAC_SIZE:],
        signed=body[:-MAC_SIZE],
    )


def encode_body(message: Message, *, seq: int, tid: str, key: bytes | None) -> bytes:
    """VERSION | TYPE | SEQ | TID | FIELDS | MAC. key None gives the all-zero MAC of an ERROR
    answering a TID the host has no key for (§6)."""
    if not 0 <= seq <= 0xFFFF:
        raise LocalProtocolError(f"SEQ {seq} is outside 0..65535")
    if key is None and message.TYPE is not MessageType.ERROR:
        raise LocalProtocolError(f"{message.TYPE.name} needs a key for its MAC")
    signed = HEADER.pack(VERSION, int(message.TYPE), seq, encode_tid(tid)) + message.encode_fields()
    return signed + (ZERO_MAC if key is None else compute_mac(key, signed))


def encode_message_frame(message: Message, *, seq: int, tid: str, key: bytes | None) -> bytes:
    return encode_frame(encode_body(message, seq=seq, tid=tid, key=key))
