"""What cancelling costs now, in words: free until, a fee now, not after; or why it cannot be:
too late, in progress, over, cancelled already."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from protocol.enums import Status

from terminal.cancel_terms import CancelTerms, Terms
from tests.screens.scripted_client import FREE, IN_PROGRESS, NOW, TOO_LATE, WITH_FEE


def test_free_until_then_a_fee_then_not_at_all() -> None:
    terms = CancelTerms.now(FREE, NOW)
    assert terms.terms is Terms.FREE and terms.cancellable
    assert terms.sentences("en") == [
        "Free to cancel now: free until 27 Nov 18:00.",
        "After 27 Nov 18:00 cancelling costs a fee.",
        "It cannot be cancelled after 28 Nov 08:00.",
    ]
    assert terms.short("zh_CN") == "免费"


def test_a_fee_now() -> None:
    terms = CancelTerms.now(WITH_FEE, NOW)
    assert terms.terms is Terms.FEE
    assert terms.sentences("zh_CN") == ["现在取消收费 ¥50.00。", "11月29日 12:30 以后不能取消。"]
    assert terms.short("en") == "¥50.00"


def test_past_cancel_until_is_too_late() -> None:
    terms = CancelTerms.now(TOO_LATE, NOW)
    assert terms.terms is Terms.TOO_LATE and not terms.cancellable
    assert terms.sentences("en") == ["It cannot be cancelled: the deadline, 27 Nov 09:00, has passed."]
    # Exactly at cancel_until it still can be.
    assert CancelTerms.now(TOO_LATE, TOO_LATE.cancel_until).cancellable


def test_a_visit_in_progress_cannot_be_cancelled() -> None:
    terms = CancelTerms.now(IN_PROGRESS, datetime(2026, 11, 27, 6, 0))
    assert terms.terms is Terms.IN_PROGRESS and not terms.cancellable
    assert terms.sentences("zh_CN") == ["不能取消：服务已经开始。"]


def test_a_visit_over_or_cancelled_already_says_so() -> None:
    over = CancelTerms.now(replace(FREE, status=Status.COMPLETED), NOW)
    assert over.terms is Terms.COMPLETED and not over.cancellable
    assert (over.short("en"), over.sentences("en")) == ("completed", ["It cannot be cancelled: the visit is over."])
    cancelled = CancelTerms.now(replace(FREE, status=Status.CANCELLED), NOW)
    assert cancelled.terms is Terms.CANCELLED and not cancelled.cancellable
    assert (cancelled.short("zh_CN"), cancelled.sentences("zh_CN")) == ("已取消", ["不能取消：预约已经取消。"])
