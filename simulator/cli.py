"""The `pos-sim` command line: parses the arguments and runs the host simulator's subcommands.

Each subcommand has an `_add_<name>_parser(subparsers)` that declares its arguments and sets
`run` to the function that carries it out and returns the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from simulator.cable import CableCounters, CableSettings, CableSetupError, NullModemCable, UnplugWindow
from terminal.capture_file import CaptureFile, CaptureFileError, append_owner_only
from terminal.exit_codes import EXIT_DONE, EXIT_FAILED, EXIT_USAGE, reader_gone
from terminal.line_speed import LINE_SPEEDS_TEXT, line_speed_argument

if TYPE_CHECKING:
    from simulator.data import SimulatorData
    from simulator.serve import HostServer
    from simulator.store import LoadSummary


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args, unrecognized = parser.parse_known_args(argv)
        if unrecognized and not args.ignores_arguments:
            parser.error(f"unrecognized arguments: {' '.join(unrecognized)}")
    except SystemExit as leaving:
        # argparse has already printed the usage error or the help; hand back its code instead of
        # exiting, so main() can be called from tests like any function.
        return leaving.code if isinstance(leaving.code, int) else EXIT_USAGE
    try:
        code = args.run(args)
        sys.stdout.flush()  # here, where a reader gone away is caught, not at exit
        return code
    except BrokenPipeError:  # `pos-sim report | head`
        return reader_gone()


def _build_parser() -> argparse.ArgumentParser:
    from importlib.metadata import PackageNotFoundError, version

    parser = argparse.ArgumentParser(prog="pos-sim", description="The POS provider's host, simulated.")
    try:
        installed = version("pos-cancel-appointment")
    except PackageNotFoundError:
        installed = "unknown (not installed as a package)"
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed}")
    parser.set_defaults(ignores_arguments=False)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_host_parser(subparsers)
    _add_console_parser(subparsers)
    _add_cable_parser(subparsers)
    _add_trace_parser(subparsers)
    _add_report_parser(subparsers)
    _add_db_parser(subparsers)
    return parser


# -- cable ---------------------------------------------------------------------------------------


def _add_cable_parser(subparsers: argparse._SubParsersAction) -> None:
    cable = subparsers.add_parser(
        "cable",
        help="a virtual null-modem cable between two pty endpoints",
        description=(
            "A virtual null-modem cable: prints the two pty endpoints' paths on one line (A B), "
            "then relays bytes between them, paced and impaired as asked, until SIGINT or SIGTERM. "
            "It then prints what it did to stderr."
        ),
    )
    cable.add_argument("--baud", type=line_speed_argument, metavar="N", help=f"pace each direction at N baud, 10 bits a byte; N is one of {LINE_SPEEDS_TEXT}")
    cable.add_argument("--drop", type=_probability, default=0.0, metavar="P", help="chance that a byte is lost")
    cable.add_argument("--flip", type=_probability, default=0.0, metavar="P", help="chance that one bit of a byte is flipped")
    cable.add_argument("--dup", type=_probability, default=0.0, metavar="P", help="chance that a byte arrives twice")
    cable.add_argument("--noise", type=_probability, default=0.0, metavar="P", help="chance that a random byte comes before a byte")
    cable.add_argument("--seed", type=_seed, metavar="N", help="seed for the impairments, to repeat a run")
    cable.add_argument(
        "--unplug",
        type=_unplug_window,
        action="append",
        default=[],
        metavar="START_MS:LENGTH_MS",
        help="pull the cable out for LENGTH_MS, START_MS after it starts (repeatable)",
    )
    cable.add_argument("--link-a", metavar="PATH", help="also make PATH a symlink to endpoint A")
    cable.add_argument("--link-b", metavar="PATH", help="also make PATH a symlink to endpoint B")
    cable.add_argument(
        "--capture",
        metavar="FILE",
        help="append every byte the cable hands to either end to FILE, with its time and A->B or B->A "
        "(decode it with pos-sim trace FILE; format: docs/captures.md)",
    )
    cable.set_defaults(run=_run_cable)


def _run_cable(args: argparse.Namespace) -> int:
    settings = CableSettings(
        baud=args.baud,
        drop=args.drop,
        flip=args.flip,
        dup=args.dup,
        noise=args.noise,
        seed=args.seed,
        unplug=tuple(args.unplug),
    )
    if args.link_a and args.link_b and Path(args.link_a).absolute() == Path(args.link_b).absolute():
        print(f"pos-sim cable: --link-a and --link-b are both {args.link_a}; give each end its own path",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        capture = CaptureFile(args.capture) if args.capture else None
    except CaptureFileError as problem:
        print(f"pos-sim cable: {problem}", file=sys.stderr)
        return EXIT_USAGE
    tap = capture.tap() if capture is not None else None
    cable = NullModemCable(settings, link_a=args.link_a, link_b=args.link_b, tap=tap)
    # Installed before the paths are printed, so whoever reads them may signal at once.
    stop_requested, previous_handlers = _on_stop_signals()
    try:
        try:
            cable.start()
        except CableSetupError as problem:
            print(f"pos-sim cable: {problem}", file=sys.stderr)
            return EXIT_USAGE
        started = time.monotonic()
        print(f"{cable.path_a} {cable.path_b}", flush=True)
        print(
            f"pos-sim cable: relaying between {cable.path_a} and {cable.path_b} (seed {cable.seed}); "
            "Ctrl-C or SIGTERM stops it",
            file=sys.stderr,
            flush=True,
        )
        while not stop_requested.wait(0.2):
            if not cable.running:
                break
        cable.stop()
        print(_cable_report(cable.counters, cable.seed, time.monotonic() - started), file=sys.stderr, flush=True)
        if cable.failure is not None:
            print(f"pos-sim cable: the relay stopped on an error: {cable.failure!r}", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_DONE
    finally:
        cable.stop()
        if capture is not None:
            capture.close()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)


class StopSignal:
    """SIGINT or SIGTERM received, in a plain attribute. Not a threading.Event: the handler runs on
    the main thread, and Event.set() there takes the lock that the same thread's Event.wait() may
    hold at that moment, and waits for it for ever (a host SIGTERMed under load hung so)."""

    def __init__(self) -> None:
        self.received = False

    def __call__(self, _signum: int, _frame: object) -> None:
        self.received = True

    def wait(self, seconds: float) -> bool:
        """Sleep (a signal's handler runs meanwhile); whether one has come."""
        if not self.received:
            time.sleep(seconds)
        return self.received


def _on_stop_signals() -> tuple[StopSignal, dict[int, object]]:
    stop = StopSignal()
    return stop, {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}


def _cable_report(counters: CableCounters, seed: int, seconds: float) -> str:
    lines = [f"pos-sim cable: stopped after {seconds:.1f} s (seed {seed})"]
    for label, way in (("A->B", counters.a_to_b), ("B->A", counters.b_to_a)):
        lines.append(
            f"  {label}: in {way.bytes_in}, out {way.bytes_out}, dropped {way.dropped}, flipped {way.flipped}, "
            f"duplicated {way.duplicated}, noise {way.noise_inserted}, lost to unplug {way.lost_to_unplug}, "
            f"overflowed {way.overflowed}"
        )
    return "\n".join(lines)


def _probability(text: str) -> float:
    try:
        probability = float(text)
    except ValueError:
        probability = float("nan")
    if not 0.0 <= probability <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability; write a number from 0 to 1, such as 0.05")
    return probability


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed; write a whole number, such as 42") from None


def _unplug_window(text: str) -> UnplugWindow:
    try:
        return UnplugWindow.parse(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


# -- host ----------------------------------------------------------------------------------------


def _add_host_parser(subparsers: argparse._SubParsersAction) -> None:
    host = subparsers.add_parser(
        "host",
        help="serve the host's side of the protocol on serial lines",
        description=(
            "Serve the provider's host on one or more serial lines (any pyserial URL: /dev/ttyUSB0, a pty path "
            "such as a pos-sim cable end, socket://host:port) until SIGINT or SIGTERM. Without --data it serves "
            "built-in demo data placed around now; without --db it keeps its state in a temporary file. Each start "
            "merges the data into the --db file and says what it loaded; `pos-sim db` lists, exports and resets it."
        ),
    )
    _add_serving_arguments(host)
    host.add_argument(
        "--trace", nargs="?", const="-", metavar="FILE", help="trace every frame both ways, to FILE or stdout"
    )
    host.add_argument("--busy", type=_probability, default=0.0, metavar="P", help="answer this share of requests with ERROR BUSY")
    host.add_argument("--delay", type=_milliseconds, default=0, metavar="MS", help="hold each response back this long")
    host.add_argument("--seed", type=_seed, metavar="N", help="seed for --busy, to repeat a run")
    host.set_defaults(run=_run_host)


def _add_console_parser(subparsers: argparse._SubParsersAction) -> None:
    console = subparsers.add_parser(
        "console",
        help="the host with a face: serve as pos-sim host does, watch it and steer it live",
        description=(
            "Serve the provider's host exactly as `pos-sim host` does, in a full-screen console that shows each "
            "line, the traffic both ways, the appointments and cancellations, and lets you set faults, step the "
            "host's clock, reset an appointment to booked and reload the data file while terminals talk to it. "
            "Quit it from its keys, or with SIGTERM."
        ),
    )
    _add_serving_arguments(console, now_help="start the host's clock frozen at this instant (step it from the Clock panel)")
    console.add_argument(
        "--trace", metavar="FILE", help="also trace every frame both ways to FILE (the screen is the console's)"
    )
    console.add_argument("--seed", type=_seed, metavar="N", help="seed for a BUSY share set in the console, to repeat a run")
    console.set_defaults(run=_run_console)


def _add_serving_arguments(
    parser: argparse.ArgumentParser, *, now_help: str = "fix the host's clock at this instant"
) -> None:
    """What `pos-sim host` and `pos-sim console` both take: the lines, the data, the db, the clock, the capture."""
    parser.add_argument(
        "--port", action="append", required=True, metavar="URL", help="a serial line to serve (repeatable)"
    )
    parser.add_argument("--baud", type=line_speed_argument, default=115200, metavar="N", help=f"line speed, one of {LINE_SPEEDS_TEXT} (default 115200)")
    parser.add_argument("--data", metavar="FILE.toml", help="terminals and appointments to serve (format: docs/host-data.md)")
    parser.add_argument("--db", metavar="FILE", help="the host's database; reopened as it is, kept across restarts")
    parser.add_argument(
        "--now", type=_local_time, metavar="YYYY-MM-DDTHH:MM:SS", help=now_help
    )
    parser.add_argument(
        "--capture",
        metavar="FILE",
        help="append every byte read and written on each line to FILE, with its time and the port's URL "
        "(decode it with pos-sim trace FILE; format: docs/captures.md)",
    )


class _StartupError(Exception):
    """The host cannot start as asked; the message says what to change."""


@dataclass
class _Prepared:
    """A host ready to serve: its db holds the data; what `pos-sim host` and `console` share."""

    store_path: Path
    temporary_db: bool
    data: SimulatorData
    loaded: LoadSummary
    trace: TextIO | None
    capture: CaptureFile | None


def _prepare_host(args: argparse.Namespace, now: Callable[[], datetime], cleanup: contextlib.ExitStack) -> _Prepared:
    """Check the ports, read the data, open the trace and the capture, and merge the data into
    the db; raises _StartupError, with what to change, on anything refused. Everything that can
    be refused is checked before the db takes the data for good. `now`: the host's clock, to
    place the demo data around."""
    from simulator.data import DataError, demo_data, load_data
    from simulator.store import HostStore, StoreError

    if args.db:
        store_path = Path(args.db)
    else:
        store_path = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="pos-sim-host-"))) / "host.db"
    try:
        data = load_data(args.data) if args.data else demo_data(now())
        _check_ports(args.port, args.baud)
        trace = _open_trace(args.trace, cleanup)
        capture = cleanup.enter_context(CaptureFile(args.capture)) if args.capture else None
        with HostStore(store_path) as store:
            loaded = store.load(data)
    except (DataError, StoreError, CaptureFileError) as problem:
        raise _StartupError(str(problem)) from None
    return _Prepared(store_path, not args.db, data, loaded, trace, capture)


def _serving_text(args: argparse.Namespace, prepared: _Prepared, program: str) -> tuple[str, str]:
    """What a starting host says: what it loaded, and what it serves."""
    from simulator.db_command import describe_load

    clock_text = f"fixed at {args.now:%Y-%m-%dT%H:%M:%S}" if args.now else "the machine's"
    loaded = f"{program}: {describe_load(prepared.loaded, prepared.data, str(prepared.store_path))}"
    serving = (
        f"{program}: serving {', '.join(args.port)} at {args.baud} baud; db {prepared.store_path}"
        f"{' (temporary)' if prepared.temporary_db else ''}; data {prepared.data.source}; clock {clock_text}"
    )
    return loaded, serving


def _server(args: argparse.Namespace, prepared: _Prepared, clock: Callable[[], datetime], **options: Any) -> HostServer:
    """The host both `pos-sim host` and `pos-sim console` serve, as their arguments ask."""
    from simulator.serve import HostServer

    return HostServer(
        args.port, prepared.store_path, baud=args.baud, clock=clock, trace=prepared.trace, capture=prepared.capture,
        **options,
    )


def _run_host(args: argparse.Namespace) -> int:
    # Imported here so that `pos-sim cable` does not pay for sqlite and the protocol.
    from simulator.host_clock import HostClock

    logging.basicConfig(level=logging.WARNING, format="pos-sim host: %(message)s", stream=sys.stderr)
    clock = HostClock(fixed=args.now)
    with contextlib.ExitStack() as cleanup:
        try:
            prepared = _prepare_host(args, clock, cleanup)
        except _StartupError as problem:
            print(f"pos-sim host: {problem}", file=sys.stderr)
            return EXIT_USAGE
        server = _server(args, prepared, clock, busy_rate=args.busy, delay=args.delay / 1000, seed=args.seed)
        loaded, serving = _serving_text(args, prepared, "pos-sim host")
        print(loaded, file=sys.stderr, flush=True)
        _serve_until_signalled(server, f"{serving}; Ctrl-C or SIGTERM stops it")
    return EXIT_DONE


def _run_console(args: argparse.Namespace) -> int:
    from simulator.data import load_data
    from simulator.faults import FaultBoard
    from simulator.host_activity import HostActivity
    from simulator.host_clock import HostClock

    try:
        from simulator.console.app import run_console
    except ImportError as problem:  # Textual missing from the environment
        print(f"pos-sim console: cannot show the console ({problem}); reinstall pos-sim", file=sys.stderr)
        return EXIT_FAILED
    clock = HostClock(fixed=args.now)
    with contextlib.ExitStack() as cleanup:
        try:
            prepared = _prepare_host(args, clock, cleanup)
        except _StartupError as problem:
            print(f"pos-sim console: {problem}", file=sys.stderr)
            return EXIT_USAGE
        faults, activity = FaultBoard(seed=args.seed), HostActivity()
        data_path = args.data
        server = _server(
            args, prepared, clock, faults=faults, activity=activity,
            data_source=(lambda: load_data(data_path)) if data_path else None,
        )
        loaded, serving = _serving_text(args, prepared, "pos-sim console")
        activity.note(loaded.removeprefix("pos-sim console: "))
        activity.note(serving.removeprefix("pos-sim console: "))
        code = EXIT_DONE
        # The console owns the screen: what the host would log goes to its notes (HostServer tells
        # the activity feed), never to stderr, where it would garble the screen.
        quiet = logging.NullHandler()
        logging.getLogger().addHandler(quiet)
        # Until the console takes SIGTERM itself, it ends the app as Ctrl-C does.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            server.start()
            returned = run_console(server, clock=clock, faults=faults, activity=activity, data_path=data_path)
            if isinstance(returned, int):
                code = returned
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.stop()
            logging.getLogger().removeHandler(quiet)
        print(f"pos-sim console: stopped; db {prepared.store_path}{' (temporary)' if prepared.temporary_db else ''}",
              file=sys.stderr, flush=True)
    return code


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _serve_until_signalled(server: HostServer, announcement: str) -> None:
    stop_requested, previous_handlers = _on_stop_signals()
    try:
        server.start()
        print(announcement, file=sys.stderr, flush=True)
        # A bounded wait, so the main thread comes back to run the signal handler promptly.
        while not stop_requested.wait(0.2):
            pass
    finally:
        server.stop()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)


def _check_ports(urls: list[str], baud: int) -> None:
    """Open and close each port once, so that a mistyped --port is a usage error at start; once
    serving, a line that goes away is waited for and reopened instead (HostServer)."""
    import serial

    from terminal.transport import holders_if_held, holders_named

    for url in urls:
        try:
            # exclusive, as HostServer opens it: a line another host holds is refused here,
            # before this open could flush its input and reset its speed.
            serial.serial_for_url(url, baudrate=baud, exclusive=True).close()
        except (serial.SerialException, OSError, ValueError) as problem:
            holders = holders_if_held(problem, url)
            if holders is not None:
                who = f" ({holders_named(holders)})" if holders else ""
                raise _StartupError(
                    f"cannot open --port {url}: another program holds it{who}. Stop that program "
                    f"(fuser -v {url} lists who holds a port), then start the host again"
                ) from None
            raise _StartupError(f"cannot open --port {url} ({problem}); check the device path or URL") from None


def _open_trace(target: str | None, cleanup: contextlib.ExitStack) -> TextIO | None:
    if target is None:
        return None
    if target == "-":
        return sys.stdout
    try:
        return cleanup.enter_context(append_owner_only(target))
    except OSError as problem:
        raise _StartupError(f"cannot write the trace to {target} ({problem.strerror}); choose another --trace FILE") from None


def _local_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a local time; write YYYY-MM-DDTHH:MM:SS, such as 2026-11-27T09:30:00"
        ) from None


def _milliseconds(text: str) -> int:
    try:
        milliseconds = int(text)
    except ValueError:
        milliseconds = -1
    if milliseconds < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a delay; write whole milliseconds, such as 12000")
    return milliseconds


# -- trace ---------------------------------------------------------------------------------------


def _add_trace_parser(subparsers: argparse._SubParsersAction) -> None:
    trace = subparsers.add_parser(
        "trace",
        help="decode a capture, a host's trace or a spy:// log into frames and messages",
        description=(
            "Decode what was seen on a line into numbered trace lines, in order, both directions: frames with "
            "each field as NAME = value, ACK/NAK, noise, bad frames and resends, then a summary. FILE may be "
            "what --capture writes (pos-sim host, pos-sim cable, pos-terminal), the hand-made hex form (lines "
            "of hex, optionally after > or <), the output of pos-sim host --trace, a pyserial spy://PORT?file=LOG "
            "log, or raw bytes. A file that holds no frame exits 1. Format and examples: docs/captures.md."
        ),
    )
    trace.add_argument("file", metavar="FILE", help="the capture, trace or spy:// log")
    trace.set_defaults(run=_run_trace)


def _run_trace(args: argparse.Namespace) -> int:
    from simulator.capture import CaptureError, decode_capture, summary_line

    try:
        raw = Path(args.file).read_bytes()
        lines, summary = decode_capture(raw)
    except OSError as problem:
        print(f"pos-sim trace: cannot read {args.file} ({problem.strerror}); pass the path of a capture", file=sys.stderr)
        return EXIT_USAGE
    except CaptureError as problem:
        print(f"pos-sim trace: {args.file}: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if not summary.holds_frames:
        print(
            f"pos-sim trace: {args.file}: no frames: this is not a capture, or the line carried no frame "
            f"({summary_line(summary)}); pos-sim trace reads what --capture writes, the output of pos-sim host "
            "--trace, pyserial spy:// logs and raw bytes (docs/captures.md)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    for line in lines:
        print(line)
    print(summary_line(summary))
    return EXIT_DONE


# -- report --------------------------------------------------------------------------------------


def _add_report_parser(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser(
        "report",
        help="what the host did, from its database",
        description="Cancellations by reason and by service, fees charged, and refusals by result.",
    )
    report.add_argument("--db", required=True, metavar="FILE", help="the database pos-sim host kept")
    report.add_argument("--json", action="store_true", help="print JSON instead of text")
    report.set_defaults(run=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from simulator.report import build_report, format_report, report_json
    from simulator.store import HostStore, StoreError

    try:
        with HostStore(args.db, create=False) as store:
            cancellations = store.cancellations()
    except StoreError as problem:
        print(f"pos-sim report: {problem}", file=sys.stderr)
        return EXIT_USAGE
    report = build_report(cancellations)
    print(report_json(report) if args.json else format_report(report))
    return EXIT_DONE


# -- db ------------------------------------------------------------------------------------------


def _add_db_parser(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser(
        "db",
        help="list, show, export or reset the host's database",
        description=(
            "The database that `pos-sim host --db FILE` keeps: list its appointments, show one with the cancel "
            "requests that named it, export it as a data file, or reset it to a data file. --db, --json and --now "
            "go before or after the command."
        ),
    )
    _add_db_options(db, default=None)
    commands = db.add_subparsers(title="commands", metavar="COMMAND", dest="db_command", required=True)
    listing = commands.add_parser(
        "list", help="terminals and appointments, with what cancelling each would get now", description=(
            "Every terminal (never its key) and every appointment, earliest first, with its status and what a "
            "cancellation now would get: its fee and until when, or why it is not possible."
        )
    )
    show = commands.add_parser(
        "show", help="one appointment, its cancellation and the cancel requests that named it",
        description="One appointment, its cancellation, and every cancel request that named it, as the host answered.",
    )
    show.add_argument("appt_id", metavar="APPT", help="the appointment's id")
    export = commands.add_parser(
        "export", help="print the database as a data file (pos-sim host --data)",
        description=(
            "Print the database's terminals and appointments as a data file (docs/host-data.md) that "
            "`pos-sim host --data FILE` serves as they are; --demo prints the built-in demo data instead."
        ),
    )
    export.add_argument("--demo", action="store_true", help="the built-in demo data, placed around now (no --db)")
    reset = commands.add_parser(
        "reset", help="make the database hold a data file alone, forgetting every cancellation",
        description=(
            "Make the database hold the data file (or, without --data, the built-in demo data placed around now) "
            "and nothing else: every answered cancel request, and the terminals and appointments not in the data, "
            "are forgotten. Without --yes it only says what would be lost."
        ),
    )
    reset.add_argument("--data", metavar="FILE.toml", help="the data file to reset to (default: the demo data)")
    reset.add_argument("--yes", action="store_true", help="do it: what the database holds now is lost")
    for command in (listing, show, export, reset):
        # SUPPRESS: given before the command only, the value set there is kept.
        _add_db_options(command, default=argparse.SUPPRESS)
    db.set_defaults(run=_run_db)


def _add_db_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--db", default=default, metavar="FILE", help="the database pos-sim host --db kept")
    parser.add_argument(
        "--json", action="store_true", default=False if default is None else default, help="print one JSON object"
    )
    parser.add_argument(
        "--now", type=_local_time, default=default, metavar="YYYY-MM-DDTHH:MM:SS",
        help="judge fees and deadlines at this host time, as pos-sim host --now (default: the machine's clock)",
    )


def _run_db(args: argparse.Namespace) -> int:
    from simulator.db_command import DbCommand, run_db_command

    return run_db_command(
        DbCommand(
            name=args.db_command,
            db=args.db,
            now=args.now or datetime.now().replace(microsecond=0),
            as_json=args.json,
            appt_id=getattr(args, "appt_id", None),
            demo=getattr(args, "demo", False),
            data_file=getattr(args, "data", None),
            yes=getattr(args, "yes", False),
        )
    )
