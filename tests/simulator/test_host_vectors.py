"""The vectors' requests, given to the host with data equal to the vectors, get the vectors' responses."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from protocol import CancelRequest, HostConnection, Reason, RequestReceived, RequestRefused, StatusRequest
from protocol.enums import ACK, MessageType, Tag
from protocol.fields import decode_plain_fields, encode_plain_fields
from protocol.frame import encode_body, encode_frame, frame_body, parse_envelope
from protocol.integrity import compute_mac
from simulator.host import CANCEL_REF_ALPHABET, CANCEL_REF_LENGTH, HostLogic
from simulator.store import HostStore
from tests.material import KEY, MERCHANT_ID, TID, vector_named
from tests.simulator.vector_data import FIRST, SECOND, vector_data


class Host:
    """A HostConnection answered by HostLogic, with its clock set per exchange."""

    def __init__(self, store: HostStore) -> None:
        self.now = datetime(2026, 11, 27, 9, 30)
        self.connection = HostConnection(store.key_for)
        self.logic = HostLogic(store, lambda: self.now)

    def answer(self, request_frame: bytes, at: datetime) -> bytes:
        """The response frame the host writes for one request frame, after its ACK."""
        self.now = at
        self.connection.receive_data(request_frame, 0.0)
        event = self.connection.next_event()
        if isinstance(event, RequestRefused):
            response = self.connection.refusal(event)
        else:
            assert isinstance(event, RequestReceived)
            response = self.logic.respond(event)
        assert self.connection.data_to_send() == bytes([ACK])
        out = self.connection.answer(event, response, 0.0)
        self.connection.receive_data(bytes([ACK]), 0.0)
        return out


def fields_of(frame: bytes) -> tuple[int, int, str, list]:
    envelope = parse_envelope(frame_body(frame))
    assert envelope.mac_verifies(KEY)
    return envelope.type, envelope.seq, envelope.tid, _names(decode_plain_fields(envelope.fields))


def _names(pairs: list) -> list:
    return [[tag.name, _names(value) if isinstance(value, list) else value] for tag, value in pairs]


def expected(name: str) -> tuple[int, int, str, list]:
    vector = vector_named(name)
    return vector["type"], vector["seq"], vector["tid"], vector["fields"]


def request_frame(name: str) -> bytes:
    return bytes.fromhex(vector_named(name)["frame_hex"])


def at(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%Y%m%d%H%M%S")


@pytest.fixture
def store(tmp_path: Path):
    with HostStore(tmp_path / "host.db") as store:
        store.load(vector_data())
        yield store


def test_echo_gives_the_vector_frame_byte_for_byte(store: HostStore) -> None:
    answer = Host(store).answer(request_frame("echo request"), at("20261127093001"))
    assert answer.hex() == vector_named("echo response")["frame_hex"]


def test_list_gives_the_vector_response_but_for_the_second_fee(store: HostStore) -> None:
    answer = Host(store).answer(request_frame("list request"), at("20261127093001"))
    kind, seq, tid, fields = expected("list response, two appointments")
    # The vector shows FEE 5000 for A20261130007 although its FREE_UNTIL (2026-11-29 14:30) is
    # still ahead while A20261128001 is free (FREE_UNTIL 2026-11-27 10:00): no single "now" gives
    # both under §4's rule, so the host (following §4) shows 0. Everything else is the vector's.
    second = next(value for name, value in fields if name == "APPOINTMENT" and ["APPT_ID", SECOND.appt_id] in value)
    assert ["FEE", 5000] in second
    second[second.index(["FEE", 5000])] = ["FEE", 0]
    assert fields_of(answer) == (kind, seq, tid, fields)


def test_cancel_gives_the_vector_response_with_a_fresh_cancel_ref(store: HostStore) -> None:
    answer = Host(store).answer(request_frame("cancel request"), at("20261127093106"))
    kind, seq, tid, fields = fields_of(answer)
    want_kind, want_seq, want_tid, want = expected("cancel response, ok")
    assert (kind, seq, tid) == (want_kind, want_seq, want_tid)
    assert [name for name, _ in fields] == [name for name, _ in want]
    mine = dict(fields)
    cancel_ref = mine.pop("CANCEL_REF")  # random, so only its form is the host's to keep
    assert len(cancel_ref) == CANCEL_REF_LENGTH and set(cancel_ref) <= set(CANCEL_REF_ALPHABET)
    assert mine == {name: value for name, value in want if name != "CANCEL_REF"}


def test_fee_changed_gives_the_vector_frame_byte_for_byte(tmp_path: Path) -> None:
    # Set up so that cancelling A20261130007 costs 5000 at the vector's moment.
    with HostStore(tmp_path / "fee.db") as store:
        store.load(vector_data(FIRST, replace(SECOND, free_until=datetime(2026, 11, 27, 9, 0))))
        request = CancelRequest(
            MERCHANT_ID, SECOND.appt_id, "TEST000100000004", Reason.NO_LONGER_NEEDED, 0, "00", at("20261127093200")
        )
        frame = encode_frame(encode_body(request, seq=4, tid=TID, key=KEY))
        answer = Host(store).answer(frame, at("20261127093201"))
        assert answer.hex() == vector_named("cancel response, fee changed")["frame_hex"]
        assert store.appointment(SECOND.appt_id).status.name == "BOOKED"


def test_status_of_a_request_id_never_processed_gives_the_vector_frame(store: HostStore) -> None:
    host = Host(store)
    # The vector's STATUS_REQ asks about ...0003; its response names ...0099, so it answers a
    # different request: ask about ...0099 to compare byte for byte.
    frame = encode_frame(encode_body(StatusRequest("TEST000100000099"), seq=5, tid=TID, key=KEY))
    assert host.answer(frame, at("20261127093300")).hex() == vector_named("status response, unknown request")["frame_hex"]
    _, _, _, fields = fields_of(host.answer(request_frame("status request"), at("20261127093300")))
    assert fields == [["RESULT", 6], ["REQUEST_ID", "TEST000100000003"]]


def test_status_after_the_vector_cancel_gives_its_outcome(store: HostStore) -> None:
    host = Host(store)
    _, _, _, cancelled = fields_of(host.answer(request_frame("cancel request"), at("20261127093106")))
    kind, seq, _, status = fields_of(host.answer(request_frame("status request"), at("20261127093500")))
    assert (kind, seq) == (MessageType.STATUS_RESP, 5)
    assert status == cancelled


def test_a_list_request_without_merchant_id_gives_the_vector_error(store: HostStore) -> None:
    header = bytes([1, MessageType.LIST_REQ]) + (6).to_bytes(2, "big") + TID.encode().ljust(8)
    signed = header + encode_plain_fields([(Tag.PAGE, 0)])
    answer = Host(store).answer(encode_frame(signed + compute_mac(KEY, signed)), at("20261127093400"))
    assert answer.hex() == vector_named("error, bad format")["frame_hex"]
