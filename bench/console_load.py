"""The console under 32 busy lines: `pos-sim console` (in an 80x24 pty, showing Traffic, the
panel that costs most) serving N lines, each a paced null-modem cable (in this process) with a
terminal client thread at the other end cancelling in a loop for --seconds. Printed: the traffic
entries the host saw against the newest entry the screen painted (while the traffic flowed and
once it stopped), the entries dropped before the screen took them, the console's resident memory
at the start, the middle and the end (bounded: the traffic log keeps at most its cap), its CPU,
and the cap. Targets: the screen no further behind at the end than at the start (it paints in
batches, and 32 busy serving threads come first), caught up within 2 s of the traffic stopping,
none dropped before shown, memory at the end within 20 MB of the middle.

    uv run python bench/console_load.py [--lines 32] [--seconds 30]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from capacity import BAUD, KEY_HEX, MERCHANT, appt_of, data_file, tid_of
from host_ready import echo_until_answered
from machine import load_average

from protocol import Timers
from simulator.cable import CableSettings, NullModemCable
from simulator.host_activity import TRAFFIC_CAP
from terminal.client import HostClient
from terminal.journal import Journal
from terminal.transport import SerialLine
from tests.support.pty_session import PtySession, clean_env, painted_text

BIN = Path(sys.executable).parent
# A traffic row as painted: its number, then its time (escape sequences taken out).
ROW = re.compile(r"(\d+)\s+\d\d:\d\d:\d\d\.\d{3}")
MISSED = re.compile(r"(\d+) of them before they were shown")


class Painted:
    """The highest entry number painted in the output from byte `since` on, read as it comes."""

    def __init__(self, session: PtySession, since: int) -> None:
        self.session, self.scanned, self.newest = session, since, 0

    def __call__(self) -> int:
        end = len(self.session.output)
        # A little of what was read before, so that a row cut by the last read is read whole.
        text = painted_text(bytes(self.session.output[max(0, self.scanned - 200):end]))
        self.newest = max([self.newest, *(int(number) for number in ROW.findall(text))])
        self.scanned = end
        return self.newest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--per-line", type=int, default=400, help="appointments each line may cancel")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="bench-console-load-") as directory:
        run(args, Path(directory))
    print(f"load average at end: {load_average()}")


def run(args: argparse.Namespace, workdir: Path) -> None:
    cables = [NullModemCable(CableSettings(baud=BAUD)).start() for _ in range(args.lines)]
    session = None
    stop = threading.Event()
    exchanges = [0] * args.lines
    failures: list[str] = []
    try:
        data = data_file(workdir / "data.toml", args.lines, args.per_line, datetime.now())
        ports = [arg for cable in cables for arg in ("--port", cable.path_b)]
        session = PtySession(
            [str(BIN / "pos-sim"), "console", *ports, "--baud", str(BAUD), "--data", str(data),
             "--db", str(workdir / "host.db")],
            clean_env(workdir), columns=80, rows=24,
        )
        session.wait_for(f"lines {args.lines}/{args.lines} open", timeout=60)
        session.press("2", "following the newest")

        def client_loop(line: int, port: str) -> None:
            journal = Journal.open(workdir / f"journal-{line}.sqlite")
            client = HostClient(
                tid=tid_of(line), merchant_id=MERCHANT, operator_id="00", key=bytes.fromhex(KEY_HEX),
                line=SerialLine(port, BAUD), journal=journal, timers=Timers(), baud=BAUD,
            )
            try:
                echo_until_answered(client, within=60)
                started.wait()
                number = 0
                while not stop.is_set():
                    if number < args.per_line:
                        client.cancel(appt_of(line, number), 1, 0)
                    else:
                        client.echo()
                    number += 1
                    exchanges[line] += 1
            except Exception as problem:  # said at the end; the others carry on
                failures.append(f"line {line}: {problem}")
            finally:
                client.close()
                journal.close()

        started = threading.Event()
        threads = [threading.Thread(target=client_loop, args=(line, cable.path_a), daemon=True)
                   for line, cable in enumerate(cables)]
        for thread in threads:
            thread.start()
        time.sleep(2.0)  # the echoes answered
        session.drain(quiet=0.2)
        rss_start = session.status("VmRSS")
        cpu_before = session.cpu_seconds()
        mark = len(session.output)
        newest_painted = Painted(session, mark)
        started.set()
        began = time.monotonic()
        samples = []  # (seconds in, exchanges so far, newest painted so far)
        rss_middle = 0
        while (elapsed := time.monotonic() - began) < args.seconds:
            session.drain(quiet=0.5, limit=1.0)
            samples.append((elapsed, sum(exchanges), newest_painted()))
            if not rss_middle and elapsed >= args.seconds / 2:
                rss_middle = session.status("VmRSS")
        stop.set()
        for thread in threads:
            thread.join(30)
        stopped = time.monotonic()
        cpu_busy = session.cpu_seconds() - cpu_before
        busy_seconds = stopped - began
        # The screen catches up once the traffic stops: the newest entry it paints is then the last
        # the host saw. It paints at least every 0.3 s while rows wait, so 3 s without a newer one
        # means it has caught up; when it painted the last is when it did.
        seen = newest_painted()
        last_change = stopped
        while time.monotonic() - last_change < 3.0 and time.monotonic() - stopped < 60:
            session.drain(quiet=0.1, limit=0.5)
            painted = newest_painted()
            if painted > seen:
                seen, last_change = painted, time.monotonic()
        caught_up_after = last_change - stopped if time.monotonic() - last_change >= 3.0 else None
        rss_end = session.status("VmRSS")
        text = painted_text(bytes(session.output[mark:]))
        missed = max((int(n) for n in MISSED.findall(text)), default=0)
        total_exchanges = sum(exchanges)
    finally:
        stop.set()
        if session is not None:
            session.quit()
        for cable in cables:
            cable.stop()

    # How far the screen was behind while the traffic flowed: entries the host had seen (four a
    # exchange: request, ACK, answer, ACK) minus the newest painted, at each sample.
    per_exchange = seen / max(1, total_exchanges)
    behind = [max(0, round(done * per_exchange) - painted) for _, done, painted in samples[1:]]
    print(f"{args.lines} lines at {BAUD} baud, {busy_seconds:.0f} s of continuous cancels; console in an 80x24 pty on Traffic")
    print(f"exchanges: {total_exchanges} ({total_exchanges / busy_seconds:.0f}/s); failures: {len(failures)}")
    if caught_up_after is not None:
        print(f"traffic entries seen by the host: {seen} (the newest painted once the traffic stopped: the screen "
              f"caught up {caught_up_after:.1f} s after; 4 a exchange from the clients' count: ~{4 * total_exchanges})")
    else:
        print(f"the screen had not caught up 10 s after the traffic stopped (newest painted: {seen}; "
              f"4 a exchange from the clients' count: ~{4 * total_exchanges})")
    rate = seen / busy_seconds  # entries a second
    growing = True
    if behind:
        third = max(1, len(behind) // 3)
        first, last = sorted(behind[:third])[third // 2], sorted(behind[-third:])[third // 2]
        growing = last > first + rate  # more than a second of traffic further behind
        print(f"behind while flowing (entries the host had, not yet painted, sampled about every second): "
              f"median {sorted(behind)[len(behind) // 2]} ({sorted(behind)[len(behind) // 2] / rate:.1f} s of traffic), "
              f"max {max(behind)} ({max(behind) / rate:.1f} s); first third {first}, last third {last}: "
              f"{'GROWING' if growing else 'not growing'}")
    print(f"dropped before the screen took them: {missed}")
    print(f"traffic cap: the newest {TRAFFIC_CAP} entries kept (the host's feed and the table alike); "
          f"{max(0, seen - TRAFFIC_CAP)} older dropped by the cap")
    print(f"console RSS: start {rss_start / 1024:.0f} MB, middle {rss_middle / 1024:.0f} MB, end {rss_end / 1024:.0f} MB")
    print(f"console CPU while busy: {cpu_busy:.1f} s over {busy_seconds:.0f} s ({cpu_busy / busy_seconds * 100:.0f}% of a core), "
          f"{cpu_busy / max(1, total_exchanges) * 1000:.1f} ms per exchange (serving and painting)")
    ok = (caught_up_after is not None and caught_up_after <= 2.0 and not growing and missed == 0
          and rss_end - rss_middle <= 20 * 1024)
    for failure in failures[:5]:
        print(f"  {failure}")
    print(f"verdict: {'meets' if ok and not failures else 'MISSES'} (not further behind at the end than at the start, "
          "caught up within 2 s of the traffic stopping, none dropped before shown, memory at the end within 20 MB "
          "of the middle)")


if __name__ == "__main__":
    main()
