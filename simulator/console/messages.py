"""What the console's workers post back to the UI thread. A worker never touches a widget."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from simulator.data import ServiceAppointment
from simulator.store import Cancellation


@dataclass
class StoreRead(Message):
    """The store's appointments and cancellations as a worker read them, or why it could not."""

    appointments: list[ServiceAppointment] = field(default_factory=list)
    cancellations: list[Cancellation] = field(default_factory=list)
    problem: str = ""


@dataclass
class DataDone(Message):
    """A reset or a reload finished: what it did, or what went wrong (`failed`)."""

    text: str
    failed: bool = False
