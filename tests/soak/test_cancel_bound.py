"""Found while building bench/soak.py (invariant 5): cancel() for an appointment whose earlier
attempt is still unknown first settles that one (a full settle round), and when it settles as not
cancelled goes on to a new attempt with its own send and settle round: up to 9 exchanges and 4
pauses in one call. cancel_bound() once counted only 5 exchanges; it now counts both settle rounds.
Shown with a scripted line and a fake clock: the client's own exchange is replaced by one that
takes as long as the protocol allows (the request ACKed on its third send, the answer at the end of
T_RESP).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from protocol import (
    CancelRequest,
    Reason,
    ResponseReceived,
    Result,
    StatusRequest,
    StatusResponse,
    Timers,
)
from terminal.client import HostClient, LinkFailure, LinkProblem
from terminal.journal import AttemptState, Journal

TID = "SOAK0001"
MERCHANT = "898440358120001"


class IdleLine:
    """Stands in for the serial line: cancel() opens it; the scripted exchange does the rest."""

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_cancel_after_an_unknown_attempt_ends_within_cancel_bound(tmp_path: Path) -> None:
    clock = [1000.0]
    journal = Journal(tmp_path / "journal.sqlite")
    timers = Timers()  # the protocol's defaults: T_ACK 0.5 s, T_RESP 10 s, T_CHAR 0.2 s
    client = HostClient(
        tid=TID, merchant_id=MERCHANT, operator_id="01", key=bytes(32), line=IdleLine(),  # type: ignore[arg-type]
        journal=journal, timers=timers, baud=115200,
        monotonic=lambda: clock[0], pause=lambda seconds: clock.__setitem__(0, clock[0] + seconds),
    )
    # A slow exchange as the protocol allows it: the request ACKed on its third send, then the
    # answer (or nothing) at the very end of T_RESP.
    slow = 2 * timers.t_ack + timers.t_resp
    status_answers = iter([None, Result.UNKNOWN_REQUEST, Result.UNKNOWN_REQUEST] * 2)

    def exchange(request, *, on_sent=None, abort=None):  # noqa: ANN001, ANN202 — the client's signature
        clock[0] += slow
        if isinstance(request, StatusRequest):
            answer = next(status_answers)
            if answer is not None:
                return ResponseReceived(request, StatusResponse(answer, request.request_id), 1)
        assert isinstance(request, (StatusRequest, CancelRequest))
        return LinkFailure("the host did not answer in time", LinkProblem.NO_ANSWER)

    client._exchange = exchange  # type: ignore[method-assign]
    earlier = journal.record_attempt(
        appt_id="A1", merchant_id=MERCHANT, tid=TID, operator_id="01", reason=Reason.WILL_REBOOK,
        fee_accepted=0, created_at=datetime(2026, 11, 27, 9, 30), scheduled_at=None, service=None,
        address=None, sending=True,
    )
    journal.mark_unknown(earlier.request_id)

    started = clock[0]
    outcome = client.cancel("A1", Reason.WILL_REBOOK, 0)
    took = clock[0] - started

    # What happened is right (both attempts closed as never received, no REQUEST_ID while
    # unknown); only the time is not what cancel_bound() promises.
    assert journal.get(earlier.request_id).state is AttemptState.REFUSED  # type: ignore[union-attr]
    assert outcome.attempt.request_id != earlier.request_id and outcome.state is AttemptState.REFUSED
    assert took <= client.cancel_bound(), f"cancel() took {took:.1f} s, cancel_bound() is {client.cancel_bound():.1f} s"
    journal.close()
