"""The host's rules (docs/protocol.md §4-§6) through HostLogic, on a fixed clock and a store in tmp_path."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from protocol import (
    CancelRequest,
    CancelResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    HostConnection,
    ListRequest,
    ListResponse,
    Reason,
    RequestReceived,
    RequestRefused,
    Result,
    Service,
    Status,
    StatusRequest,
    StatusResponse,
)
from protocol.enums import ACK
from protocol.frame import encode_message_frame, parse_envelope
from protocol.integrity import ZERO_MAC
from simulator.data import ServiceAppointment, Terminal
from simulator.host import CANCEL_REF_ALPHABET, CANCEL_REF_LENGTH, HostLogic
from simulator.store import HostStore
from tests.material import KEY, MERCHANT_ID, TID
from tests.simulator.vector_data import FIRST, SECOND, vector_data

NOW = datetime(2026, 11, 27, 9, 31, 6)
OTHER_MERCHANT = "898440358129999"
OTHER_TID = "TEST0002"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path):
    with HostStore(tmp_path / "host.db") as store:
        store.load(
            vector_data(
                FIRST,
                SECOND,
                terminals=(Terminal(TID, MERCHANT_ID, KEY), Terminal(OTHER_TID, OTHER_MERCHANT, bytes(32))),
            )
        )
        yield store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def host(store: HostStore, clock: Clock) -> HostLogic:
    return HostLogic(store, clock)


def received(request, tid: str = TID, seq: int = 7) -> RequestReceived:
    return RequestReceived(request, seq, tid)


def cancel(appt_id: str = FIRST.appt_id, request_id: str = "TEST000100000003", *, fee_accepted: int = 0,
           merchant_id: str = MERCHANT_ID, reason: Reason = Reason.NO_LONGER_NEEDED) -> CancelRequest:
    return CancelRequest(merchant_id, appt_id, request_id, reason, fee_accepted, "00", NOW)


def appointment(appt_id: str, scheduled_at: datetime, **changes) -> ServiceAppointment:
    return replace(FIRST, appt_id=appt_id, scheduled_at=scheduled_at, **changes)


# -- ECHO


def test_echo_answers_ok_with_the_host_time(host: HostLogic, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 27, 9, 30, 1, 654321)
    assert host.respond(received(EchoRequest(NOW))) == EchoResponse(Result.OK, datetime(2026, 11, 27, 9, 30, 1))


# -- LIST


def test_list_shows_booked_and_in_progress_earliest_first_with_the_fee_now(host: HostLogic, store: HostStore) -> None:
    store.load(
        vector_data(
            appointment("LATE", datetime(2026, 12, 5, 9, 0)),
            appointment("ON-SITE", datetime(2026, 11, 27, 9, 0), status=Status.IN_PROGRESS),
            appointment("DONE", datetime(2026, 11, 26, 9, 0), status=Status.COMPLETED),
            appointment("GONE", datetime(2026, 11, 28, 9, 0), status=Status.CANCELLED),
            appointment("ELSEWHERE", datetime(2026, 11, 28, 9, 0), merchant_id=OTHER_MERCHANT),
        )
    )
    response = host.respond(received(ListRequest(MERCHANT_ID, 0)))
    assert isinstance(response, ListResponse) and response.result is Result.OK
    assert [a.appt_id for a in response.appointments] == ["ON-SITE", FIRST.appt_id, SECOND.appt_id, "LATE"]
    assert response.total == 4 and response.page == 0
    first = response.appointments[1]
    assert (first.scheduled_at, first.service, first.status, first.address, first.fee, first.currency,
            first.free_until, first.cancel_until) == (
        FIRST.scheduled_at, Service.INSTALLATION, Status.BOOKED, FIRST.address, 0, "156",
        FIRST.free_until, FIRST.cancel_until,
    )


def test_list_pages_hold_eight_and_total_counts_all_pages(host: HostLogic, store: HostStore) -> None:
    store.load(vector_data(*(appointment(f"P{n:02d}", datetime(2026, 12, 1, 8) + timedelta(hours=n)) for n in range(8))))
    # 8 new + the two of the vectors = 10 appointments
    pages = [host.respond(received(ListRequest(MERCHANT_ID, page))) for page in (0, 1, 2)]
    assert [len(p.appointments) for p in pages] == [8, 2, 0]
    assert [(p.result, p.total, p.page) for p in pages] == [(Result.OK, 10, 0), (Result.OK, 10, 1), (Result.OK, 10, 2)]
    listed = [a.appt_id for p in pages for a in p.appointments]
    assert listed == [FIRST.appt_id, SECOND.appt_id] + [f"P{n:02d}" for n in range(8)]


def test_list_for_a_merchant_the_terminal_is_not_bound_to_is_not_authorised(host: HostLogic) -> None:
    response = host.respond(received(ListRequest(OTHER_MERCHANT, 3)))
    assert response == ListResponse(Result.NOT_AUTHORISED, total=0, page=3)


@pytest.mark.parametrize(
    ("now", "fee"),
    [
        (FIRST.free_until - timedelta(seconds=1), 0),
        (FIRST.free_until, 0),  # free up to and including FREE_UNTIL
        (FIRST.free_until + timedelta(seconds=1), 5000),
        (FIRST.cancel_until + timedelta(hours=1), 5000),  # still shown after cancelling is no longer possible
    ],
)
def test_list_fee_is_free_up_to_free_until_and_the_late_fee_after(host: HostLogic, clock: Clock, now, fee) -> None:
    clock.now = now
    [listed] = [a for a in host.respond(received(ListRequest(MERCHANT_ID, 0))).appointments if a.appt_id == FIRST.appt_id]
    assert listed.fee == fee


# -- CANCEL


def test_cancel_ok_charges_the_current_fee_with_a_fresh_unguessable_voucher(host: HostLogic, store: HostStore) -> None:
    response = host.respond(received(cancel()))
    assert isinstance(response, CancelResponse)
    assert (response.result, response.request_id, response.appt_id) == (Result.OK, "TEST000100000003", FIRST.appt_id)
    assert (response.fee_charged, response.currency, response.timestamp, response.fee) == (0, "156", NOW, None)
    assert len(response.cancel_ref) == CANCEL_REF_LENGTH and set(response.cancel_ref) <= set(CANCEL_REF_ALPHABET)
    assert store.appointment(FIRST.appt_id).status is Status.CANCELLED
    assert FIRST.appt_id not in [a.appt_id for a in host.respond(received(ListRequest(MERCHANT_ID, 0))).appointments]


def test_cancel_refs_differ_and_do_not_count(store: HostStore, clock: Clock) -> None:
    store.load(vector_data(*(appointment(f"R{n}", datetime(2026, 12, 1, 8)) for n in range(20))))
    host = HostLogic(store, clock)
    refs = [host.respond(received(cancel(f"R{n}", f"REQ{n}"))).cancel_ref for n in range(20)]
    assert len(set(refs)) == 20
    assert refs != sorted(refs)  # not a counter (20 random refs come out sorted once in 20! runs)


def test_the_same_request_id_gets_the_stored_response_and_cancels_nothing_more(
    host: HostLogic, store: HostStore, clock: Clock
) -> None:
    first = host.respond(received(cancel()))
    clock.now = NOW + timedelta(minutes=5)
    again = host.respond(received(cancel(), seq=8))
    assert again == first  # same CANCEL_REF, same TIMESTAMP
    assert len(store.cancellations()) == 1


def test_a_stored_refusal_is_answered_again_even_when_the_request_would_now_succeed(
    host: HostLogic, store: HostStore, clock: Clock
) -> None:
    clock.now = FIRST.free_until + timedelta(minutes=1)
    refused = host.respond(received(cancel(request_id="R-FEE", fee_accepted=0)))
    assert refused.result is Result.FEE_CHANGED
    clock.now = FIRST.free_until  # free again: a new request would succeed
    assert host.respond(received(cancel(request_id="R-FEE", fee_accepted=0))) == refused
    assert store.appointment(FIRST.appt_id).status is Status.BOOKED


def test_a_different_request_id_for_a_cancelled_appointment_is_already_cancelled(
    host: HostLogic, store: HostStore
) -> None:
    host.respond(received(cancel(request_id="R1")))
    second = host.respond(received(cancel(request_id="R2")))
    assert second == CancelResponse(Result.ALREADY_CANCELLED, "R2", FIRST.appt_id)
    assert [c.result for c in store.cancellations()] == [Result.OK, Result.ALREADY_CANCELLED]


def test_request_ids_are_per_terminal(host: HostLogic, store: HostStore) -> None:
    store.load(vector_data(terminals=(Terminal(OTHER_TID, MERCHANT_ID, bytes(32)),)))
    host.respond(received(cancel(request_id="R1")))
    other = host.respond(received(cancel(request_id="R1"), tid=OTHER_TID))
    assert other.result is Result.ALREADY_CANCELLED


def test_cancel_for_a_merchant_the_terminal_is_not_bound_to_is_not_authorised(host: HostLogic, store: HostStore) -> None:
    response = host.respond(received(cancel(merchant_id=OTHER_MERCHANT)))
    assert response == CancelResponse(Result.NOT_AUTHORISED, "TEST000100000003", FIRST.appt_id)
    assert store.appointment(FIRST.appt_id).status is Status.BOOKED


def test_cancel_of_an_unknown_or_another_merchants_appointment_is_not_found(host: HostLogic, store: HostStore) -> None:
    store.load(vector_data(appointment("THEIRS", datetime(2026, 12, 1, 8), merchant_id=OTHER_MERCHANT)))
    assert host.respond(received(cancel("NOPE", "R1"))) == CancelResponse(Result.NOT_FOUND, "R1", "NOPE")
    assert host.respond(received(cancel("THEIRS", "R2"))) == CancelResponse(Result.NOT_FOUND, "R2", "THEIRS")
    assert store.appointment("THEIRS").status is Status.BOOKED


@pytest.mark.parametrize(
    ("changes", "now"),
    [
        ({}, FIRST.cancel_until + timedelta(seconds=1)),
        ({"status": Status.IN_PROGRESS}, NOW),
        ({"status": Status.COMPLETED}, NOW),
    ],
    ids=["past cancel_until", "in progress", "completed"],
)
def test_too_late(host: HostLogic, store: HostStore, clock: Clock, changes: dict, now: datetime) -> None:
    store.load(vector_data(replace(FIRST, **changes)))
    clock.now = now
    response = host.respond(received(cancel(fee_accepted=99999)))
    assert response == CancelResponse(Result.TOO_LATE, "TEST000100000003", FIRST.appt_id)
    assert store.appointment(FIRST.appt_id).status is (changes.get("status") or Status.BOOKED)


def test_cancel_at_exactly_cancel_until_is_accepted_with_the_late_fee(host: HostLogic, clock: Clock) -> None:
    clock.now = FIRST.cancel_until
    response = host.respond(received(cancel(fee_accepted=5000)))
    assert (response.result, response.fee_charged) == (Result.OK, 5000)


def test_fee_changed_names_the_fee_and_cancels_nothing(host: HostLogic, store: HostStore, clock: Clock) -> None:
    clock.now = FIRST.free_until + timedelta(seconds=1)
    response = host.respond(received(cancel(fee_accepted=4999)))
    assert response == CancelResponse(Result.FEE_CHANGED, "TEST000100000003", FIRST.appt_id, fee=5000, currency="156")
    assert store.appointment(FIRST.appt_id).status is Status.BOOKED
    # A retry after FEE_CHANGED needs a new REQUEST_ID (§6); with it the fee is accepted.
    retry = host.respond(received(cancel(request_id="TEST000100000004", fee_accepted=5000)))
    assert (retry.result, retry.fee_charged) == (Result.OK, 5000)


def test_the_fee_charged_is_the_current_fee_not_what_was_accepted(host: HostLogic) -> None:
    response = host.respond(received(cancel(fee_accepted=5000)))  # free at NOW
    assert (response.result, response.fee_charged) == (Result.OK, 0)


# -- STATUS


def test_status_gives_the_stored_outcome_for_a_known_request_id(host: HostLogic) -> None:
    done = host.respond(received(cancel()))
    status = host.respond(received(StatusRequest("TEST000100000003")))
    assert status == StatusResponse(
        Result.OK, done.request_id, done.appt_id, done.cancel_ref, done.fee_charged, None, "156", done.timestamp
    )


def test_status_repeats_a_stored_refusal_too(host: HostLogic) -> None:
    host.respond(received(cancel("NOPE", "R1")))
    assert host.respond(received(StatusRequest("R1"))) == StatusResponse(Result.NOT_FOUND, "R1", "NOPE")


def test_status_for_an_unknown_request_id_is_unknown_request(host: HostLogic) -> None:
    host.respond(received(cancel(request_id="R1")))
    assert host.respond(received(StatusRequest("R9"))) == StatusResponse(Result.UNKNOWN_REQUEST, "R9")
    assert host.respond(received(StatusRequest("R1"), tid=OTHER_TID)).result is Result.UNKNOWN_REQUEST


# -- BUSY


def test_busy_answers_error_busy_does_nothing_and_stores_nothing(store: HostStore, clock: Clock) -> None:
    host = HostLogic(store, clock)
    for request in (EchoRequest(NOW), ListRequest(MERCHANT_ID, 0), cancel(), StatusRequest("TEST000100000003")):
        response = host.respond(received(request), busy=True)
        assert isinstance(response, ErrorResponse) and response.result is Result.BUSY
    assert store.cancellations() == []
    assert store.appointment(FIRST.appt_id).status is Status.BOOKED
    # Not stored, so the same REQUEST_ID is decided afresh once the host has time.
    assert host.respond(received(cancel())).result is Result.OK


# -- refused requests, through HostConnection


def test_an_unknown_terminal_gets_an_error_with_an_all_zero_mac(store: HostStore) -> None:
    connection = HostConnection(store.key_for)
    request = encode_message_frame(EchoRequest(NOW), seq=9, tid="NOBODY01", key=bytes(32))
    connection.receive_data(request, 0.0)
    refused = connection.next_event()
    assert isinstance(refused, RequestRefused) and refused.result is Result.UNKNOWN_TERMINAL
    assert connection.data_to_send() == bytes([ACK])
    envelope = parse_envelope(connection.answer(refused, connection.refusal(refused), 0.0)[3:-3])
    assert (envelope.type_name, envelope.seq, envelope.tid, envelope.mac) == ("ERROR", 9, "NOBODY01", ZERO_MAC)
    assert envelope.message() == ErrorResponse(Result.UNKNOWN_TERMINAL, "no key for TID NOBODY01")


def test_a_request_with_a_bad_mac_gets_an_error_maced_with_the_terminals_key(store: HostStore) -> None:
    connection = HostConnection(store.key_for)
    connection.receive_data(encode_message_frame(cancel(), seq=3, tid=TID, key=bytes(32)), 0.0)
    refused = connection.next_event()
    assert isinstance(refused, RequestRefused) and refused.result is Result.BAD_MAC
    envelope = parse_envelope(connection.answer(refused, connection.refusal(refused), 0.0)[3:-3])
    assert envelope.mac_verifies(KEY) and envelope.message().result is Result.BAD_MAC
    assert store.cancellations() == []
