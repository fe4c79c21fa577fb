"""The serial line and the one loop that drives a protocol connection over it.

Every serial line in the product and its tests is driven from here: the terminal's host client,
the host simulator's serving loop and the test peers. `SerialLine` is a pyserial port (any URL),
opened on demand and, when it fails, closed and tried again after a back-off, so an unplugged
adapter is a failure for one call and never a hang or a crash. `LinkDriver` is where a sans-I/O
connection from protocol/ meets the line: bytes read go in, owed bytes go out, the connection's
timers run on the clock, and its events come out.

This module imports nothing of the project but protocol/: the simulator uses it too.
"""

from __future__ import annotations

import errno
import os
import select
import time
from dataclasses import KW_ONLY, dataclass
from typing import Any, Callable, Protocol

import serial

from protocol.link import wire_time
from terminal.capture_file import Tap

try:
    from termios import error as _TermiosError
except ImportError:  # not a POSIX system: pyserial raises only its own errors there
    _TermiosError = OSError  # type: ignore[assignment,misc]

# The most one read takes from a port whose descriptor is read directly: a maximal frame and more.
_READ_SIZE = 8192

# What opening, reading or writing a port can raise: pyserial's own errors are OSErrors, a bad
# setting is a ValueError, and a device that is not a tty can fail in termios.
_PORT_ERRORS = (serial.SerialException, OSError, ValueError, _TermiosError)


class LineDown(Exception):
    """The port could not be opened, or failed while in use."""


@dataclass(frozen=True)
class PortHolder:
    """A process that has a port open."""

    pid: int
    command: str  # its name, as the system gives it

    def __str__(self) -> str:
        return f"pid {self.pid} {self.command}"


class PortHeld(LineDown):
    """Another program holds the port: it is opened exclusively, so only one program has it.
    `holders`: who has it open, as far as the system says (empty when it does not)."""

    def __init__(self, message: str, port: str, holders: tuple[PortHolder, ...]) -> None:
        super().__init__(message)
        self.port = port
        self.holders = holders


# How an exclusive open fails on a port another program holds: pyserial's flock() is refused
# (EWOULDBLOCK), or the device is busy (EBUSY: its holder set TIOCEXCL).
_HELD_ERRNOS = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EBUSY})


def holders_if_held(problem: BaseException, port: str) -> tuple[PortHolder, ...] | None:
    """When `problem`, raised opening `port`, says that another program holds it: who has it
    open, as far as the system says. None when the port failed to open for another reason."""
    if getattr(problem, "errno", None) not in _HELD_ERRNOS:
        return None
    return port_holders(port)


def holders_named(holders: tuple[PortHolder, ...]) -> str:
    """`pid 4242 minicom, pid 77 screen`: who holds a port, for a message."""
    return ", ".join(str(holder) for holder in holders)


def processes_with_open(path: str) -> dict[int, list[str]]:
    """Each process that has the device at `path` open, with the descriptors that lead to it, from
    /proc (Linux; other users' processes only when run as root); empty where the system does not
    say. The one scan behind a held port's message and pos-sim cable's taken link."""
    try:
        device = os.path.realpath(path)
        pids = sorted(int(name) for name in os.listdir("/proc") if name.isdigit())
    except OSError:
        return {}
    found = {}
    for pid in pids:
        try:
            fds = [fd for fd in os.listdir(f"/proc/{pid}/fd") if _links_to(f"/proc/{pid}/fd/{fd}", device)]
        except OSError:  # another user's process, or one that ended meanwhile
            continue
        if fds:
            found[pid] = fds
    return found


def port_holders(path: str) -> tuple[PortHolder, ...]:
    """Who has the device at `path` open. When some of them hold a lock on it (pyserial's
    exclusive open), only those: a virtual cable keeps its own end open without holding it."""
    having, locking = [], []
    for pid, fds in processes_with_open(path).items():
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as comm:
                holder = PortHolder(pid, comm.read().strip())
            having.append(holder)
            if any(_holds_a_lock(f"/proc/{pid}/fdinfo/{fd}") for fd in fds):
                locking.append(holder)
        except OSError:  # it ended meanwhile
            continue
    return tuple(locking or having)


def _links_to(fd_link: str, device: str) -> bool:
    try:
        return os.readlink(fd_link) == device
    except OSError:
        return False


def _holds_a_lock(fdinfo: str) -> bool:
    with open(fdinfo, encoding="utf-8", errors="replace") as info:
        return any(line.startswith("lock:") for line in info)


@dataclass
class Backoff:
    """How long a line waits before it tries its port again: `first` after a failure, doubling
    with each failure in a row up to `longest`. A port that had stayed open `stable_for` seconds
    before it failed starts from `first` again; one that fails sooner counts as one more failure
    in the row.

    The terminal opens its port for a request and must be able to try again soon after the line
    is back, so any opening counts (`stable_for` 0). The host keeps its ports open and reopens one
    at once when it fails, so a port that fails as soon as it opens (a pty whose other end is
    gone) must not be reopened ten times a second: for it, `stable_for` is `longest`."""

    first: float = 0.5
    longest: float = 5.0
    stable_for: float = 0.0
    failures: int = 0

    def next_wait(self, up_for: float | None) -> float:
        """The wait after a failure; `up_for`: how long the port had been open, None if it never
        opened."""
        if up_for is not None and up_for >= self.stable_for:
            self.failures = 0
        wait = min(self.first * 2**self.failures, self.longest)
        self.failures += 1
        return wait


class SerialLine:
    def __init__(
        self,
        url: str,
        baud: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        open_port: Callable[..., Any] = serial.serial_for_url,
        backoff: Backoff | None = None,
        wait_until_sent: bool = True,
    ) -> None:
        """`wait_until_sent`: each write returns once the bytes have left the port (the terminal's
        one request at a time); the host's serving thread writes and goes back to reading."""
        self.url = url
        self.baud = baud
        self.clock = clock
        self._open_port = open_port
        self._backoff = backoff or Backoff()
        self._wait_until_sent = wait_until_sent
        self._port: Any = None
        self._fd: int | None = None  # the port's descriptor, while it is read directly (see read)
        self._opened_at: float | None = None
        self._next_attempt = 0.0
        self.last_problem: str | None = None
        self._holders: tuple[PortHolder, ...] | None = None  # set while the port is held by another

    def retry_in(self) -> float:
        """Seconds until the port may be tried again (0 when it may be tried now)."""
        return max(0.0, self._next_attempt - self.clock())

    def open(self) -> None:
        if self._port is not None:
            return
        wait = self.retry_in()
        if wait > 0:
            raise self._down(f"{self.last_problem}; trying again in {wait:.1f} s")
        try:
            # exclusive: a second program on the same port would steal half of our bytes.
            self._port = self._open_port(self.url, baudrate=self.baud, timeout=0, exclusive=True)
        except _PORT_ERRORS as exc:
            self._holders = holders_if_held(exc, self.url)
            raise self.failed(f"cannot open: {exc}") from None
        self._opened_at = self.clock()
        self.last_problem = None
        self._holders = None
        self._fd = _descriptor_of(self._port)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.open()
        try:
            self._port.write(data)
            if self._wait_until_sent:
                self._port.flush()
        except _PORT_ERRORS as exc:
            raise self.failed(f"write failed: {exc}") from None

    def read(self, timeout: float, *, awaited: int = 0) -> bytes:
        """Bytes that arrive within `timeout` seconds (at least one, or none at the deadline).

        `awaited`: bytes of a frame known to be on their way (its LEN has arrived). They cannot
        arrive sooner than the line's speed lets them, so the read first waits that long (within
        `timeout`) and then takes them at once, instead of waking for every burst the port hands
        over (a pty cable's every millisecond, a USB adapter's latency timer): a frame is read in
        one or two wake-ups instead of one per burst, and each wake-up of a busy process costs
        more than the bytes it reads."""
        self.open()
        timeout = max(timeout, 0.0)
        if awaited > 0 and timeout > 0:
            pause = min(wire_time(awaited, self.baud), timeout)
            if pause > 0:
                time.sleep(pause)
                timeout -= pause
        if self._fd is not None:
            return self._read_descriptor(self._fd, timeout)
        port = self._port
        try:
            if port.timeout != timeout:  # setting it reconfigures the port: only when it changes
                port.timeout = timeout
            first = port.read(1)
            if not first:
                return b""
            waiting = port.in_waiting
            return first + (port.read(waiting) if waiting else b"")
        except _PORT_ERRORS as exc:
            raise self.failed(f"read failed: {exc}") from None

    def _read_descriptor(self, fd: int, timeout: float) -> bytes:
        """read() of a local serial port or pty: one select and one read of all that is there.
        pyserial's own read takes five system calls for the same (two selects, two reads and the
        count of waiting bytes) and reconfigures the port whenever the timeout changes, which on
        the host's serving loop was most of a read's cost. Its descriptor is non-blocking."""
        try:
            if not select.select((fd,), (), (), timeout)[0]:
                return b""
            data = os.read(fd, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError as exc:  # EIO: the other end of a pty is gone, or the adapter was unplugged
            raise self.failed(f"read failed: {exc}") from None
        if not data:  # readable yet empty, as pyserial reports it too
            raise self.failed("read failed: the device reports readiness to read but returned no data (device "
                              "disconnected or multiple access on port?)")
        return data

    def close(self) -> None:
        port, self._port = self._port, None
        self._fd = None
        if port is not None:
            try:
                port.close()
            except _PORT_ERRORS:
                pass

    def failed(self, problem: str) -> LineDown:
        """Close the port after `problem`, schedule the next try, and return the LineDown to raise."""
        up_for = None if self._port is None or self._opened_at is None else self.clock() - self._opened_at
        self.close()
        self.last_problem = problem
        self._next_attempt = self.clock() + self._backoff.next_wait(up_for)
        return self._down(problem)

    def _down(self, problem: str) -> LineDown:
        if self._holders is not None:
            return PortHeld(f"{self.url}: {problem}", self.url, self._holders)
        return LineDown(f"{self.url}: {problem}")


def _descriptor_of(port: Any) -> int | None:
    """The descriptor to read `port` from directly: a local serial port or pty that pyserial opened
    (non-blocking, as pyserial always opens them on POSIX systems); None for any other kind (a
    socket:// URL, a loop://, a test's fake), which is read through pyserial."""
    posix = getattr(serial, "serialposix", None)
    if posix is None or type(port) is not posix.Serial:
        return None
    fd = getattr(port, "fd", None)
    return fd if isinstance(fd, int) else None


class Pumpable(Protocol):
    """What the driver needs of a sans-I/O connection: TerminalConnection, HostConnection and
    protocol.link.Link all are."""

    def receive_data(self, data: bytes, now: float) -> None: ...
    @property
    def awaited(self) -> int: ...
    def next_event(self) -> Any: ...
    def data_to_send(self) -> bytes: ...
    def get_timer(self) -> float | None: ...
    def handle_timer(self, now: float) -> None: ...


# One read may block at most this long while a timer runs or the caller waits for something, so
# an abort or a deadline is noticed promptly even when the line is silent.
BUSY_READ = 0.05
# ... and this long while nothing at all is pending: bytes end the wait at once, so this bounds
# only how long a stop takes to be noticed. Shorter idle waits cost a share of a core per line.
IDLE_READ = 0.2


@dataclass
class LinkDriver:
    """Drives one connection over one line. `tap(direction, data, now)` sees every byte read
    ("rx") and written ("tx"), for captures and live views."""

    line: SerialLine
    connection: Pumpable
    _: KW_ONLY
    clock: Callable[[], float] = time.monotonic
    busy_read: float = BUSY_READ
    idle_read: float = IDLE_READ
    tap: Tap | None = None

    def __post_init__(self) -> None:
        # A serial line waits for the rest of a frame it has begun to receive (SerialLine.read);
        # the scripted lines of tests hand out what they hold, in the chunks they were given.
        self._gathers = isinstance(self.line, SerialLine)

    def write(self, data: bytes) -> None:
        if data:
            self.line.write(data)
            if self.tap is not None:
                self.tap("tx", data, self.clock())

    def flush(self) -> None:
        """Write what the connection owes now: ACK/NAK and resends due."""
        self.write(self.connection.data_to_send())

    def send(self, frame: bytes) -> None:
        """Write a frame the connection just made, behind the ACK/NAK it still owes."""
        self.write(self.connection.data_to_send() + frame)

    def send_split(self, frame: bytes, gap: float, pause: Callable[[float], object] = time.sleep) -> None:
        """send(), in two writes `gap` seconds apart: the ACK/NAK owed and the frame's first half,
        `pause(gap)`, then the rest (a host made to write an answer in two pieces, to try the
        peer's T_CHAR)."""
        half = len(frame) // 2
        self.write(self.connection.data_to_send() + frame[:half])
        pause(gap)
        self.write(frame[half:])

    def ignore(self, wait: float) -> bytes:
        """Read what arrives within `wait` seconds and hand it to no connection (a line gone
        deaf): nothing is ACKed or answered; the tap still sees it. Returns what was read."""
        data = self.line.read(wait)
        if data and self.tap is not None:
            self.tap("rx", data, self.clock())
        return data

    def step(self, wake_at: float | None = None, *, waiting: bool = False) -> list[Any]:
        """One lap: wait for bytes until the connection's next timer or `wake_at`, whichever
        comes first (at most the busy read while either is set or the caller is `waiting` for an
        answer, the idle read otherwise); take them in, run the timers that are due, write what
        is owed. Returns the events that came of it."""
        connection = self.connection
        now = self.clock()
        due = [moment for moment in (connection.get_timer(), wake_at) if moment is not None]
        if due:
            wait = min(max(min(due) - now, 0.0), self.busy_read)
        else:
            wait = self.busy_read if waiting else self.idle_read
        awaited = connection.awaited if self._gathers else 0
        data = self.line.read(wait, awaited=awaited) if awaited else self.line.read(wait)
        now = self.clock()
        if data:
            if self.tap is not None:
                self.tap("rx", data, now)
            connection.receive_data(data, now)
        connection.handle_timer(now)
        self.flush()
        return list(iter(connection.next_event, None))

    def drain(self) -> list[Any]:
        """Take in, and answer, what already waits on the line without waiting for more (a late
        answer to an earlier request), so it cannot pass for the answer to the next one."""
        while data := self.line.read(0):
            now = self.clock()
            if self.tap is not None:
                self.tap("rx", data, now)
            self.connection.receive_data(data, now)
        self.flush()
        return list(iter(self.connection.next_event, None))
