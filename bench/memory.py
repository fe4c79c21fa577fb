"""Memory over time: the RSS of a terminal process after a warm-up and after 1,000 cancellations
through HostClient in that process (across `pos-sim cable --baud` to a `pos-sim host` process), and
of `pos-terminal` in demo mode, driven by keys in a pty, after a warm-up and after 200 screen round
trips (menu -> merchant -> list (LIST) -> details -> back -> back; every tenth through History
too). Each figure is printed next to its own warm-up figure from the same run. Target: growth <= 5 %.

Each stage shows VmHWM (the peak so far) beside VmRSS. The app's peak is set once, by the
supervisor PIN's check before the plugin's menu: scrypt (terminal/supervisor_pin.py) works in
128 * r * N = 16 MiB by design (it is what makes a stolen config's PIN hash slow to crack on
any hardware), which is allocated for the check and given back to the system right after it.

    uv run python bench/memory.py [--cancels 1000] [--round-trips 200] [--baud 115200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from host_ready import echo_until_answered
from machine import load_average

from e2e import KEY_HEX, MERCHANT, TID, data_file
from tests.support.pty_session import BIN, PtySession, clean_env

WARM_CANCELS = 50
WARM_ROUND_TRIPS = 20


def status_kib(field: str, pid: str | int = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_kib(pid: str | int = "self") -> tuple[int, int]:
    """VmRSS and VmHWM (the peak so far) of process `pid`."""
    return status_kib("VmRSS", pid), status_kib("VmHWM", pid)


def client_growth(cancels: int, baud: int, workdir: Path) -> list[tuple[str, tuple[int, int]]]:
    """RSS of this process (the terminal's client and journal) at each stage."""
    from protocol import Timers
    from terminal.client import HostClient
    from terminal.journal import AttemptState, Journal
    from terminal.transport import SerialLine

    stages = [("before the client", memory_kib())]
    cable = subprocess.Popen(
        [str(BIN / "pos-sim"), "cable", "--baud", str(baud)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    host = None
    try:
        terminal_end, host_end = cable.stdout.readline().split()
        host = subprocess.Popen(
            [str(BIN / "pos-sim"), "host", "--port", host_end, "--baud", str(baud),
             "--data", str(data_file(workdir, WARM_CANCELS + cancels, datetime.now())), "--db", str(workdir / "host.db")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        journal = Journal.open(workdir / "journal.sqlite")
        client = HostClient(
            tid=TID, merchant_id=MERCHANT, operator_id="00", key=bytes.fromhex(KEY_HEX),
            line=SerialLine(terminal_end, baud), journal=journal, timers=Timers(), baud=baud,
        )
        echo_until_answered(client, within=20)
        for number in range(WARM_CANCELS + cancels):
            if number == WARM_CANCELS:
                stages.append((f"after {WARM_CANCELS} cancellations (warm-up)", memory_kib()))
            outcome = client.cancel(f"E{number:07d}", 1, 0)
            assert outcome.state is AttemptState.CANCELLED, outcome
            if number == WARM_CANCELS + cancels // 2:
                stages.append((f"after {cancels // 2} more", memory_kib()))
        stages.append((f"after {cancels} more", memory_kib()))
        client.close()
        journal.close()
    finally:
        for process in (host, cable):
            if process is not None:
                process.terminate()
                process.wait(10)
    return stages


# One round trip from the plugin's menu and back; (key, marker of the screen it leads to).
ROUND_TRIP = [
    ("1", "号码正确"),
    ("enter", "按数字键选择"),  # the list (after its LIST exchange)
    ("4", "取消费用"),
    ("escape", "共 5 个"),
    ("escape", "技术员：线路"),
]
HISTORY_TRIP = [("2", "还没有取消记录"), ("escape", "技术员：线路")]


def app_growth(round_trips: int, workdir: Path) -> list[tuple[str, tuple[int, int]]]:
    env = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
    stages = []
    with PtySession([str(BIN / "pos-terminal")], clean_env(workdir / "warm", **env)) as session:
        session.wait_for("按数字键选择功能", timeout=30)  # fills the bytecode cache
        session.quit()
    with PtySession([str(BIN / "pos-terminal")], clean_env(workdir / "home", **env)) as session:
        def figures() -> tuple[int, int]:
            return session.status("VmRSS"), session.status("VmHWM")

        session.wait_for("按数字键选择功能", timeout=30)
        stages.append(("menu painted", figures()))
        session.press("1", "主管密码")
        for digit in "123456":
            session.press(digit, "•")
        stages.append(("PIN typed, not yet checked", figures()))
        session.press("enter", "技术员：线路")
        stages.append(("PIN checked (scrypt), plugin menu", figures()))
        for number in range(WARM_ROUND_TRIPS + round_trips):
            if number == WARM_ROUND_TRIPS:
                session.drain(0.2)
                stages.append((f"after {WARM_ROUND_TRIPS} round trips (warm-up)", figures()))
            for key, marker in ROUND_TRIP + (HISTORY_TRIP if number % 10 == 9 else []):
                session.press(key, marker)
            if number == WARM_ROUND_TRIPS + round_trips // 2:
                session.drain(0.2)
                stages.append((f"after {round_trips // 2} more", figures()))
        session.drain(0.2)
        stages.append((f"after {round_trips} more", figures()))
        session.quit()
    return stages


def show(title: str, stages: list[tuple[str, tuple[int, int]]], warm_index: int, last_index: int) -> None:
    print(f"\n{title}")
    print(f"  {'':44} {'VmRSS':>12} {'VmHWM (peak)':>14}")
    for name, (rss, peak) in stages:
        print(f"  {name:44} {rss / 1024:8.1f} MiB {peak / 1024:10.1f} MiB")
    warm, last = stages[warm_index][1][0], stages[last_index][1][0]
    growth = (last - warm) / warm * 100
    print(f"  RSS growth after the warm-up: {growth:+.1f} % (target <= 5 %: {'meets' if growth <= 5 else 'MISSES'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cancels", type=int, default=1000)
    parser.add_argument("--round-trips", type=int, default=200)
    parser.add_argument("--baud", type=int, default=115200)
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as directory:
        workdir = Path(directory)
        (workdir / "client").mkdir()
        client = client_growth(args.cancels, args.baud, workdir / "client")
        show(f"terminal client process (HostClient + journal), {args.cancels} cancellations at {args.baud} baud",
             client, 1, -1)
        app = app_growth(args.round_trips, workdir)
        show(f"pos-terminal (demo) in an 80x24 pty, {args.round_trips} screen round trips", app, 3, -1)
        typed, checked = app[1][1][1], app[2][1][1]
        print(
            f"  the peak: {checked / 1024:.1f} MiB, set by the PIN's check (+{(checked - typed) / 1024:.1f} MiB over the"
            f" peak before it; scrypt's 16 MiB, given back when the check ends); RSS at the end"
            f" {app[-1][1][0] / 1024:.1f} MiB, peak at the end {app[-1][1][1] / 1024:.1f} MiB"
        )
    print(
        f"\nRSS is VmRSS, the peak VmHWM, from /proc/PID/status; nothing is collected by force."
        f" load average at end: {load_average()}"
    )


if __name__ == "__main__":
    main()
