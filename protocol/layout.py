"""The frame and the body header (docs/protocol.md §2, §3) declared with construct: the reference
the codec in protocol/frame.py is checked against (tests/protocol/test_vectors.py, on every
vector), and where a reader finds the layout written as data.

Not imported by the codec: construct costs a process about 2.8 MiB and 30 ms to load, and its
build of a frame about ten times what `struct` takes for the same bytes.
"""

from __future__ import annotations

import struct

from construct import Bytes, Const, FormatField, Int8ub, Int16ub, Struct, this

from protocol.enums import STX, TID_SIZE

FRAME_ENVELOPE = Struct(
    "stx" / Const(bytes((STX,))),
    "length" / Int16ub,
    "body" / Bytes(this.length),
    "etx" / Int8ub,
    "crc" / Int16ub,
)

BODY_HEADER = Struct(
    "version" / Int8ub,
    "type" / Int8ub,
    "seq" / Int16ub,
    "tid" / Bytes(TID_SIZE),
)


def struct_of(declaration: Struct) -> struct.Struct:
    """The struct.Struct that packs exactly what a flat construct Struct of big-endian integers
    and fixed-size Bytes declares."""
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
