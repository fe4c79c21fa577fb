"""The host client: one request at a time over the serial line, every call ending within a bound,
and cancellations carried out exactly once (docs/protocol.md §7): journaled before they leave, settled
with STATUS_REQ when the answer is lost, never retried under a new REQUEST_ID while unknown."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, fields, replace
from datetime import datetime
from enum import Enum
from typing import Callable, ClassVar

from protocol import (
    Appointment,
    CancelRequest,
    EchoRequest,
    ErrorResponse,
    FailureReason,
    FrameDropped,
    LinkCounters,
    ListRequest,
    ListResponse,
    Reason,
    Request,
    RequestAccepted,
    RequestFailed,
    ResponseReceived,
    Result,
    StatusRequest,
    TerminalConnection,
    Timers,
    TraceRecord,
)
from protocol.connection import MAC_NOT_VERIFIED
from protocol.enums import MAX_FRAME
from protocol.link import MAX_SENDS, wire_time
from protocol.messages import MAX_APPOINTMENTS_PER_PAGE
from protocol.trace import format_record
from terminal.journal import AppointmentUnsettledError, Attempt, AttemptState, Journal, JournalError
from terminal.transport import LineDown, LinkDriver, PortHeld, PortHolder, SerialLine, Tap

log = logging.getLogger("pos_terminal.client")

SETTLE_TRIES = 3
SETTLE_BACKOFF = (0.5, 1.0, 2.0)
TRACE_KEPT = 200
# The trace records of the host taking our request: its ACK, or its answer before the ACK.
ACCEPTING_KINDS = frozenset({"ack", "implicit-ack"})


class LinkProblem(Enum):
    """Why a request got no answer, as far as the terminal can tell."""

    PORT = "port"  # the port could not be opened, or failed while in use
    PORT_HELD = "port-held"  # another program holds the port
    DEAD_LINE = "dead-line"  # sent 3 times, and not one byte came back: no ACK, no NAK, nothing
    NOISY_LINE = "noisy-line"  # never ACKed though NAKs or garbage came back, or only a garbled answer came
    NO_ANSWER = "no-answer"  # ACKed by the host, but nothing more came within T_RESP
    ANSWER_NOT_VERIFIED = "answer-not-verified"  # answers came, but their MAC did not verify with our key


class LinkFailure(Exception):
    """The host could not be reached or did not answer in time; nothing was decided by it.

    `problem`: which way it failed (None: not said). `port`: the line's. `seen`: what came back
    from the host while the request was sent, as the link counted it. `holders`: for PORT_HELD,
    who has the port open, as far as the system says."""

    def __init__(
        self,
        message: str,
        problem: LinkProblem | None = None,
        *,
        port: str | None = None,
        seen: LinkCounters | None = None,
        holders: tuple[PortHolder, ...] = (),
    ) -> None:
        super().__init__(message)
        self.problem = problem
        self.port = port
        self.seen = seen
        self.holders = holders


class HostError(Exception):
    """The host answered ERROR (BUSY, BAD_MAC, …): the request was not carried out."""

    def __init__(self, result: Result, message: str | None, verified: bool) -> None:
        super().__init__(f"host answered ERROR {result.name}" + (f": {message}" if message else ""))
        self.result = result
        self.message = message
        self.verified = verified


class HostRefusal(Exception):
    """The host refused a LIST (NOT_AUTHORISED: this terminal is not bound to the merchant)."""

    def __init__(self, result: Result, message: str | None) -> None:
        super().__init__(f"host refused: {result.name}" + (f": {message}" if message else ""))
        self.result = result
        self.message = message


class Aborted(Exception):
    """The caller gave up before the request left the terminal."""


class Progress(Enum):
    SENDING = "sending"  # written to the line, ACK awaited
    SENT = "sent"  # ACKed by the host: it has the request, Esc can no longer take it back
    CONFIRMING = "confirming"  # no valid answer: settling with STATUS_REQ


@dataclass(frozen=True)
class AnswerAwaited:
    """The host ACKed a request (any request: Progress.SENT is a cancellation's): its answer is
    awaited `seconds` at most."""

    stage: ClassVar[Progress] = Progress.SENT
    at: datetime
    request: str  # the request's type, as CANCEL_REQ
    seq: int
    seconds: float


@dataclass(frozen=True)
class Settling:
    """One STATUS_REQ of a settle round (Progress.CONFIRMING), sent after a pause of `pause` seconds."""

    stage: ClassVar[Progress] = Progress.CONFIRMING
    at: datetime
    request_id: str
    try_number: int
    tries: int
    pause: float


@dataclass(frozen=True)
class EchoResult:
    round_trip: float  # seconds, request sent to response received
    host_time: datetime


@dataclass(frozen=True)
class AppointmentPage:
    total: int
    page: int
    appointments: tuple[Appointment, ...]
    message: str | None = None

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // MAX_APPOINTMENTS_PER_PAGE))


@dataclass(frozen=True)
class CancelOutcome:
    """Where a cancellation stands, as the journal now records it.

    `earlier`: the journal already held this appointment's cancellation, so the host was not
    asked again. `journal_problem`: the host's answer could not be written to the journal; the
    attempt is kept pending there and reported as unknown until it is settled. `last_failure`:
    for an outcome still unknown, why the host's answer did not settle it."""

    attempt: Attempt
    earlier: bool = False
    journal_problem: str | None = None
    last_failure: LinkFailure | HostError | None = None

    @property
    def state(self) -> AttemptState:
        return self.attempt.state

    @property
    def settled(self) -> bool:
        return self.attempt.settled


@dataclass(frozen=True)
class TraceLine:
    at: datetime
    record: TraceRecord

    def text(self) -> str:
        return format_record(self.record, self.at.strftime("%H:%M:%S.%f")[:-3])


# What a live view hears from the client (pos-terminal --verbose), as it happens: every link
# happening, as the trace keeps it, and the client's own steps between them.
Listener = Callable[[TraceLine | AnswerAwaited | Settling], None]


class HostClient:
    def __init__(
        self,
        *,
        tid: str,
        merchant_id: str,
        operator_id: str,
        key: bytes,
        line: SerialLine,
        journal: Journal,
        timers: Timers = Timers(),
        baud: int | None = None,
        wall_clock: Callable[[], datetime] = datetime.now,
        monotonic: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
        settle_backoff: tuple[float, ...] = SETTLE_BACKOFF,
        tap: Tap | None = None,
    ) -> None:
        self.tid = tid
        self.merchant_id = merchant_id
        self.operator_id = operator_id
        self.journal = journal
        self.timers = timers
        self.baud = baud
        self._wall = wall_clock
        self._mono = monotonic
        self._pause = pause
        self._settle_backoff = settle_backoff
        self._trace: deque[TraceLine] = deque(maxlen=TRACE_KEPT)
        self._listener: Listener | None = None
        self._connection = TerminalConnection(
            tid, key, timers=timers, baud=baud, tracer=self._keep_trace
        )
        self._driver = LinkDriver(line, self._connection, clock=monotonic, tap=tap)
        # One request at a time: the UI's worker and the background settler share this client.
        self._lock = threading.RLock()
        self.dropped_frames = 0

    @property
    def line(self) -> SerialLine:
        return self._driver.line

    @line.setter
    def line(self, line: SerialLine) -> None:
        """Talk over another line from the next request on (close this one first)."""
        self._driver.line = line

    # -- what the technician sees

    @property
    def counters(self) -> LinkCounters:
        return self._connection.counters.snapshot()

    def trace_entries(self, last: int = 20) -> list[TraceLine]:
        return list(self._trace)[-last:]

    def trace_lines(self, last: int = 20) -> list[str]:
        return [entry.text() for entry in self.trace_entries(last)]

    def listen(self, listener: Listener | None) -> None:
        """Tell `listener` every link happening and step from now on (None: stop telling), on
        the thread making the request."""
        self._listener = listener

    def exchange_bound(self) -> float:
        """The longest one request/response exchange can take before the call gives up."""
        request_time = MAX_SENDS * (self.timers.t_ack + wire_time(MAX_FRAME, self.baud))
        return request_time + self.timers.t_resp + self.timers.t_char + wire_time(MAX_FRAME, self.baud)

    def settle_bound(self) -> float:
        """The longest one settle round can take: SETTLE_TRIES STATUS exchanges, one resend of
        the CANCEL_REQ among them, and the pauses between."""
        pauses = sum(
            self._settle_backoff[min(i, len(self._settle_backoff) - 1)] for i in range(SETTLE_TRIES - 1)
        )
        return (SETTLE_TRIES + 1) * self.exchange_bound() + pauses

    def cancel_bound(self) -> float:
        """The longest cancel() can take: settling an earlier unknown attempt for the same
        appointment, then the request, then a settle round of its own."""
        return 2 * self.settle_bound() + self.exchange_bound()

    # -- requests

    def echo(self) -> EchoResult:
        with self._lock:
            started = self._mono()
            event = self._answer_or_raise(EchoRequest(self._wall().replace(microsecond=0)))
            return EchoResult(self._mono() - started, event.response.timestamp)  # type: ignore[union-attr]

    def list_appointments(
        self,
        page: int = 0,
        *,
        on_sent: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> AppointmentPage:
        with self._lock:
            event = self._answer_or_raise(
                ListRequest(self.merchant_id, page), on_sent=on_sent, abort=abort
            )
            response = event.response
            assert isinstance(response, ListResponse)
            if response.result is not Result.OK:
                raise HostRefusal(response.result, response.message)
            return AppointmentPage(response.total, response.page, response.appointments, response.message)

    def cancel(
        self,
        appointment: Appointment | str,
        reason: Reason,
        fee_accepted: int,
        *,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> CancelOutcome:
        """Cancel once. `appointment` is the one the merchant saw, or only its APPT_ID when the
        caller never saw it listed. Raises LinkFailure only when nothing was recorded or sent."""
        progress = on_progress or (lambda _stage: None)
        if isinstance(appointment, str):
            appt_id, scheduled_at, service, address = appointment, None, None, None
        else:
            appt_id = appointment.appt_id
            scheduled_at, service, address = (
                appointment.scheduled_at, appointment.service, appointment.address
            )
        with self._lock:
            done = self.journal.cancelled_for_appointment(appt_id)
            if done is not None:
                # Cancelled by this terminal already (an answer settled after a power cut, a
                # repeated command): that is the outcome; asking again would only be refused.
                return CancelOutcome(done, earlier=True)
            earlier = self.journal.unsettled_for_appointment(appt_id)
            if earlier is not None:
                # Never a second REQUEST_ID while the first one's outcome is unknown.
                outcome = self._settle_recorded(earlier, progress)
                if not outcome.settled or outcome.state is AttemptState.CANCELLED:
                    return outcome
            try:
                self.line.open()
            except LineDown as exc:
                raise self._line_failure(exc) from None
            now = self._wall().replace(microsecond=0)
            # Written before the request leaves; if this fails, nothing was sent.
            try:
                attempt = self.journal.record_attempt(
                    appt_id=appt_id,
                    merchant_id=self.merchant_id,
                    tid=self.tid,
                    operator_id=self.operator_id,
                    reason=reason,
                    fee_accepted=fee_accepted,
                    created_at=now,
                    scheduled_at=scheduled_at,
                    service=service,
                    address=address,
                    sending=True,
                )
            except AppointmentUnsettledError:
                raise
            except JournalError as exc:
                raise JournalError(f"{exc} The cancellation was not sent.") from None
            try:
                if self._send_cancel(attempt, progress, counted=True) is None:
                    return self._outcome(attempt)
                self.journal.mark_unknown(attempt.request_id)
                return self._settle(self._reload(attempt), progress)
            except JournalError as exc:
                return self._unrecorded(attempt, exc)

    def settle(
        self, request_id: str, *, on_progress: Callable[[Progress], None] | None = None
    ) -> CancelOutcome:
        """One settle round for an unsettled cancellation; a settled one is returned as it is."""
        with self._lock:
            attempt = self.journal.get(request_id)
            if attempt is None:
                raise KeyError(request_id)
            if attempt.settled:
                return CancelOutcome(attempt)
            return self._settle_recorded(attempt, on_progress or (lambda _stage: None))

    def close(self) -> None:
        with self._lock:
            self.line.close()

    # -- cancellation internals

    def _settle_recorded(self, attempt: Attempt, progress: Callable[[Progress], None]) -> CancelOutcome:
        """_settle, with a journal that fails to take the answer reported as unknown."""
        try:
            return self._settle(attempt, progress)
        except JournalError as exc:
            return self._unrecorded(attempt, exc)

    def _unrecorded(self, attempt: Attempt, problem: JournalError) -> CancelOutcome:
        """The request left but its outcome could not be written: unknown until settled. The
        journal still holds the attempt (written before it was sent), so the next settle round,
        at the latest the next start, asks the host again and records the host's answer."""
        log.info("cancellation %s: %s", attempt.request_id, problem)  # the outcome says it
        return CancelOutcome(replace(attempt, state=AttemptState.UNKNOWN), journal_problem=str(problem))

    def _settle(self, attempt: Attempt, progress: Callable[[Progress], None]) -> CancelOutcome:
        progress(Progress.CONFIRMING)
        failure: LinkFailure | HostError | None = None
        for try_number in range(SETTLE_TRIES):
            pause = self._settle_backoff[min(try_number - 1, len(self._settle_backoff) - 1)] if try_number else 0.0
            self._tell(Settling(self._wall(), attempt.request_id, try_number + 1, SETTLE_TRIES, pause))
            if pause:
                self._pause(pause)
            event = self._exchange(StatusRequest(attempt.request_id))
            if isinstance(event, LinkFailure):
                log.info("settling %s: %s", attempt.request_id, event)
                failure = event
                continue
            if isinstance(event.response, ErrorResponse):
                failure = HostError(event.response.result, event.response.message, event.verified)
                continue  # BUSY, say: ask again after a pause
            answer = event.response
            if answer.appt_id is not None and answer.appt_id != attempt.appt_id:
                # The host holds this REQUEST_ID for another appointment (a journal that was
                # replaced numbers from 1 again): it never processed this one, and never will.
                self.journal.mark_refused(
                    attempt.request_id, Result.UNKNOWN_REQUEST, self._wall(),
                    message=f"the host holds request {attempt.request_id} for appointment "
                    f"{answer.appt_id}; nothing was cancelled",
                )
                log.error("request id %s is the host's for %s, not %s", attempt.request_id, answer.appt_id, attempt.appt_id)
                return self._outcome(attempt)
            if answer.result is not Result.UNKNOWN_REQUEST:
                self.journal.record_answer(attempt.request_id, answer, self._wall())  # type: ignore[arg-type]
                return self._outcome(attempt)
            if attempt.send_count >= 2:
                # Sent, resent, and the host still never processed it: nothing was cancelled.
                self.journal.mark_refused(
                    attempt.request_id, Result.UNKNOWN_REQUEST, self._wall(),
                    message="the host never received this cancellation; nothing was cancelled",
                )
                return self._outcome(attempt)
            # The host never processed it: the same CANCEL_REQ may go once more (§7).
            failure = self._send_cancel(attempt, progress)
            if failure is None:
                return self._outcome(attempt)
            attempt = self._reload(attempt)
        if attempt.state is AttemptState.PENDING:
            self.journal.mark_unknown(attempt.request_id)
        return CancelOutcome(self._reload(attempt), last_failure=failure)

    def _send_cancel(
        self, attempt: Attempt, progress: Callable[[Progress], None], *, counted: bool = False
    ) -> LinkFailure | HostError | None:
        """Send the attempt's CANCEL_REQ; None when the answer settled it, else why it did not.
        `counted`: the journal already counts this send (recorded with the attempt)."""
        request = CancelRequest(
            merchant_id=attempt.merchant_id,
            appt_id=attempt.appt_id,
            request_id=attempt.request_id,
            reason=attempt.reason,
            fee_accepted=attempt.fee_accepted,
            operator_id=attempt.operator_id,
            timestamp=attempt.created_at,
        )
        if not counted:
            self.journal.mark_sent(attempt.request_id)  # counted before it can leave
        progress(Progress.SENDING)
        event = self._exchange(request, on_sent=lambda: progress(Progress.SENT))
        if isinstance(event, LinkFailure):
            log.info("cancellation %s: %s", attempt.request_id, event)
            return event
        answer = event.response
        if isinstance(answer, ErrorResponse):
            if not event.verified:
                # Could be forged: the outcome stays unknown (§7).
                return HostError(answer.result, answer.message, verified=False)
            self.journal.mark_refused(
                attempt.request_id, answer.result, self._wall(), message=answer.message
            )
            return None
        self.journal.record_answer(attempt.request_id, answer, self._wall())  # type: ignore[arg-type]
        return None

    def _reload(self, attempt: Attempt) -> Attempt:
        fresh = self.journal.get(attempt.request_id)
        assert fresh is not None
        return fresh

    def _outcome(self, attempt: Attempt) -> CancelOutcome:
        return CancelOutcome(self._reload(attempt))

    # -- one exchange on the line

    def _answer_or_raise(
        self,
        request: Request,
        *,
        on_sent: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> ResponseReceived:
        event = self._exchange(request, on_sent=on_sent, abort=abort)
        if isinstance(event, LinkFailure):
            raise event
        if isinstance(event.response, ErrorResponse):
            raise HostError(event.response.result, event.response.message, event.verified)
        return event

    def _exchange(
        self,
        request: Request,
        *,
        on_sent: Callable[[], None] | None = None,
        abort: threading.Event | None = None,
    ) -> ResponseReceived | LinkFailure:
        """Send one request and wait for its answer, or say why none came."""
        connection, driver = self._connection, self._driver
        try:
            self.line.open()
        except LineDown as exc:
            return self._line_failure(exc)
        try:
            # What arrived between requests (a late answer to an earlier one) is answered and
            # dropped, so it cannot pass for the ACK of this one.
            self._note_dropped(driver.drain(), "discarded a late frame", logging.INFO)
            if abort is not None and abort.is_set():
                raise Aborted()
            connection.next_seq = self.journal.next_seq()
            deadline = self._mono() + self.exchange_bound()
            before = connection.counters.snapshot()
            unverified = False  # an answer came whose MAC did not verify with our key
            driver.send(connection.send(request, self._mono()))
            while True:
                for event in driver.step(waiting=True):
                    if isinstance(event, RequestAccepted):
                        if on_sent is not None:
                            on_sent()
                    elif isinstance(event, ResponseReceived):
                        return event  # the step wrote our ACK of the answer
                    elif isinstance(event, RequestFailed):
                        return self._no_answer(event.reason, _growth(before, connection.counters), unverified)
                    else:
                        unverified |= isinstance(event, FrameDropped) and event.reason == MAC_NOT_VERIFIED
                        self._note_dropped([event], "dropped a frame from the host", logging.WARNING)
                if self._mono() > deadline:
                    # Only a line that keeps a frame half-received forever gets here.
                    connection.abandon()
                    return self._no_answer(FailureReason.TIMEOUT, _growth(before, connection.counters), unverified)
        except LineDown as exc:
            connection.abandon()
            return self._line_failure(exc)

    def _no_answer(self, reason: FailureReason, seen: LinkCounters, unverified: bool) -> LinkFailure:
        """Why a request sent got no answer, from what came back while it was sent (`seen`)."""
        garbled = (f"NAKs {seen.naks_in}, noise bytes {seen.noise_bytes}, bad frames {seen.bad_frames}, "
                   f"incomplete frames {seen.abandoned_frames}")
        garbage = seen.noise_bytes + seen.bad_frames + seen.abandoned_frames
        if reason is FailureReason.LINK:
            if garbage + seen.naks_in + seen.acks_in + seen.frames_in + seen.duplicates == 0:
                problem = LinkProblem.DEAD_LINE
                message = f"the host did not take the request after {MAX_SENDS} sends; nothing came back"
            else:
                problem = LinkProblem.NOISY_LINE
                message = f"the host did not take the request after {MAX_SENDS} sends; what came back: {garbled}"
        elif unverified:
            problem, message = LinkProblem.ANSWER_NOT_VERIFIED, "the host's answer did not verify with this terminal's key"
        elif garbage:
            problem, message = LinkProblem.NOISY_LINE, f"the host's answer came garbled: {garbled}"
        else:
            problem, message = LinkProblem.NO_ANSWER, "the host did not answer in time"
        return LinkFailure(message, problem, port=self.line.url, seen=seen)

    def _line_failure(self, down: LineDown) -> LinkFailure:
        if isinstance(down, PortHeld):
            return LinkFailure(str(down), LinkProblem.PORT_HELD, port=down.port, holders=down.holders)
        return LinkFailure(str(down), LinkProblem.PORT, port=self.line.url)

    def _note_dropped(self, events: list[object], what: str, level: int) -> None:
        """A late answer drained before a request is expected after a restart (INFO); a frame
        that is not the answer while one is awaited is not (WARNING)."""
        for event in events:
            if isinstance(event, FrameDropped):
                self.dropped_frames += 1
                log.log(level, "%s: %s", what, event.reason)

    def _keep_trace(self, record: TraceRecord) -> None:
        line = TraceLine(self._wall(), record)
        self._trace.append(line)
        self._tell(line)
        outstanding = self._connection.outstanding
        if record.direction == "rx" and record.kind in ACCEPTING_KINDS and outstanding is not None:
            # Told here, not at RequestAccepted: an answer read with its ACK is traced before
            # that event comes out, and the wait began before the answer.
            request, seq = outstanding
            self._tell(AnswerAwaited(line.at, request.TYPE.name, seq, self.timers.t_resp))

    def _tell(self, news: TraceLine | AnswerAwaited | Settling) -> None:
        if self._listener is not None:
            self._listener(news)


def _growth(before: LinkCounters, after: LinkCounters) -> LinkCounters:
    """How much each counter grew from `before` to `after`."""
    return LinkCounters(**{f.name: getattr(after, f.name) - getattr(before, f.name) for f in fields(LinkCounters)})

