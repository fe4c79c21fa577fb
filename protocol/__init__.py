"""Sans-I/O implementation of the host link protocol, version 1 (docs/protocol.md).

Bytes in, events out; events in, bytes out. Nothing here touches a port, a clock, a thread or a
database: callers pass the time as `now`.
"""

from protocol.connection import (
    FailureReason,
    FrameDropped,
    HostConnection,
    RequestAccepted,
    RequestFailed,
    RequestReceived,
    RequestRefused,
    ResponseAbandoned,
    ResponseReceived,
    TerminalConnection,
)
from protocol.enums import MessageType, Reason, Result, Service, Status, Tag
from protocol.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from protocol.link import BadFrame, LinkCounters, Timers, TraceRecord, wire_time
from protocol.messages import (
    Appointment,
    CancelRequest,
    CancelResponse,
    EchoRequest,
    EchoResponse,
    ErrorResponse,
    ListRequest,
    ListResponse,
    Message,
    Request,
    Response,
    StatusRequest,
    StatusResponse,
)
from protocol.states import State

__all__ = [
    "Appointment",
    "BadFrame",
    "CancelRequest",
    "CancelResponse",
    "EchoRequest",
    "EchoResponse",
    "ErrorResponse",
    "FailureReason",
    "FrameDropped",
    "HostConnection",
    "LinkCounters",
    "ListRequest",
    "ListResponse",
    "LocalProtocolError",
    "Message",
    "MessageType",
    "ProtocolError",
    "Reason",
    "RemoteProtocolError",
    "Request",
    "RequestAccepted",
    "RequestFailed",
    "RequestReceived",
    "RequestRefused",
    "Response",
    "ResponseAbandoned",
    "ResponseReceived",
    "Result",
    "Service",
    "State",
    "Status",
    "StatusRequest",
    "StatusResponse",
    "Tag",
    "TerminalConnection",
    "Timers",
    "TraceRecord",
    "wire_time",
]
