"""The host's serving loop: one thread per serial line, bytes to HostConnection, requests to HostLogic.

Any pyserial URL serves: /dev/tty*, a pty path (the simulated cable), socket://host:port. A line
that vanishes (USB unplugged, cable stopped) is logged and reopened with backoff; it never takes
the other lines or the process down with it.
"""

from __future__ import annotations

import logging
import random
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
from protocol.messages import Response
from protocol.states import State
from protocol.trace import format_record
from simulator.data import ServiceAppointment, SimulatorData
from simulator.faults import FaultBoard
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


class HostServer:
    """Serve the host's side of the protocol on every port in `ports` until stop().

    `delay` (seconds) holds each response back after the request is decided and ACKed, to push a
    terminal past its T_RESP; `busy_rate` answers that share of requests with ERROR BUSY (from a
    random stream seeded with `seed`). `trace` receives one line per thing on the line, both ways;
    `capture` every byte read and written on every line, named by its port's URL.

    For a live console: `faults` says what the next answers get (simulator/faults.py), `activity`
    is told each line's state and everything traced on it (simulator/host_activity.py), and
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
        self.ports = list(ports)
        self.store_path = Path(store_path)
        self.baud = baud
        self.timers = timers
        self.delay = delay
        self._clock = clock
        self._trace = trace
        self._trace_lock = threading.Lock()
        self._capture = capture
        self.faults = faults
        self.activity = activity
        self._data_source = data_source
        self._busy_rate = busy_rate
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()
        self._stopping = threading.Event()
        self._store: HostStore | None = None
        self._threads: list[threading.Thread] = []

    # -- life cycle

    def start(self) -> HostServer:
        if self._store is not None:
            raise RuntimeError("this host is already serving; make a new HostServer")
        self._store = HostStore(self.store_path)
        self._stopping.clear()  # a HostServer stopped may be started again
        logic = HostLogic(self._store, self._clock, busy=self._busy)
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
                    log.warning("%s: %s; trying again, %.1f s apart at most", url, line.last_problem, Backoff.longest)
                self._stopping.wait(line.retry_in())
                continue
            tried.set()
            if activity is not None:
                activity.line_opened(url, self.baud)
            if lost:
                log.warning("%s: open again", url)
                lost = False
            try:
                self._serve_line(url, line, logic)
            except LineDown:
                lost = True
                if activity is not None:
                    activity.line_lost(url, line.last_problem or "")
                log.warning("%s: lost (%s); reopening", url, line.last_problem)
            except Exception as problem:  # A bug must not kill the other ports; keep serving this one too.
                lost = True
                log.exception("%s: the serving loop failed; reopening", url)
                line.failed(f"the serving loop failed: {problem!r}")
            self._stopping.wait(line.retry_in())
        line.close()

    def _serve_line(self, url: str, line: SerialLine, logic: HostLogic) -> None:
        """Serve one opening of the line until stop(), or until the line fails (LineDown).

        A reopened line starts with a fresh connection: half a frame or an unACKed response from
        before the loss means nothing to a terminal that may have restarted meanwhile."""
        connection = HostConnection(
            self._store_key_for, timers=self.timers, baud=self.baud, tracer=self._tracer(url)
        )
        driver = LinkDriver(line, connection, tap=self._capture.tap(url) if self._capture is not None else None)
        held: deque[_HeldResponse] = deque()
        while not self._stopping.is_set():
            # A response held back wakes the loop when it is due, once the line is free for it.
            wake_at = held[0].send_at if held and connection.state is State.IDLE else None
            events = driver.step(wake_at, waiting=bool(held))
            now = time.monotonic()
            for event in events:
                if isinstance(event, RequestReceived):
                    held.append(_HeldResponse(event, logic.respond(event), now + self.delay))
                elif isinstance(event, RequestRefused):
                    log.info("%s: refused SEQ %d from %s: %s (%s)", url, event.seq, event.tid, event.result.name, event.detail)
                    held.append(_HeldResponse(event, connection.refusal(event), now + self.delay))
                elif isinstance(event, ResponseAbandoned):
                    log.warning("%s: the terminal did not take a response after 3 sends", url)
                # A BadFrame is already NAKed and traced by the link; the terminal resends it.
            # The host finishes sending one response before it answers the next request (§2).
            if held and connection.state is State.IDLE and now >= held[0].send_at:
                answer = held.popleft()
                driver.send(connection.answer(answer.event, answer.response, now))

    def _store_key_for(self, tid: str) -> bytes | None:
        assert self._store is not None
        return self._store.key_for(tid)

    def _busy(self) -> bool:
        if not self._busy_rate:
            return False
        with self._random_lock:
            return self._random.random() < self._busy_rate

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
