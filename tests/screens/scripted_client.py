"""A stand-in for terminal.client.HostClient in screen tests: the same methods the screens call,
answering from a script instead of a serial line, and recording every attempt in a real
terminal.journal.Journal the way the real client does (so History and PIN lockout are real)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Callable

from protocol import Appointment, LinkCounters, Timers
from protocol.enums import CURRENCY_CNY, Reason, Result, Service, Status
from terminal.client import (
    Aborted,
    AppointmentPage,
    CancelOutcome,
    EchoResult,
    LinkFailure,
    Progress,
)
from terminal.journal import Journal

NOW = datetime(2026, 11, 27, 9, 30)
TID = "TEST0001"
MERCHANT_ID = "898440358120001"
PAGE_SIZE = 8
HOLD_LIMIT_S = 10.0  # a held call gives up after this long, so a broken test cannot hang


def appointment(
    appt_id: str,
    scheduled_at: datetime,
    *,
    service: Service = Service.INSTALLATION,
    status: Status = Status.BOOKED,
    address: str = "成都市武侯区天府大道100号",
    fee: int = 0,
    free_until: datetime | None = None,
    cancel_until: datetime | None = None,
) -> Appointment:
    return Appointment(
        appt_id=appt_id,
        scheduled_at=scheduled_at,
        service=service,
        status=status,
        address=address,
        fee=fee,
        currency=CURRENCY_CNY,
        free_until=free_until or scheduled_at - timedelta(days=1),
        cancel_until=cancel_until or scheduled_at - timedelta(hours=2),
    )


LONG_CHINESE_ADDRESS = "四川省成都市武侯区天府大道北段1700号环球中心E1区3楼301室（请从北门进入，到前台登记）"
ENGLISH_ADDRESS = "Flat 12, 221B Baker Street, Marylebone, London NW1 6XE, United Kingdom"

# Earliest first, as the host lists them; "now" is NOW.
IN_PROGRESS = appointment(
    "A20261127004",
    datetime(2026, 11, 27, 9, 0),
    service=Service.TRAINING,
    status=Status.IN_PROGRESS,
    address="成都市青羊区人民南路一段86号",
    fee=8000,
    free_until=datetime(2026, 11, 26, 9, 0),
    cancel_until=datetime(2026, 11, 27, 7, 0),
)
TOO_LATE = appointment(
    "A20261127003",
    datetime(2026, 11, 27, 11, 0),
    service=Service.REPLACEMENT,
    address="成都市锦江区春熙路88号",
    fee=8000,
    free_until=datetime(2026, 11, 26, 11, 0),
    cancel_until=datetime(2026, 11, 27, 9, 0),
)
FREE = appointment(
    "A20261128001",
    datetime(2026, 11, 28, 10, 0),
    service=Service.INSTALLATION,
    address=LONG_CHINESE_ADDRESS,
    fee=0,
    free_until=datetime(2026, 11, 27, 18, 0),
    cancel_until=datetime(2026, 11, 28, 8, 0),
)
WITH_FEE = appointment(
    "A20261129002",
    datetime(2026, 11, 29, 14, 30),
    service=Service.REPAIR,
    address=ENGLISH_ADDRESS,
    fee=5000,
    free_until=datetime(2026, 11, 26, 14, 30),
    cancel_until=datetime(2026, 11, 29, 12, 30),
)
FIXED_APPOINTMENTS = (IN_PROGRESS, TOO_LATE, FREE, WITH_FEE)


def many_appointments(count: int) -> list[Appointment]:
    """`count` free appointments a day apart, for paging."""
    return [
        appointment(
            f"B202612{day:02d}{day:03d}",
            datetime(2026, 12, day, 9 + day % 8, 0),
            service=Service(1 + day % 5),
            address=f"成都市高新区天府软件园{day}号楼",
            free_until=datetime(2026, 12, day, 0, 0) - timedelta(days=1),
        )
        for day in range(1, count + 1)
    ]


# -- what the host does with the next cancel()


@dataclass
class Ok:
    cancel_ref: str
    fee_charged: int | None = None  # None: the fee the merchant accepted


@dataclass
class Refuse:
    result: Result
    fee: int | None = None  # FEE_CHANGED's current fee
    message: str | None = None


def FeeChanged(fee: int) -> Refuse:  # noqa: N802 - reads as one of the outcomes
    return Refuse(Result.FEE_CHANGED, fee=fee)


@dataclass
class LinkDown:
    """cancel() raises LinkFailure: nothing recorded or sent."""

    message: str = "the host did not take the request after 3 sends"


@dataclass
class Unknown:
    """No answer: UNKNOWN; `settles_after` more settle() calls stay unknown, then `then`."""

    then: Ok | Refuse
    settles_after: int = 0


CancelScript = Ok | Refuse | LinkDown | Unknown


@dataclass
class ScriptedClient:
    journal: Journal
    appointments: list[Appointment] = field(default_factory=lambda: list(FIXED_APPOINTMENTS))
    clock: Callable[[], datetime] = lambda: NOW
    tid: str = TID
    merchant_id: str = MERCHANT_ID
    operator_id: str = "00"

    def __post_init__(self) -> None:
        # Scripts: the next answers, in order; when empty, the host answers normally.
        self.list_script: deque[BaseException | None] = deque()
        self.cancel_script: deque[CancelScript] = deque()
        self.echo_script: deque[BaseException | EchoResult] = deque()
        # Cleared by a test to hold list and cancel calls "before the request leaves".
        self.gate = threading.Event()
        self.gate.set()
        self.list_calls: list[int] = []
        self.cancel_calls: list[tuple[str, Reason, int]] = []
        self.settle_calls: list[str] = []
        self.echo_calls = 0
        self._unknown: dict[str, Unknown] = {}
        self._cancelled: set[str] = set()
        self._refs = 0
        self.line = SimpleNamespace(url="socket://127.0.0.1:7001")
        self.baud = 115200
        self.timers = Timers()
        self._counters = LinkCounters(
            frames_in=12, frames_out=12, acks_in=12, acks_out=12, naks_in=1, resends=1, noise_bytes=3
        )
        # As protocol.trace.format_record writes them: decoded frame, then " | " and the hex.
        self._trace = [
            "09:29:58.120 -> FRAME LIST_REQ seq=5 tid=TEST0001: MERCHANT_ID = 898440358120001, "
            "PAGE = 0 | 020028011000055445535430303031010f383938343430333538313230303031070100",
            "09:29:58.131 <- ACK",
            "09:29:58.402 <- FRAME LIST_RESP seq=5 tid=TEST0001: RESULT = 0 (OK), TOTAL = 0, "
            "PAGE = 0 | 020024019000055445535430303031050100080200000701006b2c",
            "09:29:58.403 -> ACK",
        ]

    # -- what the technician sees

    @property
    def counters(self) -> LinkCounters:
        return self._counters.snapshot()

    def trace_lines(self, last: int = 20) -> list[str]:
        return self._trace[-last:]

    # -- requests

    def _hold(self, abort: threading.Event | None) -> None:
        """Wait at the gate, as a request waits for the line; Esc (abort) is honoured here."""
        waited = 0.0
        while not self.gate.wait(0.01):
            waited += 0.01
            if abort is not None and abort.is_set():
                raise Aborted()
            if waited > HOLD_LIMIT_S:
                raise LinkFailure("scripted client: held too long")
        if abort is not None and abort.is_set():
            raise Aborted()

    def echo(self) -> EchoResult:
        self.echo_calls += 1
        answer = self.echo_script.popleft() if self.echo_script else EchoResult(0.012, self.clock())
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def list_appointments(
        self,
        page: int = 0,
        *,
        on_sent: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> AppointmentPage:
        self.list_calls.append(page)
        self._hold(abort)
        if on_sent is not None:
            on_sent()
        scripted = self.list_script.popleft() if self.list_script else None
        if scripted is not None:
            raise scripted
        listed = [a for a in self.appointments if a.appt_id not in self._cancelled]
        return AppointmentPage(
            total=len(listed),
            page=page,
            appointments=tuple(listed[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]),
        )

    def cancel(
        self,
        appointment: Appointment,
        reason: Reason,
        fee_accepted: int,
        *,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> CancelOutcome:
        progress = on_progress or (lambda _stage: None)
        self.cancel_calls.append((appointment.appt_id, Reason(reason), fee_accepted))
        earlier = self.journal.unsettled_for_appointment(appointment.appt_id)
        if earlier is not None:
            outcome = self.settle(earlier.request_id, on_progress=progress)
            if not outcome.settled or outcome.attempt.cancel_ref:
                return outcome
        script = self.cancel_script.popleft() if self.cancel_script else Ok(self._next_ref())
        if isinstance(script, LinkDown):
            raise LinkFailure(script.message)
        now = self.clock()
        attempt = self.journal.record_attempt(
            request_id=self.journal.next_request_id(self.tid),
            appt_id=appointment.appt_id,
            merchant_id=self.merchant_id,
            tid=self.tid,
            operator_id=self.operator_id,
            reason=reason,
            fee_accepted=fee_accepted,
            created_at=now,
            scheduled_at=appointment.scheduled_at,
            service=appointment.service,
            address=appointment.address,
        )
        self.journal.mark_sent(attempt.request_id)
        progress(Progress.SENDING)
        progress(Progress.SENT)
        self._hold(None)  # the host has it; the answer is held
        if isinstance(script, Unknown):
            progress(Progress.CONFIRMING)
            self.journal.mark_unknown(attempt.request_id)
            self._unknown[attempt.request_id] = script
        else:
            self._decide(attempt.request_id, appointment.appt_id, fee_accepted, script)
        return CancelOutcome(self.journal.get(attempt.request_id))  # type: ignore[arg-type]

    def settle(
        self, request_id: str, *, on_progress: Callable[[Progress], None] | None = None
    ) -> CancelOutcome:
        self.settle_calls.append(request_id)
        attempt = self.journal.get(request_id)
        if attempt is None:
            raise KeyError(request_id)
        if attempt.settled:
            return CancelOutcome(attempt)
        if on_progress is not None:
            on_progress(Progress.CONFIRMING)
        script = self._unknown.get(request_id)
        if script is None:
            return CancelOutcome(attempt)  # nobody scripted an answer: it stays unknown
        if script.settles_after > 0:
            script.settles_after -= 1
            return CancelOutcome(attempt)
        del self._unknown[request_id]
        self._decide(request_id, attempt.appt_id, attempt.fee_accepted, script.then)
        return CancelOutcome(self.journal.get(request_id))  # type: ignore[arg-type]

    def close(self) -> None:
        pass

    # -- the host's side

    def _next_ref(self) -> str:
        self._refs += 1
        return f"C2026112700{self._refs:04d}"

    def _decide(self, request_id: str, appt_id: str, fee_accepted: int, script: Ok | Refuse) -> None:
        now = self.clock()
        if isinstance(script, Ok):
            self.journal.mark_cancelled(
                request_id,
                cancel_ref=script.cancel_ref,
                fee_charged=fee_accepted if script.fee_charged is None else script.fee_charged,
                currency=CURRENCY_CNY,
                host_time=now,
                settled_at=now,
            )
            self._cancelled.add(appt_id)
        else:
            self.journal.mark_refused(request_id, script.result, now, fee=script.fee, message=script.message)
