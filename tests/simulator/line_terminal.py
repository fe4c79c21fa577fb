"""A terminal for tests on one end of a serial line: TerminalConnection over pyserial, on the real clock.

It does what a real client does and no more: one request at a time, the link's resends, and a few
whole-request retries when the link reports failure (the same request again, so a CANCEL_REQ keeps
its REQUEST_ID and the host's exactly-once rule makes the retry safe).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from protocol import (
    RequestFailed,
    ResponseReceived,
    TerminalConnection,
    Timers,
)
from protocol.messages import Request, Response
from terminal.transport import LinkDriver, SerialLine
from tests.material import KEY, TID

class LineTerminal:
    def __init__(self, url: str, *, timers: Timers = Timers(), tid: str = TID, key: bytes = KEY) -> None:
        self.line = SerialLine(url, 115200)
        self.connection = TerminalConnection(tid, key, timers=timers)
        self.driver = LinkDriver(self.line, self.connection)
        self.failures: list[RequestFailed] = []
        self.line.open()

    def close(self) -> None:
        self.line.close()

    def __enter__(self) -> LineTerminal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def exchange(self, request: Request, timeout: float = 30.0) -> ResponseReceived | RequestFailed:
        """Send once (with the link's own resends) and wait for the answer or the link's failure."""
        self.driver.send(self.connection.send(request, time.monotonic()))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.driver.step(waiting=True):
                if isinstance(event, (ResponseReceived, RequestFailed)):
                    return event
        raise AssertionError(f"no answer nor failure for {request} within {timeout} s")

    def ask(self, request: Request, attempts: int = 4) -> Response:
        """The response, retrying the whole request when the link fails, as a real client would."""
        for _ in range(attempts):
            outcome = self.exchange(request)
            if isinstance(outcome, ResponseReceived):
                return outcome.response
            self.failures.append(outcome)
        raise AssertionError(f"{request} failed {attempts} times: {[f.reason.name for f in self.failures[-attempts:]]}")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting until {what}")
        time.sleep(0.005)
