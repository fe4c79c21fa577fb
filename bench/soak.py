"""Exactly-once soak: N randomized cancel sessions of the REAL terminal client against the REAL host,
across REAL `pos-sim cable` pty pairs, with impairments and crashes drawn per session, and the
docs/protocol.md §6/§7 invariants checked against the host's database and the terminal's journal after
every session.

    uv run python bench/soak.py --sessions 10000 --seed 1 [--lanes 8] [--report-every 1000]
    uv run python bench/soak.py --replay SEED          # one session again, verbosely

Processes. The soak runs `--lanes` lanes side by side (8 by default: they mostly wait on timers).
A lane is one terminal (its own TID and journal) and one host process (`pos-sim host`, its own
--db, fixed --now) serving `--slots` cable slots (4). Each slot is a `pos-sim cable` process (a pty
pair, paced at 115200 baud) started for ONE session with that session's impairments (--drop --flip
--dup --noise --seed, --unplug windows) and stable --link-a/--link-b names; the next cable links
itself before the old one is stopped, and the host, losing the old pty, reopens the links (it
backs off up to 5 s when a line served less than 5 s: hence several slots, used in turn). The
terminal is bench/soak_terminal.py, a long-lived worker holding the real Journal and HostClient,
driven by JSON lines, killable (SIGKILL) at any point of an exchange and restarted on the same
journal, where it first runs Settler.settle_open(). Each of these processes runs the project's own
entry point (simulator.cli.main, as the `pos-sim` script does), forked from a fork server that has
imported the modules once (--exec: started the ordinary way, at two to three times the CPU). Appointments are written
as simulator data files (TOML), a few sessions at a time, and loaded into the lane's host database
with the simulator's own load_data() and HostStore.load() while the host runs (the host itself
starts with the terminals only: `pos-sim host --data` with 10,000 appointments takes minutes).

Fault scheduling. Everything a session does comes from its seed alone (replayable with --replay):
the appointment (free, with a fee, too late, in progress, or unknown to the host), the fee the
merchant accepts (sometimes below the fee: FEE_CHANGED, then maybe accepted), the cable's
impairments (byte drop and bit flip up to 1 % each, duplicated bytes, noise, unplug windows), the
host's mode for the session (normal, or restarted with --delay beyond T_RESP, or with --busy; it
is restarted normal before settling), and for each client call a possible fault fired at a random
offset after a chosen point of the exchange (command issued, CANCEL_REQ being sent, ACKed, settling
with STATUS_REQ): SIGKILL of the terminal (then a restart that settles, sometimes killed again
during that), or SIGKILL/SIGTERM of the host and a restart on the same --db. When the merchant
is left with an unknown outcome the session either cancels again (the client must settle first
and never send a new REQUEST_ID meanwhile) or settles. Every session ends by settling until
settled (bounded; on the session's cable, then on a clean cable put in its place).

Invariants (checked after every session and once more over everything at the end):
  1  at most one OK cancellation per appointment on the host; no CANCEL_REQ with a new REQUEST_ID
     while an earlier attempt for that appointment was unsettled (the worker taps every request
     frame on its way to the line and looks at the journal at that moment), nothing sent before it
     was journaled, no two host request ids for one appointment unless the earlier one had settled
     in the journal before the later one was first sent;
  2  every OK cancellation on the host has a CANCELLED voucher in the journal with its CANCEL_REF;
  3  every CANCELLED attempt in the journal is OK on the host with the same CANCEL_REF and fee;
  4  no FEE_CHARGED above FEE_ACCEPTED on either side;
  5  every client call ended within client.cancel_bound() (+ --margin-ms for scheduling).
A few sessions (3 %) start with the lane's terminal on a new, empty journal (a device swap): its
REQUEST_IDs must still be new to the host (the final check reads every journal the lane had).
Also counted as violations: a host decision that contradicts the appointment (e.g. a fee charged
for a free one), an attempt still unsettled after the settle bound, a call that never returned,
and any exception other than LinkFailure out of the client.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import queue
import random
import re
import select
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))  # soak_terminal, for the fork server's preload

from multiprocessing.connection import Connection  # noqa: E402

from simulator.data import load_data  # noqa: E402
from simulator.store import HostStore  # noqa: E402

PYTHON = sys.executable
POS_SIM = str(Path(sys.executable).parent / "pos-sim")
WORKER = str(REPO / "bench" / "soak_terminal.py")

BAUD = 115200
NOW = datetime(2026, 11, 27, 9, 30, 0)
MERCHANTS = ("898440358120001", "898440358120002")
KINDS = ("free", "fee", "too-late", "in-progress", "missing")
MAX_CALLS = 6  # client calls in a session's main phase
MAX_RETRIES = 3  # new cancellations after BUSY / never received / nothing recorded
SETTLE_CALLS = 12  # settle() calls on the session's own cable before it is changed for a clean one
CLEAN_SETTLE_CALLS = 8
HUNG_AFTER = 60.0  # a call that has not returned by then never will (cancel_bound is ~12 s)
CHUNK = 4  # sessions a lane takes from the queue at a time


# -- the plan of one session: a function of its seed ---------------------------------------------


@dataclass(frozen=True)
class CallFault:
    kind: str  # terminal-kill | host-kill | host-term
    stage: str  # command | sending | sent | confirming
    offset: float  # seconds after the stage is reached
    downtime: float = 0.0  # host: how long it stays down
    again: bool = False  # terminal: kill the restarted worker again during its start-up settle
    again_after: float = 0.0


@dataclass(frozen=True)
class Plan:
    seed: int
    appt_id: str
    kind: str
    late_fee: int
    service: int
    reason: int
    fee_accepted: int
    accept_new_fee: bool
    retry_style: str  # cancel | settle
    unknown_retries: int  # further calls in the main phase while the outcome stays unknown
    drop: float
    flip: float
    dup: float
    noise: float
    unplug: tuple[tuple[int, int], ...]
    host_delay_ms: int
    host_busy: float
    call_faults: tuple[CallFault | None, ...]
    # Before the session, the lane's terminal gets a new, empty journal (a device swap, wiped
    # storage): its REQUEST_IDs must not collide with those the host holds from the old one.
    replace_journal: bool = False

    def describe(self) -> str:
        faults = [
            f"call {i + 1}: {f.kind} at {f.stage}+{f.offset * 1000:.0f}ms"
            + (f" down {f.downtime * 1000:.0f}ms" if f.kind.startswith("host") else "")
            + (" and again during restart" if f.again else "")
            for i, f in enumerate(self.call_faults)
            if f is not None
        ]
        host = (
            f"host --delay {self.host_delay_ms}" if self.host_delay_ms
            else f"host --busy {self.host_busy:.2f}" if self.host_busy else "host normal"
        )
        return (
            f"seed {self.seed}: {self.appt_id} {self.kind} (late fee {self.late_fee}), accepts {self.fee_accepted}"
            f"{', then the quoted fee' if self.accept_new_fee else ''}, "
            f"{self.unknown_retries} retries by {self.retry_style} while unknown; "
            f"cable drop {self.drop:.4f} flip {self.flip:.4f} dup {self.dup:.4f} noise {self.noise:.4f}"
            f"{f', {len(self.unplug)} unplug windows' if self.unplug else ''}; {host}"
            + (f"; {'; '.join(faults)}" if faults else "")
        )


def make_plan(seed: int, t_resp_ms: int) -> Plan:
    r = random.Random(seed)
    kind = r.choices(KINDS, weights=(55, 33, 6, 3, 3))[0]
    late_fee = r.randrange(10, 200) * 50
    if kind == "fee" and r.random() < 0.45:
        fee_accepted = r.choice((0, r.randrange(0, late_fee)))  # below the fee: FEE_CHANGED
    elif kind == "fee":
        fee_accepted = late_fee + r.choice((0, 0, 100, 5000))
    else:
        fee_accepted = 0 if r.random() < 0.7 else r.randrange(0, 10000)

    def rate(chance: float) -> float:
        if r.random() >= chance:
            return 0.0
        return round(math.exp(r.uniform(math.log(1e-4), math.log(1e-2))), 5)

    profile = r.random()
    if profile < 0.2:
        drop = flip = dup = noise = 0.0
    elif profile < 0.3:  # the worst the soak asks for: 1 % drop and 1 % flip per byte
        drop = flip = 0.01
        dup, noise = rate(0.5), rate(0.5)
    else:
        drop, flip, dup, noise = rate(0.6), rate(0.6), rate(0.4), rate(0.4)
    unplug: list[tuple[int, int]] = []
    if r.random() < 0.12:
        at = r.randrange(0, 1500)
        while at < 30_000 and len(unplug) < 24:
            length = r.randrange(20, 1500)
            unplug.append((at, length))
            at += length + r.randrange(200, 2500)
    mode = r.random()
    host_delay_ms = r.randrange(int(t_resp_ms * 0.8), t_resp_ms * 3) if mode < 0.03 else 0
    host_busy = round(r.uniform(0.2, 0.6), 2) if 0.03 <= mode < 0.05 else 0.0
    faults: list[CallFault | None] = []
    for _ in range(MAX_CALLS):
        x = r.random()
        stage = r.choice(("command", "sending", "sent", "confirming"))
        offset = {
            "command": r.uniform(0, 0.03),
            "sending": r.uniform(0, 0.02),
            "sent": r.uniform(0, t_resp_ms / 1000),
            "confirming": r.uniform(0, 0.5),
        }[stage]
        if x < 0.05:
            again = r.random() < 0.15
            faults.append(CallFault("terminal-kill", stage, offset, again=again, again_after=r.uniform(0, 0.3)))
        elif x < 0.085:
            faults.append(CallFault(r.choice(("host-kill", "host-term")), stage, offset, downtime=r.uniform(0, 0.5)))
        else:
            faults.append(None)
    return Plan(
        seed=seed,
        appt_id=f"S{seed:010x}",
        kind=kind,
        late_fee=late_fee,
        service=r.randrange(1, 6),
        reason=r.choice((1, 2, 3, 4, 9)),
        fee_accepted=fee_accepted,
        accept_new_fee=r.random() < 0.7,
        retry_style=r.choice(("cancel", "settle")),
        unknown_retries=r.choice((0, 1, 1, 2)),
        drop=drop,
        flip=flip,
        dup=dup,
        noise=noise,
        unplug=tuple(unplug),
        host_delay_ms=host_delay_ms,
        host_busy=host_busy,
        call_faults=tuple(faults),
        replace_journal=r.random() < 0.03,  # drawn last: the seeds' earlier draws stay as they were
    )


def session_seeds(seed: int, count: int) -> list[int]:
    rng = random.Random(seed)
    seeds: list[int] = []
    seen: set[int] = set()
    while len(seeds) < count:
        s = rng.getrandbits(40)
        if s not in seen:
            seen.add(s)
            seeds.append(s)
    return seeds


def appointment_toml(plan: Plan, merchant_id: str) -> str | None:
    """The plan's appointment as a [[appointment]] entry of the simulator's data file."""
    if plan.kind == "missing":
        return None
    status = 1
    if plan.kind == "free":
        at, free, until = NOW + timedelta(hours=48), NOW + timedelta(hours=24), NOW + timedelta(hours=46)
    elif plan.kind == "fee":
        at, free, until = NOW + timedelta(hours=12), NOW - timedelta(hours=12), NOW + timedelta(hours=10)
    elif plan.kind == "too-late":
        at, free, until = NOW + timedelta(hours=1), NOW - timedelta(hours=23), NOW - timedelta(hours=1)
    else:
        status = 2
        at, free, until = NOW - timedelta(minutes=30), NOW - timedelta(hours=24), NOW - timedelta(hours=3)
    fmt = "%Y-%m-%dT%H:%M:%S"
    return (
        "[[appointment]]\n"
        f'id = "{plan.appt_id}"\nmerchant_id = "{merchant_id}"\nscheduled_at = "{at:{fmt}}"\n'
        f"service = {plan.service}\nstatus = {status}\n"
        f'address = "成都市武侯区天府大道{plan.seed % 1000}号"\nlate_fee = {plan.late_fee}\n'
        f'free_until = "{free:{fmt}}"\ncancel_until = "{until:{fmt}}"\n'
    )


# -- starting processes ------------------------------------------------------------------------------
#
# Each cable, host and terminal is its own process running the project's own entry point
# (simulator.cli.main is what the `pos-sim` script runs; soak_terminal.main the worker). Starting
# ~10,000 of them the ordinary way costs a Python start-up and the imports each (~0.1 to 0.3 s of
# CPU), more than the sessions themselves; so by default they are forked from a multiprocessing
# fork server that has those modules imported already. --exec starts them the ordinary way.

_PRELOAD = [
    "__main__", "serial", "protocol", "simulator.cli", "simulator.cable", "simulator.serve",
    "simulator.host", "simulator.store", "simulator.data", "terminal.client", "terminal.journal",
    "terminal.transport", "soak_terminal",
]
_CONTEXT: multiprocessing.context.BaseContext | None = None


def _context() -> multiprocessing.context.BaseContext:
    global _CONTEXT
    if _CONTEXT is None:
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload(_PRELOAD)
    return _CONTEXT


def _child_main(program: str, argv: list[str], env: dict[str, str], fds: list[Connection | None]) -> None:
    """In the forked child: put the given pipes on fds 0, 1, 2 and become the program."""
    for target, conn in enumerate(fds):
        if conn is None:
            fd = os.open(os.devnull, os.O_RDWR)
        else:
            fd = conn.fileno()
        os.dup2(fd, target)
    for conn in fds:
        if conn is not None:
            conn.close()
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False)
    sys.stderr = open(2, "w", buffering=1, closefd=False)
    os.environ.update(env)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 1
    try:
        if program == "pos-sim":
            from simulator.cli import main as program_main
        else:
            from soak_terminal import main as program_main  # type: ignore[no-redef]
        code = program_main(argv)
    except SystemExit as leaving:
        code = leaving.code if isinstance(leaving.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code or 0)


class Child:
    """A forked program with the bits of subprocess.Popen's interface the soak uses."""

    def __init__(self, program: str, argv: list[str], *, stdin: bool, stdout: bool, stderr: bool | int,
                 env: dict[str, str] | None) -> None:
        mine: list = []
        theirs: list[Connection | None] = []
        for number, wanted in enumerate((stdin, stdout, stderr)):
            if isinstance(wanted, bool) and wanted:
                r, w = os.pipe()
                if number == 0:
                    mine.append(os.fdopen(w, "w", buffering=1))
                    theirs.append(Connection(r, writable=False))
                else:
                    mine.append(os.fdopen(r, "r"))
                    theirs.append(Connection(w, readable=False))
            elif not isinstance(wanted, bool):
                mine.append(None)
                theirs.append(Connection(os.dup(wanted), readable=False))
            else:
                mine.append(None)
                theirs.append(None)
        self.stdin, self.stdout, self.stderr = mine
        self._process = _context().Process(target=_child_main, args=(program, argv, env or {}, theirs), daemon=False)
        self._process.start()  # the Connections are closed here, once sent to the child
        self.pid = self._process.pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._process.exitcode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired("child", timeout or 0)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        deadline = None if timeout is None else time.monotonic() + timeout
        out, err = [], []
        streams = {s: buf for s, buf in ((self.stdout, out), (self.stderr, err)) if s is not None}
        while streams:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("child", timeout or 0)
            ready, _, _ = select.select(list(streams), [], [], left)
            for stream in ready:
                chunk = os.read(stream.fileno(), 65536)
                if chunk:
                    streams[stream].append(chunk.decode(errors="replace"))
                else:
                    stream.close()
                    del streams[stream]
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return "".join(out), "".join(err)


def launch(args: argparse.Namespace, program: str, argv: list[str], *, stdin: bool = False, stdout: bool = False,
           stderr: bool | int = False, env: dict[str, str] | None = None) -> Child | subprocess.Popen:
    if not args.exec:
        return Child(program, argv, stdin=stdin, stdout=stdout, stderr=stderr, env=env)
    command = [POS_SIM, *argv] if program == "pos-sim" else [PYTHON, WORKER, *argv]

    def stream(wanted: bool | int, pipe: int) -> int:
        return wanted if not isinstance(wanted, bool) else (pipe if wanted else subprocess.DEVNULL)

    return subprocess.Popen(
        command, stdin=stream(stdin, subprocess.PIPE), stdout=stream(stdout, subprocess.PIPE),
        stderr=stream(stderr, subprocess.PIPE), text=True, bufsize=1, env=dict(os.environ, **(env or {})),
    )


# -- results -----------------------------------------------------------------------------------------


@dataclass
class Violation:
    kind: str
    seed: int | None
    detail: str


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    sessions: int = 0
    outcomes: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    bytes: Counter = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    settle_times: list[float] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)
    over_bound: list[str] = field(default_factory=list)
    worst_ratio: float = 0.0
    worst_call: str = ""
    notes: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)  # lane time by what it was spent on
    cpu: Counter = field(default_factory=Counter)  # CPU seconds by kind of process

    def used_cpu(self, kind: str, pid: int) -> None:
        """Add what the process has used so far (read just before it is stopped)."""
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return
        with self.lock:
            self.cpu[kind] += ticks / os.sysconf("SC_CLK_TCK")

    def spent(self, what: str, since: float) -> None:
        with self.lock:
            self.seconds[what] += time.monotonic() - since

    def violation(self, kind: str, seed: int | None, detail: str) -> None:
        with self.lock:
            self.violations.append(Violation(kind, seed, detail))


# -- processes -------------------------------------------------------------------------------------

_COUNTERS = re.compile(
    r"(A->B|B->A): in (\d+), out (\d+), dropped (\d+), flipped (\d+), duplicated (\d+), noise (\d+), "
    r"lost to unplug (\d+), overflowed (\d+)"
)


@dataclass
class Cable:
    proc: Child | subprocess.Popen
    path_a: str
    path_b: str
    started: float  # time.monotonic() when its paths were printed (its unplug windows count from then)
    plan: Plan | None


@dataclass
class Slot:
    name: str
    link_a: str
    link_b: str
    cable: Cable | None = None
    plan: Plan | None = None  # the session this slot's cable was made for, until it runs
    used: bool = True
    starting: tuple[Child | subprocess.Popen, Plan | None] | None = None  # its next cable, not linked yet


class WorkerProc:
    def __init__(self, proc: Child | subprocess.Popen) -> None:
        self.proc = proc
        self.events: queue.Queue = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.events.put(json.loads(line))
            except json.JSONDecodeError:
                self.events.put({"ev": "junk", "line": line})
        self.events.put({"ev": "eof"})

    def send(self, command: dict) -> bool:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def kill(self, stats: Stats | None = None) -> None:
        if stats is not None:
            stats.used_cpu("terminals (bench/soak_terminal.py)", self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.reader.join(5)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


class SoakError(Exception):
    """The rig itself failed (a process would not start, a port never came up): not a finding."""


class Lane:
    def __init__(self, soak: Soak, number: int, slots: int) -> None:
        self.soak = soak
        self.args = soak.args
        self.stats = soak.stats
        self.number = number
        self.tid = f"SOAK{number:04d}"
        self.merchant = MERCHANTS[(number - 1) % len(MERCHANTS)]
        self.dir = soak.workdir / f"lane{number}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.dir / "host.sqlite"
        self.journal_path = self.dir / "journal.sqlite"
        self.old_journals: list[Path] = []  # replaced between sessions, kept for the final check
        self.tap_path = self.dir / "tap.jsonl"
        self.log = open(self.dir / "processes.log", "ab")
        self.slots = [Slot(f"s{i}", str(self.dir / f"s{i}.a"), str(self.dir / f"s{i}.b")) for i in range(slots)]
        self.stopping: list[Cable] = []  # replaced cables told to stop, to be reaped
        self.host: Child | subprocess.Popen | None = None
        self.host_mode: tuple[int, float] = (0, 0.0)
        self.worker: WorkerProc | None = None
        self.worker_port = ""
        self.tap_offset = 0
        self.journal_db: sqlite3.Connection | None = None
        self.host_db: sqlite3.Connection | None = None
        self.queue: deque[Plan] = deque()
        self.chunk = 0
        self.verbose = soak.verbose

    def say(self, text: str) -> None:
        if self.verbose:
            print(f"  [{time.monotonic() - self.soak.started:8.3f}] lane {self.number}: {text}", flush=True)

    # -- set-up and tear-down

    def start(self) -> None:
        self.terminals_file = self.soak.terminals_file
        with HostStore(self.db_path) as store:
            store.load(load_data(self.terminals_file))
        for slot in self.slots:
            self.begin_cable(slot, None)
        self.finish_cables(block=True)
        self.start_host()
        self.wait_for_host(self.slots[0])
        self.restart_worker(self.slots[0].link_a, None)
        self.journal_db = sqlite3.connect(
            f"file:{self.journal_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        self.host_db = sqlite3.connect(
            f"file:{self.db_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )

    def stop(self) -> None:
        self.quit_worker()
        if self.host is not None:
            self.stop_host(signal.SIGTERM)
        self.finish_cables(block=True)
        for slot in self.slots:
            if slot.cable is not None:
                self.stopping.append(slot.cable)
                slot.cable = None
        for cable in self.stopping:
            if cable.proc.poll() is None:
                self.stats.used_cpu("cables (pos-sim cable)", cable.proc.pid)
                cable.proc.send_signal(signal.SIGTERM)
        self.reap_cables(block=True)
        for db in (self.journal_db, self.host_db):
            if db is not None:
                db.close()
        self.log.close()

    # -- cables

    def begin_cable(self, slot: Slot, plan: Plan | None) -> None:
        """Start the slot's next cable (for `plan`'s session, or clean); it links itself in the
        background, and finish_cables() then stops the one it replaces."""
        argv = ["cable", "--baud", str(BAUD), "--link-a", slot.link_a, "--link-b", slot.link_b]
        if plan is not None:
            argv += ["--seed", str(plan.seed)]
            for name in ("drop", "flip", "dup", "noise"):
                if getattr(plan, name):
                    argv += [f"--{name}", str(getattr(plan, name))]
            for start, length in plan.unplug:
                argv += ["--unplug", f"{start}:{length}"]
        slot.starting = (launch(self.args, "pos-sim", argv, stdout=True, stderr=True), plan)

    def finish_cables(self, block: bool = False) -> None:
        """Cables begun whose links are made (they print their paths after linking) take over their
        slot; the cable each replaces is told to stop. The host, losing the old pty, reopens the
        links and finds the new one. With `block`, wait for every cable begun."""
        for slot in self.slots:
            if slot.starting is None:
                continue
            proc, plan = slot.starting
            assert proc.stdout is not None
            ready, _, _ = select.select([proc.stdout], [], [], 20 if block else 0)
            if not ready:
                if block:
                    raise SoakError(f"lane {self.number}: pos-sim cable printed no paths in 20 s")
                continue
            line = proc.stdout.readline()
            if len(line.split()) != 2:
                proc.kill()
                _, err = proc.communicate()
                raise SoakError(f"lane {self.number}: pos-sim cable did not start: {err.strip()}")
            path_a, path_b = line.split()
            old = slot.cable
            slot.cable = Cable(proc, path_a, path_b, time.monotonic(), plan)
            slot.plan, slot.used, slot.starting = plan, plan is None, None
            if old is not None:
                self.stats.used_cpu("cables (pos-sim cable)", old.proc.pid)
                old.proc.send_signal(signal.SIGTERM)
                self.stopping.append(old)

    def reap_cables(self, block: bool = False) -> None:
        """Collect what stopped cables report about the bytes they damaged."""
        still = []
        for cable in self.stopping:
            if not block and cable.proc.poll() is None:
                still.append(cable)
                continue
            try:
                _, err = cable.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                cable.proc.kill()
                _, err = cable.proc.communicate()
            counted: Counter = Counter()
            for match in _COUNTERS.finditer(err or ""):
                _way, _in, _out, dropped, flipped, duplicated, noise, unplugged, overflowed = match.groups()
                counted["bytes dropped"] += int(dropped)
                counted["bytes bit-flipped"] += int(flipped)
                counted["bytes duplicated"] += int(duplicated)
                counted["noise bytes inserted"] += int(noise)
                counted["bytes lost to unplug"] += int(unplugged)
                counted["bytes overflowed (nobody reading)"] += int(overflowed)
            with self.stats.lock:
                self.stats.bytes.update(counted)
        self.stopping = still

    def host_has(self, path: str) -> bool:
        if self.host is None or self.host.poll() is not None:
            return False
        base = f"/proc/{self.host.pid}/fd"
        try:
            fds = os.listdir(base)
        except OSError:
            return False
        for fd in fds:
            try:
                if os.readlink(f"{base}/{fd}") == path:
                    return True
            except OSError:
                continue
        return False

    def wait_for_host(self, slot: Slot, timeout: float = 30.0) -> None:
        assert slot.cable is not None
        deadline = time.monotonic() + timeout
        while not self.host_has(slot.cable.path_b):
            if time.monotonic() > deadline:
                raise SoakError(f"lane {self.number}: the host never opened {slot.link_b} ({slot.cable.path_b})")
            if self.host is None or self.host.poll() is not None:
                raise SoakError(f"lane {self.number}: the host exited ({self.host and self.host.returncode}); see {self.dir}/processes.log")
            time.sleep(0.01)

    # -- host

    def start_host(self, mode: tuple[int, float] | None = None) -> None:
        if mode is not None:
            self.host_mode = mode
        delay, busy = self.host_mode
        argv = ["host"]
        for slot in self.slots:
            argv += ["--port", slot.link_b]
        argv += ["--db", str(self.db_path), "--data", str(self.terminals_file), "--now", NOW.strftime("%Y-%m-%dT%H:%M:%S")]
        if delay:
            argv += ["--delay", str(delay)]
        if busy:
            argv += ["--busy", str(busy), "--seed", str(self.soak.rng_for_host())]
        self.log.write(f"--- {datetime.now().isoformat()} start {' '.join(argv[1:])}\n".encode())
        self.log.flush()
        self.host = launch(self.args, "pos-sim", argv, stderr=self.log.fileno())

    def stop_host(self, how: signal.Signals) -> None:
        assert self.host is not None
        self.stats.used_cpu("hosts (pos-sim host)", self.host.pid)
        if self.host.poll() is None:
            self.host.send_signal(how)
        try:
            self.host.wait(10)
        except subprocess.TimeoutExpired:
            self.stats.violation("host would not stop", None, f"lane {self.number}: SIGTERM ignored for 10 s; killed")
            self.host.kill()
            self.host.wait()
        self.host = None

    def restart_host(self, mode: tuple[int, float], slot: Slot) -> None:
        since = time.monotonic()
        self.finish_cables(block=True)  # no link half made while the new host opens them all
        self.stop_host(signal.SIGTERM)
        self.start_host(mode)
        self.wait_for_host(slot)
        self.stats.spent("restarting the host for --delay/--busy and back", since)

    # -- terminal worker

    def quit_worker(self) -> None:
        if self.worker is not None:
            self.stats.used_cpu("terminals (bench/soak_terminal.py)", self.worker.proc.pid)
            self.worker.send({"op": "quit"})
            try:
                self.worker.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.worker.kill(self.stats)
            self.worker = None

    def replace_journal(self, port: str, seed: int) -> None:
        """The terminal, between two sessions (nothing open), starts again on a new, empty journal."""
        self.quit_worker()
        assert self.journal_db is not None
        self.journal_db.close()
        self.old_journals.append(self.journal_path)
        self.journal_path = self.dir / f"journal-{len(self.old_journals)}.sqlite"
        self.restart_worker(port, seed)
        self.journal_db = sqlite3.connect(
            f"file:{self.journal_path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
        self.count_fault("journal replaced between sessions")
        self.say(f"journal replaced: now {self.journal_path.name}")

    def start_worker(self, port: str) -> WorkerProc:
        env = {"SOAK_TERMINAL_KEY": self.soak.keys[self.tid]}
        argv = [
            "--journal", str(self.journal_path), "--tap", str(self.tap_path), "--port", port,
            "--tid", self.tid, "--merchant", self.merchant, "--baud", str(BAUD),
            "--t-ack-ms", str(self.args.t_ack_ms), "--t-resp-ms", str(self.args.t_resp_ms),
            "--t-char-ms", str(self.args.t_char_ms), "--settle-backoff-ms", self.args.settle_backoff_ms,
        ]
        if self.args.sabotage:
            argv += ["--sabotage", self.args.sabotage]
        proc = launch(self.args, "terminal", argv, stdin=True, stdout=True, stderr=self.log.fileno(), env=env)
        self.worker = WorkerProc(proc)
        self.worker_port = port
        return self.worker

    def restart_worker(self, port: str, seed: int | None, again: CallFault | None = None) -> float:
        """A new worker on the same journal; it settles what is open first. Returns when that is done
        (killing it once more during that when `again` says so). The time it took is returned."""
        started = time.monotonic()
        worker = self.start_worker(port)
        try:
            return self._restart_worker(worker, port, seed, again, started)
        finally:
            self.stats.spent("restarting the terminal (start-up settle included)", started)

    def _restart_worker(self, worker: WorkerProc, port: str, seed: int | None, again: CallFault | None, started: float) -> float:
        done = None
        if again is not None:
            hello = self.wait_event(worker, ("hello",), 30)
            if hello is not None and hello.get("unsettled"):
                done = self.wait_event(worker, ("done",), again.again_after)
                if done is None and worker.proc.poll() is None:
                    self.say(f"terminal SIGKILL again during start-up settle after {again.again_after * 1000:.0f} ms")
                    worker.kill(self.stats)
                    self.count_fault("terminal SIGKILL during start-up settle_unsettled()")
                    worker = self.start_worker(port)
        if done is None:
            done = self.wait_event(worker, ("done",), HUNG_AFTER)
        if done is None:
            self.stats.violation("call never returned", seed, f"lane {self.number}: settle_unsettled() at start-up")
            worker.kill(self.stats)
            return time.monotonic() - started
        self.account_call(done, seed)
        self.say(f"new worker pid {worker.proc.pid} settled at start-up: {[o['rid'] + ' ' + o['state'] for o in done.get('outcomes', [])]}")
        return time.monotonic() - started

    def wait_event(self, worker: WorkerProc, kinds: tuple[str, ...], timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event = worker.events.get(timeout=left)
            except queue.Empty:
                return None
            if event["ev"] in kinds:
                return event
            if event["ev"] == "eof":
                return None

    def count_fault(self, kind: str, n: int = 1) -> None:
        with self.stats.lock:
            self.stats.faults[kind] += n

    def account_call(self, done: dict, seed: int | None) -> None:
        elapsed, bound = done.get("elapsed", 0.0), done.get("bound", 0.0)
        label = f"{done.get('op')} {elapsed:.3f} s of {bound:.3f} s"
        with self.stats.lock:
            self.stats.calls[done.get("op", "?")] += 1
            if bound and elapsed / bound > self.stats.worst_ratio:
                self.stats.worst_ratio = elapsed / bound
                self.stats.worst_call = f"{label} (seed {seed})"
            if bound and elapsed > bound + self.args.margin_ms / 1000:
                self.stats.over_bound.append(f"seed {seed}: {label}")
        if bound and elapsed > bound + self.args.margin_ms / 1000:
            self.stats.violation("5 call over its bound", seed, label)
        error = done.get("error")
        if error:
            if error.startswith("LinkFailure"):
                with self.stats.lock:
                    self.stats.notes["LinkFailure (nothing recorded or sent)"] += 1
            else:
                self.stats.violation("client raised", seed, f"{done.get('op')}: {error}\n{done.get('traceback', '')}")

    # -- one client call, with its fault

    def call(self, command: dict, fault: CallFault | None, plan: Plan, port: str) -> dict | None:
        """Run one command in the worker; fire `fault` when its stage is reached. Returns the worker's
        "done" event, or None when the worker was killed (and has been restarted) or hung."""
        assert self.worker is not None
        worker = self.worker
        command = dict(command, port=port)
        self.say(f"-> {command['op']} {command.get('appt') or command.get('rid')}" + (f" fee {command['fee']}" if "fee" in command else ""))
        if not worker.send(command):
            self.stats.violation("worker died", plan.seed, f"lane {self.number}: could not send {command['op']}")
            worker.kill(self.stats)
            self.restart_worker(port, plan.seed)
            return None
        issued = time.monotonic()
        fire_at = issued + fault.offset if fault is not None and fault.stage == "command" else None
        fired = False
        hung_at = issued + HUNG_AFTER
        while True:
            now = time.monotonic()
            if fire_at is not None and now >= fire_at and not fired:
                fired = True
                assert fault is not None
                if fault.kind == "terminal-kill":
                    self.say(f"terminal SIGKILL at {fault.stage}+{fault.offset * 1000:.0f}ms")
                    worker.kill(self.stats)
                    self.count_fault(f"terminal SIGKILL at {fault.stage}")
                    self.soak.note_kill(self, plan)
                    self.restart_worker(port, plan.seed, fault if fault.again else None)
                    return None
                how = signal.SIGKILL if fault.kind == "host-kill" else signal.SIGTERM
                self.say(f"host {how.name} at {fault.stage}+{fault.offset * 1000:.0f}ms, down {fault.downtime * 1000:.0f}ms")
                self.stop_host(how)
                time.sleep(fault.downtime)
                self.finish_cables(block=True)
                self.start_host()
                self.count_fault(f"host {how.name} + restart at {fault.stage}")
                continue
            timeout = hung_at - now
            if fire_at is not None and not fired:
                timeout = min(timeout, max(0.0, fire_at - now))
            if timeout <= 0:
                self.stats.violation("call never returned", plan.seed, f"lane {self.number}: {command['op']} after {HUNG_AFTER} s")
                worker.kill(self.stats)
                self.restart_worker(port, plan.seed)
                return None
            try:
                event = worker.events.get(timeout=timeout)
            except queue.Empty:
                continue
            kind = event["ev"]
            if kind == "progress":
                if fault is not None and not fired and fire_at is None and event["stage"] == fault.stage:
                    fire_at = time.monotonic() + fault.offset
            elif kind == "done":
                self.account_call(event, plan.seed)
                attempt = event.get("attempt")
                self.say(
                    f"<- {event['op']} in {event['elapsed'] * 1000:.0f} ms: "
                    + (f"{attempt['rid']} {attempt['state']} {attempt['result']} ref {attempt['cancel_ref']} "
                       f"charged {attempt['fee_charged']} sends {attempt['sends']}" if attempt else str(event.get("error")))
                )
                return event
            elif kind == "eof":
                self.stats.violation("worker died", plan.seed, f"lane {self.number}: exit {worker.proc.poll()} during {command['op']}")
                worker.kill(self.stats)
                self.restart_worker(port, plan.seed)
                return None

    # -- the journal and the host's store, read-only

    def attempts(self, appt_id: str) -> list[dict]:
        assert self.journal_db is not None
        rows = self.journal_db.execute(
            "SELECT id, request_id, state, result, cancel_ref, fee_accepted, fee_charged, refused_fee, settled_at, send_count "
            "FROM attempt WHERE appt_id = ? ORDER BY id",
            (appt_id,),
        ).fetchall()
        keys = ("id", "rid", "state", "result", "cancel_ref", "fee_accepted", "fee_charged", "refused_fee", "settled_at", "sends")
        return [dict(zip(keys, row)) for row in rows]

    def host_rows(self, appt_id: str) -> list[dict]:
        assert self.host_db is not None
        rows = self.host_db.execute(
            "SELECT rowid, tid, request_id, result, cancel_ref, fee_accepted, fee_charged, fee FROM cancellation "
            "WHERE appt_id = ? ORDER BY rowid",
            (appt_id,),
        ).fetchall()
        keys = ("rowid", "tid", "rid", "result", "cancel_ref", "fee_accepted", "fee_charged", "fee")
        return [dict(zip(keys, row)) for row in rows]

    def new_tap_records(self) -> list[dict]:
        try:
            with open(self.tap_path, "rb") as tap:
                tap.seek(self.tap_offset)
                data = tap.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.tap_offset += end
        return [json.loads(line) for line in data[:end].splitlines() if line.strip()]

    # -- the lane's loop

    def take_plans(self) -> bool:
        plans = self.soak.take(CHUNK)
        if not plans:
            return False
        entries = [e for e in (appointment_toml(p, self.merchant) for p in plans) if e]
        self.chunk += 1
        path = self.dir / f"appointments-{self.chunk:05d}.toml"
        path.write_text(self.soak.terminals_toml + "\n" + "\n".join(entries), encoding="utf-8")
        with HostStore(self.db_path) as store:
            store.load(load_data(path))
        self.queue.extend(plans)
        return True

    def next_plan(self) -> Plan | None:
        if not self.queue and not self.take_plans():
            return None
        return self.queue.popleft()

    def run(self) -> None:
        stalled_since: float | None = None
        while True:
            # Every slot whose cable has served its session gets a cable for an upcoming one.
            for slot in self.slots:
                if slot.used and slot.starting is None:
                    plan = self.next_plan()
                    if plan is not None:
                        self.begin_cable(slot, plan)
            self.finish_cables()
            self.reap_cables()
            waiting = [slot for slot in self.slots if not slot.used and slot.starting is None and slot.cable]
            if not waiting and not any(slot.starting for slot in self.slots):
                return
            ready = next((s for s in waiting if s.cable and self.host_has(s.cable.path_b)), None)
            if ready is None:
                now = time.monotonic()
                stalled_since = stalled_since or now
                if now - stalled_since > 30:
                    raise SoakError(f"lane {self.number}: no slot came up in 30 s; see {self.dir}/processes.log")
                if self.host is None or self.host.poll() is not None:
                    raise SoakError(f"lane {self.number}: host exited ({self.host and self.host.returncode})")
                time.sleep(0.005)
                continue
            if stalled_since is not None:
                self.stats.spent("waiting for a slot's cable to come up", stalled_since)
                stalled_since = None
            assert ready.plan is not None
            self.run_session(ready.plan, ready)
            ready.used = True
            self.soak.session_done()

    # -- one session

    def run_session(self, plan: Plan, slot: Slot) -> None:
        assert slot.cable is not None
        self.say(f"session {plan.describe()}")
        port = slot.link_a
        stats = self.stats
        began = time.monotonic()
        cable_started = slot.cable.started
        with stats.lock:
            for name in ("drop", "flip", "dup", "noise"):
                if getattr(plan, name):
                    stats.faults[f"sessions with cable {name}"] += 1
            if plan.drop >= 0.01 and plan.flip >= 0.01:
                stats.faults["sessions at 1 % drop + 1 % flip"] += 1
        if plan.replace_journal:
            self.replace_journal(port, plan.seed)
        if plan.host_delay_ms or plan.host_busy:
            self.restart_host((plan.host_delay_ms, plan.host_busy), slot)
            if plan.host_delay_ms > self.args.t_resp_ms:
                self.count_fault("sessions with host --delay beyond T_RESP")
            elif plan.host_delay_ms:
                self.count_fault("sessions with host --delay near T_RESP")
            else:
                self.count_fault("sessions with host --busy")
        self.unknown_since: dict[str, float] = {}
        fee = plan.fee_accepted
        fee_raised = False
        retries = 0
        action: dict | None = {"op": "cancel", "appt": plan.appt_id, "reason": plan.reason, "fee": fee}
        calls = unknown_calls = 0
        while action is not None and calls < MAX_CALLS:
            done = self.call(action, plan.call_faults[calls], plan, port)
            calls += 1
            attempts = self.observe(plan)
            latest = attempts[-1] if attempts else None
            action = None
            if latest is None or (done is not None and done.get("error")):
                if retries < MAX_RETRIES:
                    retries += 1
                    action = {"op": "cancel", "appt": plan.appt_id, "reason": plan.reason, "fee": fee}
            elif latest["state"] in ("pending", "unknown"):
                unknown_calls += 1
                if unknown_calls > plan.unknown_retries:
                    action = None  # the merchant leaves it pending; the settle phase takes over
                elif plan.retry_style == "cancel":
                    action = {"op": "cancel", "appt": plan.appt_id, "reason": plan.reason, "fee": fee}
                else:
                    action = {"op": "settle", "rid": latest["rid"]}
            elif latest["state"] == "refused":
                result = latest["result"]
                if result == 0x04 and plan.accept_new_fee and not fee_raised and latest["refused_fee"] is not None:
                    fee, fee_raised = latest["refused_fee"], True
                    action = {"op": "cancel", "appt": plan.appt_id, "reason": plan.reason, "fee": fee}
                elif result not in (0x01, 0x02, 0x03, 0x04, 0x05) and retries < MAX_RETRIES:
                    retries += 1  # BUSY, never received, an ERROR: nothing was done, try again
                    action = {"op": "cancel", "appt": plan.appt_id, "reason": plan.reason, "fee": fee}
        if self.host_mode != (0, 0.0):
            self.restart_host((0, 0.0), slot)
        self.stats.spent("sessions: main phase", began)
        main_ended = time.monotonic()
        self.settle_phase(plan, slot)
        ended = time.monotonic()
        self.stats.spent("sessions: final settling", main_ended)
        self.check(plan, cable_started, began, ended)

    def observe(self, plan: Plan) -> list[dict]:
        """The appointment's attempts as the journal has them now; settle clocks start and stop here."""
        attempts = self.attempts(plan.appt_id)
        now = time.monotonic()
        for attempt in attempts:
            if attempt["state"] in ("pending", "unknown"):
                if attempt["rid"] not in self.unknown_since:
                    self.unknown_since[attempt["rid"]] = now
                    with self.stats.lock:
                        self.stats.notes["attempts left unsettled by a call or a kill"] += 1
            elif attempt["rid"] in self.unknown_since:
                took = now - self.unknown_since.pop(attempt["rid"])
                with self.stats.lock:
                    self.stats.settle_times.append(took)
        return attempts

    def settle_phase(self, plan: Plan, slot: Slot) -> None:
        port, budget, cleaned = slot.link_a, SETTLE_CALLS, False
        while True:
            open_ = [a for a in self.observe(plan) if a["state"] in ("pending", "unknown")]
            if not open_:
                return
            if budget == 0:
                if cleaned:
                    for attempt in open_:
                        self.stats.violation(
                            "never settled", plan.seed,
                            f"{attempt['rid']} still {attempt['state']} after {SETTLE_CALLS} settles on the session's "
                            f"cable and {CLEAN_SETTLE_CALLS} on a clean one",
                        )
                        self.unknown_since.pop(attempt["rid"], None)
                    return
                # The technician changes the cable: a clean one on the same slot.
                self.begin_cable(slot, None)
                self.finish_cables(block=True)
                self.wait_for_host(slot)
                budget, cleaned = CLEAN_SETTLE_CALLS, True
                with self.stats.lock:
                    self.stats.notes["sessions settled after a change to a clean cable"] += 1
                self.say("changed to a clean cable to settle")
            budget -= 1
            self.call({"op": "settle", "rid": open_[0]["rid"]}, None, plan, port)

    # -- the invariants

    def check(self, plan: Plan, cable_started: float, began: float, ended: float) -> None:
        seed = plan.seed
        bad = self.stats.violation
        attempts = self.attempts(plan.appt_id)
        host = self.host_rows(plan.appt_id)
        taps = [t for t in self.new_tap_records() if t.get("appt") == plan.appt_id or t.get("kind") == "STATUS_REQ"]
        by_rid = {a["rid"]: a for a in attempts}
        ours = [h for h in host if h["tid"] == self.tid]
        # 1: at most one OK per appointment, no new REQUEST_ID while one is unknown.
        oks = [h for h in host if h["result"] == 0]
        if len(oks) > 1:
            bad("1 cancelled twice", seed, f"{plan.appt_id}: OK for {[h['rid'] for h in oks]} ({[h['cancel_ref'] for h in oks]})")
        for tap in taps:
            if tap.get("violation"):
                bad("1 request sent while unknown / before journaled", seed, f"{tap['rid']}: {tap['violation']}")
        first_send: dict[str, dict] = {}
        for tap in taps:
            if tap.get("kind") == "CANCEL_REQ":
                first_send.setdefault(tap["rid"], tap)
        for earlier, later in zip(ours, ours[1:]):
            tap = first_send.get(later["rid"])
            before = by_rid.get(earlier["rid"])
            if tap is None:
                bad("1 host request not seen leaving", seed, f"host decided {later['rid']} but no CANCEL_REQ for it was tapped")
                continue
            states = {rid: (state, settled_at) for rid, state, settled_at in tap["attempts"]}
            state, settled_at = states.get(earlier["rid"], (None, None))
            if before is None or state not in ("cancelled", "refused"):
                bad("1 second REQUEST_ID while unknown", seed,
                    f"{later['rid']} first sent at {tap['wall']} while {earlier['rid']} was {state}")
            elif settled_at is not None and _when(settled_at) > _when(tap["wall"]):
                bad("1 second REQUEST_ID while unknown", seed,
                    f"{later['rid']} first sent at {tap['wall']}, {earlier['rid']} settled only at {settled_at}")
        for previous, following in zip(attempts, attempts[1:]):
            tap = first_send.get(following["rid"])
            if previous["state"] not in ("cancelled", "refused"):
                bad("1 second REQUEST_ID while unknown", seed, f"journal: {following['rid']} after unsettled {previous['rid']}")
            elif tap is not None and previous["settled_at"] and _when(previous["settled_at"]) > _when(tap["wall"]):
                bad("1 second REQUEST_ID while unknown", seed,
                    f"journal: {previous['rid']} settled at {previous['settled_at']}, {following['rid']} sent at {tap['wall']}")
        # 2: every host OK has the voucher; 3: every voucher is a host OK with the same ref and fee.
        host_by_rid = {h["rid"]: h for h in ours}
        for h in oks:
            a = by_rid.get(h["rid"]) if h["tid"] == self.tid else None
            if a is None or a["state"] != "cancelled" or a["cancel_ref"] != h["cancel_ref"]:
                bad("2 host cancellation without voucher", seed,
                    f"host OK {h['rid']} ref {h['cancel_ref']}; journal: {a and (a['state'], a['cancel_ref'])}")
        for a in attempts:
            if a["state"] == "cancelled":
                h = host_by_rid.get(a["rid"])
                if h is None or h["result"] != 0 or h["cancel_ref"] != a["cancel_ref"] or h["fee_charged"] != a["fee_charged"]:
                    bad("3 voucher without host cancellation", seed,
                        f"journal {a['rid']} ref {a['cancel_ref']} fee {a['fee_charged']}; host: "
                        f"{h and (h['result'], h['cancel_ref'], h['fee_charged'])}")
            elif a["state"] == "refused" and a["rid"] in host_by_rid and host_by_rid[a["rid"]]["result"] == 0:
                pass  # reported under 2
        # 4: the fee charged never exceeds the fee accepted.
        for h in host:
            if h["fee_charged"] is not None and h["fee_charged"] > h["fee_accepted"]:
                bad("4 fee above accepted", seed, f"host {h['rid']}: charged {h['fee_charged']} > accepted {h['fee_accepted']}")
        for a in attempts:
            if a["fee_charged"] is not None and a["fee_charged"] > a["fee_accepted"]:
                bad("4 fee above accepted", seed, f"journal {a['rid']}: charged {a['fee_charged']} > accepted {a['fee_accepted']}")
        # The host decided as the appointment says (the clock is fixed).
        for h in host:
            result = h["result"]
            expect = {"free": (0, 4), "fee": (0, 4), "too-late": (3,), "in-progress": (3,), "missing": (1,)}[plan.kind]
            if result == 2:
                bad("1 second REQUEST_ID reached a cancelled appointment", seed,
                    f"{h['rid']}: ALREADY_CANCELLED (cancelled earlier by {[o['rid'] for o in oks]})")
            elif result not in expect:
                bad("host decision contradicts the appointment", seed, f"{h['rid']}: result {result} for a {plan.kind} appointment")
            if result == 0 and h["fee_charged"] != (0 if plan.kind == "free" else plan.late_fee):
                bad("host decision contradicts the appointment", seed,
                    f"{h['rid']}: charged {h['fee_charged']} for a {plan.kind} appointment (late fee {plan.late_fee})")
        # What the session came to, and the faults that actually hit it.
        final = attempts[-1] if attempts else None
        outcome = "nothing recorded" if final is None else (
            final["state"] if final["state"] != "refused" else f"refused {_RESULTS.get(final['result'], final['result'])}"
        )
        windows = 0
        if plan.unplug:
            for start, length in plan.unplug:
                lo, hi = cable_started + start / 1000, cable_started + (start + length) / 1000
                if lo < ended and hi > began:
                    windows += 1
        with self.stats.lock:
            self.stats.sessions += 1
            self.stats.outcomes[outcome] += 1
            self.stats.notes["attempts (REQUEST_IDs)"] += len(attempts)
            if plan.unplug:
                self.stats.faults["sessions with unplug windows"] += 1
                self.stats.faults["unplug windows during a session"] += windows
        self.say(f"session done in {ended - began:.2f} s: {outcome}")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


_RESULTS = {0: "OK", 1: "NOT_FOUND", 2: "ALREADY_CANCELLED", 3: "TOO_LATE", 4: "FEE_CHANGED", 5: "NOT_AUTHORISED",
            6: "UNKNOWN_REQUEST", 0x10: "BAD_MAC", 0x11: "BAD_FORMAT", 0x12: "BAD_VERSION", 0x13: "UNKNOWN_TERMINAL",
            0x20: "BUSY"}


# -- the whole run ---------------------------------------------------------------------------------


class Soak:
    def __init__(self, args: argparse.Namespace, plans: list[Plan], workdir: Path, verbose: bool) -> None:
        self.args = args
        self.plans = deque(plans)
        self.total = len(plans)
        self.workdir = workdir
        self.verbose = verbose
        self.stats = Stats()
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.done = 0
        self.host_seeds = random.Random(args.seed)
        key_rng = random.Random(f"keys:{args.seed}")
        lanes = max(1, args.lanes)
        self.keys = {f"SOAK{n:04d}": key_rng.randbytes(32).hex() for n in range(1, lanes + 1)}
        self.terminals_toml = "\n".join(
            f'[[terminal]]\ntid = "{tid}"\nmerchant_id = "{MERCHANTS[(n - 1) % len(MERCHANTS)]}"\nkey = "{key}"\n'
            for n, (tid, key) in enumerate(self.keys.items(), 1)
        )
        self.terminals_file = workdir / "terminals.toml"
        self.terminals_file.write_text(self.terminals_toml, encoding="utf-8")

    def rng_for_host(self) -> int:
        with self.lock:
            return self.host_seeds.getrandbits(31)

    def take(self, n: int) -> list[Plan]:
        with self.lock:
            taken = []
            while self.plans and len(taken) < n:
                taken.append(self.plans.popleft())
            return taken

    def note_kill(self, lane: Lane, plan: Plan) -> None:
        # Whatever the journal holds open now was unknown from the moment of the kill.
        lane.observe(plan)

    def session_done(self) -> None:
        with self.lock:
            self.done += 1
            done = self.done
        every = self.args.report_every
        if every and done % every == 0 and done < self.total:
            elapsed = time.monotonic() - self.started
            with self.stats.lock:
                violations = len(self.stats.violations)
            print(
                f"[{elapsed:7.1f} s] {done}/{self.total} sessions, {done / elapsed:.2f} sessions/s, "
                f"{violations} violations",
                flush=True,
            )

    def run(self) -> None:
        lanes = [Lane(self, n, self.args.slots) for n in range(1, max(1, self.args.lanes) + 1)]
        errors: list[BaseException] = []

        def lane_main(lane: Lane) -> None:
            try:
                lane.start()
                lane.run()
            except BaseException as exc:  # noqa: BLE001 — reported below, the other lanes go on
                errors.append(exc)
                import traceback

                traceback.print_exc()

        threads = [threading.Thread(target=lane_main, args=(lane,), name=f"lane {lane.number}") for lane in lanes]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            for lane in lanes:
                try:
                    lane.stop()
                except Exception as exc:  # noqa: BLE001
                    print(f"lane {lane.number}: stopping: {exc!r}", file=sys.stderr)
        self.elapsed = time.monotonic() - self.started
        for lane in lanes:
            self.final_check(lane)
        if errors:
            self.stats.violation("rig failure (not a finding about the client)", None, "; ".join(repr(e) for e in errors))

    def final_check(self, lane: Lane) -> None:
        """Everything once more, from the stores themselves: every host cancellation of this terminal
        against the whole journal, every voucher against the host."""
        if not lane.db_path.exists() or not lane.journal_path.exists():
            return
        with HostStore(lane.db_path, create=False) as store:
            cancellations = store.cancellations()
        rows = []
        for path in (*lane.old_journals, lane.journal_path):  # one terminal's every journal
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            rows += db.execute("SELECT request_id, appt_id, state, cancel_ref, fee_accepted, fee_charged FROM attempt").fetchall()
            db.close()
        journal = {rid: (appt, state, ref, accepted, charged) for rid, appt, state, ref, accepted, charged in rows}
        ok_per_appt = Counter(c.appt_id for c in cancellations if c.result == 0)
        for appt, count in ok_per_appt.items():
            if count > 1:
                self.stats.violation("1 cancelled twice (final)", None, f"lane {lane.number}: {appt} OK {count} times")
        host_ok = {}
        for c in cancellations:
            if c.tid != lane.tid:
                continue
            if c.fee_charged is not None and c.fee_charged > c.fee_accepted:
                self.stats.violation("4 fee above accepted (final)", None, f"{c.request_id}")
            if c.result == 0:
                host_ok[c.request_id] = c
                j = journal.get(c.request_id)
                if j is None or j[1] != "cancelled" or j[2] != c.cancel_ref:
                    self.stats.violation("2 host cancellation without voucher (final)", None, f"{c.request_id}: journal {j}")
        for rid, (appt, state, ref, accepted, charged) in journal.items():
            if state in ("pending", "unknown"):
                self.stats.violation("never settled (final)", None, f"lane {lane.number}: {rid} ({appt}) {state}")
            if state == "cancelled":
                c = host_ok.get(rid)
                if c is None or c.cancel_ref != ref or c.fee_charged != charged:
                    self.stats.violation("3 voucher without host cancellation (final)", None, f"{rid} ref {ref}")
            if charged is not None and charged > accepted:
                self.stats.violation("4 fee above accepted (final)", None, f"journal {rid}")

    def report(self) -> int:
        s = self.stats
        elapsed = self.elapsed
        out = []
        out.append(
            f"soak: {'replay of session seed ' + str(self.args.replay) if self.args.replay is not None else 'seed ' + str(self.args.seed)}, "
            f"{self.args.lanes} lanes x {self.args.slots} cable slots, "
            f"T_ACK {self.args.t_ack_ms} ms, T_RESP {self.args.t_resp_ms} ms, T_CHAR {self.args.t_char_ms} ms, "
            f"settle backoff {self.args.settle_backoff_ms} ms, {BAUD} baud"
        )
        out.append(f"sessions run: {s.sessions} of {self.total}")
        out.append("  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(s.outcomes.items(), key=lambda kv: -kv[1])))
        out.append("faults injected:")
        for kind, count in sorted(s.faults.items()):
            out.append(f"  {kind}: {count}")
        for kind, count in sorted(s.bytes.items()):
            out.append(f"  {kind}: {count}")
        out.append(f"invariant violations: {len(s.violations)}")
        kinds = Counter(v.kind for v in s.violations)
        for kind, count in sorted(kinds.items()):
            out.append(f"  {kind}: {count}")
        for v in s.violations[:50]:
            replay = f" (replay: python bench/soak.py --replay {v.seed})" if v.seed is not None else ""
            out.append(f"  - [{v.kind}] seed {v.seed}{replay}: {v.detail.strip()}")
        if len(s.violations) > 50:
            out.append(f"  ... and {len(s.violations) - 50} more")
        times = sorted(s.settle_times)
        if times:
            p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
            out.append(
                f"settle times (first unknown -> settled, {len(times)} attempts): median {statistics.median(times):.3f} s, "
                f"p95 {p95:.3f} s, max {times[-1]:.3f} s"
            )
        else:
            out.append("settle times: no attempt was ever unknown")
        total_calls = sum(s.calls.values())
        out.append(
            f"calls over bound: {len(s.over_bound)} of {total_calls} calls "
            f"({', '.join(f'{k} {v}' for k, v in sorted(s.calls.items()))}); margin {self.args.margin_ms} ms; "
            f"longest relative to its bound: {s.worst_call or '-'}"
        )
        for line in s.over_bound[:20]:
            out.append(f"  - {line}")
        for kind, count in sorted(s.notes.items()):
            out.append(f"note: {kind}: {count}")
        import resource

        s.cpu["this harness"] = sum(getattr(resource.getrusage(resource.RUSAGE_SELF), f) for f in ("ru_utime", "ru_stime"))
        out.append(
            f"CPU: {sum(s.cpu.values()):.0f} s in all, {sum(s.cpu.values()) / max(s.sessions, 1):.3f} s a session ("
            + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(s.cpu.items(), key=lambda kv: -kv[1])) + ")"
        )
        if s.seconds:
            out.append("lane time: " + ", ".join(f"{k} {v:.0f} s" for k, v in sorted(s.seconds.items(), key=lambda kv: -kv[1])))
        rate = s.sessions / elapsed if elapsed else 0.0
        out.append(f"elapsed: {elapsed:.1f} s ({rate:.2f} sessions/s)")
        print("\n".join(out), flush=True)
        return 1 if s.violations else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exactly-once soak of the terminal client against the host simulator.")
    parser.add_argument("--sessions", type=int, default=100, help="how many sessions (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="master seed; session seeds derive from it")
    parser.add_argument("--lanes", type=int, default=8, help="terminals run side by side (default 8)")
    parser.add_argument("--slots", type=int, default=4, help="cable slots per lane (default 4)")
    parser.add_argument("--report-every", type=int, default=1000, metavar="M", help="a progress line every M sessions")
    parser.add_argument("--replay", type=int, metavar="SEED", help="run only the session with this seed, verbosely")
    parser.add_argument("--t-ack-ms", type=int, default=60)
    parser.add_argument("--t-resp-ms", type=int, default=400)
    parser.add_argument("--t-char-ms", type=int, default=100)
    parser.add_argument("--settle-backoff-ms", default="50,100,200")
    parser.add_argument("--margin-ms", type=int, default=250, help="scheduling margin on call bounds (default 250)")
    parser.add_argument("--workdir", help="where the lanes keep their files (default: a new folder in /dev/shm)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--exec", action="store_true",
        help="start every process with its own Python (pos-sim, python bench/soak_terminal.py) instead of "
        "forking it from a fork server that has the modules imported",
    )
    parser.add_argument("--verbose", action="store_true", help="say what every session does")
    parser.add_argument(
        "--sabotage", choices=("give-up",),
        help="run a deliberately broken client (give-up: takes unknown outcomes for not cancelled), "
        "to see that the soak reports what it breaks",
    )
    args = parser.parse_args(argv)

    if args.replay is not None:
        plans = [make_plan(args.replay, args.t_resp_ms)]
        args.lanes, args.slots, args.report_every = 1, 1, 0
        verbose = True
        print(f"replaying {plans[0].describe()}", flush=True)
    else:
        plans = [make_plan(s, args.t_resp_ms) for s in session_seeds(args.seed, args.sessions)]
        verbose = args.verbose
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="soak-", dir=base))
    workdir.mkdir(parents=True, exist_ok=True)
    soak = Soak(args, plans, workdir, verbose)
    try:
        soak.run()
        code = soak.report()
    finally:
        if args.keep or args.workdir:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
