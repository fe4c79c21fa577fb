"""The protocol's numbered vocabularies (docs/protocol.md §2-§5) as enums."""

from __future__ import annotations

from enum import IntEnum

# What the package `protocol` exports of this module (protocol/__init__.py).
__all__ = ["MessageType", "Reason", "Result", "Service", "Status", "Tag"]

STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15

VERSION = 0x01
MIN_BODY = 20
MAX_BODY = 4096
# STX + LEN + BODY + ETX + CRC
FRAME_OVERHEAD = 6
MIN_FRAME = MIN_BODY + FRAME_OVERHEAD
MAX_FRAME = MAX_BODY + FRAME_OVERHEAD
HEADER_SIZE = 12
MAC_SIZE = 8
TID_SIZE = 8
MAX_SEQ = 0xFFFF


class MessageType(IntEnum):
    ECHO_REQ = 0x01
    ECHO_RESP = 0x81
    LIST_REQ = 0x10
    LIST_RESP = 0x90
    CANCEL_REQ = 0x20
    CANCEL_RESP = 0xA0
    STATUS_REQ = 0x30
    STATUS_RESP = 0xB0
    ERROR = 0x7F

    @property
    def is_request(self) -> bool:
        return self is not MessageType.ERROR and not self & 0x80

    @property
    def response_type(self) -> MessageType:
        """The TYPE that answers this request (request TYPE | 0x80)."""
        return MessageType(self | 0x80)


class Result(IntEnum):
    OK = 0x00
    NOT_FOUND = 0x01
    ALREADY_CANCELLED = 0x02
    TOO_LATE = 0x03
    FEE_CHANGED = 0x04
    NOT_AUTHORISED = 0x05
    UNKNOWN_REQUEST = 0x06
    BAD_MAC = 0x10
    BAD_FORMAT = 0x11
    BAD_VERSION = 0x12
    UNKNOWN_TERMINAL = 0x13
    BUSY = 0x20

    @property
    def comes_as_error(self) -> bool:
        """Only these results are answered with an ERROR message (§4)."""
        return self in _ERROR_RESULTS


_ERROR_RESULTS = frozenset(
    {Result.BAD_MAC, Result.BAD_FORMAT, Result.BAD_VERSION, Result.UNKNOWN_TERMINAL, Result.BUSY}
)


class Service(IntEnum):
    INSTALLATION = 1
    REPAIR = 2
    TRAINING = 3
    REPLACEMENT = 4
    REMOVAL = 5


class Status(IntEnum):
    BOOKED = 1
    IN_PROGRESS = 2
    COMPLETED = 3
    CANCELLED = 4


class Reason(IntEnum):
    NO_LONGER_NEEDED = 1
    WILL_REBOOK = 2
    CHOSE_ANOTHER_PROVIDER = 3
    BUSINESS_CLOSED = 4
    OTHER = 9


class Tag(IntEnum):
    MERCHANT_ID = 0x01
    OPERATOR_ID = 0x02
    TIMESTAMP = 0x03
    REQUEST_ID = 0x04
    RESULT = 0x05
    MESSAGE = 0x06
    PAGE = 0x07
    TOTAL = 0x08
    APPOINTMENT = 0x10
    APPT_ID = 0x11
    SCHEDULED_AT = 0x12
    SERVICE = 0x13
    ADDRESS = 0x14
    STATUS = 0x15
    FEE = 0x16
    CURRENCY = 0x17
    FREE_UNTIL = 0x18
    CANCEL_UNTIL = 0x19
    REASON = 0x20
    FEE_ACCEPTED = 0x21
    CANCEL_REF = 0x22
    FEE_CHARGED = 0x23


CURRENCY_CNY = "156"

# The fields whose number names an enum member: the codec turns one into the other, the trace
# prints both.
ENUM_OF_TAG: dict[Tag, type[IntEnum]] = {
    Tag.RESULT: Result,
    Tag.SERVICE: Service,
    Tag.STATUS: Status,
    Tag.REASON: Reason,
}
