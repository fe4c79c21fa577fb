"""The messages workers post back to the UI thread: plain dataclasses, one per thing that happened.
A worker never touches a widget; the screen that receives the message does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from protocol import LinkCounters
from terminal.client import EchoResult, Progress
from terminal.journal import Attempt
from terminal.supervisor_pin import PinCheck


@dataclass
class RequestSent(Message):
    """The host has the request (on_sent): Esc can no longer take it back."""


@dataclass
class CancelProgress(Message):
    stage: Progress


@dataclass
class HostAnswered(Message):
    """The blocking call returned `value`, or raised `error`."""

    value: Any = None
    error: BaseException | None = None


@dataclass
class PinChecked(Message):
    check: PinCheck | None
    error: str | None = None  # the journal could not be read or written


@dataclass
class SettleRound(Message):
    """The background settler is asking the host again (round `number` of `rounds`)."""

    number: int
    rounds: int


@dataclass
class AttemptChanged(Message):
    """The journal's record of a cancellation after a settle or a print."""

    attempt: Attempt


@dataclass
class SettlingStopped(Message):
    """The background settler gave up for now; History or the next start settles it."""

    attempt: Attempt | None


@dataclass
class VoucherPrinted(Message):
    request_id: str
    error: str | None = None  # None: printed


@dataclass
class LinkTested(Message):
    echo: EchoResult | None
    error: BaseException | None = None


@dataclass
class LinkState(Message):
    counters: LinkCounters
    trace: list[str]


@dataclass
class SettleFailed(Message):
    """Settling now could not reach the host; the cancellation stays pending."""

    error: str
