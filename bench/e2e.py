"""End-to-end cancellation time, across `pos-sim cable --baud` at 9600 and 115200 against a
`pos-sim host` process, next to the exchange's own wire time (request + ACK + response + ACK at 10
bits a byte) measured in the same run. Two paths:

  client: `HostClient.cancel` (what Enter on the confirmation screen and `pos-terminal cancel`
          both run) to its result, in this process;
  screen: Enter on the confirmation screen of `pos-terminal` (configured for the cable's port and
          speed, in an 80x24 pty) to the result screen painted; between two, Enter on the result
          goes back to the list, and 1, Enter, 1 to the next confirmation. The wire time is the
          client path's (the same frames).

Targets: client <= 1.2 x wire + 20 ms; screen <= 1.2 x wire + 2 x the floor push + 5 ms, the floor
push being Textual's own push of a bare screen, measured in the same run by bench/floor.py (the
floor bench/screens.py judges screens against): the screen path pushes the waiting screen and then
the result.

With --console, the client path runs against `pos-sim host` and against `pos-sim console` (the
same host with its live console, in an 80x24 pty, showing the Traffic panel as frames come in), in
alternate rounds, and prints both side by side. Target: the console adds <= 2 ms to the median.

    uv run python bench/e2e.py [--cancels 15] [--bauds 9600,115200] [--paths client,screen]
    uv run python bench/e2e.py --console [--rounds 3] [--cancels 15] [--bauds 9600,115200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from floor import PUSH, floor_pass, warm_up
from host_ready import echo_until_answered
from machine import load_average

from protocol import Timers
from protocol.link import wire_time
from terminal.client import HostClient
from terminal.journal import AttemptState, Journal
from terminal.transport import SerialLine
from tests.support.pty_session import PtySession, clean_env

BIN = Path(sys.executable).parent
KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
TID, MERCHANT = "TEST0001", "898440358120001"


def data_file(directory: Path, count: int, now: datetime) -> Path:
    lines = [f'[[terminal]]\ntid = "{TID}"\nmerchant_id = "{MERCHANT}"\nkey = "{KEY_HEX}"\n']
    for number in range(count):
        at = now + timedelta(days=3, minutes=number)
        lines.append(
            f'[[appointment]]\nid = "E{number:07d}"\nmerchant_id = "{MERCHANT}"\n'
            f'scheduled_at = "{at:%Y-%m-%dT%H:%M:%S}"\nservice = 1\nstatus = 1\n'
            f'address = "成都市武侯区天府大道100号"\nlate_fee = 5000\n'
            f'free_until = "{at - timedelta(days=1):%Y-%m-%dT%H:%M:%S}"\n'
            f'cancel_until = "{at - timedelta(hours=2):%Y-%m-%dT%H:%M:%S}"\n'
        )
    path = directory / "data.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def start_line(
    baud: int, appointments: int, workdir: Path, *, console: bool = False
) -> tuple[str, list[subprocess.Popen | PtySession]]:
    """A paced cable and a host process on its B end (`pos-sim console` in a pty when `console`);
    the terminal's end and the processes."""
    cable = subprocess.Popen(
        [str(BIN / "pos-sim"), "cable", "--baud", str(baud)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    terminal_end, host_end = cable.stdout.readline().split()
    serving = [
        "--port", host_end, "--baud", str(baud),
        "--data", str(data_file(workdir, appointments, datetime.now())), "--db", str(workdir / f"host-{baud}.db"),
    ]
    if not console:
        host = subprocess.Popen([str(BIN / "pos-sim"), "host", *serving], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return terminal_end, [host, cable]
    shown = PtySession([str(BIN / "pos-sim"), "console", *serving], clean_env(workdir), columns=80, rows=24)
    shown.wait_for("lines 1/1 open", timeout=30)
    shown.press("2", "following the newest")  # the Traffic panel: it repaints as every frame comes in
    return terminal_end, [shown, cable]


def stop(processes: list[subprocess.Popen | PtySession]) -> None:
    for process in processes:
        if isinstance(process, PtySession):
            process.quit()
            continue
        process.terminate()
        process.wait(10)


def measure(baud: int, cancels: int, workdir: Path, *, console: bool = False) -> dict:
    workdir = workdir / f"{'console' if console else 'client'}-{baud}"
    workdir.mkdir()
    terminal_end, processes = start_line(baud, cancels + 2, workdir, console=console)
    shown = processes[0] if console else None
    try:
        journal = Journal.open(workdir / f"journal-{baud}.sqlite")
        client = HostClient(
            tid=TID, merchant_id=MERCHANT, operator_id="00", key=bytes.fromhex(KEY_HEX),
            line=SerialLine(terminal_end, baud), journal=journal, timers=Timers(), baud=baud,
        )
        echo_until_answered(client, within=20)
        times, wires = [], []
        # The serving process's CPU, so that what the console costs shows beside what it adds.
        cpu_before = shown.cpu_seconds() if isinstance(shown, PtySession) else None
        for number in range(cancels):
            started = time.perf_counter()
            outcome = client.cancel(f"E{number:07d}", 1, 0)
            times.append(time.perf_counter() - started)
            assert outcome.state is AttemptState.CANCELLED, outcome
            # The bytes this exchange put on the line both ways: the two frames and two ACKs.
            wires.append(_exchange_wire_time(client, baud))
        client.close()
        journal.close()
        result = {"baud": baud, "times": times, "wire": statistics.median(wires)}
        if isinstance(shown, PtySession) and cpu_before is not None:
            shown.drain(quiet=0.3)  # what the console paints after the last exchange
            result["serving_cpu"] = shown.cpu_seconds() - cpu_before
        return result
    finally:
        stop(processes)


def measure_screen(baud: int, cancels: int, workdir: Path) -> dict:
    """Enter on the confirmation screen to the result screen painted, in the real app."""
    from terminal.config import DEMO_PIN_HASH

    workdir = workdir / f"screen-{baud}"
    workdir.mkdir()
    terminal_end, processes = start_line(baud, cancels + 2, workdir)
    key_file = workdir / "terminal.key"
    key_file.write_text(KEY_HEX + "\n")
    key_file.chmod(0o600)
    config = workdir / "terminal.toml"
    config.write_text(
        f'[terminal]\ntid = "{TID}"\nmerchant_id = "{MERCHANT}"\nkey_file = "terminal.key"\n'
        f'supervisor_pin = "{DEMO_PIN_HASH}"\n[link]\nport = "{terminal_end}"\nbaud = {baud}\n'
        f'[journal]\npath = "journal.sqlite"\n',
        encoding="utf-8",
    )
    env = clean_env(workdir, PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(workdir.parent / "pycache"))
    times = []
    try:
        with PtySession([str(BIN / "pos-terminal"), "--config", str(config)], env) as app:
            app.wait_for("按数字键选择功能", timeout=30)
            time.sleep(1.0)
            app.press("1", "主管密码")
            for digit in "123456":
                app.press(digit, "•")
            app.press("enter", "技术员：线路")
            app.press("1", "号码正确")
            app.press("enter", f"共 {cancels + 2} 个", timeout=30)
            for number in range(cancels):
                app.press("1", "取消费用")
                app.press("enter", "为什么取消")
                app.press("1", "确认取消这个预约")
                (seconds,) = app.press("enter", "预约已取消", timeout=30)
                times.append(seconds)
                app.press("enter", f"共 {cancels + 1 - number} 个", timeout=30)
            app.quit()
    finally:
        stop(processes)
    return {"baud": baud, "times": times}


def measure_floor_push(rounds: int = 3, presses: int = 4) -> float:
    """The floor push (seconds, median) by bench/floor.py's app, at the screen path's size."""
    with tempfile.TemporaryDirectory(prefix="bench-e2e-floor-") as directory:
        workdir = Path(directory)
        env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
        warm_up(workdir, env, (80, 24))
        pushes = [
            press.seconds
            for number in range(rounds)
            for press in floor_pass(workdir / f"floor-{number}", env, (80, 24), presses)[PUSH]
        ]
    return statistics.median(pushes)


def _exchange_wire_time(client: HostClient, baud: int) -> float:
    """Wire time of the last exchange, from the frames the trace saw (request, response, 2 ACKs)."""
    frames = [line.record.data for line in client.trace_entries(12) if line.record.kind == "frame"]
    request, response = frames[-2], frames[-1]
    return wire_time(len(request) + 1 + len(response) + 1, baud)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cancels", type=int, default=15)
    parser.add_argument("--bauds", default="9600,115200")
    parser.add_argument("--paths", default="client,screen", help="client, screen or both")
    parser.add_argument("--console", action="store_true", help="the client path against pos-sim host and pos-sim console")
    parser.add_argument("--rounds", type=int, default=3, help="with --console: alternate rounds of each")
    args = parser.parse_args()
    paths = args.paths.split(",")
    print(f"load average at start: {load_average()}")
    if args.console:
        compare_console(args)
        return
    floor_push = None
    if "screen" in paths:
        floor_push = measure_floor_push()
        print(f"floor push (bench/floor.py, 80x24, this run): {floor_push * 1000:.1f} ms")
    print(f"{'path':7} {'baud':>7} {'wire ms':>8} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'target ms':>10} {'ratio':>6}  verdict")
    with tempfile.TemporaryDirectory() as directory:
        for baud in (int(b) for b in args.bauds.split(",")):
            # The client path always runs: its frames give the wire time of both.
            client = measure(baud, args.cancels, Path(directory))
            results = [("client", client)] if "client" in paths else []
            if "screen" in paths:
                results.append(("screen", {**measure_screen(baud, args.cancels, Path(directory)), "wire": client["wire"]}))
            for path, result in results:
                times = sorted(result["times"])
                median = statistics.median(times) * 1000
                p90 = times[int(0.9 * (len(times) - 1))] * 1000
                wire = result["wire"] * 1000
                target = 1.2 * wire + (20 if path == "client" else 2 * floor_push * 1000 + 5)
                print(
                    f"{path:7} {baud:7d} {wire:8.1f} {median:10.1f} {p90:8.1f} {times[-1] * 1000:8.1f} {target:10.1f}"
                    f" {median / wire:5.2f}x  {'meets' if median <= target else 'MISSES'}", flush=True,
                )
    print("\nclient: HostClient.cancel to its result over the paced cable, host in its own process;"
          "\nscreen: Enter on the confirmation screen to the result screen painted, pos-terminal in a pty;"
          "\nwire: request + ACK + response + ACK at 10 bits a byte; target: client 1.2 x wire + 20 ms,"
          " screen 1.2 x wire + 2 x the floor push + 5 ms."
          f"\nload average at end: {load_average()}")

def compare_console(args: argparse.Namespace) -> None:
    """The client path against the plain host and against the console, rounds alternating so that
    a change in the machine's load falls on both alike."""
    print(f"{'baud':>7} {'wire ms':>8} {'host ms':>8} {'console ms':>11} {'added ms':>9} {'target':>7}  verdict"
          f"   console CPU/exchange (painting included)")
    with tempfile.TemporaryDirectory() as directory:
        for baud in (int(b) for b in args.bauds.split(",")):
            plain: list[float] = []
            shown: list[float] = []
            wires: list[float] = []
            cpu = 0.0
            for round_number in range(args.rounds):
                workdir = Path(directory) / f"round-{baud}-{round_number}"
                workdir.mkdir()
                host = measure(baud, args.cancels, workdir)
                console = measure(baud, args.cancels, workdir, console=True)
                plain += host["times"]
                shown += console["times"]
                wires.append(host["wire"])
                cpu += console["serving_cpu"]
            host_ms, console_ms = statistics.median(plain) * 1000, statistics.median(shown) * 1000
            added = console_ms - host_ms
            print(
                f"{baud:7d} {statistics.median(wires) * 1000:8.1f} {host_ms:8.1f} {console_ms:11.1f} {added:+9.1f}"
                f" {'<= 2':>7}  {'meets' if added <= 2 else 'MISSES'}"
                f"   {cpu / (args.rounds * args.cancels) * 1000:.1f} ms", flush=True,
            )
    print(f"\n{args.rounds} rounds of {args.cancels} cancels each way, medians over all; host: pos-sim host, console:"
          "\npos-sim console in an 80x24 pty showing Traffic; added: console median - host median."
          f"\nload average at end: {load_average()}")


if __name__ == "__main__":
    main()
