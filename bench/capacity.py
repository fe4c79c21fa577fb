"""Simulator capacity: one `pos-sim host` process serving 32 lines at once, each a `pos-sim cable
--baud 115200` process with a terminal client at the other end cancelling in a loop (the clients
run as threads in a few worker processes), against the same set-up with one line, measured in the
same run. Printed: the median time of one cancellation (HostClient.cancel: request, ACK, response,
ACK, and the journal) with 1 and with N lines, the latency the N lines add, and the CPU each part
of the set-up used per exchange (from /proc/PID/stat: the host's split into user and system time),
since on a small machine the cables and clients compete with the host for the same cores.

Judged with --pause (the terminals wait between cancellations, as merchants do): the latency N
lines add, median over the rounds, <= 5 ms; and the host's CPU per exchange with N lines, median
over the rounds, <= 1.0 ms. Back to back (no --pause) the figures are reported, not judged: N
clients and cables with no pause need more than the machine's cores.

    uv run python bench/capacity.py [--pause 200] [--lines 32] [--workers 4] [--cancels 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from machine import load_average

BIN = Path(sys.executable).parent
KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
MERCHANT = "898440358120001"
BAUD = 115200


def tid_of(line: int) -> str:
    return f"CAP{line:05d}"


def appt_of(line: int, number: int) -> str:
    return f"L{line:03d}N{number:06d}"


def data_file(path: Path, lines: int, per_line: int, now: datetime) -> Path:
    parts = [
        f'[[terminal]]\ntid = "{tid_of(line)}"\nmerchant_id = "{MERCHANT}"\nkey = "{KEY_HEX}"\n' for line in range(lines)
    ]
    at = now + timedelta(days=3)
    for line in range(lines):
        for number in range(per_line):
            parts.append(
                f'[[appointment]]\nid = "{appt_of(line, number)}"\nmerchant_id = "{MERCHANT}"\n'
                f'scheduled_at = "{at:%Y-%m-%dT%H:%M:%S}"\nservice = 1\nstatus = 1\n'
                f'address = "成都市武侯区天府大道100号"\nlate_fee = 5000\n'
                f'free_until = "{at - timedelta(days=1):%Y-%m-%dT%H:%M:%S}"\n'
                f'cancel_until = "{at - timedelta(hours=2):%Y-%m-%dT%H:%M:%S}"\n'
            )
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def cpu_times(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of process `pid` so far (utime and stime of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    return sum(cpu_times(pid))


# -- a worker process: some of the terminals, one thread each


def worker(args: argparse.Namespace) -> None:
    from protocol import Timers
    from protocol.link import wire_time
    from terminal.client import HostClient
    from terminal.journal import AttemptState, Journal
    from terminal.transport import SerialLine
    from host_ready import echo_until_answered

    lines = [int(n) for n in args.lines_of_worker.split(",")]
    ports = args.ports.split(",")
    workdir = Path(args.workdir)
    clients = {}
    for line, port in zip(lines, ports):
        journal = Journal.open(workdir / f"journal-{line}.sqlite")
        clients[line] = HostClient(
            tid=tid_of(line), merchant_id=MERCHANT, operator_id="00", key=bytes.fromhex(KEY_HEX),
            line=SerialLine(port, BAUD), journal=journal, timers=Timers(), baud=BAUD,
        )
    results: dict[int, dict] = {}

    def run(line: int) -> None:
        client = clients[line]
        echo_until_answered(client, within=30)
        time.sleep(max(0.0, args.start_at - time.monotonic()))
        spans, wires = [], []
        for number in range(args.cancels):
            if number and args.pause:
                time.sleep(args.pause / 1000)
            started = time.monotonic()
            outcome = client.cancel(appt_of(line, number), 1, 0)
            ended = time.monotonic()
            if outcome.state is not AttemptState.CANCELLED:
                raise RuntimeError(f"line {line}: {outcome.attempt}")
            frames = [e.record.data for e in client.trace_entries(12) if e.record.kind == "frame"]
            spans.append((started, ended))
            wires.append(wire_time(len(frames[-2]) + 1 + len(frames[-1]) + 1, BAUD))
        results[line] = {"spans": spans, "wire": statistics.median(wires)}

    threads = [threading.Thread(target=run, args=(line,)) for line in lines]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, args.start_at - time.monotonic()))
    cpu_at_start = time.process_time()
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu_at_start
    for client in clients.values():
        client.close()
        client.journal.close()
    json.dump({"lines": results, "cpu": cpu}, sys.stdout)


# -- the parent: cables, the host, the workers


def measure(lines: int, workers: int, cancels: int, workdir: Path, pause: int = 0) -> dict:
    workdir.mkdir(parents=True)
    cables = [
        subprocess.Popen([str(BIN / "pos-sim"), "cable", "--baud", str(BAUD)], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
        for _ in range(lines)
    ]
    host = None
    procs: list[subprocess.Popen] = []
    try:
        ends = [cable.stdout.readline().split() for cable in cables]
        data = data_file(workdir / "data.toml", lines, cancels, datetime.now())
        host = subprocess.Popen(
            [str(BIN / "pos-sim"), "host", *(arg for _a, b in ends for arg in ("--port", b)), "--baud", str(BAUD),
             "--data", str(data), "--db", str(workdir / "host.db")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        host.stderr.readline()  # "serving ...": the store is loaded
        # What it says later (a line lost at the end, say) is read too: a full pipe would stop it.
        host_said: list[str] = []
        threading.Thread(target=lambda: host_said.extend(host.stderr), daemon=True).start()
        start_at = time.monotonic() + 3.0 + 0.1 * lines
        groups = [list(range(lines))[w::workers] for w in range(min(workers, lines))]
        for group in groups:
            procs.append(subprocess.Popen(
                [sys.executable, __file__, "--worker", "--lines-of-worker", ",".join(map(str, group)),
                 "--ports", ",".join(ends[line][0] for line in group), "--workdir", str(workdir),
                 "--start-at", str(start_at), "--cancels", str(cancels), "--pause", str(pause)],
                stdout=subprocess.PIPE, text=True,
            ))
        time.sleep(max(0.0, start_at - time.monotonic()))
        parts = {"host": [host.pid], "cables": [c.pid for c in cables], "clients": [p.pid for p in procs]}
        cpu_before = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in parts.items()}
        host_before = cpu_times(host.pid)
        wall_before = time.monotonic()
        outputs = [json.loads(proc.communicate(timeout=600)[0]) for proc in procs]
        wall = time.monotonic() - wall_before
        # The workers have exited by now; the host and the cables still run.
        cpu = {name: sum(cpu_seconds(pid) for pid in parts[name]) - cpu_before[name] for name in ("host", "cables")}
        host_user, host_system = (after - before for after, before in zip(cpu_times(host.pid), host_before))
        if any(proc.returncode for proc in procs):
            raise RuntimeError("a worker failed")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for process in ([host] if host else []) + cables:
            process.terminate()
        for process in ([host] if host else []) + cables:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:  # never left running: it would hold its pty paths
                print(f"{process.args[:2]} did not stop within 10 s; killed", file=sys.stderr)
                process.kill()
                process.wait(10)
    results = {int(k): v for out in outputs for k, v in out["lines"].items()}
    cpu["clients"] = sum(out["cpu"] for out in outputs)
    # Only exchanges made while every line was still busy count: the last line to start its last
    # cancellation marks the end of the full load.
    full_until = min(spans[-1][0] for spans in (r["spans"] for r in results.values()))
    times = [end - start for r in results.values() for start, end in r["spans"] if end <= full_until or lines == 1]
    exchanges = sum(len(r["spans"]) for r in results.values())
    return {
        "lines": lines,
        "times": times,
        "wire": statistics.median(r["wire"] for r in results.values()),
        "exchanges": exchanges,
        "wall": wall,
        "cpu": cpu,
        "host_user": host_user,
        "host_system": host_system,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="client processes for the N lines")
    parser.add_argument("--cancels", type=int, default=40, help="cancellations per line per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (1 line, N lines)")
    parser.add_argument(
        "--pause", type=int, default=0, metavar="MS",
        help="each terminal waits this long between cancellations (default 0: back to back)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--lines-of-worker", help=argparse.SUPPRESS)
    parser.add_argument("--ports", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(
        f"load average at start: {load_average()}; {os.cpu_count()} cores;"
        f" {'back to back' if not args.pause else f'{args.pause} ms between cancellations'}"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as directory:
        for number in range(args.rounds):
            one = measure(1, 1, args.cancels, Path(directory) / f"{number}-1", args.pause)
            many = measure(args.lines, args.workers, args.cancels, Path(directory) / f"{number}-{args.lines}", args.pause)
            rows.append((one, many))
            print(
                f"round {number + 1}: 1 line {statistics.median(one['times']) * 1000:.1f} ms, "
                f"{args.lines} lines {statistics.median(many['times']) * 1000:.1f} ms, added "
                f"{(statistics.median(many['times']) - statistics.median(one['times'])) * 1000:.1f} ms; host CPU "
                f"{many['cpu']['host'] / many['exchanges'] * 1000:.2f} ms an exchange "
                f"(user {many['host_user'] / many['exchanges'] * 1000:.2f}, system "
                f"{many['host_system'] / many['exchanges'] * 1000:.2f})", flush=True
            )
    print(f"\n{'lines':>5} {'exch':>5} {'wire ms':>8} {'median ms':>10} {'p90 ms':>7} {'added ms':>9}"
          f" {'exch/s':>7} {'CPU ms/exch: host':>17} {'cables':>7} {'clients':>8} {'busy cores':>11}")
    added, host_cpu = [], []
    for one, many in rows:
        base = statistics.median(one["times"])
        for result in (one, many):
            times = sorted(result["times"])
            median = statistics.median(times)
            extra = (median - base) * 1000
            cpu = result["cpu"]
            per = result["exchanges"]
            if result is many:
                added.append(extra)
                host_cpu.append(cpu["host"] / per * 1000)
            busy = sum(cpu.values()) / result["wall"]
            print(
                f"{result['lines']:5d} {per:5d} {result['wire'] * 1000:8.1f} {median * 1000:10.1f}"
                f" {times[int(0.9 * (len(times) - 1))] * 1000:7.1f} {extra:9.1f} {per / result['wall']:7.0f}"
                f" {cpu['host'] / per * 1000:17.2f} {cpu['cables'] / per * 1000:7.2f}"
                f" {cpu['clients'] / per * 1000:8.2f} {busy:11.2f}"
            )
    judged = bool(args.pause)
    added_median, cpu_median = statistics.median(added), statistics.median(host_cpu)

    def verdict(met: bool) -> str:
        if not judged:
            return "reported, not judged back to back"
        return "meets" if met else "MISSES"

    print(
        f"\nadded latency per exchange with {args.lines} lines, median over {len(rows)} rounds: "
        f"{added_median:.1f} ms (rounds {min(added):.1f} to {max(added):.1f}; target <= 5 ms: "
        f"{verdict(added_median <= 5)})"
        f"\nhost CPU per exchange with {args.lines} lines, median over {len(rows)} rounds: {cpu_median:.2f} ms "
        f"(rounds {min(host_cpu):.2f} to {max(host_cpu):.2f}; target <= 1.0 ms: {verdict(cpu_median <= 1.0)})"
        f"\nmedian/p90: HostClient.cancel while every line is busy; CPU ms/exch: CPU time (user + system, "
        f"/proc/PID/stat, in clock ticks of {1000 / os.sysconf('SC_CLK_TCK'):.0f} ms) of the host process, of all "
        f"cable processes and of all client processes, per exchange; busy cores: all of it over the wall time "
        f"(the machine has {os.cpu_count()})."
        f"\nload average at end: {load_average()}"
    )


if __name__ == "__main__":
    main()
