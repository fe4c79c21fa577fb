"""The serial line's back-off and the link driver's loop, on a scripted line and a fake clock."""

from __future__ import annotations

import os
import sys
from collections import deque
from datetime import datetime

import pytest
import serial

from protocol import EchoRequest, EchoResponse, HostConnection, Result, TerminalConnection, Timers
from protocol.enums import ACK
from protocol.frame import encode_message_frame
from terminal.transport import Backoff, LineDown, LinkDriver, PortHeld, PortHolder, SerialLine
from tests.material import KEY, TID

T0 = datetime(2026, 11, 27, 9, 30)
TIMERS = Timers(t_char=0.2, t_ack=0.5, t_resp=10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class ScriptedLine:
    """A line whose reads hand out queued chunks; a read with nothing queued lasts its timeout."""

    def __init__(self, clock: Clock) -> None:
        self.url = "scripted"
        self.clock = clock
        self.incoming: deque[bytes] = deque()
        self.written: list[bytes] = []
        self.waits: list[float] = []

    def read(self, timeout: float) -> bytes:
        self.waits.append(timeout)
        if self.incoming:
            return self.incoming.popleft()
        self.clock.now += timeout
        return b""

    def write(self, data: bytes) -> None:
        self.written.append(data)


def test_backoff_doubles_to_the_longest_and_starts_again_once_the_port_opened():
    backoff = Backoff(first=0.5, longest=5.0)
    assert [backoff.next_wait(None) for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.next_wait(0.0) == 0.5  # the terminal's: the port opened, the line is back


def test_a_host_port_that_fails_as_soon_as_it_opens_is_not_reopened_at_once():
    backoff = Backoff(first=0.1, longest=5.0, stable_for=5.0)
    assert [backoff.next_wait(0.01) for _ in range(4)] == [0.1, 0.2, 0.4, 0.8]
    assert backoff.next_wait(5.0) == 0.1  # it had served a good while


def test_a_port_that_cannot_open_is_tried_again_only_after_its_pause():
    clock = Clock()
    opened: list[str] = []

    def open_port(url: str, **settings: object) -> object:
        opened.append(url)
        if len(opened) == 1:
            raise serial.SerialException("could not open port /dev/ttyUSB9")
        return serial.serial_for_url("loop://", **settings)

    line = SerialLine("/dev/ttyUSB9", 9600, clock=clock, open_port=open_port)
    with pytest.raises(LineDown, match="cannot open: could not open port"):
        line.open()
    clock.now += 0.2
    with pytest.raises(LineDown, match=r"trying again in 0\.3 s"):
        line.open()
    assert opened == ["/dev/ttyUSB9"]  # the pause was kept: no second try yet
    clock.now += 0.3
    line.open()
    line.write(b"\x06")
    assert line.read(0.1) == b"\x06"
    line.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="holders are read from Linux's /proc")
def test_a_port_another_program_holds_is_said_held_naming_who_holds_it():
    clock = Clock()
    controller, device = os.openpty()
    path = os.ttyname(device)
    holder = serial.serial_for_url(path, exclusive=True)
    try:
        line = SerialLine(path, 9600, clock=clock)
        with pytest.raises(PortHeld) as held:
            line.open()
        # This process keeps `device` open too, but only the exclusive holder's lock counts.
        assert held.value.holders == (PortHolder(os.getpid(), _command_name()),)
        assert held.value.port == path and "Could not exclusively lock port" in str(held.value)
        with pytest.raises(PortHeld, match="trying again in"):  # still said held while it waits
            line.open()
        holder.close()
        clock.now += 1.0
        line.open()  # released: it opens
        line.close()
    finally:
        holder.close()
        os.close(controller)
        os.close(device)


def _command_name() -> str:
    with open(f"/proc/{os.getpid()}/comm", encoding="utf-8") as comm:
        return comm.read().strip()


def test_the_driver_writes_owed_acks_before_a_new_frame_and_taps_both_ways():
    clock = Clock()
    line = ScriptedLine(clock)
    host = HostConnection(lambda tid: KEY, timers=TIMERS)
    tapped: list[tuple[str, bytes]] = []
    driver = LinkDriver(line, host, clock=clock, tap=lambda way, data, now: tapped.append((way, data)))
    request = encode_message_frame(EchoRequest(T0), seq=1, tid=TID, key=KEY)
    line.incoming.append(request)
    [received] = driver.step()
    assert line.written == [bytes([ACK])]  # the request was ACKed in the same lap
    line.written.clear()
    response = host.answer(received, EchoResponse(Result.OK, T0), clock())
    driver.send(response)
    assert line.written == [response]
    assert tapped == [("rx", request), ("tx", bytes([ACK])), ("tx", response)]


def test_the_driver_never_sleeps_past_a_timer():
    clock = Clock()
    line = ScriptedLine(clock)
    terminal = TerminalConnection(TID, KEY, timers=TIMERS)
    driver = LinkDriver(line, terminal, clock=clock, busy_read=0.05, idle_read=0.2)
    assert driver.step() == [] and line.waits == [0.2]  # nothing pending: the idle read
    driver.send(terminal.send(EchoRequest(T0), clock()))
    sent_at = clock()
    for _ in range(11):  # T_ACK is 0.5 s: ten busy reads reach it, the eleventh resends
        driver.step()
    assert all(wait <= 0.05 for wait in line.waits[1:])
    assert clock() == pytest.approx(sent_at + 0.5)
    assert line.written[-1] == line.written[0]  # the frame again, on time


def test_drain_answers_what_waited_and_hands_it_back():
    clock = Clock()
    line = ScriptedLine(clock)
    terminal = TerminalConnection(TID, KEY, timers=TIMERS)
    driver = LinkDriver(line, terminal, clock=clock)
    late = encode_message_frame(EchoResponse(Result.OK, T0), seq=9, tid=TID, key=KEY)
    line.incoming.append(late)
    events = driver.drain()
    assert [type(event).__name__ for event in events] == ["FrameDropped"]
    assert line.written == [bytes([ACK])]  # ACKed, so the host stops resending it
    assert line.waits == [0, 0]  # and no waiting for more


def test_a_client_given_another_line_talks_over_that_one(tmp_path):
    from terminal.client import HostClient, LinkFailure
    from terminal.journal import Journal

    clock = Clock()
    first, second = ScriptedLine(clock), ScriptedLine(clock)
    first.open = second.open = lambda: None  # type: ignore[attr-defined]
    with Journal(tmp_path / "journal.sqlite") as journal:
        client = HostClient(
            tid=TID, merchant_id="898440358120001", operator_id="00", key=KEY, line=first,  # type: ignore[arg-type]
            journal=journal, timers=TIMERS, monotonic=clock, wall_clock=lambda: T0,
        )
        client.line = second  # type: ignore[assignment]
        with pytest.raises(LinkFailure):  # nobody answers on the scripted line
            client.echo()
    assert first.written == [] and second.written  # the request went out on the new line


class RecordingSerialLine(SerialLine):
    """A SerialLine whose reads hand out queued chunks and note the bytes the driver said it awaits."""

    def __init__(self, clock: Clock) -> None:
        super().__init__("scripted", 115200, clock=clock)
        self.incoming: deque[bytes] = deque()
        self.awaited: list[int] = []

    def read(self, timeout: float, *, awaited: int = 0) -> bytes:
        self.awaited.append(awaited)
        return self.incoming.popleft() if self.incoming else b""

    def write(self, data: bytes) -> None:
        pass


def test_the_driver_tells_a_serial_line_how_much_of_a_frame_is_still_on_its_way():
    clock = Clock()
    line = RecordingSerialLine(clock)
    host = HostConnection(lambda tid: KEY, timers=TIMERS)
    driver = LinkDriver(line, host, clock=clock)
    request = encode_message_frame(EchoRequest(T0), seq=1, tid=TID, key=KEY)
    line.incoming.extend([request[:10], request[10:]])
    assert driver.step() == []
    [received] = driver.step()
    assert line.awaited == [0, len(request) - 10]  # the second read may wait for all the rest
    assert received.request == EchoRequest(T0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pty whose other end closes reads EIO on Linux")
def test_a_pty_is_read_directly_and_its_other_end_closing_is_a_line_down():
    controller, device = os.openpty()
    line = SerialLine(os.ttyname(device), 115200)
    try:
        line.open()
        os.write(controller, b"\x06\x15")
        assert line.read(1.0) == b"\x06\x15"  # both bytes in one read
        assert line.read(0) == b""
        os.close(controller)
        controller = -1
        with pytest.raises(LineDown, match="read failed"):
            line.read(1.0)
    finally:
        line.close()
        if controller >= 0:
            os.close(controller)
        os.close(device)
