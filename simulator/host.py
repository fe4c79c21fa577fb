"""What the host answers to each request (docs/protocol.md §4-§6), sans-I/O: a request in, a response out.

The rules live here; the state lives in the store; the wire lives in protocol.HostConnection.
Requests the connection refused (BAD_MAC, BAD_FORMAT, ...) never reach this module: the serving
loop answers them with the connection's own `refusal()`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

from protocol.connection import RequestReceived
from protocol.enums import CURRENCY_CNY, Result
from protocol.messages import (
    MAX_APPOINTMENTS_PER_PAGE,
    Appointment,
    CancelRequest,
    CancelResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    ListRequest,
    ListResponse,
    Response,
    StatusRequest,
    StatusResponse,
)
from simulator.data import ServiceAppointment
from simulator.store import Cancellation, HostStore

# No 0/O, 1/I/L: a merchant may read the voucher number out over the phone.
CANCEL_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CANCEL_REF_LENGTH = 10  # 31**10 ≈ 8e14: not guessable from the vouchers one has seen
BUSY_MESSAGE = "host busy, try again later"
_CANCEL_REFS = len(CANCEL_REF_ALPHABET) ** CANCEL_REF_LENGTH


# What a busy host answers, to any request, deciding nothing (the serving loop's BUSY fault).
BUSY_ANSWER = ErrorResponse(Result.BUSY, BUSY_MESSAGE)


class HostLogic:
    """The host's side of each exchange. `clock` gives the host's local time."""

    def __init__(self, store: HostStore, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    def respond(self, event: RequestReceived, *, busy: bool = False) -> Response:
        """The response to a request whose MAC verified; a CANCEL_REQ is decided and stored first.
        `busy`: answer ERROR BUSY and do nothing (to exercise the terminal's handling of it)."""
        if busy:
            return BUSY_ANSWER
        request = event.request
        # The protocol's timestamps have whole seconds; truncating here keeps a stored response
        # identical to the one first sent.
        now = self.clock().replace(microsecond=0)
        if isinstance(request, EchoRequest):
            return EchoResponse(Result.OK, now)
        if isinstance(request, ListRequest):
            return self._list(event.tid, request, now)
        if isinstance(request, CancelRequest):
            return self._cancel(event.tid, request, now)
        if isinstance(request, StatusRequest):
            return self._status(event.tid, request)
        raise TypeError(f"no rule for {type(request).__name__}")

    # -- LIST

    def _list(self, tid: str, request: ListRequest, now: datetime) -> ListResponse:
        if not self._bound(tid, request.merchant_id):
            return ListResponse(Result.NOT_AUTHORISED, total=0, page=request.page)
        listed = self.store.open_appointments(request.merchant_id)
        first = request.page * MAX_APPOINTMENTS_PER_PAGE
        page = listed[first : first + MAX_APPOINTMENTS_PER_PAGE]
        return ListResponse(
            Result.OK,
            total=len(listed),
            page=request.page,
            appointments=tuple(_as_listed(appointment, now) for appointment in page),
        )

    # -- CANCEL

    def _cancel(self, tid: str, request: CancelRequest, now: datetime) -> CancelResponse:
        with self.store.transaction() as store:
            stored = store.cancellation(tid, request.request_id)
            if stored is not None:
                # Exactly once (§6): the same REQUEST_ID gets the same answer and cancels nothing.
                return stored.as_cancel_response()
            appointment = store.appointment(request.appt_id)
            if appointment is not None and appointment.merchant_id != request.merchant_id:
                appointment = None  # another merchant's appointment is not this merchant's to see
            response = self._decide(tid, request, appointment, now)
            store.record(
                Cancellation(
                    tid=tid,
                    request_id=request.request_id,
                    merchant_id=request.merchant_id,
                    appt_id=request.appt_id,
                    reason=request.reason,
                    fee_accepted=request.fee_accepted,
                    operator_id=request.operator_id,
                    service=None if appointment is None else appointment.service,
                    result=response.result,
                    cancel_ref=response.cancel_ref,
                    fee_charged=response.fee_charged,
                    fee=response.fee,
                    currency=response.currency,
                    timestamp=response.timestamp,
                    message=response.message,
                    decided_at=now,
                )
            )
        return response

    def _decide(
        self, tid: str, request: CancelRequest, appointment: ServiceAppointment | None, now: datetime
    ) -> CancelResponse:
        def refused(result: Result) -> CancelResponse:
            return CancelResponse(result, request.request_id, request.appt_id)

        if not self._bound(tid, request.merchant_id):
            return refused(Result.NOT_AUTHORISED)
        if appointment is None:
            return refused(Result.NOT_FOUND)
        # ALREADY_CANCELLED: a repeat of the request that cancelled it was answered from the store
        # above, so whatever cancelled it was a different request.
        refusal = appointment.refusal_at(now)
        if refusal is not None:
            return refused(refusal)
        fee = appointment.fee_at(now)
        if fee > request.fee_accepted:
            return CancelResponse(
                Result.FEE_CHANGED, request.request_id, request.appt_id, fee=fee, currency=CURRENCY_CNY
            )
        return CancelResponse(
            Result.OK,
            request.request_id,
            request.appt_id,
            cancel_ref=self._new_cancel_ref(),
            fee_charged=fee,  # never above FEE_ACCEPTED: checked just above
            currency=CURRENCY_CNY,
            timestamp=now,
        )

    def _new_cancel_ref(self) -> str:
        # Random, not a counter, so one voucher says nothing about anyone else's; called inside
        # the cancel transaction, so the check and the insert cannot be split by another thread.
        while True:
            cancel_ref = _cancel_ref_of(secrets.randbelow(_CANCEL_REFS))
            if not self.store.cancel_ref_taken(cancel_ref):
                return cancel_ref

    # -- STATUS

    def _status(self, tid: str, request: StatusRequest) -> StatusResponse:
        stored = self.store.cancellation(tid, request.request_id)
        if stored is None:
            return StatusResponse(Result.UNKNOWN_REQUEST, request.request_id)
        return stored.as_status_response()

    # -- shared

    def _bound(self, tid: str, merchant_id: str) -> bool:
        terminal = self.store.terminal(tid)
        return terminal is not None and terminal.merchant_id == merchant_id


def _cancel_ref_of(number: int) -> str:
    """The CANCEL_REF that writes `number` (0 <= number < _CANCEL_REFS) in the alphabet's digits:
    one draw of the system's random source makes a whole reference, each character as likely as
    with one draw per character."""
    digits = []
    for _ in range(CANCEL_REF_LENGTH):
        number, digit = divmod(number, len(CANCEL_REF_ALPHABET))
        digits.append(CANCEL_REF_ALPHABET[digit])
    return "".join(digits)


def _as_listed(appointment: ServiceAppointment, now: datetime) -> Appointment:
    return Appointment(
        appt_id=appointment.appt_id,
        scheduled_at=appointment.scheduled_at,
        service=appointment.service,
        status=appointment.status,
        address=appointment.address,
        fee=appointment.fee_at(now),
        currency=CURRENCY_CNY,
        free_until=appointment.free_until,
        cancel_until=appointment.cancel_until,
    )
