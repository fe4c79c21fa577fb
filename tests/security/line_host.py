"""A host for tests that need to misbehave on purpose: the real HostConnection and HostLogic on a
real store, serving one end of a pty cable as simulator.serve does, with hooks to put other bytes
on the line before an answer (garbage, forged or replayed frames), to answer with something else,
or to withhold the answer. It records every request frame it read and every answer it sent, so a
test can replay them later byte for byte.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from queue import Empty, SimpleQueue

from protocol import (
    HostConnection,
    RequestReceived,
    RequestRefused,
    Response,
    ResponseReceived,
    TerminalConnection,
    Timers,
)
from protocol.link import Link, TraceRecord
from protocol.states import State
from simulator.host import HostLogic
from simulator.store import HostStore
from terminal.transport import LinkDriver, SerialLine

Event = RequestReceived | RequestRefused


@dataclass
class Exchange:
    """One request the host read, and what it sent back (None while withheld or not yet sent)."""

    request_raw: bytes
    event: Event
    answer_raw: bytes | None = None


@dataclass
class Script:
    """What the host does differently. Every hook runs on the host's thread."""

    # Bytes to write after the request's ACK and before the answer, one write each.
    before_answer: Callable[[Event], list[bytes]] = lambda event: []
    # The response to send instead of HostLogic's (None: HostLogic decides, and stores).
    respond: Callable[[RequestReceived], Response | None] = lambda event: None
    # False: send nothing at all (the answer is "lost").
    send_answer: Callable[[Event], bool] = lambda event: True
    # Called on every lap of the loop while no request is being handled; bytes to write now.
    idle_noise: Callable[[], bytes] = lambda: b""


@dataclass
class LineHost:
    url: str
    store_path: Path
    clock: Callable[[], datetime]
    timers: Timers = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)
    script: Script = field(default_factory=Script)
    exchanges: list[Exchange] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._injected: SimpleQueue[bytes] = SimpleQueue()
        self._rx_frames: list[bytes] = []
        self._thread = threading.Thread(target=self._run, name="line-host", daemon=True)

    def __enter__(self) -> LineHost:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)
        if self.errors:
            raise self.errors[0]

    def inject(self, data: bytes) -> None:
        """Put `data` on the line at the host's next lap (from the test's thread)."""
        self._injected.put(data)

    def _trace(self, record: TraceRecord) -> None:
        if record.direction == "rx" and record.kind == "frame":
            self._rx_frames.append(record.data)

    def _run(self) -> None:
        try:
            with HostStore(self.store_path) as store:
                logic = HostLogic(store, self.clock)
                line = SerialLine(self.url, 115200)
                try:
                    self._serve(line, store, logic)
                finally:
                    line.close()
        except BaseException as problem:  # reported by __exit__ on the test's thread
            self.errors.append(problem)

    def _serve(self, line: SerialLine, store: HostStore, logic: HostLogic) -> None:
        connection = HostConnection(store.key_for, timers=self.timers, tracer=self._trace)
        driver = LinkDriver(line, connection, busy_read=0.005, idle_read=0.005)
        while not self._stop.is_set():
            events = driver.step()
            while True:
                try:
                    driver.write(self._injected.get_nowait())
                except Empty:
                    break
            handled = False
            for event in events:
                if not isinstance(event, (RequestReceived, RequestRefused)):
                    continue
                handled = True
                exchange = Exchange(self._rx_frames[-1], event)
                self.exchanges.append(exchange)
                for chunk in self.script.before_answer(event):
                    driver.write(chunk)
                if not self.script.send_answer(event):
                    continue
                if isinstance(event, RequestReceived):
                    response = self.script.respond(event) or logic.respond(event)
                else:
                    response = connection.refusal(event)
                # One answer at a time, as the serving loop does (§2): wait out the previous one.
                deadline = time.monotonic() + 5
                while connection.state is not State.IDLE and time.monotonic() < deadline:
                    driver.step()
                exchange.answer_raw = connection.answer(event, response, time.monotonic())
                driver.send(exchange.answer_raw)
            if not handled and connection.state is State.IDLE and not connection.link.receiving_frame:
                driver.write(self.script.idle_noise())


class RawTerminal:
    """Our end of the line at the byte level: writes what it is given, ACKs every good frame it
    reads (so the host is not left resending its ERRORs) and keeps the frames."""

    def __init__(self, url: str) -> None:
        self.line = SerialLine(url, 115200)
        # Every good frame is kept, repeats too: a host may answer two forged requests with the
        # same bytes, which the link rightly takes for a retransmission.
        self.link = Link(Timers(t_char=0.2), tracer=self._keep)
        self.frames: list[bytes] = []
        self.sent: list[bytes] = []
        self.line.open()

    def _keep(self, record: TraceRecord) -> None:
        if record.direction == "rx" and record.kind in ("frame", "duplicate"):
            self.frames.append(record.data)

    def pump(self, seconds: float) -> None:
        """Read and ACK for `seconds`: for checking that nothing (more) comes."""
        driver = LinkDriver(self.line, self.link, busy_read=0.01, idle_read=0.01)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            driver.step()

    def pump_until(self, frames: int, within: float = 10.0) -> None:
        """Read and ACK until `frames` frames in all have come (a loaded host may take its time)."""
        driver = LinkDriver(self.line, self.link, busy_read=0.01, idle_read=0.01)
        deadline = time.monotonic() + within
        while len(self.frames) < frames:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.frames)} frames within {within} s, not {frames}")
            driver.step()

    def exchange(self, connection: TerminalConnection, request, prefix: bytes = b"") -> ResponseReceived:
        """One request written right behind `prefix` (garbage in the same write); the request's
        frame is kept in `sent`, for replaying it later."""
        driver = LinkDriver(self.line, connection, busy_read=0.01, idle_read=0.01)
        frame = connection.send(request, time.monotonic())
        self.sent.append(frame)
        driver.write(prefix + connection.data_to_send() + frame)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for event in driver.step():
                if isinstance(event, ResponseReceived):
                    return event
        raise AssertionError(f"no answer to {request}")

    def close(self) -> None:
        self.line.close()
