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

The seeds and raw encoders (tests/support/fuzz_inputs.py) and the targets with their oracles
(tests/support/fuzz_targets.py) are shared with the in-suite fuzzing; the mutator, the runner and
the reproducer files are here.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from protocol.enums import ACK, MAX_FRAME, NAK, STX, MessageType
from protocol.errors import RemoteProtocolError
from protocol.frame import BODY_START, TRAILER_SIZE
from protocol.tlv import decode_tlvs
from tests.support.fuzz_inputs import (
    GAPS,
    INTERESTING_BYTES,
    ODD_TIMESTAMPS,
    Seed,
    ber_length,
    encode_records,
    load_seeds,
    raw_body,
    raw_frame,
)
from tests.support.fuzz_targets import (
    TERMINAL_REQUESTS,
    HostBench,
    Violation,
    run_framer,
    run_messages,
    run_terminal,
    store_folder,
)

TARGETS = ("framer", "messages", "host", "terminal")
BOUNDARY_SIZES = (0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 14, 15, 16, 19, 20, 21, 31, 32, 33, 119, 120, 121, 127, 128, 199, 200, 201, 255, 256)
# Nesting depths for APPOINTMENT-in-APPOINTMENT: the deep ones exceed Python's recursion limit in
# a recursive decoder, which is exactly what an attacker would send.
NEST_DEPTHS = (1, 2, 5, 50, 300, 600, 1000)
REPRODUCERS_PER_KIND = 3


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
