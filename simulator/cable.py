"""The virtual null-modem cable: two pty endpoints joined by a relay thread that paces and impairs bytes.

A terminal opens one end, the simulated host the other, and they talk as over a real serial line,
optionally slowed to a baud rate, with bytes lost, bit-flipped, doubled, or preceded by noise, and
with the cable pulled out for a while. Tests start it in-process; `pos-sim cable` runs it alone.
"""

from __future__ import annotations

import errno
import os
import random
import select
import threading
import time
import tty
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from terminal.capture_file import A_TO_B, B_TO_A, Tap

# 8N1 puts a start bit, eight data bits and a stop bit on the wire for every byte.
BITS_PER_BYTE = 10

_READ_SIZE = 4096
# Bytes on their way: paced onto the line but not arrived, or arrived but not yet taken by the
# receiving pty. Past this the cable stops reading the sender, so a fast sender waits for the line
# (as a real UART's transmit buffer makes it wait) and a slow reader loses nothing.
_MAX_BACKLOG = 4096
# A receiving end that takes nothing for this long is not being read at all (its program is down):
# what waits for it is lost, as on a real line, rather than holding the sender up for ever.
_STALL_LIMIT = 1.0
# Upper bound on how long the relay waits in select, so stop() and unplug windows take effect soon.
_POLL_INTERVAL = 0.05
# Paced bytes reach the far end in bursts at most this late, as a UART's receive FIFO or a USB
# serial adapter hands them over; the last byte of what was written arrives exactly on time. One
# wake-up per byte (11,520 a second at 115200 baud) would cost the relay, and the program reading
# the far end, more CPU than everything else on the line.
_BURST = 0.001
# After EIO on a master (no endpoint open at all) the fd stays "readable"; rest it this long
# instead of spinning on it.
_EIO_REST = 0.05


class CableSetupError(Exception):
    """The cable could not be set up as asked (a link path is in the way, for instance)."""


@dataclass(frozen=True)
class UnplugWindow:
    """A span of the cable's life, from its start, during which nothing passes either way."""

    start_ms: int
    length_ms: int

    def __post_init__(self) -> None:
        if self.start_ms < 0:
            raise ValueError(f"an unplug window cannot start before the cable does (start {self.start_ms} ms)")
        if self.length_ms <= 0:
            raise ValueError(f"an unplug window must last at least 1 ms (length {self.length_ms} ms)")

    @classmethod
    def parse(cls, text: str) -> UnplugWindow:
        """Read START_MS:LENGTH_MS, as written on the command line."""
        start_text, colon, length_text = text.partition(":")
        if not colon:
            raise ValueError(f"{text!r} has no ':'; write START_MS:LENGTH_MS, e.g. 5000:2000")
        try:
            start_ms, length_ms = int(start_text), int(length_text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not two whole numbers of milliseconds; write START_MS:LENGTH_MS, e.g. 5000:2000"
            ) from None
        try:
            return cls(start_ms, length_ms)
        except ValueError as problem:
            raise ValueError(f"{problem}; write START_MS:LENGTH_MS, e.g. 5000:2000") from None

    def covers(self, elapsed_ms: float) -> bool:
        return self.start_ms <= elapsed_ms < self.start_ms + self.length_ms


@dataclass(frozen=True)
class CableSettings:
    """How the cable behaves: its speed, how it damages bytes, and when it is pulled out.

    Probabilities apply to each byte in each direction independently. `baud=None` means the cable
    passes bytes as fast as they come; with a baud rate every byte that reaches the far end, noise
    and duplicates included, takes 10 bit times, and a dropped byte takes none. `seed=None` picks
    a seed at start (see NullModemCable.seed).
    """

    baud: int | None = None
    drop: float = 0.0
    flip: float = 0.0
    dup: float = 0.0
    noise: float = 0.0
    seed: int | None = None
    unplug: tuple[UnplugWindow, ...] = ()

    def __post_init__(self) -> None:
        if self.baud is not None and (isinstance(self.baud, bool) or not isinstance(self.baud, int) or self.baud <= 0):
            raise ValueError(f"baud must be a positive whole number such as 9600, not {self.baud!r}")
        for name in ("drop", "flip", "dup", "noise"):
            probability = getattr(self, name)
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"{name} must be a probability between 0 and 1 such as 0.05, not {probability!r}")
        # A list is easy to pass by mistake; a tuple keeps the frozen settings hashable.
        object.__setattr__(self, "unplug", tuple(self.unplug))

    @property
    def impairs(self) -> bool:
        return any((self.drop, self.flip, self.dup, self.noise))


@dataclass(frozen=True)
class DirectionCounters:
    """What happened to the bytes going one way, since the cable started."""

    bytes_in: int = 0  # read from the sending end
    bytes_out: int = 0  # written to the receiving end, including duplicates and noise
    dropped: int = 0
    flipped: int = 0
    duplicated: int = 0
    noise_inserted: int = 0
    lost_to_unplug: int = 0  # read, or due to arrive, while the cable was unplugged
    overflowed: int = 0  # arrived, but the receiving end took nothing for a second: nobody reading


@dataclass(frozen=True)
class CableCounters:
    a_to_b: DirectionCounters
    b_to_a: DirectionCounters


class _Tally:
    """The relay thread's running DirectionCounters; read only through a snapshot under the lock."""

    def __init__(self) -> None:
        for counter in fields(DirectionCounters):
            setattr(self, counter.name, 0)

    def snapshot(self) -> DirectionCounters:
        return DirectionCounters(**{counter.name: getattr(self, counter.name) for counter in fields(DirectionCounters)})


class _PacedChunk:
    """Bytes on the line: byte i arrives at start + (i + 1) * byte_time."""

    __slots__ = ("start", "data", "arrived")

    def __init__(self, start: float, data: bytes) -> None:
        self.start = start
        self.data = data
        self.arrived = 0


class _Direction:
    """One way through the cable: read one master, impair, pace, write the other master. `tap`
    sees the bytes written, named by `way`."""

    def __init__(
        self, source_fd: int, sink_fd: int, settings: CableSettings, rng: random.Random, lock: threading.Lock,
        way: str, tap: Tap | None,
    ) -> None:
        self.source_fd = source_fd
        self.sink_fd = sink_fd
        self.settings = settings
        self.rng = rng
        self.lock = lock
        self.way = way
        self.tap = tap
        self.tally = _Tally()
        self.byte_time = BITS_PER_BYTE / settings.baud if settings.baud else 0.0
        # Deadlines come from the line's own schedule, not from when the loop woke up, so late
        # wake-ups do not add up to drift.
        self.line_free_at = 0.0
        self.in_flight: deque[_PacedChunk] = deque()
        self.in_flight_size = 0
        self.unread = bytearray()
        self.unread_since = 0.0  # when the receiving end last took bytes, or began to owe them
        self.source_rests_until = 0.0
        self.sink_rests_until = 0.0

    def wants_to_read(self, now: float) -> bool:
        return self.in_flight_size + len(self.unread) < _MAX_BACKLOG and now >= self.source_rests_until

    def wants_to_write(self, now: float) -> bool:
        return bool(self.unread) and now >= self.sink_rests_until

    def next_arrival(self) -> float | None:
        """When the relay next hands over paced bytes: a burst's worth after the next byte is due,
        but never after the last byte of the chunk on the line."""
        if not self.in_flight:
            return None
        head = self.in_flight[0]
        next_byte = head.start + (head.arrived + 1) * self.byte_time
        return min(next_byte + _BURST, head.start + len(head.data) * self.byte_time)

    def read_source(self, now: float, unplugged: bool) -> None:
        try:
            data = os.read(self.source_fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError as problem:
            if problem.errno != errno.EIO:
                raise
            data = b""
        if not data:
            # Nobody has this end open right now; try again shortly.
            self.source_rests_until = now + _EIO_REST
            return
        with self.lock:
            self.tally.bytes_in += len(data)
            if unplugged:
                self.tally.lost_to_unplug += len(data)
                return
            line_bytes = self._impair(data) if self.settings.impairs else data
        if not line_bytes:
            return
        if self.byte_time:
            start = max(self.line_free_at, now)
            self.line_free_at = start + len(line_bytes) * self.byte_time
            self.in_flight.append(_PacedChunk(start, line_bytes))
            self.in_flight_size += len(line_bytes)
        else:
            self._arrive(line_bytes, now)

    def _impair(self, data: bytes) -> bytes:
        """Damage bytes as the settings ask; the caller holds the lock."""
        drop, flip, dup, noise = self.settings.drop, self.settings.flip, self.settings.dup, self.settings.noise
        draw = self.rng.random
        tally = self.tally
        out = bytearray()
        for byte in data:
            # Noise is a glitch in the line before this byte, whatever then becomes of the byte.
            if noise and draw() < noise:
                out.append(self.rng.randrange(256))
                tally.noise_inserted += 1
            if drop and draw() < drop:
                tally.dropped += 1
                continue
            if flip and draw() < flip:
                byte ^= 1 << self.rng.randrange(8)
                tally.flipped += 1
            out.append(byte)
            if dup and draw() < dup:
                out.append(byte)
                tally.duplicated += 1
        return bytes(out)

    def deliver_due(self, now: float, unplugged: bool) -> None:
        """Move the paced bytes whose arrival time has come to the receiving end."""
        arrived = bytearray()
        while self.in_flight:
            head = self.in_flight[0]
            # The small allowance keeps float rounding from holding a byte back for one more lap.
            due = min(len(head.data), int((now - head.start) / self.byte_time + 1e-9))
            if due > head.arrived:
                arrived += head.data[head.arrived : due]
                head.arrived = due
            if head.arrived < len(head.data):
                break
            self.in_flight.popleft()
        if not arrived:
            return
        self.in_flight_size -= len(arrived)
        if unplugged:
            with self.lock:
                self.tally.lost_to_unplug += len(arrived)
            return
        self._arrive(bytes(arrived), now)

    def _arrive(self, data: bytes, now: float) -> None:
        if not self.unread:
            self.unread_since = now
        self.unread += data

    def write_sink(self, now: float) -> None:
        if not self.unread or now < self.sink_rests_until:
            return
        try:
            written = os.write(self.sink_fd, self.unread)
        except BlockingIOError:
            written = 0
        except OSError as problem:
            if problem.errno != errno.EIO:
                raise
            self.sink_rests_until = now + _EIO_REST
            written = 0
        if written:
            if self.tap is not None:
                self.tap(self.way, bytes(self.unread[:written]), now)
            del self.unread[:written]
            self.unread_since = now
            with self.lock:
                self.tally.bytes_out += written
        elif now - self.unread_since > _STALL_LIMIT:
            with self.lock:
                self.tally.overflowed += len(self.unread)
            self.unread.clear()


def _cable_holding(link: Path) -> str | None:
    """Why `link` is taken, if a running cable holds the pty it leads to; None when no cable does.

    A cable that was killed leaves its link behind, and Linux gives its pty number to the next
    pty opened (a shell's, say): only a cable among the processes that hold the pty makes the link
    another cable's. A cable run inside another program (NullModemCable in a test) is not seen."""
    from terminal.transport import processes_with_open  # only when a link is already there

    target = os.path.realpath(link)
    commands = {pid: _command(Path(f"/proc/{pid}")) for pid in processes_with_open(target)}
    cables = [f"pid {pid} ({command})" for pid, command in commands.items() if _is_cable(command)]
    if not cables:
        return None
    return (f"{link} is taken: it leads to {target}, which {', '.join(cables)} holds open. Stop that "
            "cable first, or choose another link path")


def _is_cable(command: str) -> bool:
    words = command.split()
    return words[:2] in (["pos-sim", "cable"], ["-m", "simulator"]) and "cable" in words[:3]


def _command(process: Path) -> str:
    try:
        argv = (process / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return "?"
    words = [word for word in argv if word]
    if len(words) > 1 and Path(words[0]).name.startswith("python"):
        words = words[1:]  # `python …/bin/pos-sim cable …`: the script is what was run
    return " ".join([Path(words[0]).name, *words[1:]]) if words else "?"


class NullModemCable:
    """Two pty endpoints, A and B, joined crosswise: what is written at A is read at B and back.

    start() opens the ptys and the relay thread and returns at once; path_a and path_b are then
    the endpoints' device paths; a link path that leads to a pty still open (another cable's) is
    refused. stop() ends the relay, closes the ptys and removes the links that still lead to them.
    Usable as a context manager. `unplug_clock` (seconds, monotonic) is what unplug windows are
    measured on; tests pass their own to step through windows without waiting. `tap(way, data,
    now)` sees every chunk as the cable hands it to an end, impaired and paced, `way` being A->B or
    B->A (a capture file's tap: terminal/capture_file.py).
    """

    def __init__(
        self,
        settings: CableSettings | None = None,
        *,
        link_a: str | os.PathLike[str] | None = None,
        link_b: str | os.PathLike[str] | None = None,
        unplug_clock: Callable[[], float] = time.monotonic,
        tap: Tap | None = None,
    ) -> None:
        self.settings = settings or CableSettings()
        self._tap = tap
        self._links = [Path(link) if link is not None else None for link in (link_a, link_b)]
        self._unplug_clock = unplug_clock
        self.seed = self.settings.seed if self.settings.seed is not None else random.SystemRandom().randrange(2**32)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._pulled_out = False
        self._fds: list[int] = []
        self._paths: tuple[str, str] | None = None
        self._made_links: list[tuple[Path, str]] = []
        self._directions: tuple[_Direction, _Direction] | None = None
        self._thread: threading.Thread | None = None
        self._started_at = 0.0
        self._wake_read = self._wake_write = -1
        self.failure: BaseException | None = None

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> NullModemCable:
        if self._thread is not None:
            raise RuntimeError("this cable has already been started; make a new NullModemCable")
        try:
            master_a, slave_a = self._open_pty()
            master_b, slave_b = self._open_pty()
            self._paths = (os.ttyname(slave_a), os.ttyname(slave_b))
            self._wake_read, self._wake_write = os.pipe()
            self._fds += [self._wake_read, self._wake_write]
            os.set_blocking(self._wake_write, False)
            for link, path in zip(self._links, self._paths):
                if link is not None:
                    self._make_link(link, path)
        except BaseException:
            self._release()
            raise
        # Each direction draws from its own stream so the two are independent but repeatable.
        self._directions = (
            _Direction(
                master_a, master_b, self.settings, random.Random(f"{self.seed}:a-to-b"), self._lock, A_TO_B, self._tap
            ),
            _Direction(
                master_b, master_a, self.settings, random.Random(f"{self.seed}:b-to-a"), self._lock, B_TO_A, self._tap
            ),
        )
        self._started_at = self._unplug_clock()
        self._thread = threading.Thread(target=self._relay, name="null-modem-cable", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End the relay, close both ends and remove the links. Safe to call more than once."""
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                raise RuntimeError("the cable's relay thread did not stop within 5 s")
        self._release()

    def __enter__(self) -> NullModemCable:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def path_a(self) -> str:
        return self._endpoint_paths()[0]

    @property
    def path_b(self) -> str:
        return self._endpoint_paths()[1]

    # -- pulling the cable out ---------------------------------------------------------------

    def unplug(self) -> None:
        """Pull the cable out: from now until plug(), bytes either way are discarded and counted."""
        self._pulled_out = True
        self._wake()

    def plug(self) -> None:
        """Put the cable back in (unplug windows from the settings still apply)."""
        self._pulled_out = False
        self._wake()

    @property
    def plugged(self) -> bool:
        return not self._is_unplugged()

    @property
    def counters(self) -> CableCounters:
        if self._directions is None:
            return CableCounters(DirectionCounters(), DirectionCounters())
        a_to_b, b_to_a = self._directions
        with self._lock:
            return CableCounters(a_to_b.tally.snapshot(), b_to_a.tally.snapshot())

    # -- inside ------------------------------------------------------------------------------

    def _open_pty(self) -> tuple[int, int]:
        master, slave = os.openpty()
        self._fds += [master, slave]
        # The cable keeps the slave open for as long as it runs: with no slave open the master
        # reads EIO, and a terminal that closes and reopens its end must find the cable working.
        # Raw mode so the line discipline leaves bytes alone: no echo, no CR/LF translation, no
        # ^C, ^S/^Q or ^D handling.
        tty.setraw(slave)
        os.set_blocking(master, False)
        return master, slave

    def _make_link(self, link: Path, path: str) -> None:
        if link.is_symlink():
            taken = _cable_holding(link) if link.exists() else None
            if taken is not None:
                # Another cable's: taking the name would cut it off from whoever opens it next,
                # and that cable would delete the name on exit.
                raise CableSetupError(taken)
            # Left by a cable that was killed (its pty gone, or its number since given to another
            # pty); the caller asked for this name.
            link.unlink()
        elif link.exists():
            raise CableSetupError(f"{link} already exists and is not a symlink; remove it or choose another link path")
        try:
            link.symlink_to(path)
        except OSError as problem:
            raise CableSetupError(f"cannot create the link {link}: {problem.strerror}; choose another link path") from None
        self._made_links.append((link, path))

    def _release(self) -> None:
        for link, path in self._made_links:
            # Leave the name alone if something else has taken it over since.
            if link.is_symlink() and os.readlink(link) == path:
                link.unlink()
        self._made_links.clear()
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()
        # The numbers may be reused by other files from now on; never write to them again.
        self._wake_read = self._wake_write = -1

    def _endpoint_paths(self) -> tuple[str, str]:
        if self._paths is None:
            raise RuntimeError("the cable has no endpoints until start() is called")
        return self._paths

    def _wake(self) -> None:
        if self._wake_write < 0:
            return
        try:
            os.write(self._wake_write, b"\0")
        except (BlockingIOError, OSError):
            pass  # A full pipe wakes the relay just as well; a closed one means it has stopped.

    def _is_unplugged(self) -> bool:
        if self._pulled_out:
            return True
        if not self.settings.unplug:
            return False
        elapsed_ms = (self._unplug_clock() - self._started_at) * 1000
        return any(window.covers(elapsed_ms) for window in self.settings.unplug)

    def _relay(self) -> None:
        assert self._directions is not None
        directions = self._directions
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                readers = [self._wake_read]
                writers = []
                timeout = _POLL_INTERVAL
                for direction in directions:
                    if direction.wants_to_read(now):
                        readers.append(direction.source_fd)
                    if direction.wants_to_write(now):
                        writers.append(direction.sink_fd)
                    arrival = direction.next_arrival()
                    if arrival is not None:
                        timeout = max(0.0, min(timeout, arrival - now))
                # Writability only needs to wake the loop: every lap offers the waiting bytes anyway.
                readable, _, _ = select.select(readers, writers, [], timeout)
                if self._wake_read in readable:
                    os.read(self._wake_read, 512)
                now = time.monotonic()
                unplugged = self._is_unplugged()
                for direction in directions:
                    if direction.source_fd in readable:
                        direction.read_source(now, unplugged)
                now = time.monotonic()
                for direction in directions:
                    if direction.byte_time:
                        direction.deliver_due(now, unplugged)
                    direction.write_sink(now)
        except BaseException as problem:  # Kept for the owner to report; a thread has no one to raise to.
            self.failure = problem
