"""Forged frames (made with the wrong key, a byte altered and the CRC made right again, the MAC cut
short, an unknown TID) change no state on either side and are logged as such; and an ERROR never
marks a cancellation done, whatever its MAC (docs/protocol.md §6, §7)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from protocol import (
    CancelRequest,
    CancelResponse,
    EchoResponse,
    Reason,
    Result,
    StatusResponse,
    Timers,
)
from protocol.enums import MAC_SIZE, VERSION, MessageType
from protocol.frame import (
    BodyHeader,
    encode_frame,
    encode_message_frame,
    encode_tid,
    frame_body,
    parse_envelope,
)
from protocol.integrity import ZERO_MAC, compute_mac
from protocol.tlv import encode_tlvs
from simulator.cable import NullModemCable
from simulator.store import HostStore
from terminal.client import HostError, LinkFailure, LinkProblem
from terminal.journal import AttemptState, Journal
from tests.fuzz.test_deep_nesting import nested_appointments
from tests.material import KEY, MERCHANT_ID, TID
from tests.security.line_host import LineHost, RawTerminal, Script
from tests.simulated_host import DATA, FREE, NOW, simulated_host, terminal_client

WRONG_KEY = bytes(range(7, 39))
QUICK = Timers(t_char=0.2, t_ack=0.3, t_resp=0.5)


def forgeries(frame: bytes) -> dict[str, bytes]:
    """Four forgeries of a good `frame`, same SEQ, each different from the others."""
    signed = frame_body(frame)[:-MAC_SIZE]
    altered = bytearray(signed)
    altered[-3] ^= 0x20  # a byte inside the FIELDS: the old MAC is kept, the CRC recomputed
    return {
        "wrong key": encode_frame(signed + compute_mac(WRONG_KEY, signed)),
        "altered byte, CRC recomputed": encode_frame(bytes(altered) + compute_mac(KEY, signed)),
        "MAC cut to 4 bytes": encode_frame(signed + compute_mac(KEY, signed)[:4]),
        "zero MAC": encode_frame(signed + ZERO_MAC),
    }


# -- the host's side --------------------------------------------------------------------------------


def test_forged_requests_are_refused_change_nothing_and_are_logged(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="simulator.serve")
    trace = io.StringIO()
    request = CancelRequest(MERCHANT_ID, FREE, "TEST0001R0000042", Reason.OTHER, 0, "00", NOW)
    genuine = encode_message_frame(request, seq=40, tid=TID, key=KEY)
    forged = {**forgeries(genuine), "unknown TID": encode_message_frame(request, seq=40, tid="NOBODY", key=KEY)}
    with simulated_host(tmp_path, trace=trace) as rig:
        raw = RawTerminal(rig.terminal_port)
        try:
            for number, frame in enumerate(forged.values(), start=1):
                raw.line.write(frame)
                raw.pump_until(number)
            answers = [parse_envelope(frame_body(f)) for f in raw.frames]
            assert [(a.type, a.seq, a.message().result) for a in answers] == [
                *[(MessageType.ERROR, 40, Result.BAD_MAC)] * 4, (MessageType.ERROR, 40, Result.UNKNOWN_TERMINAL)
            ]
            # The refusals themselves are MACed with the TID's key; the unknown TID's with zeros.
            assert all(a.mac_verifies(KEY) for a in answers[:4]) and answers[4].mac == ZERO_MAC
            with rig.host_store() as store:
                assert store.cancellations() == []
                assert FREE in [a.appt_id for a in store.open_appointments(MERCHANT_ID)]
            # The same REQUEST_ID, genuine this time, is carried out: nothing was stored for it before.
            raw.line.write(genuine)
            raw.pump_until(len(forged) + 1)
            assert parse_envelope(frame_body(raw.frames[-1])).message().result is Result.OK
        finally:
            raw.close()
    refused = [r.getMessage() for r in caplog.records if "refused SEQ" in r.getMessage()]
    assert len(refused) == 5
    assert all("BAD_MAC" in line for line in refused[:4]) and "UNKNOWN_TERMINAL" in refused[4]
    assert trace.getvalue().count("RESULT = 16 (BAD_MAC)") == 4


# -- the terminal's side ----------------------------------------------------------------------------


def host_store(tmp_path: Path) -> Path:
    path = tmp_path / "host.sqlite"
    with HostStore(path) as store:
        store.load(DATA)
    return path


def forged_answers(event) -> list[bytes]:
    """Forged CANCEL_RESP / STATUS_RESP saying OK with a voucher number of our making, right SEQ."""
    request = event.request
    kind = CancelResponse if isinstance(request, CancelRequest) else StatusResponse
    lie = kind(Result.OK, request.request_id, FREE, "FORGED0001", 0, None, "156", NOW)
    return list(forgeries(encode_message_frame(lie, seq=event.seq, tid=TID, key=KEY)).values())


def test_forged_answers_are_dropped_logged_and_leave_the_outcome_unknown(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.INFO, logger="pos_terminal.client")
    # Every answer is withheld; only the forgeries arrive.
    script = Script(before_answer=forged_answers, send_answer=lambda event: False)
    with NullModemCable() as cable, LineHost(cable.path_b, host_store(tmp_path), lambda: NOW, script=script) as host:
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal, timers=QUICK, settle_backoff=(0.0,))
            outcome = client.cancel(FREE, Reason.NO_LONGER_NEEDED, 0)
            client.close()
            [attempt] = journal.history()
    assert outcome.state is AttemptState.UNKNOWN and attempt.cancel_ref is None and attempt.result is None
    assert [type(e.event.request).__name__ for e in host.exchanges] == ["CancelRequest"] + ["StatusRequest"] * 3
    # Each of the 16 forgeries is logged: dropped while its request was outstanding (MAC), or
    # discarded as late if a busy machine delivered it after T_RESP.
    logged = [r.getMessage() for r in caplog.records]
    dropped = [m for m in logged if m == "dropped a frame from the host: MAC does not verify"]
    late = [m for m in logged if m.startswith("discarded a late frame")]
    assert len(dropped) + len(late) == 4 * 4 and len(dropped) >= 4
    with HostStore(tmp_path / "host.sqlite", create=False) as store:
        assert store.cancellations() == []


def test_forged_answers_in_front_of_the_real_one_do_not_replace_it(tmp_path: Path) -> None:
    script = Script(before_answer=forged_answers)
    with NullModemCable() as cable, LineHost(cable.path_b, host_store(tmp_path), lambda: NOW, script=script):
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal, timers=QUICK, settle_backoff=(0.0,))
            outcome = client.cancel(FREE, Reason.NO_LONGER_NEEDED, 0)
            client.close()
    with HostStore(tmp_path / "host.sqlite", create=False) as store:
        [done] = store.cancellations()
    assert outcome.state is AttemptState.CANCELLED and outcome.attempt.cancel_ref == done.cancel_ref != "FORGED0001"
    assert client.dropped_frames == 4


def test_an_answer_made_with_another_key_is_said_to_be_one_not_a_silent_host(tmp_path: Path) -> None:
    # The host takes the request, but its answer is signed with a key this terminal does not have.
    def answer_with_another_key(event) -> list[bytes]:
        return [encode_message_frame(EchoResponse(Result.OK, NOW), seq=event.seq, tid=TID, key=WRONG_KEY)]

    script = Script(before_answer=answer_with_another_key, send_answer=lambda event: False)
    with NullModemCable() as cable, LineHost(cable.path_b, host_store(tmp_path), lambda: NOW, script=script):
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal, timers=QUICK)
            with pytest.raises(LinkFailure) as failed:
                client.echo()
            client.close()
    assert failed.value.problem is LinkProblem.ANSWER_NOT_VERIFIED


# -- an ERROR never marks a cancellation done ------------------------------------------------------


def error_frame(seq: int, fields: bytes, mac: str) -> bytes:
    signed = BodyHeader(VERSION, MessageType.ERROR, seq, encode_tid(TID)).pack() + fields
    macs = {"valid": compute_mac(KEY, signed), "zero": ZERO_MAC, "wrong": compute_mac(WRONG_KEY, signed)}
    return encode_frame(signed + macs[mac])


VOUCHER_TLVS = encode_tlvs([(0x22, b"FORGED0002"), (0x23, b"\x00\x00\x00\x00"), (0x17, b"156")])
ERRORS = {
    # name: RESULT, MAC, SEQ 0 or the request's
    "BUSY, valid MAC, voucher TLVs": (Result.BUSY, "valid", False),
    "BAD_FORMAT, zero MAC, SEQ 0": (Result.BAD_FORMAT, "zero", True),
    "BUSY, wrong key": (Result.BUSY, "wrong", False),
    "RESULT OK, valid MAC": (Result.OK, "valid", False),
}


@pytest.mark.parametrize("name", ERRORS)
def test_an_error_never_marks_a_cancellation_done(tmp_path: Path, name: str) -> None:
    """The first CANCEL_REQ gets only an ERROR (carrying voucher fields too). A verified one means
    "not carried out" (refused, no voucher); any other leaves the outcome unknown, so the terminal
    asks STATUS_REQ, hears UNKNOWN_REQUEST and sends the same request once more: only the host's
    real CANCEL_RESP then marks it cancelled, with the host's own voucher number."""
    result, mac, seq_zero = ERRORS[name]
    first: list = []

    def before_answer(event) -> list[bytes]:
        if isinstance(event.request, CancelRequest) and not first:
            first.append(event)
            return [error_frame(0 if seq_zero else event.seq, bytes((0x05, 1, result)) + VOUCHER_TLVS, mac)]
        return []

    script = Script(before_answer=before_answer, send_answer=lambda event: event is not first[0])
    with NullModemCable() as cable, LineHost(cable.path_b, host_store(tmp_path), lambda: NOW, script=script) as host:
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal, timers=QUICK, settle_backoff=(0.0,))
            outcome = client.cancel(FREE, Reason.NO_LONGER_NEEDED, 0)
            client.close()
    with HostStore(tmp_path / "host.sqlite", create=False) as store:
        stored = store.cancellations()
    attempt = outcome.attempt
    if mac == "valid" and result is not Result.OK:
        assert (attempt.state, attempt.result, attempt.cancel_ref, attempt.send_count) == (
            AttemptState.REFUSED, result, None, 1)
        assert stored == [] and len(host.exchanges) == 1
    else:
        assert [type(e.event.request).__name__ for e in host.exchanges] == ["CancelRequest", "StatusRequest", "CancelRequest"]
        [done] = stored
        assert (attempt.state, attempt.cancel_ref, attempt.send_count) == (AttemptState.CANCELLED, done.cancel_ref, 2)
    assert attempt.cancel_ref != "FORGED0002"


def test_a_forged_deeply_nested_error_does_not_crash_the_client(tmp_path: Path) -> None:
    deep = error_frame(0, bytes((0x05, 1, Result.BAD_FORMAT)) + nested_appointments(600), "zero")
    script = Script(before_answer=lambda event: [deep])
    with NullModemCable() as cable, LineHost(cable.path_b, host_store(tmp_path), lambda: NOW, script=script):
        with Journal(tmp_path / "journal.sqlite") as journal:
            client = terminal_client(cable.path_a, journal, timers=QUICK)
            try:
                client.echo()  # dropped, or taken as an unverified ERROR: either is an answer, not a crash
            except (HostError, LinkFailure):
                pass
            finally:
                client.close()
