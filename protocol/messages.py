"""The messages of docs/protocol.md §4 as frozen dataclasses with typed fields.

Each dataclass field carries its TLV tag in its metadata; the dataclass's field order is the
order the message table lists, so encoding in declaration order reproduces the wire order.
Optional fields are None (or an empty tuple for APPOINTMENT) when absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cache
from datetime import datetime
from typing import Any, ClassVar

from protocol.enums import ENUM_OF_TAG, MessageType, Reason, Result, Service, Status, Tag
from protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from protocol.fields import (
    FIELD_SPECS,
    Kind,
    decode_plain_fields,
    encode_plain_fields,
    format_timestamp,
    parse_timestamp,
)

# What the package `protocol` exports of this module (protocol/__init__.py).
__all__ = [
    "Appointment", "CancelRequest", "CancelResponse", "EchoRequest", "EchoResponse",
    "ErrorResponse", "ListRequest", "ListResponse", "Message", "Request", "Response",
    "StatusRequest", "StatusResponse",
]

MAX_APPOINTMENTS_PER_PAGE = 8

def _tag(tag: Tag, *, optional: bool = False, default: Any = None) -> Any:
    metadata = {"tag": tag, "optional": optional}
    if optional:
        return field(default=default, metadata=metadata)
    return field(metadata=metadata)


@cache
def _layout(cls: type) -> tuple[tuple[str, Tag, bool], ...]:
    """(attribute, tag, optional) per field, in wire order; computed once per class."""
    return tuple((f.name, f.metadata["tag"], f.metadata["optional"]) for f in fields(cls))


class Message:
    """Common behaviour of the messages and of the nested APPOINTMENT record."""

    TYPE: ClassVar[MessageType]

    def problem(self) -> str | None:
        """What makes this message invalid beyond single-field rules, or None."""
        return None

    def to_plain_fields(self) -> list[tuple[Tag, Any]]:
        """The fields in wire order as (Tag, plain value) pairs."""
        pairs: list[tuple[Tag, Any]] = []
        for name, tag, optional in _layout(type(self)):
            value = getattr(self, name)
            if value is None:
                if not optional:
                    raise LocalProtocolError(f"{type(self).__name__}.{name} is required")
                continue
            if tag is Tag.APPOINTMENT:
                pairs.extend((tag, item.to_plain_fields()) for item in value)
            else:
                pairs.append((tag, _to_plain(tag, value)))
        return pairs

    def encode_fields(self) -> bytes:
        problem = self.problem()
        if problem:
            raise LocalProtocolError(f"{type(self).__name__}: {problem}")
        return encode_plain_fields(self.to_plain_fields())

    @classmethod
    def from_plain_fields(cls, pairs: list[tuple[Tag, Any]]) -> Message:
        """Build from decoded pairs; tags this message does not hold are skipped."""
        layout = _layout(cls)
        name_of = {tag: name for name, tag, _ in layout}
        values: dict[str, Any] = {}
        appointments: list[Appointment] = []
        for tag, plain in pairs:
            name = name_of.get(tag)
            if name is None:
                continue
            if tag is Tag.APPOINTMENT:
                appointments.append(Appointment.from_plain_fields(plain))
                continue
            if name in values:
                raise RemoteProtocolError(f"{tag.name} appears twice")
            values[name] = _from_plain(tag, plain)
        if Tag.APPOINTMENT in name_of:
            values[name_of[Tag.APPOINTMENT]] = tuple(appointments)
        for name, tag, optional in layout:
            if name not in values and not optional:
                raise RemoteProtocolError(f"missing {tag.name}")
        message = cls(**values)
        problem = message.problem()
        if problem:
            raise RemoteProtocolError(problem)
        return message

    @classmethod
    def decode_fields(cls, data: bytes) -> Message:
        return cls.from_plain_fields(decode_plain_fields(data))


def _to_plain(tag: Tag, value: Any) -> Any:
    if FIELD_SPECS[tag].kind is Kind.TS:
        if not isinstance(value, datetime):
            raise LocalProtocolError(f"{tag.name} must be a datetime, got {value!r}")
        return format_timestamp(value)
    if tag in ENUM_OF_TAG:
        return int(value)
    return value


def _from_plain(tag: Tag, plain: Any) -> Any:
    if FIELD_SPECS[tag].kind is Kind.TS:
        return parse_timestamp(plain)
    enum = ENUM_OF_TAG.get(tag)
    if enum is not None:
        try:
            return enum(plain)
        except ValueError:
            raise RemoteProtocolError(f"{tag.name} {plain} is not a known value") from None
    return plain


@dataclass(frozen=True, slots=True)
class Appointment(Message):
    appt_id: str = _tag(Tag.APPT_ID)
    scheduled_at: datetime = _tag(Tag.SCHEDULED_AT)
    service: Service = _tag(Tag.SERVICE)
    status: Status = _tag(Tag.STATUS)
    address: str = _tag(Tag.ADDRESS)
    fee: int = _tag(Tag.FEE)
    currency: str = _tag(Tag.CURRENCY)
    free_until: datetime = _tag(Tag.FREE_UNTIL)
    cancel_until: datetime = _tag(Tag.CANCEL_UNTIL)


@dataclass(frozen=True, slots=True)
class EchoRequest(Message):
    TYPE: ClassVar[MessageType] = MessageType.ECHO_REQ
    timestamp: datetime = _tag(Tag.TIMESTAMP)


@dataclass(frozen=True, slots=True)
class EchoResponse(Message):
    TYPE: ClassVar[MessageType] = MessageType.ECHO_RESP
    result: Result = _tag(Tag.RESULT)
    timestamp: datetime = _tag(Tag.TIMESTAMP)

    def problem(self) -> str | None:
        return _result_belongs_in_response(self.result)


@dataclass(frozen=True, slots=True)
class ListRequest(Message):
    TYPE: ClassVar[MessageType] = MessageType.LIST_REQ
    merchant_id: str = _tag(Tag.MERCHANT_ID)
    page: int = _tag(Tag.PAGE)


@dataclass(frozen=True, slots=True)
class ListResponse(Message):
    TYPE: ClassVar[MessageType] = MessageType.LIST_RESP
    result: Result = _tag(Tag.RESULT)
    total: int = _tag(Tag.TOTAL)
    page: int = _tag(Tag.PAGE)
    appointments: tuple[Appointment, ...] = _tag(Tag.APPOINTMENT, optional=True, default=())
    message: str | None = _tag(Tag.MESSAGE, optional=True)

    def problem(self) -> str | None:
        if len(self.appointments) > MAX_APPOINTMENTS_PER_PAGE:
            return f"{len(self.appointments)} appointments on one page (at most {MAX_APPOINTMENTS_PER_PAGE})"
        if self.result is not Result.OK and (self.total or self.appointments):
            return "a refused LIST_RESP carries TOTAL 0 and no APPOINTMENT"
        return _result_belongs_in_response(self.result)


@dataclass(frozen=True, slots=True)
class CancelRequest(Message):
    TYPE: ClassVar[MessageType] = MessageType.CANCEL_REQ
    merchant_id: str = _tag(Tag.MERCHANT_ID)
    appt_id: str = _tag(Tag.APPT_ID)
    request_id: str = _tag(Tag.REQUEST_ID)
    reason: Reason = _tag(Tag.REASON)
    fee_accepted: int = _tag(Tag.FEE_ACCEPTED)
    operator_id: str = _tag(Tag.OPERATOR_ID)
    timestamp: datetime = _tag(Tag.TIMESTAMP)


@dataclass(frozen=True, slots=True)
class _CancelAnswerFields(Message):
    """The answer about one cancellation: CANCEL_RESP, or STATUS_RESP naming a request."""

    result: Result = _tag(Tag.RESULT)
    request_id: str = _tag(Tag.REQUEST_ID)
    appt_id: str | None = _tag(Tag.APPT_ID, optional=True)
    cancel_ref: str | None = _tag(Tag.CANCEL_REF, optional=True)
    fee_charged: int | None = _tag(Tag.FEE_CHARGED, optional=True)
    fee: int | None = _tag(Tag.FEE, optional=True)
    currency: str | None = _tag(Tag.CURRENCY, optional=True)
    timestamp: datetime | None = _tag(Tag.TIMESTAMP, optional=True)
    message: str | None = _tag(Tag.MESSAGE, optional=True)

    def problem(self) -> str | None:
        if self.result is Result.UNKNOWN_REQUEST and self.TYPE is MessageType.STATUS_RESP:
            return None
        if self.appt_id is None:
            return "missing APPT_ID"
        if self.result is Result.OK:
            return _missing(self, ("cancel_ref", "fee_charged", "currency", "timestamp"))
        if self.result is Result.FEE_CHANGED:
            return _missing(self, ("fee", "currency"))
        return _result_belongs_in_response(self.result)


@dataclass(frozen=True, slots=True)
class CancelResponse(_CancelAnswerFields):
    TYPE: ClassVar[MessageType] = MessageType.CANCEL_RESP


@dataclass(frozen=True, slots=True)
class StatusRequest(Message):
    TYPE: ClassVar[MessageType] = MessageType.STATUS_REQ
    request_id: str = _tag(Tag.REQUEST_ID)


@dataclass(frozen=True, slots=True)
class StatusResponse(_CancelAnswerFields):
    TYPE: ClassVar[MessageType] = MessageType.STATUS_RESP


@dataclass(frozen=True, slots=True)
class ErrorResponse(Message):
    TYPE: ClassVar[MessageType] = MessageType.ERROR
    result: Result = _tag(Tag.RESULT)
    message: str | None = _tag(Tag.MESSAGE, optional=True)

    def problem(self) -> str | None:
        if not self.result.comes_as_error:
            return f"{self.result.name} is never answered with ERROR"
        return None


Request = EchoRequest | ListRequest | CancelRequest | StatusRequest
Response = EchoResponse | ListResponse | CancelResponse | StatusResponse | ErrorResponse
CancelAnswer = CancelResponse | StatusResponse

MESSAGE_CLASSES: dict[MessageType, type[Message]] = {
    cls.TYPE: cls
    for cls in (
        EchoRequest,
        EchoResponse,
        ListRequest,
        ListResponse,
        CancelRequest,
        CancelResponse,
        StatusRequest,
        StatusResponse,
        ErrorResponse,
    )
}


def decode_message(message_type: int, data: bytes) -> Message:
    """FIELDS bytes of a message of `message_type` to its dataclass; BAD_FORMAT otherwise."""
    try:
        cls = MESSAGE_CLASSES[MessageType(message_type)]
    except ValueError:
        raise RemoteProtocolError(f"unknown message TYPE 0x{message_type:02X}") from None
    try:
        return cls.decode_fields(data)
    except ProtocolError:
        raise
    except (TypeError, ValueError) as exc:  # a plain value that the typed field cannot hold
        raise RemoteProtocolError(str(exc)) from None


def _missing(message: Message, names: tuple[str, ...]) -> str | None:
    absent = [name for name in names if getattr(message, name) is None]
    if absent:
        tags = ", ".join(type(message).__dataclass_fields__[n].metadata["tag"].name for n in absent)
        return f"RESULT {message.result.name} needs {tags}"  # type: ignore[attr-defined]
    return None


def _result_belongs_in_response(result: Result) -> str | None:
    if result.comes_as_error:
        return f"{result.name} comes only as ERROR"
    return None
