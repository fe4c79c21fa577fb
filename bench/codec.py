"""Protocol CPU cost: µs per frame encode and decode (CRC and MAC included) for each vector and
for an 80-byte and a 1 KiB frame, against a plain struct + binascii baseline measured in the
same run, and the share of each frame's own wire time at 9600, 115200 and 921600 baud.

    uv run python bench/codec.py [--rounds 7] [--number 2000]
"""

from __future__ import annotations

import argparse
import binascii
import hashlib
import hmac
import statistics
import struct
import time
from datetime import datetime

from protocol.enums import Result, Service, Status
from protocol.frame import encode_message_frame, frame_body, parse_envelope
from protocol.framer import FrameReader
from protocol.link import wire_time
from protocol.messages import Appointment, ErrorResponse, ListResponse, Message
from tests.material import KEY, TID, VECTORS

BAUDS = (9600, 115200, 921600)


def decode_frame(raw: bytes) -> Message:
    """What the receive path does with one frame: hunt, check CRC, split, verify MAC, decode."""
    reader = FrameReader(0.2)
    reader.receive_data(raw, 0.0)
    frame = reader.next_event()
    envelope = parse_envelope(frame.body)
    if not envelope.mac_verifies(KEY):
        raise AssertionError("MAC")
    return envelope.message()


# The baseline: the same envelope work with nothing but struct, binascii and hmac.
_HEADER = struct.Struct(">BBH8s")


def baseline_encode(msg_type: int, seq: int, fields: bytes) -> bytes:
    signed = _HEADER.pack(1, msg_type, seq, TID.encode().ljust(8)) + fields
    body = signed + hmac.digest(KEY, signed, hashlib.sha256)[:8]
    covered = struct.pack(">H", len(body)) + body + b"\x03"
    return b"\x02" + covered + struct.pack(">H", binascii.crc_hqx(covered, 0xFFFF))


def baseline_decode(raw: bytes) -> tuple:
    (length,) = struct.unpack_from(">H", raw, 1)
    if binascii.crc_hqx(raw[1 : 4 + length], 0xFFFF) != struct.unpack_from(">H", raw, 4 + length)[0]:
        raise AssertionError("CRC")
    body = raw[3 : 3 + length]
    if not hmac.compare_digest(hmac.digest(KEY, body[:-8], hashlib.sha256)[:8], body[-8:]):
        raise AssertionError("MAC")
    return _HEADER.unpack_from(body), body[12:-8]


def per_call_us(fn, number: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter_ns() - start) / number / 1000)
    return statistics.median(samples)


def sized_frames() -> list[tuple[str, Message, int]]:
    eighty = ErrorResponse(Result.BUSY, "x" * 49)
    appointment = Appointment(
        "A20261128001", datetime(2026, 11, 28, 10), Service.INSTALLATION, Status.BOOKED,
        "成都市武侯区天府大道100号" + "x" * 60, 5000, "156",
        datetime(2026, 11, 27, 10), datetime(2026, 11, 28, 8),
    )
    short = ListResponse(Result.OK, 8, 0, (appointment,) * 5)
    # Pad with a MESSAGE (tag, 2-byte BER length, text) so the whole frame is exactly 1024 bytes.
    room = 1024 - len(encode_message_frame(short, seq=6, tid=TID, key=KEY))
    padding = room - 2 if room - 2 < 0x80 else room - 3
    kib = ListResponse(Result.OK, 8, 0, (appointment,) * 5, "y" * padding)
    return [("80-byte frame", eighty, 6), ("1 KiB frame", kib, 6)]


def cases() -> list[tuple[str, Message, int]]:
    out = []
    for vector in VECTORS["vectors"]:
        envelope = parse_envelope(frame_body(bytes.fromhex(vector["frame_hex"])))
        out.append((vector["name"], envelope.message(), vector["seq"]))
    return out + sized_frames()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds; the median is shown")
    parser.add_argument("--number", type=int, default=2000, help="calls per round")
    args = parser.parse_args()
    header = (
        f"{'frame':34} {'bytes':>5} {'enc µs':>7} {'dec µs':>7} {'base enc':>8} {'base dec':>8}"
        f" {'ratio':>6} " + " ".join(f"{'% @' + str(b):>9}" for b in BAUDS)
    )
    print(header)
    print("-" * len(header))
    for name, message, seq in cases():
        raw = encode_message_frame(message, seq=seq, tid=TID, key=KEY)
        fields = message.encode_fields()
        enc = per_call_us(lambda: encode_message_frame(message, seq=seq, tid=TID, key=KEY), args.number, args.rounds)
        dec = per_call_us(lambda: decode_frame(raw), args.number, args.rounds)
        base_enc = per_call_us(lambda: baseline_encode(int(message.TYPE), seq, fields), args.number, args.rounds)
        base_dec = per_call_us(lambda: baseline_decode(raw), args.number, args.rounds)
        ratio = (enc + dec) / (base_enc + base_dec)
        shares = " ".join(f"{(enc + dec) / (wire_time(len(raw), b) * 1e6) * 100:8.3f}%" for b in BAUDS)
        print(
            f"{name[:34]:34} {len(raw):5d} {enc:7.1f} {dec:7.1f} {base_enc:8.1f} {base_dec:8.1f}"
            f" {ratio:5.1f}x {shares}"
        )
    print(
        "\nenc/dec: this project's encode_message_frame and receive path (reader, CRC, envelope,"
        " MAC, typed decode);\nbase: struct + binascii + hmac doing only the envelope, CRC and MAC;"
        " % @baud: (enc + dec) as a share of the frame's wire time (10 bits a byte).\n"
        "target: 80-byte frame, enc + dec <= 1 % of its wire time at 115200 baud."
    )


if __name__ == "__main__":
    main()
