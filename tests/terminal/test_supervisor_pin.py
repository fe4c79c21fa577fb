"""The supervisor PIN: hashing, checking, and the lockout a merchant runs into."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from terminal import supervisor_pin
from terminal.config import DEMO_PIN_HASH
from terminal.journal import Journal
from terminal.pin_lockout import PinLockout
from terminal.supervisor_pin import (
    PinCheck,
    PinGate,
    PinHashError,
    PinOutcome,
    hash_pin,
    verify_pin,
)

PIN = "123456"  # DEMO_PIN_HASH is its hash
T0 = datetime(2026, 11, 27, 9, 0, 0)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def lockout(tmp_path: Path):
    with Journal.open(tmp_path / "journal.sqlite") as journal:
        yield PinLockout(journal)


def test_hash_and_verify() -> None:
    hashed = hash_pin("246810")
    scheme, salt, digest = hashed.split("$")
    assert scheme == "scrypt" and len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 32
    assert verify_pin("246810", hashed)
    assert not verify_pin("246811", hashed)
    assert hash_pin("246810") != hashed, "a fresh salt every time"
    assert hash_pin("246810", salt=bytes.fromhex(salt)) == hashed


@pytest.mark.parametrize("bad", ["12345", "1234567", "12345a", "", "１２３４５６", "١٢٣٤٥٦"])
def test_hash_refuses_anything_but_six_digits_without_repeating_it(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        hash_pin(bad)
    assert "6 digits" in str(info.value)
    if bad:
        assert bad not in str(info.value)
    assert not verify_pin(bad, DEMO_PIN_HASH)


@pytest.mark.parametrize("hashed", ["", "123456", "bcrypt$00$11", "scrypt$zz$11", "scrypt$" + "0" * 32 + "$" + "0" * 10])
def test_a_malformed_hash_is_an_error_not_a_wrong_pin(hashed: str) -> None:
    with pytest.raises(PinHashError):
        verify_pin(PIN, hashed)
    with pytest.raises(PinHashError):
        PinGate(None, hashed, Clock(T0))  # type: ignore[arg-type]


def test_the_right_pin_opens(lockout: PinLockout) -> None:
    gate = PinGate(lockout, DEMO_PIN_HASH, Clock(T0))
    assert gate.check(PIN) == PinCheck(PinOutcome.OK)
    assert gate.check(PIN).ok


def test_five_wrong_tries_lock_for_five_minutes_even_for_the_right_pin(lockout: PinLockout) -> None:
    clock = Clock(T0)
    gate = PinGate(lockout, DEMO_PIN_HASH, clock)
    seen = []
    for _ in range(4):
        result = gate.check("000000")
        seen.append((result.outcome, result.tries_left))
        clock.now += timedelta(seconds=10)
    assert seen == [(PinOutcome.WRONG, 4), (PinOutcome.WRONG, 3), (PinOutcome.WRONG, 2), (PinOutcome.WRONG, 1)]
    fifth = gate.check("000000")
    assert fifth.outcome is PinOutcome.LOCKED and fifth.locked_seconds == 300
    locked_at = clock.now

    clock.now = locked_at + timedelta(minutes=4, seconds=30)
    still = gate.check(PIN)
    assert still.outcome is PinOutcome.LOCKED and still.locked_seconds == 30
    assert gate.locked_seconds() == 30

    clock.now = locked_at + timedelta(minutes=5)
    assert gate.locked_seconds() == 0
    assert gate.check(PIN).ok


def test_after_a_lockout_runs_out_there_are_five_fresh_tries(lockout: PinLockout) -> None:
    clock = Clock(T0)
    gate = PinGate(lockout, DEMO_PIN_HASH, clock)
    for _ in range(5):
        gate.check("999999")
    clock.now += timedelta(minutes=6)
    again = gate.check("999999")
    assert again.outcome is PinOutcome.WRONG and again.tries_left == 4


def test_the_lockout_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    clock = Clock(T0)
    with Journal.open(path) as journal:
        gate = PinGate(PinLockout(journal), DEMO_PIN_HASH, clock)
        for _ in range(5):
            gate.check("111111")
    clock.now = T0 + timedelta(minutes=1)
    with Journal.open(path) as journal:
        after_restart = PinGate(PinLockout(journal), DEMO_PIN_HASH, clock).check(PIN)
    assert after_restart.outcome is PinOutcome.LOCKED and after_restart.locked_seconds == 240


def test_the_failure_count_survives_a_restart_and_the_right_pin_clears_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    clock = Clock(T0)
    with Journal.open(path) as journal:
        PinGate(PinLockout(journal), DEMO_PIN_HASH, clock).check("111111")
        PinGate(PinLockout(journal), DEMO_PIN_HASH, clock).check("222222")
    with Journal.open(path) as journal:
        gate = PinGate(PinLockout(journal), DEMO_PIN_HASH, clock)
        assert gate.check("333333").tries_left == 2
        assert gate.check(PIN).ok
        assert gate.check("444444").tries_left == 4


def test_a_pin_that_is_not_six_digits_is_a_wrong_try(lockout: PinLockout, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_hashing(*args, **kwargs):
        raise AssertionError("a PIN of the wrong shape must not be hashed")

    monkeypatch.setattr(supervisor_pin, "_scrypt", no_hashing)
    gate = PinGate(lockout, DEMO_PIN_HASH, Clock(T0))
    for pin, left in (("12345", 4), ("1234567", 3), ("abcdef", 2), ("", 1)):
        result = gate.check(pin)
        assert (result.outcome, result.tries_left) == (PinOutcome.WRONG, left)


def test_setting_the_clock_back_does_not_stretch_the_lockout(lockout: PinLockout) -> None:
    clock = Clock(T0)
    gate = PinGate(lockout, DEMO_PIN_HASH, clock)
    for _ in range(5):
        gate.check("000000")
    clock.now = T0 - timedelta(days=1)
    assert gate.locked_seconds() == 300
    clock.now += timedelta(minutes=5)
    assert gate.check(PIN).ok


def test_the_pin_and_its_hash_never_show(lockout: PinLockout) -> None:
    gate = PinGate(lockout, DEMO_PIN_HASH, Clock(T0))
    result = gate.check("987654")
    for text in (repr(gate), str(gate), repr(result)):
        assert "987654" not in text and PIN not in text
        assert DEMO_PIN_HASH.split("$")[2] not in text


def test_the_hash_command_prints_a_config_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter(["135790", "135790"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert supervisor_pin._prompt_for_hash() == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("supervisor_pin = "))
    hashed = line.split('"')[1]
    assert verify_pin("135790", hashed)
    assert "135790" not in out


def test_the_hash_command_refuses_two_different_pins(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter(["135790", "135791"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert supervisor_pin._prompt_for_hash() == 2
    captured = capsys.readouterr()
    assert "supervisor_pin" not in captured.out and "differ" in captured.err
