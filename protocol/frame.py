"""Frame and body envelopes (docs/protocol.md §2, §3) declared with construct, plus the MAC'd body codec.

The envelopes are compiled construct Structs: compiling turns the declaration into generated
Python, several times faster than interpreting it, which keeps a frame's encode + decode well
under 1 % of its wire time (bench/codec.py). construct's exceptions are translated here and never
leave protocol/.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import NamedTuple

from construct import Bytes, Const, ConstructError, FormatField, Int8ub, Int16ub, Struct, this

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

FRAME_ENVELOPE = Struct(
    "stx" / Const(bytes((STX,))),
    "length" / Int16ub,
    "body" / Bytes(this.length),
    "etx" / Int8ub,
    "crc" / Int16ub,
).compile()

BODY_HEADER = Struct(
    "version" / Int8ub,
    "type" / Int8ub,
    "seq" / Int16ub,
    "tid" / Bytes(TID_SIZE),
)


def struct_of(declaration: Struct) -> struct.Struct:
    """The struct.Struct that packs exactly what a flat construct Struct of big-endian integers
    and fixed-size Bytes declares.

    The body header is read and written for every frame; construct's parse or build of it costs
    about 7 µs (it makes a context Container per call, compiled or not), a tenth of a frame's whole
    budget, while the same layout in struct takes under 1 µs. So construct declares the header and
    this turns the declaration into the struct the hot path uses; tests check the two agree."""
    codes = []
    for field in declaration.subcons:
        inner = field.subcon
        if isinstance(inner, FormatField) and inner.fmtstr[0] == ">":
            codes.append(inner.fmtstr[1:])
        elif isinstance(inner, Bytes) and isinstance(inner.length, int):
            codes.append(f"{inner.length}s")
        else:
            raise TypeError(f"{field.name}: only big-endian integers and fixed Bytes have a struct code")
    return struct.Struct(">" + "".join(codes))


_HEADER = struct_of(BODY_HEADER)

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
        return _HEADER.pack(*self)


def parse_header(body: bytes) -> BodyHeader:
    """The header of a body of at least HEADER_SIZE bytes."""
    return BodyHeader(*_HEADER.unpack_from(body))


def encode_frame(body: bytes) -> bytes:
    """STX | LEN | BODY | ETX | CRC around a body of 20..4096 bytes."""
    if not MIN_BODY <= len(body) <= MAX_BODY:
        raise LocalProtocolError(f"a BODY must be {MIN_BODY}..{MAX_BODY} bytes, not {len(body)}")
    length = len(body)
    covered = length.to_bytes(2, "big") + body + bytes((ETX,))
    try:
        return FRAME_ENVELOPE.build(
            {"length": length, "body": body, "etx": ETX, "crc": crc16_ccitt_false(covered)}
        )
    except ConstructError as exc:
        raise LocalProtocolError(f"cannot build the frame: {exc}") from None


def frame_problem(frame: bytes) -> str | None:
    """Why a complete candidate frame (STX through CRC) is bad, or None when it is good.

    The reader has already found STX and a LEN in range and counted LEN + 6 bytes, so only ETX
    and CRC are left to check; two byte comparisons do that without a construct parse (about
    7 µs, a tenth of the whole frame budget) on every frame received."""
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
    version, message_type, seq, tid = _HEADER.unpack_from(body)
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
    signed = _HEADER.pack(VERSION, int(message.TYPE), seq, encode_tid(tid)) + message.encode_fields()
    return signed + (ZERO_MAC if key is None else compute_mac(key, signed))


def encode_message_frame(message: Message, *, seq: int, tid: str, key: bytes | None) -> bytes:
    return encode_frame(encode_body(message, seq=seq, tid=tid, key=key))
