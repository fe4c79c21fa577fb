"""The virtual null-modem cable: faithful relay, impairments at the asked rates, pacing, unplugging, CLI."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import serial

from simulator.cable import CableSettings, DirectionCounters, NullModemCable, UnplugWindow
from simulator.cli import main
from tests.hil.sim_processes import sim_cable

DEADLINE = 10.0


# -- helpers -------------------------------------------------------------------------------------


@contextmanager
def endpoint(path: str) -> Iterator[int]:
    """Open one end of the cable as a terminal program would: raw, and not as controlling tty."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        yield fd
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting until {what}")
        time.sleep(0.002)


def read_exactly(fd: int, size: int, timeout: float = DEADLINE) -> bytes:
    received = bytearray()
    deadline = time.monotonic() + timeout
    while len(received) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"received {len(received)} of {size} bytes before the deadline: {bytes(received[:64])!r}...")
        if select.select([fd], [], [], left)[0]:
            received += os.read(fd, size - len(received))
    return bytes(received)


def nothing_arrives(fd: int, within: float = 0.1) -> bool:
    return not select.select([fd], [], [], within)[0]


def bytes_due(way: DirectionCounters) -> int:
    """How many bytes the receiving end gets for what the cable has read so far."""
    return (
        way.bytes_in
        - way.dropped
        - way.lost_to_unplug
        - way.overflowed
        + way.duplicated
        + way.noise_inserted
    )


def send_through(cable: NullModemCable, data: bytes, *, a_to_b: bool = True) -> bytes:
    """Write data at one end while reading the other, until everything the cable read has arrived."""
    source, sink = (cable.path_a, cable.path_b) if a_to_b else (cable.path_b, cable.path_a)

    def this_way() -> DirectionCounters:
        return cable.counters.a_to_b if a_to_b else cable.counters.b_to_a

    with endpoint(source) as source_fd, endpoint(sink) as sink_fd:
        writer = threading.Thread(target=write_all, args=(source_fd, data))
        writer.start()
        received = bytearray()
        deadline = time.monotonic() + DEADLINE
        while True:
            way = this_way()
            if way.bytes_in == len(data) and len(received) >= bytes_due(way):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"transfer stalled: received {len(received)} bytes, counters {way}")
            if select.select([sink_fd], [], [], 0.05)[0]:
                received += os.read(sink_fd, 65536)
        writer.join()
    # The relay counts a write after it returns, by which time the reader may already have the bytes.
    wait_until(lambda: this_way().bytes_out == len(received), "the cable has counted what it wrote")
    assert this_way().overflowed == 0
    return bytes(received)


def random_bytes(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def is_subsequence(short: bytes, long: bytes) -> bool:
    remaining = iter(long)
    return all(byte in remaining for byte in short)


class SteppedClock:
    """A clock that moves only when the test says, so unplug windows open and close on cue."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- faithful relay ------------------------------------------------------------------------------


def test_every_byte_value_passes_unchanged_and_in_order_both_ways() -> None:
    # Every value, including CR, LF, ^C, ^D, ^S/^Q and DEL, which a cooked tty would interpret.
    message = bytes(range(256)) * 40
    with NullModemCable() as cable:
        assert send_through(cable, message, a_to_b=True) == message
        assert send_through(cable, message[::-1], a_to_b=False) == message[::-1]
        counters = cable.counters
    assert counters.a_to_b.bytes_in == counters.a_to_b.bytes_out == len(message)
    assert counters.b_to_a.bytes_in == counters.b_to_a.bytes_out == len(message)


def test_both_directions_at_once_stay_apart() -> None:
    from_a, from_b = random_bytes(20_000, seed=2), random_bytes(20_000, seed=3)
    with NullModemCable() as cable, endpoint(cable.path_a) as a, endpoint(cable.path_b) as b:
        writers = [threading.Thread(target=write_all, args=args) for args in ((a, from_a), (b, from_b))]
        for writer in writers:
            writer.start()
        got = {}
        readers = [
            threading.Thread(target=lambda: got.__setitem__("at_b", read_exactly(b, len(from_a)))),
            threading.Thread(target=lambda: got.__setitem__("at_a", read_exactly(a, len(from_b)))),
        ]
        for thread in readers:
            thread.start()
        for thread in writers + readers:
            thread.join()
    assert got == {"at_b": from_a, "at_a": from_b}


# -- impairments ---------------------------------------------------------------------------------

SENT = random_bytes(100_000, seed=11)
RATE = 0.05
TOLERANCE = 0.003


def test_drop_loses_bytes_at_the_asked_rate_and_keeps_the_rest_in_order() -> None:
    with NullModemCable(CableSettings(drop=RATE, seed=5)) as cable:
        received = send_through(cable, SENT)
        way = cable.counters.a_to_b
    assert abs((len(SENT) - len(received)) / len(SENT) - RATE) <= TOLERANCE
    assert way.dropped == len(SENT) - len(received)
    assert is_subsequence(received, SENT)
    assert (way.flipped, way.duplicated, way.noise_inserted) == (0, 0, 0)


def test_flip_changes_exactly_one_bit_of_bytes_at_the_asked_rate() -> None:
    with NullModemCable(CableSettings(flip=RATE, seed=5)) as cable:
        received = send_through(cable, SENT)
        way = cable.counters.a_to_b
    assert len(received) == len(SENT)
    differences = [sent ^ got for sent, got in zip(SENT, received) if sent != got]
    assert all(bin(difference).count("1") == 1 for difference in differences)
    assert len(differences) == way.flipped
    assert abs(way.flipped / len(SENT) - RATE) <= TOLERANCE


def assert_added_at_the_asked_rate(received: bytes, added: int) -> None:
    """What dup and noise both promise: `added` bytes more than were sent, at RATE, none lost."""
    assert len(received) == len(SENT) + added
    assert abs(added / len(SENT) - RATE) <= TOLERANCE
    assert is_subsequence(SENT, received)


def test_dup_delivers_bytes_twice_at_the_asked_rate() -> None:
    with NullModemCable(CableSettings(dup=RATE, seed=5)) as cable:
        received = send_through(cable, SENT)
        added = cable.counters.a_to_b.duplicated
    assert_added_at_the_asked_rate(received, added)
    # Taking out one copy wherever a byte repeats more often than the sender sent it gives it back.
    assert bytes(received[i] for i in range(len(received)) if i == 0 or received[i] != received[i - 1]) == bytes(
        SENT[i] for i in range(len(SENT)) if i == 0 or SENT[i] != SENT[i - 1]
    )


def test_noise_inserts_random_bytes_at_the_asked_rate() -> None:
    with NullModemCable(CableSettings(noise=RATE, seed=5)) as cable:
        received = send_through(cable, SENT)
        added = cable.counters.a_to_b.noise_inserted
    assert_added_at_the_asked_rate(received, added)


def test_the_same_seed_damages_the_same_bytes_the_same_way() -> None:
    settings = CableSettings(drop=0.02, flip=0.02, dup=0.02, noise=0.02, seed=42)
    message = SENT[:20_000]

    def through(settings: CableSettings) -> bytes:
        with NullModemCable(settings) as cable:
            return send_through(cable, message, a_to_b=False)

    first = through(settings)
    assert first != message
    assert through(settings) == first
    assert through(CableSettings(drop=0.02, flip=0.02, dup=0.02, noise=0.02, seed=43)) != first


# -- pacing --------------------------------------------------------------------------------------


def test_9600_baud_moves_960_bytes_in_a_second() -> None:
    message = random_bytes(960, seed=9)
    arrivals = []
    received = bytearray()
    with NullModemCable(CableSettings(baud=9600)) as cable, endpoint(cable.path_a) as a, endpoint(cable.path_b) as b:
        write_all(a, message)
        deadline = time.monotonic() + DEADLINE
        while len(received) < len(message) and time.monotonic() < deadline:
            if select.select([b], [], [], 0.1)[0]:
                received += os.read(b, 4096)
                arrivals.append(time.monotonic())
    assert bytes(received) == message
    # The first byte arrives one byte time after the write, the last 959 byte times after it.
    elapsed = arrivals[-1] - arrivals[0]
    assert 0.9 <= elapsed <= 1.1, f"960 bytes took {elapsed:.3f} s at 9600 baud"


# -- unplugging ----------------------------------------------------------------------------------


def test_nothing_passes_while_unplugged_and_plugging_back_resumes() -> None:
    with NullModemCable() as cable, endpoint(cable.path_a) as a, endpoint(cable.path_b) as b:
        write_all(a, b"before")
        assert read_exactly(b, 6) == b"before"

        cable.unplug()
        assert not cable.plugged
        write_all(a, b"lost-a")
        write_all(b, b"lost-b!")
        wait_until(
            lambda: (cable.counters.a_to_b.lost_to_unplug, cable.counters.b_to_a.lost_to_unplug) == (6, 7),
            "the cable has read and discarded both messages",
        )
        assert nothing_arrives(a) and nothing_arrives(b)

        cable.plug()
        assert cable.plugged
        write_all(a, b"after")
        write_all(b, b"back")
        assert read_exactly(b, 5) == b"after"
        assert read_exactly(a, 4) == b"back"


def test_unplug_windows_follow_the_cable_clock() -> None:
    clock = SteppedClock()
    settings = CableSettings(unplug=(UnplugWindow(start_ms=1000, length_ms=500),))
    with NullModemCable(settings, unplug_clock=clock) as cable, endpoint(cable.path_a) as a, endpoint(cable.path_b) as b:
        write_all(a, b"early")
        assert read_exactly(b, 5) == b"early"

        clock.now += 1.2
        write_all(b, b"in the window")
        wait_until(lambda: cable.counters.b_to_a.lost_to_unplug == 13, "the cable discarded the message")
        assert nothing_arrives(a)

        clock.now += 0.3  # exactly 1.5 s: the window is over
        write_all(b, b"late")
        assert read_exactly(a, 4) == b"late"


def test_a_paced_byte_due_while_unplugged_is_lost() -> None:
    # 10 baud: one byte a second, so the cable is pulled out while the byte is still on the line.
    with NullModemCable(CableSettings(baud=10)) as cable, endpoint(cable.path_a) as a, endpoint(cable.path_b) as b:
        write_all(a, b"x")
        wait_until(lambda: cable.counters.a_to_b.bytes_in == 1, "the cable has read the byte")
        cable.unplug()
        wait_until(lambda: cable.counters.a_to_b.lost_to_unplug == 1, "the byte is due and discarded", timeout=3)
        assert nothing_arrives(b)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("5", "no ':'"), ("a:b", "whole numbers"), ("-1:5", "before the cable"), ("5:0", "at least 1 ms")],
)
def test_malformed_unplug_windows_are_refused_with_the_right_form(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as refusal:
        UnplugWindow.parse(text)
    assert "START_MS:LENGTH_MS" in str(refusal.value)


@pytest.mark.parametrize("settings", [{"drop": 1.5}, {"flip": -0.1}, {"baud": 0}, {"baud": 9600.5}])
def test_impossible_settings_are_refused(settings: dict) -> None:
    with pytest.raises(ValueError):
        CableSettings(**settings)


# -- endpoints coming and going ------------------------------------------------------------------


def test_an_endpoint_closed_and_reopened_still_relays() -> None:
    with NullModemCable() as cable, endpoint(cable.path_a) as a:
        for attempt in range(3):
            # pyserial, as the terminal opens its port; closing it is the terminal restarting.
            with serial.Serial(cable.path_b, 115200, timeout=DEADLINE) as terminal:
                write_all(a, b"ping %d" % attempt)
                assert terminal.read(6) == b"ping %d" % attempt
                terminal.write(b"pong %d" % attempt)
                terminal.flush()
                assert read_exactly(a, 6) == b"pong %d" % attempt
        assert cable.running and cable.failure is None


def test_bytes_nobody_reads_are_lost_in_the_end_and_the_sender_goes_on() -> None:
    with NullModemCable() as cable, endpoint(cable.path_a) as a:
        os.set_blocking(a, False)

        def keep_sending() -> bool:
            try:
                os.write(a, bytes(4096))
            except BlockingIOError:
                pass
            return cable.counters.a_to_b.overflowed > 0

        # Nobody opens B: once the pty's buffers and the cable's backlog are full, a second
        # without a reader costs the backlog.
        wait_until(keep_sending, "the cable gives up on the bytes nobody reads")
        way = cable.counters.a_to_b
        assert way.bytes_out + way.overflowed <= way.bytes_in
        assert cable.running and cable.failure is None


def test_stop_is_prompt_and_closes_the_endpoints() -> None:
    cable = NullModemCable().start()
    path_a = cable.path_a
    started = time.monotonic()
    cable.stop()
    assert time.monotonic() - started < 0.5
    assert not cable.running
    assert not os.path.exists(path_a) or _cannot_open(path_a)
    cable.stop()  # a second stop is harmless


def _cannot_open(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return True
    return False


# -- the pos-sim command -------------------------------------------------------------------------


def _pos_sim() -> list[str]:
    # The console script installed beside this interpreter is what `uv run pos-sim` runs.
    script = Path(sys.executable).parent / "pos-sim"
    return [str(script)] if script.exists() else [sys.executable, "-m", "simulator"]


def _first_line(process: subprocess.Popen, timeout: float = DEADLINE) -> str:
    assert process.stdout is not None
    if not select.select([process.stdout], [], [], timeout)[0]:
        process.kill()
        pytest.fail(f"pos-sim cable printed nothing within {timeout} s; stderr: {process.stderr.read()}")
    return process.stdout.readline()


def test_pos_sim_cable_prints_the_endpoints_relays_and_reports_on_sigterm(tmp_path: Path) -> None:
    link_a, link_b = tmp_path / "terminal-port", tmp_path / "host-port"
    process = subprocess.Popen(
        [*_pos_sim(), "cable", "--seed", "7", "--link-a", str(link_a), "--link-b", str(link_b)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(process)
        path_a, path_b = line.split()
        assert line == f"{path_a} {path_b}\n"
        assert os.path.exists(path_a) and os.path.exists(path_b)
        assert os.readlink(link_a) == path_a and os.readlink(link_b) == path_b
        with endpoint(str(link_a)) as a, endpoint(str(link_b)) as b:
            write_all(a, b"\x02hello\x03")
            assert read_exactly(b, 7) == b"\x02hello\x03"
            write_all(b, b"\x06")
            assert read_exactly(a, 1) == b"\x06"
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=DEADLINE)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    assert "A->B: in 7, out 7, dropped 0" in errors
    assert "B->A: in 1, out 1, dropped 0" in errors
    assert "seed 7" in errors
    assert not link_a.exists() and not link_a.is_symlink()
    assert not link_b.exists() and not link_b.is_symlink()


def test_pos_sim_cable_refuses_an_impossible_probability() -> None:
    finished = subprocess.run([*_pos_sim(), "cable", "--drop", "2"], capture_output=True, text=True, timeout=DEADLINE)
    assert finished.returncode == 2
    assert finished.stdout == ""
    assert "argument --drop: '2' is not a probability; write a number from 0 to 1, such as 0.05" in finished.stderr


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--flip", "-0.1"], "argument --flip: '-0.1' is not a probability"),
        (["--noise", "lots"], "argument --noise: 'lots' is not a probability"),
        (["--baud", "0"], "argument --baud: '0' is not a supported speed; use one of 9600, 19200"),
        (["--baud", "96OO"], "argument --baud: '96OO' is not a supported speed"),
        (["--unplug", "5000"], "argument --unplug: '5000' has no ':'; write START_MS:LENGTH_MS"),
        (["--unplug", "5000:-2"], "write START_MS:LENGTH_MS"),
        (["--seed", "x"], "argument --seed: 'x' is not a seed"),
    ],
)
def test_pos_sim_cable_explains_bad_arguments(
    arguments: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cable", *arguments]) == 2
    assert complaint in capsys.readouterr().err


def test_pos_sim_cable_refuses_a_link_path_taken_by_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    taken = tmp_path / "port"
    taken.write_text("not a link")
    assert main(["cable", "--link-a", str(taken)]) == 2
    assert "already exists and is not a symlink" in capsys.readouterr().err
    assert taken.read_text() == "not a link"


def test_a_second_cable_on_a_running_cables_links_is_refused_and_names_the_first(tmp_path: Path) -> None:
    links = tmp_path / "terminal-port", tmp_path / "host-port"
    with sim_cable(tmp_path, link_a=links[0], link_b=links[1]) as first:
        for option, link in zip(("--link-a", "--link-b"), links):
            second = subprocess.run([*_pos_sim(), "cable", option, str(link)], capture_output=True, text=True,
                                    timeout=DEADLINE)
            assert second.returncode == 2 and second.stdout == ""
            assert f"pos-sim cable: {link} is taken: it leads to" in second.stderr
            assert f"pid {first.process.pid} (pos-sim cable --link-a {links[0]}" in second.stderr
            assert "Stop that cable first, or choose another link path" in second.stderr
        # The first cable still owns both names, and removes them when it stops.
        assert (os.readlink(links[0]), os.readlink(links[1])) == (first.path_a, first.path_b)
    assert first.process.returncode == 0
    assert not any(link.is_symlink() for link in links)


def test_a_link_whose_pty_is_gone_is_taken_over(tmp_path: Path) -> None:
    link = tmp_path / "terminal-port"
    link.symlink_to(tmp_path / "pts-of-a-killed-cable")
    with NullModemCable(link_a=link) as cable:
        assert os.readlink(link) == cable.path_a
    assert not link.is_symlink()


def test_a_link_whose_pty_number_went_to_another_program_is_taken_over(tmp_path: Path) -> None:
    # A killed cable's link, and Linux has given its pty number to a pty of this test's own.
    master, slave = os.openpty()
    try:
        link = tmp_path / "terminal-port"
        link.symlink_to(os.ttyname(slave))
        with NullModemCable(link_a=link) as cable:
            assert os.readlink(link) == cable.path_a
    finally:
        os.close(master)
        os.close(slave)


def test_a_cable_leaves_its_link_alone_once_it_leads_elsewhere(tmp_path: Path) -> None:
    link = tmp_path / "terminal-port"
    with NullModemCable(link_a=link):
        link.unlink()
        link.symlink_to(tmp_path / "someone-elses")
    assert os.readlink(link) == str(tmp_path / "someone-elses")


def test_pos_sim_cable_refuses_a_capture_it_cannot_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing" / "line.cap"
    assert main(["cable", "--capture", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no endpoints: the cable never started
    assert captured.err == (
        f"pos-sim cable: cannot write the capture to {missing} (No such file or directory); "
        "give --capture a file in a folder that exists and that you may write to\n"
    )


def test_the_tap_sees_each_way_as_delivered_after_the_impairments() -> None:
    seen: list[tuple[str, bytes]] = []
    with NullModemCable(CableSettings(dup=1.0, seed=1), tap=lambda way, data, _now: seen.append((way, data))) as cable:
        with endpoint(cable.path_a) as a, endpoint(cable.path_b) as b:
            write_all(a, b"\x02\x03")
            assert read_exactly(b, 4) == b"\x02\x02\x03\x03"
            write_all(b, b"\x06")
            assert read_exactly(a, 2) == b"\x06\x06"
    assert [way for way, _data in seen] == ["A->B"] * (len(seen) - 1) + ["B->A"]
    assert b"".join(data for way, data in seen if way == "A->B") == b"\x02\x02\x03\x03"
    assert seen[-1] == ("B->A", b"\x06\x06")


def test_pos_sim_without_a_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_python_dash_m_simulator_runs_the_same_command_line(tmp_path) -> None:
    missing = tmp_path / "no-such-capture"
    finished = subprocess.run(
        [sys.executable, "-m", "simulator", "trace", str(missing)], capture_output=True, text=True, timeout=DEADLINE
    )
    assert finished.returncode == 2 and str(missing) in finished.stderr


def test_one_path_for_both_ends_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "line"
    assert main(["cable", "--link-a", str(link), "--link-b", str(link)]) == 2
    assert f"--link-a and --link-b are both {link}; give each end its own path" in capsys.readouterr().err
    assert not link.is_symlink()
