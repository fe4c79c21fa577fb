"""Seeded mutation fuzzer for the four receive paths: the frame reader, the message decoder, the
host (connection + host logic) and the terminal connection. Prints, per target, how many inputs
ran, how many ended in an unexpected exception or a broken invariant (each kind with a reproducer
written to a file), the largest receive buffer seen, inputs/s and elapsed time.

    uv run python bench/fuzz.py --inputs 1000000 [--seed 1] [--targets framer,messages,host,terminal]
    uv run python bench/fuzz.py --replay fuzz-crashes/host-01.json
    uv run python bench/fuzz.py --atheris host     (coverage-guided, when atheris is installed)

Inputs start from the protocol's vectors and frames built with the protocol's own encoders, then
have bytes flipped, inserted, deleted and truncated, TLVs dropped, doubled, retagged, resized,
nested and given odd BER lengths, headers (VERSION, TYPE, SEQ, TID) changed, lengths altered and
frames cut short or made oversized; most mutants are then re-MAC'd and re-CRC'd so that they pass
the checks in front of the deeper layers. A seeded generator is used rather than hypothesis
because it runs a million inputs in minutes; hypothesis drives the in-suite part (tests/fuzz/).

Expected is, per target: framer, only events (and RemoteProtocolError from parse_envelope);
messages, a message or RemoteProtocolError, and a decoded message re-encodes to bytes that decode
to it again; host, events only, and every RequestReceived or RequestRefused gets a response that
encodes (an ERROR for a refused one) and reads back; terminal, events only, and an accepted answer
really answers the outstanding request. Anything else counts as unexpected. Receive buffers must
never exceed one maximal frame (4102 bytes) plus the latest read.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from protocol.connection import (
    FrameDropped,
    HostConnection,
    RequestAccepted,
    RequestFailed,
    RequestReceived,
    RequestRefused,
    ResponseAbandoned,
    ResponseReceived,
    TerminalConnection,
)
from protocol.enums import ACK, CURRENCY_CNY, ETX, FRAME_OVERHEAD, MAX_FRAME, NAK, STX, MessageType, Reason, Result, Service, Status
from protocol.errors import RemoteProtocolError
from protocol.frame import (
    BODY_START,
    FIELDS_BYTES,
    TRAILER_SIZE,
    BodyHeader,
    declared_length,
    encode_message_frame,
    frame_body,
    frame_problem,
    parse_envelope,
    parse_header,
)
from protocol.framer import AbandonedFrame, ControlByte, CorruptFrame, FrameReader, GoodFrame, Noise
from protocol.integrity import ZERO_MAC, compute_mac, crc16_ccitt_false
from protocol.link import BadFrame, Timers, TraceRecord
from protocol.messages import (
    Appointment,
    CancelRequest,
    CancelResponse,
    EchoRequest,
    ErrorResponse,
    ListRequest,
    ListResponse,
    Message,
    StatusRequest,
    StatusResponse,
    decode_message,
)
from protocol.tlv import decode_tlvs
from protocol.trace import format_record
from simulator.data import ServiceAppointment, SimulatorData, Terminal
from simulator.host import HostLogic
from simulator.store import HostStore
from tests.material import KEY, MERCHANT_ID, TID, VECTORS

# A second terminal the host knows, with another key: a frame MAC'd with it is a forgery for TID.
OTHER_TID = "TEST0002"
OTHER_KEY = bytes(range(100, 132))
NOW = datetime(2026, 11, 27, 9, 31, 6)
TIMERS = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)
TARGETS = ("framer", "messages", "host", "terminal")
# Silences between chunks: none, short, longer than T_CHAR, longer than T_ACK, longer than T_RESP.
GAPS = (0.0, 0.0, 0.0, 0.0, 0.01, 0.15, 0.25, 0.7, 12.0)
INTERESTING_BYTES = (0x00, 0x01, 0x02, 0x03, 0x06, 0x10, 0x15, 0x20, 0x7F, 0x80, 0x81, 0x82, 0x83, 0xFE, 0xFF)
BOUNDARY_SIZES = (0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 14, 15, 16, 19, 20, 21, 31, 32, 33, 119, 120, 121, 127, 128, 199, 200, 201, 255, 256)
ODD_TIMESTAMPS = (b"20260230120000", b"99991231235959", b"00000000000000", b"2026112709300a", b"20261127093060", b"202611270930")
# Nesting depths for APPOINTMENT-in-APPOINTMENT: the deep ones exceed Python's recursion limit in
# a recursive decoder, which is exactly what an attacker would send.
NEST_DEPTHS = (1, 2, 5, 50, 300, 600, 1000)
REPRODUCERS_PER_KIND = 3


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


# -- the mutator -----------------------------------------------------------------------------------


class Mutator:
    def __init__(self, rng: random.Random, seeds: list[Seed]) -> None:
        self.rng = rng
        self.seeds = seeds
        self.requests = [s for s in seeds if s.is_request]
        self.responses = [s for s in seeds if not s.is_request]

    def random_bytes(self, low: int, high: int) -> bytes:
        return self.rng.randbytes(self.rng.randint(low, high))

    def mutate_bytes(self, data: bytes) -> bytes:
        rng = self.rng
        out = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(10)
            at = rng.randrange(len(out) + 1)
            if op == 0 and out:
                out[at % len(out)] ^= 1 << rng.randrange(8)
            elif op == 1 and out:
                out[at % len(out)] = rng.choice(INTERESTING_BYTES)
            elif op == 2:
                out[at:at] = self.random_bytes(1, 8)
            elif op == 3 and out:
                del out[at : at + rng.randint(1, 8)]
            elif op == 4:
                del out[at:]
            elif op == 5 and out:
                start = rng.randrange(len(out))
                out[at:at] = out[start : start + rng.randint(1, 32)]
            elif op == 6:
                out += self.random_bytes(1, 32)
            elif op == 7 and out:
                out[at % len(out)] = rng.randrange(256)
            elif op == 8:
                other = rng.choice(self.seeds).frame
                start = rng.randrange(len(other))
                out[at:at] = other[start : start + rng.randint(1, 64)]
            else:
                out[at:at] = bytes((rng.choice(INTERESTING_BYTES),))
        return bytes(out)

    def mutate_value(self, tag: int, value: bytes) -> bytes:
        rng = self.rng
        choice = rng.randrange(8)
        if choice == 0:
            return rng.randbytes(rng.choice(BOUNDARY_SIZES))
        if choice == 1:
            return rng.choice(ODD_TIMESTAMPS)
        if choice == 2:
            return b"A" * rng.choice(BOUNDARY_SIZES)
        if choice == 3:
            return "中".encode() * rng.randint(0, 70)
        if choice == 4 and tag == 0x10:
            return self.encode_fields(self.mutate_records(list(decode_tlvs_lenient(value))))
        if choice == 5:
            return rng.randbytes(len(value))
        return self.mutate_bytes(value)

    def mutate_records(self, records: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
        rng = self.rng
        records = list(records)
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(11)
            at = rng.randrange(len(records)) if records else 0
            if op == 0 and records:
                del records[at]
            elif op == 1 and records:
                records.insert(at, records[at])
            elif op == 2 and len(records) > 1:
                other = rng.randrange(len(records))
                records[at], records[other] = records[other], records[at]
            elif op == 3 and records:
                tag = rng.choice((rng.randrange(256), *range(1, 9), *range(0x10, 0x1A), *range(0x20, 0x24)))
                records[at] = (tag, records[at][1])
            elif op in (4, 5) and records:
                records[at] = (records[at][0], self.mutate_value(*records[at]))
            elif op == 6:
                records.insert(at, (rng.randrange(256), self.random_bytes(0, 40)))
            elif op == 7 and records:
                # Nest: the record, wrapped in APPOINTMENT again and again.
                records[at] = (0x10, _nested(encode_records([records[at]]), rng.choice(NEST_DEPTHS) - 1))
            elif op == 8:
                seed = rng.choice(self.seeds)
                if seed.records:
                    records.insert(at, rng.choice(seed.records))
            elif op == 9 and records:
                del records[at:]
            else:
                records.append((0x10, self.encode_fields(list(rng.choice(self.responses).records))))
        return records

    def encode_fields(self, records: list[tuple[int, bytes]]) -> bytes:
        """Records to TLV bytes, with now and then a length that is long-form, not BER, or wrong."""
        rng = self.rng
        out = bytearray()
        odd = rng.random() < 0.15
        for tag, value in records:
            out.append(tag & 0xFF)
            if odd and rng.random() < 0.3:
                form = rng.randrange(6)
                if form == 5:  # claims more or fewer bytes than follow
                    out += ber_length(max(0, len(value) + rng.choice((-2, -1, 1, 2, 100))), 0)
                else:
                    out += ber_length(len(value), form)
            else:
                out += ber_length(len(value), 0)
            out += value
        return bytes(out)

    def frame_from(self, seeds: list[Seed], seq: int | None = None) -> bytes:
        """One frame: intact, byte-mutated, or rebuilt from mutated parts and re-MAC'd / re-CRC'd."""
        rng = self.rng
        seed = rng.choice(seeds)
        level = rng.random()
        if level < 0.1:
            return seed.frame
        if level < 0.25:
            return self.mutate_bytes(seed.frame)
        version, kind, number, tid = 1, seed.type, seed.seq, seed.tid
        if seq is not None and rng.random() < 0.85:
            number = seq
        records = list(seed.records)
        if rng.random() < 0.75:
            records = self.mutate_records(records)
        if rng.random() < 0.2:
            header = rng.randrange(5)
            if header == 0:
                version = rng.choice((0, 2, 0x81, 0xFF))
            elif header == 1:
                kind = rng.choice((*[int(t) for t in MessageType], rng.randrange(256)))
            elif header == 2:
                number = rng.choice((0, 1, 0xFFFF, rng.randrange(0x10000)))
            elif header == 3:
                tid = rng.choice((b"TEST0002", b"NOBODY  ", b"        ", b" TEST001", b"TEST\x0001", b"\xff" * 8, b"TEST0001"))
            else:
                kind = seed.type ^ 0x80 if seed.type != MessageType.ERROR else MessageType.ECHO_RESP
        fields = self.encode_fields(records) if rng.random() < 0.9 else self.mutate_bytes(encode_records(records))
        mac = rng.choices(("valid", "zero", "other-key", "truncated", "random"), (70, 10, 8, 6, 6))[0]
        body = raw_body(version, kind, number, tid, fields, mac, rng)
        if rng.random() < 0.08:  # an altered byte with the CRC recomputed: only the MAC can tell
            body = self.mutate_bytes(body)
        frame = raw_frame(body)
        if rng.random() < 0.1:
            frame = self.mutate_frame(frame, body)
        return frame

    def mutate_frame(self, frame: bytes, body: bytes) -> bytes:
        rng = self.rng
        op = rng.randrange(6)
        if op == 0:  # LEN altered, CRC recomputed over what LEN now claims
            return raw_frame(body, length=rng.choice((0, 19, 20, len(body) - 1, len(body) + 1, 4096, 4097, 0xFFFF)))
        if op == 1:  # LEN altered, CRC left as it was
            claimed = rng.choice((19, 20, len(body) + 1, 4097, 0xFFFF)).to_bytes(2, "big")
            return frame[:1] + claimed + frame[BODY_START:]
        if op == 2:  # cut short
            return frame[: rng.randrange(1, len(frame))]
        if op == 3:  # ETX wrong
            return frame[:-3] + bytes((rng.randrange(256),)) + frame[-2:]
        if op == 4:  # oversized: a body past 4096 bytes with a CRC that fits it
            return raw_frame(body + self.random_bytes(4097 - len(body), 4200 - len(body)) if len(body) < 4097 else body)
        return frame[:BODY_START] + body * 2 + frame[-TRAILER_SIZE:]

    def stream(self, seeds: list[Seed], seq: int | None = None) -> list[tuple[float, bytes]]:
        """Frames, noise, control bytes and oversized false starts, cut into chunks with silences."""
        rng = self.rng
        pieces: list[bytes] = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            kind = rng.random()
            if kind < 0.72:
                pieces.append(self.frame_from(seeds, seq))
            elif kind < 0.86:
                pieces.append(self.random_bytes(1, 64))
            elif kind < 0.95:
                pieces.append(bytes(rng.choice((ACK, NAK)) for _ in range(rng.randint(1, 3))))
            else:  # a false start claiming a large LEN, then bytes that never complete it
                pieces.append(bytes((STX,)) + rng.randint(20, 4096).to_bytes(2, "big") + self.random_bytes(0, 300))
        return self.cut(b"".join(pieces))

    def cut(self, data: bytes) -> list[tuple[float, bytes]]:
        rng = self.rng
        cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(4))) if data else []
        chunks, start = [], 0
        for end in [*cuts, len(data)]:
            chunks.append((rng.choice(GAPS), data[start:end]))
            start = end
        return chunks


def _nested(core: bytes, depth: int, limit: int = 4060) -> bytes:
    """`core` wrapped in `depth` APPOINTMENT TLVs (fewer if the result would pass `limit` bytes);
    the sizes are worked out inside-out and the bytes joined once, not copied a thousand times."""
    sizes, size = [], len(core)
    for _ in range(depth):
        grows = 2 if size < 0x80 else 3 if size <= 0xFF else 4
        if size + grows > limit:
            break
        sizes.append(size)
        size += grows
    headers = [
        bytes((0x10, n)) if n < 0x80 else bytes((0x10, 0x81, n)) if n <= 0xFF else bytes((0x10, 0x82, n >> 8, n & 0xFF))
        for n in reversed(sizes)
    ]
    return b"".join(headers) + core


def decode_tlvs_lenient(data: bytes) -> list[tuple[int, bytes]]:
    try:
        return decode_tlvs(data)
    except RemoteProtocolError:
        return [(0x11, data[:20])]


# -- cases -----------------------------------------------------------------------------------------


def _hexed(chunks: list[tuple[float, bytes]]) -> list[list]:
    return [[gap, chunk.hex()] for gap, chunk in chunks]


def _unhexed(chunks: list[list]) -> list[tuple[float, bytes]]:
    return [(float(gap), bytes.fromhex(text)) for gap, text in chunks]


TERMINAL_REQUESTS: dict[str, Callable[[], Any]] = {
    "echo": lambda: EchoRequest(NOW),
    "list": lambda: ListRequest(MERCHANT_ID, 0),
    "cancel": lambda: CancelRequest(MERCHANT_ID, "A20261128001", "TEST000100000003", Reason.NO_LONGER_NEEDED, 0, "00", NOW),
    "status": lambda: StatusRequest("TEST000100000003"),
}


def generate(target: str, mutator: Mutator) -> dict:
    """One input for `target`, as plain JSON-able data (what a reproducer file holds)."""
    rng = mutator.rng
    if target == "framer":
        chunks = mutator.stream(mutator.seeds)
        tail = rng.choice(mutator.seeds).frame if rng.random() < 0.5 else b""
        return {"chunks": chunks, "tail": tail}
    if target == "messages":
        seed = rng.choice(mutator.seeds)
        kind = seed.type if rng.random() < 0.85 else rng.choice((*[int(t) for t in MessageType], rng.randrange(256)))
        roll = rng.random()
        if roll < 0.75:
            fields = mutator.encode_fields(mutator.mutate_records(list(seed.records)))
        elif roll < 0.95:
            fields = mutator.mutate_bytes(encode_records(seed.records))
        else:
            fields = mutator.random_bytes(0, 64)
        return {"type": kind, "fields": fields}
    if target == "host":
        pool = mutator.requests if rng.random() < 0.9 else mutator.seeds
        return {
            "chunks": mutator.stream(pool),
            "acks": "".join(rng.choice("aaaan-") for _ in range(6)),
            "trace": rng.random() < 0.5,
        }
    request = rng.choice(tuple(TERMINAL_REQUESTS))
    seq = rng.choice((1, 3, 4, 5, 0xFFFF, rng.randint(1, 0xFFFF)))
    answer_type = TERMINAL_REQUESTS[request]().TYPE.response_type
    matching = [s for s in mutator.responses if s.type in (answer_type, MessageType.ERROR)]
    pool = matching if rng.random() < 0.85 else mutator.seeds
    return {
        "request": request,
        "seq": seq,
        "acked": rng.random() < 0.8,
        "chunks": mutator.stream(pool, seq),
        "trace": rng.random() < 0.5,
    }


def to_json(target: str, case: dict) -> dict:
    out = {"target": target}
    for key, value in case.items():
        if key == "chunks":
            out[key] = _hexed(value)
        elif isinstance(value, bytes):
            out[key] = value.hex()
        else:
            out[key] = value
    return out


def from_json(document: dict) -> tuple[str, dict]:
    case = {}
    for key, value in document.items():
        if key in ("target", "problem", "traceback", "seed", "index"):
            continue
        if key == "chunks":
            case[key] = _unhexed(value)
        elif key in ("tail", "fields"):
            case[key] = bytes.fromhex(value)
        else:
            case[key] = value
    return document["target"], case


# -- the targets -----------------------------------------------------------------------------------


class Violation(Exception):
    """A broken invariant: counted as unexpected, like an exception."""


def _check_buffer(buffered: int, latest: int, result: dict) -> None:
    result["max_buffer"] = max(result["max_buffer"], buffered)
    if buffered > MAX_FRAME + latest:
        raise Violation(f"receive buffer holds {buffered} bytes after a read of {latest}")


def run_framer(case: dict, result: dict) -> None:
    reader = FrameReader(TIMERS.t_char)
    now = 0.0
    good: list[bytes] = []
    chunks = list(case["chunks"])
    if case.get("tail"):
        chunks.append((0.0, case["tail"]))
    for gap, chunk in chunks:
        now += gap
        reader.receive_data(chunk, now)
        _check_buffer(reader.buffered, len(chunk), result)
        _drain_framer(reader, good)
    now += TIMERS.t_char + 1.0
    reader.handle_timer(now)
    _drain_framer(reader, good)
    if reader.buffered:
        raise Violation(f"{reader.buffered} bytes still buffered after a silence longer than T_CHAR")
    if case.get("tail") and (not good or good[-1] != case["tail"]):
        raise Violation("an intact frame at the end of the stream was not delivered")


def _drain_framer(reader: FrameReader, good: list[bytes]) -> None:
    while (event := reader.next_event()) is not None:
        if isinstance(event, GoodFrame):
            if frame_problem(event.raw) is not None or declared_length(event.raw) + FRAME_OVERHEAD != len(event.raw):
                raise Violation("a GoodFrame whose LEN, ETX or CRC is wrong")
            good.append(event.raw)
            try:
                parse_envelope(event.body)
            except RemoteProtocolError:
                pass
        elif isinstance(event, CorruptFrame):
            if frame_problem(event.raw) is None:
                raise Violation("a CorruptFrame that is a good frame")
        elif not isinstance(event, (ControlByte, Noise, AbandonedFrame)):
            raise Violation(f"unknown framer event {event!r}")


def run_messages(case: dict, result: dict) -> None:
    try:
        message = decode_message(case["type"], case["fields"])
    except RemoteProtocolError:
        return
    encoded = message.encode_fields()  # a LocalProtocolError here: decoder took what the encoder refuses
    again = decode_message(case["type"], encoded)
    if again != message:
        raise Violation(f"{type(message).__name__} does not survive decode -> encode -> decode")


def _trace_sink(record: TraceRecord) -> None:
    # What `pos-sim host --trace` and the technician's screen do with every record.
    format_record(record, "00:00:00.000")


class HostBench:
    """The host's side, as simulator.serve runs it: a HostConnection, HostLogic on a real store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.keys = {TID: KEY, OTHER_TID: OTHER_KEY}
        self.store: HostStore | None = None
        self.logic: HostLogic | None = None
        self.generation = 0
        self.renew()

    def renew(self) -> None:
        """A fresh store, so the cancellations stored by earlier inputs do not grow without end."""
        self.close()
        self.generation += 1
        path = self.folder / f"fuzz-host-{os.getpid()}-{self.generation}.db"
        self.store = HostStore(path)
        self.store.load(host_data())
        self.logic = HostLogic(self.store, lambda: NOW)

    def close(self) -> None:
        if self.store is not None:
            path = self.store.path
            self.store.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.store = None

    def key_for(self, tid: str) -> bytes | None:
        return self.keys.get(tid)

    def run(self, case: dict, result: dict) -> None:
        connection = HostConnection(self.key_for, timers=TIMERS, tracer=_trace_sink if case.get("trace") else None)
        held: deque = deque()
        acks = deque(case.get("acks", "a"))
        now = 0.0
        for gap, chunk in case["chunks"]:
            now += gap
            connection.receive_data(chunk, now)
            _check_buffer(connection.link.buffered, len(chunk), result)
            self._serve(connection, held, acks, now)
        for _ in range(60):  # silence: T_CHAR, T_ACK and held answers all come due
            if not held and connection.get_timer() is None:
                break
            now += 1.0
            connection.handle_timer(now)
            self._serve(connection, held, acks, now)
        if held:
            raise Violation(f"{len(held)} requests never answered")

    def _serve(self, connection: HostConnection, held: deque, acks: deque, now: float) -> None:
        timer = connection.get_timer()
        if timer is not None and now >= timer:
            connection.handle_timer(now)
        connection.data_to_send()
        while (event := connection.next_event()) is not None:
            if isinstance(event, RequestReceived):
                assert self.logic is not None
                response = self.logic.respond(event)
                if response.TYPE is not event.request.TYPE.response_type:
                    raise Violation(f"{event.request.TYPE.name} answered with {response.TYPE.name}")
                held.append((event, response))
            elif isinstance(event, RequestRefused):
                response = connection.refusal(event)
                if not isinstance(response, ErrorResponse) or response.result is not event.result:
                    raise Violation(f"a refused request ({event.result.name}) not answered with ERROR")
                held.append((event, response))
            elif not isinstance(event, (ResponseAbandoned, BadFrame)):
                raise Violation(f"unexpected host event {event!r}")
        while held and connection.state.name == "IDLE":
            event, response = held.popleft()
            out = connection.answer(event, response, now)
            self._check_answer(out, event, response)
            ack = acks[0] if acks else "a"
            acks.rotate(-1)
            if ack == "a":
                connection.receive_data(bytes((ACK,)), now)
            elif ack == "n":
                connection.receive_data(bytes((NAK,)), now)
                connection.data_to_send()
                connection.receive_data(bytes((ACK,)), now)
            # "-": no ACK; T_ACK runs out and the link resends, then gives up

    def _check_answer(self, out: bytes, event: RequestReceived | RequestRefused, response: Message) -> None:
        # `out` is what the link owed (ACK/NAK, and a resend asked for by a NAK that a later good
        # frame overtook as the implicit ACK), then the answer: only good frames and control bytes.
        reader = FrameReader(TIMERS.t_char)
        reader.receive_data(out, 0.0)
        events = list(iter(reader.next_event, None))
        if reader.buffered or not all(isinstance(e, (GoodFrame, ControlByte)) for e in events):
            raise Violation("the host's answer is not a good frame")
        frame = events[-1].raw if isinstance(events[-1], GoodFrame) else b""
        if not frame or not out.endswith(frame):
            raise Violation("the host's answer is not a good frame")
        envelope = parse_envelope(frame_body(frame))
        key = self.key_for(event.tid)
        if (envelope.seq, envelope.tid) != (event.seq, event.tid):
            raise Violation("the answer does not carry the request's SEQ and TID")
        if not (envelope.mac_verifies(key) if key is not None else envelope.mac == ZERO_MAC):
            raise Violation("the answer's MAC is wrong")
        if envelope.message() != response:
            raise Violation("the answer does not decode to the response sent")


def host_data() -> SimulatorData:
    def booked(appt_id: str, day: int, status: Status = Status.BOOKED) -> ServiceAppointment:
        at = datetime(2026, 11, day, 10)
        return ServiceAppointment(
            appt_id, MERCHANT_ID, at, Service.REPAIR, status, "Chengdu Hi-Tech Zone, Unit 7", 5000,
            datetime(2026, 11, day - 1, 10), datetime(2026, 11, day, 8),
        )

    return SimulatorData(
        terminals=(Terminal(TID, MERCHANT_ID, KEY), Terminal(OTHER_TID, "123456789012345", OTHER_KEY)),
        appointments=(booked("A20261128001", 28), booked("A20261130007", 30), booked("A3", 27),
                      booked("A4", 29, Status.IN_PROGRESS)),
        source="bench/fuzz.py",
    )


def run_terminal(case: dict, result: dict) -> None:
    request = TERMINAL_REQUESTS[case["request"]]()
    connection = TerminalConnection(
        TID, KEY, timers=TIMERS, first_seq=case["seq"], tracer=_trace_sink if case.get("trace") else None
    )
    connection.send(request, 0.0)
    now = 0.001
    if case.get("acked", True):
        connection.receive_data(bytes((ACK,)), now)
    finals = 0
    for gap, chunk in case["chunks"]:
        now += gap
        connection.receive_data(chunk, now)
        _check_buffer(connection.link.buffered, len(chunk), result)
        connection.handle_timer(now)
        finals += _check_terminal_events(connection, request, case["seq"])
        connection.data_to_send()
    for _ in range(3):
        now += 6.0
        connection.handle_timer(now)
        finals += _check_terminal_events(connection, request, case["seq"])
        connection.data_to_send()
    if finals != 1:
        raise Violation(f"the request ended {finals} times (answered or failed), not once")


def _check_terminal_events(connection: TerminalConnection, request: Message, seq: int) -> int:
    finals = 0
    while (event := connection.next_event()) is not None:
        if isinstance(event, ResponseReceived):
            finals += 1
            response = event.response
            if event.seq != seq or event.request is not request:
                raise Violation("a response delivered for another request")
            if isinstance(response, ErrorResponse):
                continue
            if not event.verified:
                raise Violation(f"an unverified {response.TYPE.name} delivered")
            if response.TYPE is not request.TYPE.response_type:
                raise Violation(f"{response.TYPE.name} delivered as the answer to {request.TYPE.name}")
            if isinstance(request, (CancelRequest, StatusRequest)) and response.request_id != request.request_id:
                raise Violation("an answer about another REQUEST_ID delivered")
        elif isinstance(event, RequestFailed):
            finals += 1
        elif not isinstance(event, (RequestAccepted, FrameDropped, BadFrame)):
            raise Violation(f"unexpected terminal event {event!r}")
    return finals


# -- running ---------------------------------------------------------------------------------------


@dataclass
class TargetReport:
    target: str
    inputs: int = 0
    unexpected: int = 0
    max_buffer: int = 0
    elapsed: float = 0.0
    kinds: Counter = field(default_factory=Counter)
    reproducers: dict[str, list[str]] = field(default_factory=dict)


def signature(problem: BaseException) -> str:
    """What kind of failure this is, so that a million of the same are one line and three files.

    Walks the traceback's frames by hand: traceback.extract_tb reads every source line, which for
    a RecursionError's thousand frames costs more than running the input."""
    if isinstance(problem, Violation):
        return f"violation: {problem}"
    names: Counter = Counter()
    last = None
    tb = problem.__traceback__
    while tb is not None:
        last = tb.tb_frame.f_code
        names[last.co_name] += 1
        tb = tb.tb_next
    if isinstance(problem, RecursionError):
        return f"RecursionError in {names.most_common(1)[0][0] if names else '?'}"
    where = f"{Path(last.co_filename).name}:{last.co_name}" if last is not None else "?"
    return f"{type(problem).__name__} at {where}: {str(problem)[:80]}"


class Runner:
    def __init__(self, crash_dir: Path, store_folder: Path) -> None:
        self.crash_dir = crash_dir
        self.store_folder = store_folder
        self._host: HostBench | None = None

    @property
    def host(self) -> HostBench:
        if self._host is None:
            self._host = HostBench(self.store_folder)
        return self._host

    def close(self) -> None:
        if self._host is not None:
            self._host.close()

    def one(self, target: str, case: dict, result: dict) -> None:
        if target == "framer":
            run_framer(case, result)
        elif target == "messages":
            run_messages(case, result)
        elif target == "host":
            self.host.run(case, result)
        else:
            run_terminal(case, result)

    def campaign(self, target: str, inputs: int, seed: int, progress: Callable[[str], None]) -> TargetReport:
        mutator = Mutator(random.Random(f"{seed}:{target}"), load_seeds())
        report = TargetReport(target)
        result = {"max_buffer": 0}
        started = time.perf_counter()
        step = max(1, inputs // 10)
        for index in range(inputs):
            case = generate(target, mutator)
            try:
                self.one(target, case, result)
            except Exception as problem:  # noqa: BLE001 - counting them is the point
                self._record(report, target, case, problem, seed, index)
            if target == "host" and index and index % 50_000 == 0:
                self.host.renew()
            if (index + 1) % step == 0 and inputs >= 10_000:
                progress(f"{target}: {index + 1}/{inputs} inputs, {report.unexpected} unexpected, "
                         f"{time.perf_counter() - started:.0f} s")
        report.inputs = inputs
        report.max_buffer = result["max_buffer"]
        report.elapsed = time.perf_counter() - started
        return report

    def _record(self, report: TargetReport, target: str, case: dict, problem: BaseException, seed: int, index: int) -> None:
        report.unexpected += 1
        kind = signature(problem)
        report.kinds[kind] += 1
        files = report.reproducers.setdefault(kind, [])
        if len(files) >= REPRODUCERS_PER_KIND:
            return
        self.crash_dir.mkdir(parents=True, exist_ok=True)
        number = sum(len(f) for f in report.reproducers.values()) + 1
        path = self.crash_dir / f"{target}-{number:02d}.json"
        document = to_json(target, case)
        document.update(
            problem=kind,
            seed=seed,
            index=index,
            traceback="".join(traceback.format_exception(type(problem), problem, problem.__traceback__, limit=-12)),
        )
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        files.append(str(path))


def format_reports(reports: list[TargetReport], seed: int) -> str:
    lines = [
        f"{'target':<10} {'inputs':>9} {'unexpected':>10} {'max buffer':>10} {'bound':>12} {'inputs/s':>9} {'elapsed':>9}"
    ]
    for r in reports:
        bound = "-" if r.target == "messages" else f"{MAX_FRAME}+read"
        buffer = "-" if r.target == "messages" else f"{r.max_buffer} B"
        rate = r.inputs / r.elapsed if r.elapsed else 0.0
        lines.append(
            f"{r.target:<10} {r.inputs:>9} {r.unexpected:>10} {buffer:>10} {bound:>12} {rate:>9.0f} {r.elapsed:>8.1f}s"
        )
    kinds = [(r.target, kind, count, r.reproducers.get(kind, [])) for r in reports for kind, count in r.kinds.most_common()]
    if kinds:
        lines.append("unexpected, by kind:")
        for target, kind, count, files in kinds:
            lines.append(f"  {target}: {count} x {kind}")
            lines.append(f"    reproducer: {', '.join(files)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"seed {seed}; peak RSS of the whole run {peak:.0f} MiB")
    return "\n".join(lines)


def replay(path: Path) -> int:
    document = json.loads(path.read_text(encoding="utf-8"))
    target, case = from_json(document)
    runner = Runner(Path(tempfile.gettempdir()), store_folder())
    try:
        runner.one(target, case, {"max_buffer": 0})
    except Exception:
        traceback.print_exc()
        return 1
    finally:
        runner.close()
    print(f"{path}: {target} input ran without an unexpected exception")
    return 0


def atheris_main(target: str) -> int:
    """Coverage-guided fuzzing of one target with atheris: its bytes are the line's bytes (or, for
    messages, a TYPE byte and FIELDS)."""
    try:
        import atheris  # type: ignore[import-not-found]
    except ImportError:
        print("atheris is not installed (uv pip install atheris; needs clang); the seeded fuzzer needs nothing", file=sys.stderr)
        return 2
    runner = Runner(Path("fuzz-crashes"), store_folder())

    def one_input(data: bytes) -> None:
        if target == "messages":
            case = {"type": data[0] if data else 0, "fields": data[1:]}
        elif target == "terminal":
            case = {"request": "cancel", "seq": 3, "acked": True, "chunks": [(0.0, data)], "trace": True}
        elif target == "host":
            case = {"chunks": [(0.0, data)], "acks": "a", "trace": True}
        else:
            case = {"chunks": [(0.0, data)], "tail": b""}
        try:
            runner.one(target, case, {"max_buffer": 0})
        except RemoteProtocolError:
            pass

    atheris.Setup([sys.argv[0]], one_input)
    atheris.Fuzz()
    return 0


def store_folder() -> Path:
    # The host's store syncs every cancellation to disk; in memory-backed /dev/shm that costs
    # microseconds instead of milliseconds, and a million inputs store tens of thousands.
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return shm
    return Path(tempfile.gettempdir())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000, metavar="N", help="inputs per target (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the input generator (default 1)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, from {', '.join(TARGETS)}")
    parser.add_argument("--crash-dir", default="fuzz-crashes", type=Path, help="where reproducers go (default ./fuzz-crashes)")
    parser.add_argument("--replay", type=Path, metavar="FILE", help="run one reproducer file again and show its traceback")
    parser.add_argument("--atheris", choices=TARGETS, help="coverage-guided run of one target with atheris")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    if args.atheris:
        return atheris_main(args.atheris)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or args.inputs < 1:
        parser.error(f"unknown target {unknown}" if unknown else "--inputs must be at least 1")
    print(f"fuzz: {args.inputs} inputs per target, seed {args.seed}, reproducers to {args.crash_dir}/", flush=True)
    runner = Runner(args.crash_dir, store_folder())
    progress = (lambda _line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    reports = []
    try:
        for target in targets:
            reports.append(runner.campaign(target, args.inputs, args.seed, progress))
    finally:
        runner.close()
    print(format_reports(reports, args.seed), flush=True)
    return 1 if any(r.unexpected for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
