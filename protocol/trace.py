"""Trace lines: a frame or a link happening rendered for people — each field as NAME = value,
text as text, integers in decimal. Shared by the simulator's --trace, `pos-sim trace` and the
terminal's technician screen. Keys never reach here, so they cannot be printed.
"""

from __future__ import annotations

from protocol.enums import ENUM_OF_TAG, MIN_FRAME, Tag
from protocol.errors import RemoteProtocolError
from protocol.fields import safe_decode_plain_fields
from protocol.frame import frame_body, parse_envelope
from protocol.link import TraceRecord

_ARROWS = {"rx": "<-", "tx": "->"}
_FRAME_KINDS = {"frame", "resend", "duplicate", "bad-frame", "send-failed"}


def describe_fields(pairs: list) -> str:
    parts = []
    for tag, value in pairs:
        name = tag.name if isinstance(tag, Tag) else str(tag)
        if isinstance(value, list):
            parts.append(f"{name} = {{{describe_fields(value)}}}")
        elif tag in ENUM_OF_TAG and value in ENUM_OF_TAG[tag]._value2member_map_:
            parts.append(f"{name} = {value} ({ENUM_OF_TAG[tag](value).name})")
        else:
            parts.append(f"{name} = {value}")
    return ", ".join(parts)


def describe_body(body: bytes) -> str:
    """`TYPE seq=N tid=T: FIELD = value, …`, or why the body cannot be read."""
    try:
        envelope = parse_envelope(body)
    except RemoteProtocolError as exc:
        return f"unreadable body ({exc})"
    version = "" if envelope.version == 1 else f" VERSION={envelope.version}"
    fields = safe_decode_plain_fields(envelope.fields)
    shown = describe_fields(fields) if isinstance(fields, list) else f"malformed fields ({fields})"
    return f"{envelope.type_name} seq={envelope.seq} tid={envelope.tid}{version}: {shown}"


def describe_frame(raw: bytes) -> str:
    if len(raw) < MIN_FRAME:
        return f"{len(raw)} bytes"
    return describe_body(frame_body(raw))


def describe_record(record: TraceRecord) -> str:
    """What a record is, without its time, direction or bytes: `FRAME TYPE seq=N tid=T: …`,
    `NAK (bad CRC)`, `NOISE`."""
    what = record.kind.upper() + (f" ({record.note})" if record.note else "")
    if record.kind in _FRAME_KINDS and record.data:
        return f"{what} {describe_frame(record.data)}"
    return what


def format_record(record: TraceRecord, clock: str) -> str:
    """One trace line; `clock` is the caller's rendering of the record's time."""
    arrow = _ARROWS.get(record.direction, record.direction)
    line = f"{clock} {arrow} {describe_record(record)}"
    return f"{line} | {record.data.hex()}" if record.data else line
