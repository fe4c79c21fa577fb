"""Messages and TLVs: random messages round-trip; arbitrary bytes raise only RemoteProtocolError;
the format rules of docs/protocol.md §3 are enforced both ways."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.enums import MessageType, Reason, Result, Service, Status, Tag
from protocol.errors import LocalProtocolError, RemoteProtocolError
from protocol.frame import encode_body, encode_frame, frame_body, parse_envelope
from protocol.messages import (
    MESSAGE_CLASSES,
    Appointment,
    CancelRequest,
    CancelResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    ListRequest,
    ListResponse,
    StatusRequest,
    StatusResponse,
    decode_message,
)
from protocol.tlv import decode_tlvs, encode_length, encode_tlvs
from tests.material import KEY

AN = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=8)
MOMENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
FEN = st.integers(0, 2**32 - 1)
UTF8_120 = st.text(max_size=40).filter(lambda s: len(s.encode()) <= 120)
RESPONSE_RESULTS = st.sampled_from([r for r in Result if not r.comes_as_error])
ERROR_RESULTS = st.sampled_from([r for r in Result if r.comes_as_error])

APPOINTMENT = st.builds(
    Appointment,
    appt_id=st.text(alphabet="A0123456789", min_size=1, max_size=20),
    scheduled_at=MOMENT,
    service=st.sampled_from(Service),
    status=st.sampled_from(Status),
    address=UTF8_120,
    fee=FEN,
    currency=st.just("156"),
    free_until=MOMENT,
    cancel_until=MOMENT,
)
MERCHANT = st.text(alphabet="0123456789", min_size=15, max_size=15)
REQUEST_ID = st.text(alphabet="TEST0123456789", min_size=1, max_size=32)


def cancel_answers(cls):
    """CANCEL_RESP or STATUS_RESP (`cls`) about a request and its appointment, with what each RESULT carries."""

    def answer(result, **fields):
        return st.builds(cls, result=result, request_id=REQUEST_ID, appt_id=AN, **fields)

    ok = answer(
        st.just(Result.OK),
        cancel_ref=AN,
        fee_charged=FEN,
        currency=st.just("156"),
        timestamp=MOMENT,
        message=st.none() | UTF8_120,
    )
    fee_changed = answer(st.just(Result.FEE_CHANGED), fee=FEN, currency=st.just("156"))
    refused = answer(
        st.sampled_from([Result.NOT_FOUND, Result.ALREADY_CANCELLED, Result.TOO_LATE]), message=st.none() | UTF8_120
    )
    return ok | fee_changed | refused


MESSAGES = st.one_of(
    st.builds(EchoRequest, timestamp=MOMENT),
    st.builds(EchoResponse, result=st.just(Result.OK), timestamp=MOMENT),
    st.builds(ListRequest, merchant_id=MERCHANT, page=st.integers(0, 255)),
    st.builds(
        ListResponse,
        result=st.just(Result.OK),
        total=st.integers(0, 65535),
        page=st.integers(0, 255),
        appointments=st.lists(APPOINTMENT, max_size=8).map(tuple),
        message=st.none() | UTF8_120,
    ),
    st.builds(
        CancelRequest,
        merchant_id=MERCHANT,
        appt_id=AN,
        request_id=REQUEST_ID,
        reason=st.sampled_from(Reason),
        fee_accepted=FEN,
        operator_id=AN,
        timestamp=MOMENT,
    ),
    cancel_answers(CancelResponse),
    st.builds(StatusRequest, request_id=REQUEST_ID),
    cancel_answers(StatusResponse),
    st.builds(StatusResponse, result=st.just(Result.UNKNOWN_REQUEST), request_id=REQUEST_ID),
    st.builds(ErrorResponse, result=ERROR_RESULTS, message=st.none() | UTF8_120),
)


@settings(max_examples=400, deadline=None)
@given(MESSAGES, st.integers(0, 65535), AN.filter(lambda t: t == t.rstrip(" ")))
def test_random_messages_round_trip_through_a_frame(message, seq, tid):
    body = encode_body(message, seq=seq, tid=tid, key=KEY)
    envelope = parse_envelope(frame_body(encode_frame(body)))
    assert (envelope.seq, envelope.tid) == (seq, tid)
    assert envelope.mac_verifies(KEY)
    assert envelope.message() == message


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(list(MESSAGE_CLASSES)), st.binary(max_size=300))
def test_arbitrary_fields_raise_only_remote_protocol_error(message_type, data):
    try:
        decode_message(message_type, data)
    except RemoteProtocolError as exc:
        assert exc.result is Result.BAD_FORMAT


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=20, max_size=300))
def test_arbitrary_bodies_raise_only_remote_protocol_error(body):
    try:
        parse_envelope(body).message()
    except RemoteProtocolError as exc:
        assert exc.result in (Result.BAD_FORMAT, Result.BAD_VERSION)


@pytest.mark.parametrize(
    "length, encoded",
    [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100"), (65535, "82ffff")],
)
def test_lengths_use_the_shortest_ber_form(length, encoded):
    assert encode_length(length).hex() == encoded
    value = bytes(length)
    assert decode_tlvs(encode_tlvs([(0x06, value)])) == [(0x06, value)]


@pytest.mark.parametrize(
    "data", ["06", "0605616263", "0680", "0683000001", "068101", "06820001", "0681"]
)
def test_truncated_or_non_ber_tlvs_are_bad_format(data):
    with pytest.raises(RemoteProtocolError) as caught:
        decode_tlvs(bytes.fromhex(data))
    assert caught.value.result is Result.BAD_FORMAT


def test_unknown_tags_are_skipped():
    known = EchoRequest(datetime(2026, 11, 27, 9, 30)).encode_fields()
    unknown = encode_tlvs([(0x5A, b"from a newer host")])
    assert decode_message(MessageType.ECHO_REQ, unknown + known + unknown) == EchoRequest(
        datetime(2026, 11, 27, 9, 30)
    )


@pytest.mark.parametrize(
    "fields, complaint",
    [
        (encode_tlvs([(Tag.RESULT, b"\x00\x00"), (Tag.TIMESTAMP, b"20261127093000")]), "RESULT must be 1 bytes"),
        (encode_tlvs([(Tag.RESULT, b"\x00"), (Tag.TIMESTAMP, b"2026112709300")]), "TIMESTAMP"),
        (encode_tlvs([(Tag.RESULT, b"\x00"), (Tag.TIMESTAMP, b"20260230093000")]), "not a valid date"),
        (encode_tlvs([(Tag.RESULT, b"\x00")]), "missing TIMESTAMP"),
        (encode_tlvs([(Tag.RESULT, b"\x77"), (Tag.TIMESTAMP, b"20261127093000")]), "not a known value"),
        (encode_tlvs([(Tag.RESULT, b"\x10"), (Tag.TIMESTAMP, b"20261127093000")]), "only as ERROR"),
    ],
)
def test_known_tags_of_wrong_size_or_kind_are_bad_format(fields, complaint):
    with pytest.raises(RemoteProtocolError, match=complaint) as caught:
        decode_message(MessageType.ECHO_RESP, fields)
    assert caught.value.result is Result.BAD_FORMAT


def test_merchant_id_must_be_fifteen_characters_both_ways():
    with pytest.raises(LocalProtocolError, match="MERCHANT_ID must be exactly 15"):
        ListRequest("12345", 0).encode_fields()
    fields = encode_tlvs([(Tag.MERCHANT_ID, b"12345"), (Tag.PAGE, b"\x00")])
    with pytest.raises(RemoteProtocolError, match="MERCHANT_ID"):
        decode_message(MessageType.LIST_REQ, fields)


def test_ok_cancel_response_needs_its_voucher_fields():
    with pytest.raises(LocalProtocolError, match="needs CANCEL_REF"):
        CancelResponse(Result.OK, "R1", "A1").encode_fields()


def test_a_list_page_holds_at_most_eight_appointments():
    appointment = Appointment(
        "A1", datetime(2026, 11, 28, 10), Service.REPAIR, Status.BOOKED, "x", 0, "156",
        datetime(2026, 11, 27), datetime(2026, 11, 28),
    )
    with pytest.raises(LocalProtocolError, match="at most 8"):
        ListResponse(Result.OK, 9, 0, (appointment,) * 9).encode_fields()


def test_message_text_is_at_most_200_bytes():
    with pytest.raises(LocalProtocolError, match="MESSAGE"):
        ErrorResponse(Result.BUSY, "忙" * 67).encode_fields()  # 201 bytes


def test_non_ascii_text_in_an_an_field_is_refused():
    with pytest.raises(LocalProtocolError, match="printable ASCII"):
        StatusRequest("请求").encode_fields()


def test_an_unknown_version_is_bad_version():
    body = bytearray(encode_body(EchoRequest(datetime(2026, 11, 27)), seq=1, tid="T1", key=KEY))
    body[0] = 2
    with pytest.raises(RemoteProtocolError) as caught:
        parse_envelope(bytes(body)).message()
    assert caught.value.result is Result.BAD_VERSION
