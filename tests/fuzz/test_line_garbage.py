"""The running host and terminal, fed random bytes and truncated, oversized and forged frames over a
pty, keep answering well-formed requests afterwards.

One side each: a `pos-sim host` process on a cable end, with garbage written at it from the other
end before, between and in front of requests; and the real terminal client, with a host-side
script spewing garbage at it between requests and in front of every answer."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from protocol import (
    CancelRequest,
    CancelResponse,
    EchoRequest,
    Reason,
    Result,
    TerminalConnection,
    Timers,
)
from protocol.enums import ACK, STX, VERSION, MessageType
from protocol.frame import BodyHeader, encode_frame, encode_message_frame, encode_tid, frame_body
from simulator.cable import NullModemCable
from simulator.store import HostStore
from terminal.journal import AttemptState, Journal
from tests.fuzz.test_deep_nesting import nested_appointments
from tests.hil.sim_processes import sim_host
from tests.material import KEY, MERCHANT_ID, TID, VECTORS
from tests.security.line_host import LineHost, RawTerminal, Script
from tests.simulated_host import DATA, FREE, NOW, WITH_FEE, terminal_client

VECTOR_FRAMES = [bytes.fromhex(v["frame_hex"]) for v in VECTORS["vectors"]]
WRONG_KEY = bytes(range(1, 33))
T_CHAR = 0.2


def garbage_bursts(rng: random.Random) -> list[bytes]:
    """Noise, cut frames, oversized frames and forged frames, one write each."""
    forged = CancelRequest(MERCHANT_ID, FREE, "FORGED01", Reason.OTHER, 99999, "00", NOW)
    altered = bytearray(encode_message_frame(forged, seq=77, tid=TID, key=KEY))
    altered[20] ^= 0x01  # an altered byte; then the CRC made right again
    return [
        rng.randbytes(3000),
        *(frame[: rng.randrange(1, len(frame))] for frame in VECTOR_FRAMES),
        bytes((STX,)) + (4096).to_bytes(2, "big") + rng.randbytes(5000),  # LEN 4096, then more than that
        bytes((STX, 0xFF, 0xFF)) + rng.randbytes(200),  # LEN out of range
        bytes((STX, 0x00, 19)) + rng.randbytes(40),
        b"\x02\x10\x01" + rng.randbytes(4200),  # LEN 4097: an oversized frame is noise
        encode_message_frame(forged, seq=78, tid=TID, key=WRONG_KEY),
        encode_message_frame(forged, seq=79, tid="NOBODY", key=WRONG_KEY),
        encode_frame(frame_body(bytes(altered))),
        bytes((ACK,)) * 5 + b"\x15" * 5,
    ]


def test_a_pos_sim_host_process_keeps_answering_after_garbage(tmp_path: Path) -> None:
    rng = random.Random(20261127)
    trace = tmp_path / "host.trace"
    with NullModemCable() as cable, sim_host(cable.path_b, tmp_path, data=DATA, now=NOW, trace=trace) as host:
        raw = RawTerminal(cable.path_a)
        try:
            for burst in garbage_bursts(rng):
                raw.line.write(burst)
                raw.pump(T_CHAR + 0.05)  # a silence: a false start is abandoned
            # Garbage in the same write as a request, and a false start claiming 300 bytes.
            connection = TerminalConnection(TID, KEY, timers=Timers(t_char=T_CHAR, t_ack=1.0), first_seq=500)
            prefix = rng.randbytes(100) + bytes((STX, 0x01, 0x2C)) + rng.randbytes(50)
            answer = raw.exchange(connection, EchoRequest(NOW), prefix=prefix)
            assert answer.response.result is Result.OK
            raw.pump(0.6)
        finally:
            raw.close()
        # The forged CANCEL_REQs were answered with ERROR and changed nothing.
        refusals = trace.read_text(encoding="utf-8")
        assert "BAD_MAC" in refusals and "UNKNOWN_TERMINAL" in refusals and "NOISE" in refusals

        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal)
            client.echo()
            assert client.list_appointments().total == 4  # booked or in progress
            outcome = client.cancel(FREE, Reason.WILL_REBOOK, 0)
            assert outcome.state is AttemptState.CANCELLED
            assert client.list_appointments().total == 3
            client.close()
        assert host.running
    with HostStore(tmp_path / "host.db", create=False) as store:
        assert [(c.request_id, c.result) for c in store.cancellations()] == [(outcome.attempt.request_id, Result.OK)]
    assert "Traceback" not in host.stderr and "failed" not in host.stderr


class Spew:
    """Garbage from the host's side: every ~0.15 s between requests, and a burst in front of every
    answer, including a forged copy of the answer (right SEQ, wrong key) and replays of old ones."""

    def __init__(self, line_host_ref: list, seed: int) -> None:
        self.rng = random.Random(seed)
        self.line_host_ref = line_host_ref
        self.next_at = 0.0
        self.forged_refs: list[str] = []

    def old_answers(self) -> list[bytes]:
        return [e.answer_raw for e in self.line_host_ref[0].exchanges if e.answer_raw]

    def idle_noise(self) -> bytes:
        if time.monotonic() < self.next_at:
            return b""
        self.next_at = time.monotonic() + self.rng.uniform(0.1, 0.25)
        choice = self.rng.randrange(5)
        if choice == 0:
            return self.rng.randbytes(self.rng.randrange(1, 40))
        if choice == 1:
            frame = self.rng.choice(VECTOR_FRAMES)
            return frame[: self.rng.randrange(1, len(frame))]
        if choice == 2 and self.old_answers():
            return self.rng.choice(self.old_answers())  # a stale answer, replayed
        if choice == 3:
            return bytes((STX,)) + self.rng.randrange(20, 4097).to_bytes(2, "big") + self.rng.randbytes(30)
        return self.rng.randbytes(3)

    def before_answer(self, event) -> list[bytes]:
        burst = [self.rng.randbytes(20), bytes((STX, 0x00, 0xC8)) + self.rng.randbytes(20)]
        request = getattr(event, "request", None)
        if isinstance(request, CancelRequest):
            ref = f"FORGED{len(self.forged_refs):04d}"
            self.forged_refs.append(ref)
            forged = CancelResponse(Result.OK, request.request_id, request.appt_id, ref, 0, None, "156", NOW)
            burst.append(encode_message_frame(forged, seq=event.seq, tid=TID, key=WRONG_KEY))
        if self.old_answers():
            burst.append(self.rng.choice(self.old_answers()))
        return burst


def test_the_terminal_client_keeps_answering_through_garbage_from_the_host(tmp_path: Path) -> None:
    store_path = tmp_path / "host.sqlite"
    with HostStore(store_path) as store:
        store.load(DATA)
    ref: list = []
    spew = Spew(ref, seed=7)
    script = Script(before_answer=spew.before_answer, idle_noise=spew.idle_noise)
    with NullModemCable() as cable, LineHost(cable.path_b, store_path, lambda: NOW, script=script) as host:
        ref.append(host)
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal, timers=Timers(t_char=0.2, t_ack=0.5, t_resp=3.0))
            for _ in range(3):
                client.echo()
                time.sleep(0.3)  # garbage between requests
            assert client.list_appointments().total == 4
            cancelled = client.cancel(FREE, Reason.NO_LONGER_NEEDED, 0)
            refused = client.cancel(WITH_FEE, Reason.NO_LONGER_NEEDED, 0)
            time.sleep(0.3)
            assert client.list_appointments().total == 3
            client.echo()
            counters = client.counters
            client.close()
            assert cancelled.state is AttemptState.CANCELLED
            assert refused.state is AttemptState.REFUSED and refused.attempt.result is Result.FEE_CHANGED
            assert [a.cancel_ref for a in journal.history()] == [None, cancelled.attempt.cancel_ref]
    assert spew.forged_refs and cancelled.attempt.cancel_ref not in spew.forged_refs
    assert client.dropped_frames >= 2  # the forged answer, at least one stale one
    assert counters.noise_bytes > 0 and counters.bad_frames + counters.abandoned_frames > 0
    with HostStore(store_path, create=False) as store:
        assert [c.result for c in store.cancellations()] == [Result.OK, Result.FEE_CHANGED]


def test_a_traced_pos_sim_host_survives_a_deeply_nested_forged_frame(tmp_path: Path) -> None:
    signed = BodyHeader(VERSION, MessageType.LIST_REQ, 9, encode_tid(TID)).pack() + nested_appointments(600)
    with NullModemCable() as cable, sim_host(cable.path_b, tmp_path, data=DATA, now=NOW, trace=tmp_path / "t") as host:
        raw = RawTerminal(cable.path_a)
        try:
            raw.line.write(encode_frame(signed + WRONG_KEY[:8]))
            raw.pump(1.0)
        finally:
            raw.close()
        assert "serving loop failed" not in host.stderr
