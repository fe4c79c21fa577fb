"""The fault board: what the next answers get, once or until cleared, a BUSY share, standing faults."""

from __future__ import annotations

import pytest

from simulator.faults import Fault, FaultBoard, FaultKind


def test_a_fault_for_the_next_answer_is_used_up_by_it() -> None:
    board = FaultBoard()
    assert board.take() == ()
    lose = Fault(FaultKind.LOSE_ANSWER)
    board.set(lose)
    assert board.active == lose
    assert board.take() == (lose,)
    assert board.active is None and board.take() == ()
    assert board.applied == 1


def test_a_fault_until_cleared_applies_to_every_answer_until_cleared() -> None:
    board = FaultBoard()
    late = Fault(FaultKind.LATE, once=False, milliseconds=800)
    board.set(late)
    assert [board.take() for _ in range(3)] == [(late,)] * 3
    board.clear()
    assert board.take() == () and board.applied == 3


def test_setting_a_fault_replaces_the_one_in_force() -> None:
    board = FaultBoard()
    board.set(Fault(FaultKind.JUNK, once=False))
    split = Fault(FaultKind.SPLIT, milliseconds=50)
    board.set(split)
    assert board.take() == (split,) and board.take() == ()


def test_a_busy_share_draws_for_each_request_and_a_seed_repeats_it() -> None:
    def draws(seed: int) -> list[bool]:
        board = FaultBoard(seed=seed)
        board.set(Fault(FaultKind.BUSY, once=False, share=0.3))
        return [bool(board.take()) for _ in range(400)]

    first = draws(7)
    assert first == draws(7)
    assert 80 < sum(first) < 160  # about 30 % of 400
    assert first != draws(8)


def test_busy_once_refuses_the_next_request_only() -> None:
    board = FaultBoard()
    busy = Fault(FaultKind.BUSY)
    board.set(busy)
    assert board.take() == (busy,) and board.take() == ()


def test_silence_is_no_answer_fault_and_lasts_until_cleared() -> None:
    board = FaultBoard()
    with pytest.raises(ValueError, match="until cleared"):
        Fault(FaultKind.SILENT)
    board.set(Fault(FaultKind.SILENT, once=False))
    assert board.silent
    assert board.take() == () and board.silent  # the serving loop reads nothing meanwhile
    board.clear()
    assert not board.silent


def test_faults_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="share"):
        Fault(FaultKind.BUSY, share=0.0)
    with pytest.raises(ValueError, match="share"):
        Fault(FaultKind.BUSY, share=1.5)
    with pytest.raises(ValueError, match="negative"):
        Fault(FaultKind.LATE, milliseconds=-1)
    with pytest.raises(ValueError, match="standing"):
        FaultBoard(standing=[Fault(FaultKind.LATE, milliseconds=5)])


def test_the_hosts_busy_and_delay_are_standing_faults_beside_the_one_set() -> None:
    assert FaultBoard.for_host() is None  # a plain host has no board: nothing to decide per request
    board = FaultBoard.for_host(busy_share=1.0, delay_ms=250, seed=1)
    assert board is not None
    busy, late = board.standing
    assert (busy.kind, busy.share, late.kind, late.milliseconds) == (FaultKind.BUSY, 1.0, FaultKind.LATE, 250)
    junk = Fault(FaultKind.JUNK)
    board.set(junk)
    assert board.take() == (busy, late, junk)
    assert board.take() == (busy, late)
    board.clear()
    assert board.take() == (busy, late)  # clearing the live fault leaves the standing ones


def test_each_fault_says_what_it_does() -> None:
    assert Fault(FaultKind.BUSY, once=False, share=0.25).describe() == "ERROR BUSY to 25% of requests (until cleared)"
    assert Fault(FaultKind.SPLIT, milliseconds=300).describe() == "answer in two writes, 300 ms apart (next answer)"


def test_a_refused_request_keeps_its_refusal_and_leaves_busy_for_the_next_request() -> None:
    board = FaultBoard()
    busy = Fault(FaultKind.BUSY)
    board.set(busy)
    assert board.take(refused=True) == ()  # a BAD_MAC stays BAD_MAC: BUSY would hide what is wrong
    assert board.active == busy
    assert board.take() == (busy,)
    late = Fault(FaultKind.LATE, milliseconds=300)
    board.set(late)
    assert board.take(refused=True) == (late,)  # the other faults apply to a refusal's answer too


def test_a_fault_for_cancels_only_spares_other_answers_until_a_cancel_comes() -> None:
    board = FaultBoard()
    lose = Fault(FaultKind.LOSE_ANSWER, cancels_only=True)
    board.set(lose)
    assert board.take() == () and board.take(refused=True) == ()  # a LIST, a refused request
    assert board.take(cancel=True) == (lose,) and board.active is None
    assert "next cancel answer" in lose.describe()
    with pytest.raises(ValueError, match="whole line"):
        Fault(FaultKind.SILENT, once=False, cancels_only=True)
