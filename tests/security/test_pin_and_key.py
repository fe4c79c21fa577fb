"""The supervisor PIN (lockout, never at rest or in logs) and the key file (permissions enforced,
never echoed by a config error, nor held in a traceback's locals). tests/terminal covers the
everyday cases; these are the ones an attacker or a careless technician would try."""

from __future__ import annotations

import logging
import os
import traceback
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from terminal.config import ConfigError, load_config
from terminal.journal import Journal
from terminal.pin_lockout import PinLockout
from terminal.supervisor_pin import LOCKOUT, MAX_TRIES, PinGate, PinOutcome, hash_pin

KEY = bytes.fromhex("5ec2e79a41b0d3f6c8271e9b4a603d5f8e17c2a94b6d0e3f1a57c8b2d4e6f809")
PIN = "735194"
PIN_HASH = hash_pin(PIN, salt=b"security-tests!!")
WRONG_PINS = ("246813", "000000", "73519", "七三五一九四")  # the fifth wrong try is "7351944"
T0 = datetime(2026, 11, 27, 9, 30)


def key_material(text: str) -> list[str]:
    """The forms of KEY a message could carry: hex either case, a long prefix, Python's repr."""
    return [form for form in (KEY.hex(), KEY.hex().upper(), KEY.hex()[:16], repr(KEY)[2:-1]) if form in text]


def write_config(folder: Path, *, key_text: str | None = None, mode: int = 0o600, terminal_extra: str = "",
                 key_file: str = "terminal.key") -> Path:
    key_path = folder / "terminal.key"
    key_path.write_text(KEY.hex() if key_text is None else key_text)
    key_path.chmod(mode)
    config = folder / "terminal.toml"
    config.write_text(
        "[terminal]\n"
        'tid = "TEST0001"\n'
        'merchant_id = "898440358120001"\n'
        f'key_file = "{key_file}"\n'
        f'supervisor_pin = "{PIN_HASH}"\n'
        f"{terminal_extra}"
        "[journal]\n"
        'path = "journal.sqlite"\n',
        encoding="utf-8",
    )
    return config


def refusal(config: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(config, environ={})
    return info.value


def shown(error: BaseException) -> str:
    """The message and a traceback with every frame's locals, as Textual would print it."""
    return str(error) + "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


# -- the key file ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bit", [0o040, 0o020, 0o010, 0o004, 0o002, 0o001], ids=lambda bit: f"{0o600 | bit:04o}")
def test_any_group_or_other_permission_bit_refuses_the_key(tmp_path: Path, bit: int) -> None:
    error = refusal(write_config(tmp_path, mode=0o600 | bit))
    assert error.key == "terminal.key_file" and f"chmod 600 {tmp_path / 'terminal.key'}" in str(error)
    assert not key_material(shown(error))


def test_a_symlink_does_not_stand_in_for_the_key_files_own_mode(tmp_path: Path) -> None:
    config = write_config(tmp_path, mode=0o644, key_file="link.key")
    (tmp_path / "link.key").symlink_to(tmp_path / "terminal.key")  # a link's own mode is always 0777
    assert "chmod 600" in str(refusal(config))
    (tmp_path / "terminal.key").chmod(0o600)
    assert load_config(config, environ={}).terminal.key.reveal() == KEY


@pytest.mark.parametrize(
    "key_text",
    [
        KEY.hex() + "\n" + KEY.hex() + "\n",  # pasted twice
        "key = " + KEY.hex(),
        "0x" + KEY.hex(),
        '"' + KEY.hex().upper() + '"',
        KEY.hex()[:-1] + "g",
        KEY.hex() + "0",
        KEY.hex()[:-2],
        KEY.decode("latin-1"),  # the raw bytes instead of hex
    ],
    ids=["twice", "key=", "0x", "quoted", "non-hex", "65 digits", "62 digits", "raw bytes"],
)
def test_a_malformed_key_file_is_never_echoed_nor_left_in_locals(tmp_path: Path, key_text: str) -> None:
    error = refusal(write_config(tmp_path, key_text=key_text))
    assert not key_material(shown(error)), str(error)


@pytest.mark.parametrize(
    "terminal_extra", [f'key = "{KEY.hex()}"\n', f"key_hex = {KEY.hex()}\n"], ids=["inline key", "bad toml"]
)
def test_a_key_pasted_into_the_config_is_not_echoed(tmp_path: Path, terminal_extra: str) -> None:
    # The message only: load_config's own locals hold the file's text, key and all (reported).
    error = refusal(write_config(tmp_path, terminal_extra=terminal_extra))
    assert not key_material(str(error)), str(error)


def test_a_key_pasted_as_the_key_file_name_is_not_echoed(tmp_path: Path) -> None:
    error = refusal(write_config(tmp_path, key_file=KEY.hex()))
    assert error.key == "terminal.key_file"
    assert not key_material(str(error)), str(error)


def test_a_raw_pin_in_the_config_is_refused_without_echoing_it(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace(PIN_HASH, PIN))
    error = refusal(config)
    assert error.key == "terminal.supervisor_pin" and PIN not in str(error)


# -- the supervisor PIN ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_the_lockout_end_to_end_and_no_pin_at_rest_or_in_the_log(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    path = tmp_path / "journal.sqlite"
    with Journal(path) as journal:
        lockout = PinLockout(journal)
        gate = PinGate(lockout, PIN_HASH, clock)
        for tries_left, wrong in zip(range(MAX_TRIES - 1, 0, -1), WRONG_PINS):
            assert gate.check(wrong).outcome is PinOutcome.WRONG
            assert lockout.failures()[0] == MAX_TRIES - tries_left
        assert gate.check("7351944").outcome is PinOutcome.LOCKED  # the fifth
        clock.now += timedelta(minutes=4)
        assert gate.check(PIN).outcome is PinOutcome.LOCKED  # even the right one, while locked
    with Journal(path) as journal:  # switched off and on again
        lockout = PinLockout(journal)
        gate = PinGate(lockout, PIN_HASH, clock)
        assert gate.check(PIN).outcome is PinOutcome.LOCKED
        clock.now = T0 + LOCKOUT + timedelta(seconds=1)
        assert gate.check(PIN).ok
        assert lockout.failures()[0] == 0
    at_rest = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("journal.sqlite"))
    for secret in (PIN, *WRONG_PINS, "7351944", PIN_HASH.split("$")[2]):
        assert secret.encode() not in at_rest
        assert secret not in caplog.text
    assert os.stat(path).st_size > 0
