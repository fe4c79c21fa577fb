"""The host's serving loop: one thread per serial line, bytes to HostConnection, requests to HostLogic.

Any pyserial URL serves: /dev/tty*, a pty path (the simulated cable), socket://host:port. A line
that vanishes (USB unplugged, cable stopped) is logged and reopened with backoff; it never takes
the other lines or the process down with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TextIO

from protocol.connection import HostConnection, RequestReceived, RequestRefused, ResponseAbandoned
from protocol.link import Timers, TraceRecord
from protocol.messages import CancelRequest, Response
from protocol.states import State
from protocol.trace import format_record
from simulator.data import ServiceAppointment, SimulatorData
from simulator.faults import JUNK_BYTES, Fault, FaultBoard, FaultKind
from simulator.host import HostLogic
from simulator.host_activity import HostActivity
from simulator.store import Cancellation, HostStore, LoadSummary
from terminal.capture_file import CaptureFile
from terminal.transport import Backoff, LineDown, LinkDriver, SerialLine

log = logging.getLogger(__name__)

# A host's port is retried sooner than a terminal's: a cable restarted by a technician should be
# served again before the terminal's next request.
_FIRST_BACKOFF = 0.1
_STOP_JOIN_TIMEOUT = 5.0
_FIRST_OPEN_TIMEOUT = 5.0  # start() waits at most this for a line's first open


@dataclass
class _HeldResponse:
    event: RequestReceived | RequestRefused
    response: Response
    send_at: float  # time.monotonic()
    junk: bool = False  # a fault: junk bytes just before it
    gap: float | None = None  # a fault: written in two writes this many seconds apart


class HostServer:
    """Serve the host's side of the protocol on every port in `ports` until stop().

    `delay` (seconds) holds each response back after the request is decided and ACKed, to push a
    terminal past its T_RESP; `busy_rate` answers that share of requests with ERROR BUSY (from a
    random stream seeded with `seed`): both are standing faults on a board of their own
    (FaultBoard.for_host), so one place decides. `trace` receives one line per thing on the line,
    both ways; `capture` every byte read and written on every line, named by its port's URL.

    For a live console: `faults` says what the next answers get (simulator/faults.py; give
    busy_rate and delay through it, not beside it), `activity` is told each line's state,
    everything traced on it and what the host would log (simulator/host_activity.py), and
    `data_source` reads the data file again for reload_data().
    """

    def __init__(
        self,
        ports: list[str],
        store_path: str | Path,
        *,
        baud: int = 115200,
        clock: Callable[[], datetime] = datetime.now,
        timers: Timers = Timers(),
        trace: TextIO | None = None,
        busy_rate: float = 0.0,
        delay: float = 0.0,
        seed: int | None = None,
        capture: CaptureFile | None = None,
        faults: FaultBoard | None = None,
        activity: HostActivity | None = None,
        data_source: Callable[[], SimulatorData] | None = None,
    ) -> None:
        if not ports:
            raise ValueError("give the host at least one port to serve")
        if not 0.0 <= busy_rate <= 1.0:
            raise ValueError(f"busy_rate must be a probability from 0 to 1, not {busy_rate!r}")
        if delay < 0:
            raise ValueError(f"delay cannot be negative ({delay!r} s)")
        if faults is not None and (busy_rate or delay):
            raise ValueError("give busy_rate and delay as standing faults of the board passed in `faults`")
        self.ports = list(ports)
        self.store_path = Path(store_path)
        self.baud = baud
        self.timers = timers
        self._clock = clock
        self._trace = trace
        self._trace_lock = threading.Lock()
        self._capture = capture
        self.faults = faults or FaultBoard.for_host(busy_share=busy_rate, delay_ms=round(delay * 1000), seed=seed)
        self.activity = activity
        self._data_source = data_source
        self._stopping = threading.Event()
        self._store: HostStore | None = None
        self._threads: list[threading.Thread] = []

    # -- life cycle

    def start(self) -> HostServer:
        if self._store is not None:
            raise RuntimeError("this host is already serving; make a new HostServer")
        self._store = HostStore(self.store_path)
        self._stopping.clear()  # a HostServer stopped may be started again
        logic = HostLogic(self._store, self._clock)
        tried = [threading.Event() for _url in self.ports]
        self._threads = [
            threading.Thread(target=self._serve_port, args=(url, logic, first), name=f"host {url}", daemon=True)
            for url, first in zip(self.ports, tried)
        ]
        for thread in self._threads:
            thread.start()
        # Back once every line has been tried: one that opened is read from from now on (opening
        # flushes what the line held before, so a request sent earlier would be lost unseen).
        deadline = time.monotonic() + _FIRST_OPEN_TIMEOUT
        for first in tried:
            first.wait(max(0.0, deadline - time.monotonic()))
        return self

    def stop(self) -> None:
        """Stop serving: every thread notices within a read timeout, closes its port and ends."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(_STOP_JOIN_TIMEOUT)
            if thread.is_alive():
                log.error("%s did not stop within %s s", thread.name, _STOP_JOIN_TIMEOUT)
        if self._store is not None:
            self._store.close()
            self._store = None
        self._threads = []

    def __enter__(self) -> HostServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def serving(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._clock

    # -- the store, for a live console (any thread; the store serialises its own access)

    def appointments(self) -> list[ServiceAppointment]:
        return self._serving_store().appointments()

    def cancellations(self) -> list[Cancellation]:
        return self._serving_store().cancellations()

    def reset_to_booked(self, appt_id: str) -> None:
        """Make one appointment booked again, so it can be cancelled once more; the requests
        that cancelled it keep their stored answers (a repeat still gets the same one)."""
        self._serving_store().reset_to_booked(appt_id)
        self._store_changed()

    @property
    def can_reload(self) -> bool:
        return self._data_source is not None

    def reload_data(self) -> LoadSummary:
        """Read the data file again and merge it into the store, as a restart would."""
        if self._data_source is None:
            raise RuntimeError("this host was started without a data source to reload")
        summary = self._serving_store().load(self._data_source())
        self._store_changed()
        return summary

    def _serving_store(self) -> HostStore:
        if self._store is None:
            raise RuntimeError("the host is not serving; start() it first")
        return self._store

    def _store_changed(self) -> None:
        if self.activity is not None:
            self.activity.store_changed()

    # -- one port

    def _serve_port(self, url: str, logic: HostLogic, tried: threading.Event) -> None:
        try:
            self._keep_serving(url, logic, tried)
        finally:
            tried.set()  # however the thread ends, start() waits for it no longer

    def _keep_serving(self, url: str, logic: HostLogic, tried: threading.Event) -> None:
        line = SerialLine(
            url, self.baud, backoff=Backoff(first=_FIRST_BACKOFF, stable_for=Backoff.longest), wait_until_sent=False
        )
        # Said once when the line is lost and once when it is back, not on every retry.
        lost = False
        activity = self.activity
        if activity is not None:
            activity.line_waiting(url, self.baud)
        while not self._stopping.is_set():
            try:
                line.open()
            except LineDown:
                tried.set()
                if activity is not None:
                    activity.line_lost(url, line.last_problem or "")
                if not lost:
                    lost = True
                    self._say(logging.WARNING, f"{url}: {line.last_problem}; trying again, {Backoff.longest:.1f} s apart at most")
                self._stopping.wait(line.retry_in())
                continue
            tried.set()
            if activity is not None:
                activity.line_opened(url, self.baud)
            if lost:
                self._say(logging.WARNING, f"{url}: open again")
                lost = False
            try:
                self._serve_line(url, line, logic)
            except LineDown:
                lost = True
                if activity is not None:
                    activity.line_lost(url, line.last_problem or "")
                self._say(logging.WARNING, f"{url}: lost ({line.last_problem}); reopening")
            except Exception as problem:  # A bug must not kill the other ports; keep serving this one too.
                lost = True
                log.exception("%s: the serving loop failed; reopening", url)
                if activity is not None:
                    activity.note(f"{url}: the serving loop failed ({problem!r}); reopening")
                line.failed(f"the serving loop failed: {problem!r}")
            self._stopping.wait(line.retry_in())
        line.close()

    def _say(self, level: int, text: str) -> None:
        """Log `text`, and tell the activity feed too (a console owns the screen: no stderr there)."""
        log.log(level, text)
        if self.activity is not None:
            self.activity.note(text)

    def _serve_line(self, url: str, line: SerialLine, logic: HostLogic) -> None:
        """Serve one opening of the line until stop(), or until the line fails (LineDown).

        A reopened line starts with a fresh connection: half a frame or an unACKed response from
        before the loss means nothing to a terminal that may have restarted meanwhile. So does a
        line that went silent (a fault), once it speaks again."""
        driver = LinkDriver(
            line, self._new_connection(url), tap=self._capture.tap(url) if self._capture is not None else None
        )
        while not self._stopping.is_set():
            self._serve_connection(url, driver, logic)
            if self.faults is not None and not self._stopping.is_set():  # it went silent
                self._stay_silent(url, driver)
                driver.connection = self._new_connection(url)

    def _new_connection(self, url: str) -> HostConnection:
        return HostConnection(self._store_key_for, timers=self.timers, baud=self.baud, tracer=self._tracer(url))

    def _serve_connection(self, url: str, driver: LinkDriver, logic: HostLogic) -> None:
        """Serve the driver's connection until stop(), or until a fault makes the line silent."""
        connection = driver.connection
        assert isinstance(connection, HostConnection)
        faults = self.faults
        held: deque[_HeldResponse] = deque()
        while not self._stopping.is_set():
            if faults is not None and faults.silent:
                return  # what was held is lost with the line's voice
            # A response held back wakes the loop when it is due, once the line is free for it.
            wake_at = held[0].send_at if held and connection.state is State.IDLE else None
            events = driver.step(wake_at, waiting=bool(held))
            now = time.monotonic()
            for event in events:
                if isinstance(event, RequestRefused):
                    self._say(logging.INFO, f"{url}: refused SEQ {event.seq} from {event.tid}: {event.result.name} ({event.detail})")
                if isinstance(event, (RequestReceived, RequestRefused)):
                    if (answer := self._answer(url, event, logic, connection, now)) is not None:
                        held.append(answer)
                elif isinstance(event, ResponseAbandoned):
                    self._say(logging.WARNING, f"{url}: the terminal did not take a response after 3 sends")
                # A BadFrame is already NAKed and traced by the link; the terminal resends it.
            # The host finishes sending one response before it answers the next request (§2).
            if held and connection.state is State.IDLE and now >= held[0].send_at:
                answer = held.popleft()
                frame = connection.answer(answer.event, answer.response, now)
                if answer.junk or answer.gap is not None:
                    self._send_faulted(url, driver, answer, frame)
                else:
                    driver.send(frame)

    def _answer(
        self, url: str, event: RequestReceived | RequestRefused, logic: HostLogic, connection: HostConnection, now: float
    ) -> _HeldResponse | None:
        """The answer to `event` as the faults in force make it, or None when it is to be lost; the
        activity feed is told of each fault applied and of a cancel decided."""
        received = isinstance(event, RequestReceived)
        cancel = received and isinstance(event.request, CancelRequest)
        taken = self.faults.take(refused=not received, cancel=cancel) if self.faults is not None else ()
        busy = any(fault.kind is FaultKind.BUSY for fault in taken)
        response = logic.respond(event, busy=busy) if received else connection.refusal(event)
        activity = self.activity
        if activity is not None:
            if cancel and not busy:
                activity.store_changed()
            if taken:
                what = type(event.request).__name__ if received else f"refused request ({event.result.name})"
                for fault in taken:
                    activity.note(f"{url}: {fault.describe()}: applied to {what} SEQ {event.seq} from {event.tid}")
        if not taken:
            return _HeldResponse(event, response, now)
        if any(fault.kind is FaultKind.LOSE_ANSWER for fault in taken):
            return None  # decided (and stored, for a CANCEL_REQ), never sent: the terminal settles by STATUS_REQ
        late = sum(fault.milliseconds for fault in taken if fault.kind is FaultKind.LATE) / 1000
        gap = _split_gap(taken)
        return _HeldResponse(
            event, response, now + late, junk=any(fault.kind is FaultKind.JUNK for fault in taken), gap=gap
        )

    def _send_faulted(self, url: str, driver: LinkDriver, answer: _HeldResponse, frame: bytes) -> None:
        if answer.junk:
            driver.write(JUNK_BYTES)
            self._trace_host_bytes(url, "junk", JUNK_BYTES, "a fault: junk before the answer")
        if answer.gap is None:
            driver.send(frame)
        else:
            # The frame is traced by the link once, as made; the wire gets it in two writes.
            driver.send_split(frame, answer.gap, pause=self._stopping.wait)

    def _stay_silent(self, url: str, driver: LinkDriver) -> None:
        """A line gone silent: read and drop what arrives, answer nothing, until the fault is
        cleared or stop(). What arrives is still traced, as ignored."""
        faults = self.faults
        assert faults is not None
        self._say(logging.INFO, f"{url}: silent, as if unplugged: reading nothing, answering nothing")
        while not self._stopping.is_set() and faults.silent:
            data = driver.ignore(driver.busy_read)
            if data:
                self._trace_host_bytes(url, "ignored", data, "silent: read and dropped")
        if not self._stopping.is_set():
            self._say(logging.INFO, f"{url}: answering again, from a fresh state")

    def _trace_host_bytes(self, url: str, kind: str, data: bytes, note: str) -> None:
        """Bytes that crossed the line outside the link (a fault's), traced like the link's own."""
        tracer = self._tracer(url)
        if tracer is not None:
            direction = "rx" if kind == "ignored" else "tx"
            tracer(TraceRecord(time.monotonic(), direction, kind, data, note))

    def _store_key_for(self, tid: str) -> bytes | None:
        assert self._store is not None
        return self._store.key_for(tid)

    def _tracer(self, url: str) -> Callable[[TraceRecord], None] | None:
        stream, activity = self._trace, self.activity
        if stream is None and activity is None:
            return None

        def trace(record: TraceRecord) -> None:
            if activity is not None:
                activity.traced(url, record)
            if stream is not None:
                # Records are traced as they happen, so the wall clock now is the record's own time.
                wall = datetime.now().isoformat(sep=" ", timespec="milliseconds")
                line = format_record(record, f"{wall} {url}")
                with self._trace_lock:
                    stream.write(line + "\n")
                    stream.flush()

        return trace


def _split_gap(taken: tuple[Fault, ...]) -> float | None:
    for fault in taken:
        if fault.kind is FaultKind.SPLIT:
            return fault.milliseconds / 1000
    return None
