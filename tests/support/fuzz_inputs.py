"""The starting points and raw byte builders of the receive-path fuzzing, shared by bench/fuzz.py
(a seeded million-input run) and tests/fuzz/ (hypothesis): valid frames taken apart into seeds,
encoders that build what the protocol forbids, and the byte values worth trying.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from protocol.enums import CURRENCY_CNY, ETX, STX, MessageType, Reason, Result, Service, Status
from protocol.frame import FIELDS_BYTES, BodyHeader, encode_message_frame, frame_body, parse_header
from protocol.integrity import ZERO_MAC, compute_mac, crc16_ccitt_false
from protocol.messages import (
    Appointment,
    CancelRequest,
    CancelResponse,
    ErrorResponse,
    ListRequest,
    ListResponse,
    Message,
    StatusRequest,
    StatusResponse,
)
from protocol.tlv import decode_tlvs
from tests.material import KEY, MERCHANT_ID, TID, VECTORS

# A second terminal the host knows, with another key: a frame MAC'd with it is a forgery for TID.
OTHER_TID = "TEST0002"
OTHER_KEY = bytes(range(100, 132))
NOW = datetime(2026, 11, 27, 9, 31, 6)
# Silences between chunks: none, short, longer than T_CHAR, longer than T_ACK, longer than T_RESP.
GAPS = (0.0, 0.0, 0.0, 0.0, 0.01, 0.15, 0.25, 0.7, 12.0)
INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x03, 0x06, 0x10, 0x15, 0x20, 0x7F, 0x80, 0x81, 0x82, 0x83, 0xFE, 0xFF)
ODD_TIMESTAMPS = (b"20260230120000", b"99991231235959", b"00000000000000", b"2026112709300a", b"20261127093060", b"202611270930")


# -- seeds ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seed:
    """A valid frame and its parts, the starting point of mutants."""

    name: str
    type: int
    seq: int
    tid: bytes  # 8 bytes as on the wire
    records: tuple[tuple[int, bytes], ...]
    frame: bytes

    @property
    def is_request(self) -> bool:
        return self.type != MessageType.ERROR and not self.type & 0x80


def _seed(name: str, frame: bytes) -> Seed:
    body = frame_body(frame)
    header = parse_header(body)
    return Seed(name, header.type, header.seq, header.tid, tuple(decode_tlvs(body[FIELDS_BYTES])), frame)


def _built_seeds() -> list[Seed]:
    """Frames the vectors lack: a full page, every kind of outcome, an ERROR with SEQ 0, a maximal body."""
    appointment = Appointment(
        "A20261128001", datetime(2026, 11, 28, 10), Service.INSTALLATION, Status.BOOKED,
        "成都市武侯区天府大道100号", 0, CURRENCY_CNY, datetime(2026, 11, 27, 10), datetime(2026, 11, 28, 8),
    )
    messages: list[tuple[str, Message, int, bytes | None]] = [
        ("full page", ListResponse(Result.OK, 17, 1, (appointment,) * 8, "第 2 页"), 7, KEY),
        ("refused list", ListResponse(Result.NOT_AUTHORISED, 0, 3), 8, KEY),
        ("status ok", StatusResponse(Result.OK, "TEST000100000003", "A20261128001", "C7Q2M9X4", 0, None, CURRENCY_CNY, NOW), 9, KEY),
        ("cancel too late", CancelResponse(Result.TOO_LATE, "R1", "A3", message="过了"), 10, KEY),
        ("error seq 0", ErrorResponse(Result.BAD_FORMAT, "unreadable"), 0, None),
        ("error busy", ErrorResponse(Result.BUSY), 11, KEY),
        ("list page 1", ListRequest(MERCHANT_ID, 1), 12, KEY),
        ("cancel other", CancelRequest(MERCHANT_ID, "A20261130007", "TEST000100000012", Reason.OTHER, 5000, "07", NOW), 13, KEY),
        ("status other", StatusRequest("TEST000100000012"), 14, KEY),
    ]
    seeds = [_seed(name, encode_message_frame(m, seq=seq, tid=TID, key=key)) for name, m, seq, key in messages]
    # A body of exactly 4096 bytes: an ECHO_REQ padded with a tag nobody knows (skipped by receivers).
    padding = (0x7E, b"p" * (4096 - 12 - 8 - 16 - 4))
    echo = _seed("echo", bytes.fromhex(VECTORS["vectors"][0]["frame_hex"]))
    body = raw_body(1, echo.type, 15, echo.tid, encode_records([*echo.records, padding]), "valid")
    seeds.append(_seed("maximal echo", raw_frame(body)))
    return seeds


def load_seeds() -> list[Seed]:
    return [_seed(v["name"], bytes.fromhex(v["frame_hex"])) for v in VECTORS["vectors"]] + _built_seeds()


# -- raw encoders that allow what the protocol forbids ---------------------------------------------


def raw_frame(body: bytes, *, length: int | None = None) -> bytes:
    """STX LEN BODY ETX CRC with a correct CRC over whatever LEN says (in range or not)."""
    claimed = (len(body) if length is None else length) & 0xFFFF
    covered = claimed.to_bytes(2, "big") + body + bytes((ETX,))
    return bytes((STX,)) + covered + crc16_ccitt_false(covered).to_bytes(2, "big")


def raw_body(version: int, kind: int, seq: int, tid: bytes, fields: bytes, mac: str, rng: random.Random | None = None) -> bytes:
    signed = BodyHeader(version & 0xFF, kind & 0xFF, seq & 0xFFFF, tid).pack() + fields
    if mac == "valid":
        return signed + compute_mac(KEY, signed)
    if mac == "zero":
        return signed + ZERO_MAC
    if mac == "other-key":
        return signed + compute_mac(OTHER_KEY, signed)
    if mac == "truncated":
        return signed + compute_mac(KEY, signed)[:4]
    return signed + (rng or random.Random(signed)).randbytes(8)


def ber_length(size: int, form: int) -> bytes:
    """form 0: shortest; 1: 0x81 nn; 2: 0x82 nnnn; 3..: a length byte that is not BER."""
    if form == 1 and size <= 0xFF:
        return bytes((0x81, size))
    if form == 2 and size <= 0xFFFF:
        return bytes((0x82, size >> 8, size & 0xFF))
    if form >= 3:
        return bytes(((0x80, 0x83, 0x84, 0xFF)[form % 4],))
    if size < 0x80:
        return bytes((size,))
    if size <= 0xFF:
        return bytes((0x81, size))
    return bytes((0x82, (size >> 8) & 0xFF, size & 0xFF))


def encode_records(records: list[tuple[int, bytes]] | tuple[tuple[int, bytes], ...]) -> bytes:
    out = bytearray()
    for tag, value in records:
        out.append(tag & 0xFF)
        out += ber_length(len(value), 0)
        out += value
    return bytes(out)
