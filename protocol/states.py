"""Every state transition of both connection roles, in one table (as h11 keeps its own).

An event that the table does not allow in the current state is our own misuse and raises a
LocalProtocolError naming the role, the state and the event.
"""

from __future__ import annotations

from enum import Enum

from protocol.errors import LocalProtocolError

# What the package `protocol` exports of this module (protocol/__init__.py).
__all__ = ["State"]


class Role(Enum):
    TERMINAL = "terminal"
    HOST = "host"


class State(Enum):
    IDLE = "idle"
    SENDING_REQUEST = "sending request"  # request written, its ACK awaited
    AWAITING_RESPONSE = "awaiting response"  # request ACKed, T_RESP running
    SENDING_RESPONSE = "sending response"  # response written, its ACK awaited


class Transition(Enum):
    SEND_REQUEST = "send request"
    REQUEST_ACKED = "request ACKed"
    RESPONSE = "response received"
    RESPONSE_TIMEOUT = "T_RESP expired"
    SEND_RESPONSE = "send response"
    RESPONSE_ACKED = "response ACKed"
    SEND_FAILED = "send failed after 3 sends"
    ABANDON = "abandon (the line went away)"


TRANSITIONS: dict[Role, dict[tuple[State, Transition], State]] = {
    Role.TERMINAL: {
        (State.IDLE, Transition.SEND_REQUEST): State.SENDING_REQUEST,
        (State.SENDING_REQUEST, Transition.REQUEST_ACKED): State.AWAITING_RESPONSE,
        (State.SENDING_REQUEST, Transition.SEND_FAILED): State.IDLE,
        (State.AWAITING_RESPONSE, Transition.RESPONSE): State.IDLE,
        (State.AWAITING_RESPONSE, Transition.RESPONSE_TIMEOUT): State.IDLE,
        (State.IDLE, Transition.ABANDON): State.IDLE,
        (State.SENDING_REQUEST, Transition.ABANDON): State.IDLE,
        (State.AWAITING_RESPONSE, Transition.ABANDON): State.IDLE,
    },
    Role.HOST: {
        (State.IDLE, Transition.SEND_RESPONSE): State.SENDING_RESPONSE,
        (State.SENDING_RESPONSE, Transition.RESPONSE_ACKED): State.IDLE,
        (State.SENDING_RESPONSE, Transition.SEND_FAILED): State.IDLE,
    },
}


class ConnectionState:
    def __init__(self, role: Role) -> None:
        self.role = role
        self.state = State.IDLE
        self._table = TRANSITIONS[role]

    def apply(self, transition: Transition) -> None:
        try:
            self.state = self._table[(self.state, transition)]
        except KeyError:
            raise LocalProtocolError(
                f"{self.role.value} cannot '{transition.value}' in state '{self.state.value}'"
            ) from None
