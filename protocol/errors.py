"""The two ways the protocol can be broken: by us (local) or by the peer's bytes (remote)."""

from __future__ import annotations

from protocol.enums import Result

# What the package `protocol` exports of this module (protocol/__init__.py).
__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError"]


class ProtocolError(Exception):
    """Base of both protocol errors."""


class LocalProtocolError(ProtocolError):
    """Our own misuse: sending in the wrong state, or a message that violates docs/protocol.md."""


class RemoteProtocolError(ProtocolError):
    """The peer's bytes are not acceptable; `result` is the RESULT to answer with."""

    def __init__(self, message: str, result: Result = Result.BAD_FORMAT) -> None:
        super().__init__(message)
        self.result = result
