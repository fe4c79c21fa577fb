"""What each TLV tag holds (docs/protocol.md §3 "Tags"): its kind, its size limits, and the conversion
between its wire bytes and a plain value (text for an/ts/utf8, int for u8/u16/u32, a list of
(NAME, value) pairs for a nested tlv) — the form the vectors and the trace use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from protocol.enums import Tag
from protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from protocol.tlv import decode_tlvs, encode_tlvs


class Kind(Enum):
    AN = "an"
    TS = "ts"
    UTF8 = "utf8"
    U8 = "u8"
    U16 = "u16"
    U32 = "u32"
    TLV = "tlv"


_INT_SIZES = {Kind.U8: 1, Kind.U16: 2, Kind.U32: 4}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: Kind
    min_size: int = 0
    max_size: int = 0xFFFF


FIELD_SPECS: dict[Tag, FieldSpec] = {
    Tag.MERCHANT_ID: FieldSpec(Kind.AN, 15, 15),
    Tag.OPERATOR_ID: FieldSpec(Kind.AN, 1, 8),
    Tag.TIMESTAMP: FieldSpec(Kind.TS),
    Tag.REQUEST_ID: FieldSpec(Kind.AN, 1, 32),
    Tag.RESULT: FieldSpec(Kind.U8),
    Tag.MESSAGE: FieldSpec(Kind.UTF8, 0, 200),
    Tag.PAGE: FieldSpec(Kind.U8),
    Tag.TOTAL: FieldSpec(Kind.U16),
    Tag.APPOINTMENT: FieldSpec(Kind.TLV),
    Tag.APPT_ID: FieldSpec(Kind.AN, 1, 20),
    Tag.SCHEDULED_AT: FieldSpec(Kind.TS),
    Tag.SERVICE: FieldSpec(Kind.U8),
    Tag.ADDRESS: FieldSpec(Kind.UTF8, 0, 120),
    Tag.STATUS: FieldSpec(Kind.U8),
    Tag.FEE: FieldSpec(Kind.U32),
    Tag.CURRENCY: FieldSpec(Kind.AN, 3, 3),
    Tag.FREE_UNTIL: FieldSpec(Kind.TS),
    Tag.CANCEL_UNTIL: FieldSpec(Kind.TS),
    Tag.REASON: FieldSpec(Kind.U8),
    Tag.FEE_ACCEPTED: FieldSpec(Kind.U32),
    Tag.CANCEL_REF: FieldSpec(Kind.AN, 1, 20),
    Tag.FEE_CHARGED: FieldSpec(Kind.U32),
}

_KNOWN_TAGS = {int(tag): tag for tag in FIELD_SPECS}


def known_tag(number: int) -> Tag | None:
    return _KNOWN_TAGS.get(number)


_PRINTABLE = bytes(range(0x20, 0x7F))


def is_printable_ascii(raw: bytes) -> bool:
    # bytes.translate deletes in C: whatever survives is not printable ASCII.
    return not raw.translate(None, _PRINTABLE)


def format_timestamp(moment: datetime) -> str:
    # An f-string, not strftime: strftime pads years below 1000 differently across platforms.
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def parse_timestamp(text: str) -> datetime:
    """14 digits YYYYMMDDhhmmss; anything else (including 30 February) is a ValueError.

    Sliced by hand: datetime.strptime costs about 30 µs a call, more than a whole frame."""
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        raise ValueError(f"{text!r} is not 14 digits YYYYMMDDhhmmss")
    return datetime(
        int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]), int(text[12:14])
    )


def decode_value(tag: Tag, raw: bytes) -> str | int | list:
    """Wire bytes of a known tag to its plain value; a wrong size or kind is BAD_FORMAT."""
    spec = FIELD_SPECS[tag]
    kind = spec.kind
    if kind in _INT_SIZES:
        if len(raw) != _INT_SIZES[kind]:
            raise RemoteProtocolError(
                f"{tag.name} must be {_INT_SIZES[kind]} bytes, got {len(raw)}"
            )
        return int.from_bytes(raw, "big")
    if kind is Kind.TLV:
        return decode_plain_fields(raw, nested=True)
    if kind is Kind.TS:
        if len(raw) != 14 or not raw.isdigit():
            raise RemoteProtocolError(f"{tag.name} must be 14 digits YYYYMMDDhhmmss")
        text = raw.decode("ascii")
        try:
            parse_timestamp(text)
        except ValueError:
            raise RemoteProtocolError(f"{tag.name} {text} is not a valid date and time") from None
        return text
    if not spec.min_size <= len(raw) <= spec.max_size:
        raise RemoteProtocolError(
            f"{tag.name} must be {_size_range(spec)} bytes, got {len(raw)}"
        )
    if kind is Kind.AN:
        if not is_printable_ascii(raw):
            raise RemoteProtocolError(f"{tag.name} must be printable ASCII")
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RemoteProtocolError(f"{tag.name} is not valid UTF-8") from None


def encode_value(tag: Tag, value: str | int | list) -> bytes:
    """Plain value of a known tag to wire bytes; a value the protocol forbids is our own error."""
    spec = FIELD_SPECS[tag]
    kind = spec.kind
    if kind in _INT_SIZES:
        size = _INT_SIZES[kind]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << (8 * size):
            raise LocalProtocolError(f"{tag.name} must be an integer that fits {kind.value}, got {value!r}")
        return int(value).to_bytes(size, "big")
    if kind is Kind.TLV:
        if not isinstance(value, list):
            raise LocalProtocolError(f"{tag.name} must be a list of (NAME, value) pairs")
        return encode_plain_fields(value)
    if not isinstance(value, str):
        raise LocalProtocolError(f"{tag.name} must be text, got {value!r}")
    if kind is Kind.TS:
        try:
            parse_timestamp(value)
        except ValueError as exc:
            raise LocalProtocolError(f"{tag.name}: {exc}") from None
        return value.encode("ascii")
    if kind is Kind.AN:
        raw = value.encode("ascii", errors="replace")
        if not is_printable_ascii(raw) or not value.isascii():
            raise LocalProtocolError(f"{tag.name} must be printable ASCII, got {value!r}")
    else:
        raw = value.encode("utf-8")
    if not spec.min_size <= len(raw) <= spec.max_size:
        raise LocalProtocolError(f"{tag.name} must be {_size_range(spec)} bytes, got {len(raw)}")
    return raw


def decode_plain_fields(data: bytes, *, nested: bool = False) -> list[tuple[Tag, str | int | list]]:
    """All known tags of a TLV sequence with their plain values; unknown tags are skipped.

    Inside a nested record (an APPOINTMENT holds tags 0x11..0x19) a tlv-kind tag is not known
    there and is skipped undecoded: decoding it would let a peer nest records hundreds deep and
    exhaust the stack with one 2 KB frame."""
    fields = []
    for number, raw in decode_tlvs(data):
        tag = known_tag(number)
        if tag is None or (nested and FIELD_SPECS[tag].kind is Kind.TLV):
            continue
        fields.append((tag, decode_value(tag, raw)))
    return fields


def encode_plain_fields(pairs: list) -> bytes:
    """(NAME or Tag, plain value) pairs, in the order given, to TLV bytes."""
    records = []
    for name, value in pairs:
        tag = name if isinstance(name, Tag) else _tag_named(name)
        records.append((int(tag), encode_value(tag, value)))
    return encode_tlvs(records)


def safe_decode_plain_fields(data: bytes) -> list[tuple[Tag, str | int | list]] | str:
    """For traces: the fields, or the reason they cannot be read."""
    try:
        return decode_plain_fields(data)
    except ProtocolError as exc:
        return str(exc)


def _tag_named(name: str) -> Tag:
    try:
        return Tag[name]
    except KeyError:
        raise LocalProtocolError(f"no tag is named {name!r}") from None


def _size_range(spec: FieldSpec) -> str:
    if spec.min_size == spec.max_size:
        return f"exactly {spec.min_size}"
    return f"{spec.min_size}..{spec.max_size}"
