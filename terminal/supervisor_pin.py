"""The supervisor PIN: its salted slow hash, its check, and the lockout after 5 wrong tries.

The config holds only the hash. To produce the line for the config file, run

    uv run python -m terminal.supervisor_pin

which asks for the 6-digit PIN twice (nothing is echoed) and prints
`supervisor_pin = "scrypt$<salt hex>$<hash hex>"`.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from terminal.exit_codes import EXIT_DONE, EXIT_USAGE

if TYPE_CHECKING:
    from terminal.pin_lockout import PinLockout

PIN_LENGTH = 6
MAX_TRIES = 5
LOCKOUT = timedelta(minutes=5)

# scrypt cost: ~50 ms per check on a terminal CPU, 16 MiB of memory; slow enough that the
# million possible PINs cannot be tried quickly from a stolen config file.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_SCHEME = "scrypt"


class PinHashError(ValueError):
    """The stored hash is not in the form `scrypt$<32 hex>$<64 hex>`."""


def is_valid_pin(pin: str) -> bool:
    """Exactly six ASCII digits (str.isdigit alone would accept other scripts' digits)."""
    return len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def _scrypt(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        pin.encode("ascii"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_HASH_BYTES
    )


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """The config form of `pin`: "scrypt$<salt hex>$<hash hex>", with a fresh salt unless given."""
    if not is_valid_pin(pin):
        # The PIN itself is never put into the message.
        raise ValueError(f"a supervisor PIN is exactly {PIN_LENGTH} digits")
    if salt is None:
        salt = os.urandom(_SALT_BYTES)
    if len(salt) != _SALT_BYTES:
        raise ValueError(f"the salt must be {_SALT_BYTES} bytes")
    return f"{_SCHEME}${salt.hex()}${_scrypt(pin, salt).hex()}"


def parse_pin_hash(hashed: str) -> tuple[bytes, bytes]:
    """(salt, hash) from the config form; PinHashError when it is not that form."""
    parts = hashed.split("$") if isinstance(hashed, str) else []
    if len(parts) != 3 or parts[0] != _SCHEME:
        raise PinHashError(f'expected "{_SCHEME}$<salt hex>$<hash hex>"')
    salt_hex, hash_hex = parts[1], parts[2]
    if len(salt_hex) != 2 * _SALT_BYTES or len(hash_hex) != 2 * _HASH_BYTES:
        raise PinHashError(
            f"expected a {2 * _SALT_BYTES}-hex-digit salt and a {2 * _HASH_BYTES}-hex-digit hash"
        )
    try:
        return bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except ValueError:
        raise PinHashError("the salt and hash must be hexadecimal digits") from None


def verify_pin(pin: str, hashed: str) -> bool:
    """True when `pin` is the PIN behind `hashed`; compared in constant time."""
    salt, expected = parse_pin_hash(hashed)
    if not is_valid_pin(pin):
        return False
    return hmac.compare_digest(_scrypt(pin, salt), expected)


class PinOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class PinCheck:
    """What the PIN screen shows: accepted, wrong (with tries left) or locked (for how long)."""

    outcome: PinOutcome
    tries_left: int = MAX_TRIES
    locked_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is PinOutcome.OK


class PinGate:
    """Lets the supervisor in; 5 wrong tries in a row lock it for 5 minutes, across restarts.

    The failure count and the time of the last failure are kept on disk (`lockout`), so
    switching the terminal off and on does not give a fresh set of tries.
    """

    def __init__(self, lockout: PinLockout, pin_hash: str, clock: Callable[[], datetime]) -> None:
        parse_pin_hash(pin_hash)  # refuse a broken hash now, not at the merchant's first try
        self._lockout = lockout
        self._pin_hash = pin_hash
        self._clock = clock

    def __repr__(self) -> str:
        return "PinGate(<hash redacted>)"

    def locked_seconds(self, now: datetime | None = None) -> int:
        """Seconds until a PIN may be tried again; 0 when not locked."""
        now = self._clock() if now is None else now
        count, last = self._lockout.failures()
        if count < MAX_TRIES or last is None:
            return 0
        if now < last:
            # The clock was set back: restart the lockout from now rather than keeping it
            # for however long the clock jumped (the count only needs to stay at or over 5).
            self._lockout.record_failure(now)
            return int(LOCKOUT.total_seconds())
        remaining = (last + LOCKOUT) - now
        if remaining <= timedelta(0):
            return 0
        # Round up: "locked for 0 s" while still locked would be a lie.
        return max(1, math.ceil(remaining.total_seconds()))

    def check(self, pin: str, now: datetime | None = None) -> PinCheck:
        now = self._clock() if now is None else now
        locked = self.locked_seconds(now)
        if locked:
            return PinCheck(PinOutcome.LOCKED, tries_left=0, locked_seconds=locked)
        count, _ = self._lockout.failures()
        if count >= MAX_TRIES:
            # The lockout has run out: a fresh set of tries.
            self._lockout.clear()
        if is_valid_pin(pin) and verify_pin(pin, self._pin_hash):
            self._lockout.clear()
            return PinCheck(PinOutcome.OK)
        failures = self._lockout.record_failure(now)
        if failures >= MAX_TRIES:
            return PinCheck(
                PinOutcome.LOCKED, tries_left=0, locked_seconds=int(LOCKOUT.total_seconds())
            )
        return PinCheck(PinOutcome.WRONG, tries_left=MAX_TRIES - failures)


def _prompt_for_hash() -> int:
    import getpass

    try:
        pin = getpass.getpass(f"Supervisor PIN ({PIN_LENGTH} digits): ")
        again = getpass.getpass("The same PIN again: ")
    except (EOFError, KeyboardInterrupt):
        print("\nNo PIN entered; nothing was written.", file=sys.stderr)
        return EXIT_USAGE
    if not is_valid_pin(pin):
        print(f"A supervisor PIN is exactly {PIN_LENGTH} digits; nothing was written.", file=sys.stderr)
        return EXIT_USAGE
    if not hmac.compare_digest(pin.encode(), again.encode()):
        print("The two PINs differ; nothing was written. Run this again.", file=sys.stderr)
        return EXIT_USAGE
    print("# put this line in the [terminal] section of the terminal's config file:")
    print(f'supervisor_pin = "{hash_pin(pin)}"')
    return EXIT_DONE


if __name__ == "__main__":
    sys.exit(_prompt_for_hash())
