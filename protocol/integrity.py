"""The two checksums of the protocol: the frame's CRC-16 and the body's truncated HMAC."""

from __future__ import annotations

import binascii
import hashlib
import hmac

from protocol.enums import MAC_SIZE

ZERO_MAC = bytes(MAC_SIZE)


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final XOR.

    binascii.crc_hqx is exactly that polynomial, unreflected, in C.
    """
    return binascii.crc_hqx(data, 0xFFFF)


def compute_mac(key: bytes, signed_part: bytes) -> bytes:
    """First 8 bytes of HMAC-SHA256(key, BODY without its MAC)."""
    return hmac.digest(key, signed_part, hashlib.sha256)[:MAC_SIZE]


def mac_matches(key: bytes, signed_part: bytes, mac: bytes) -> bool:
    """Constant-time check, so a forger learns nothing from how long a refusal takes."""
    return hmac.compare_digest(compute_mac(key, signed_part), mac)
