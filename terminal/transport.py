"""The serial line to the host: any pyserial URL, opened on demand, and closed then reopened with
backoff when it fails, so an unplugged adapter is a link failure for one call and never a hang or
a crash."""

from __future__ import annotations

import time
from typing import Any, Callable

import serial

BACKOFF_STEPS = (0.5, 1.0, 2.0, 4.0, 5.0)


class LineDown(Exception):
    """The port could not be opened, or failed while in use."""


class SerialLine:
    def __init__(
        self,
        url: str,
        baud: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        open_port: Callable[..., Any] = serial.serial_for_url,
    ) -> None:
        self.url = url
        self.baud = baud
        self._clock = clock
        self._open_port = open_port
        self._port: Any = None
        self._failures = 0
        self._next_attempt = 0.0
        self.last_problem: str | None = None

    def open(self) -> None:
        if self._port is not None:
            return
        now = self._clock()
        if now < self._next_attempt:
            raise LineDown(
                f"{self.url}: {self.last_problem}; trying again in {self._next_attempt - now:.1f} s"
            )
        try:
            # exclusive: a second program on the same port would steal half of our bytes.
            self._port = self._open_port(self.url, baudrate=self.baud, timeout=0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise self._failure(f"cannot open: {exc}") from None
        self._failures = 0
        self.last_problem = None

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.open()
        try:
            self._port.write(data)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise self._failure(f"write failed: {exc}") from None

    def read(self, timeout: float) -> bytes:
        """Bytes that arrive within `timeout` seconds (at least one, or none at the deadline)."""
        self.open()
        try:
            self._port.timeout = max(timeout, 0.0)
            first = self._port.read(1)
            if not first:
                return b""
            waiting = self._port.in_waiting
            return first + (self._port.read(waiting) if waiting else b"")
        except (serial.SerialException, OSError) as exc:
            raise self._failure(f"read failed: {exc}") from None

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass

    def _failure(self, problem: str) -> LineDown:
        self.close()
        self.last_problem = problem
        step = BACKOFF_STEPS[min(self._failures, len(BACKOFF_STEPS) - 1)]
        self._failures += 1
        self._next_attempt = self._clock() + step
        return LineDown(f"{self.url}: {problem}")
