"""The `pos-sim` command line: parses the arguments and runs the host simulator's subcommands.

Each subcommand has an `_add_<name>_parser(subparsers)` that declares its arguments and sets
`run` to the function that carries it out and returns the exit code.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence

from simulator.cable import CableCounters, CableSettings, CableSetupError, NullModemCable, UnplugWindow

# Exit codes shared with pos-terminal (DESIGN.md, "Commands").
EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


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
    return args.run(args)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pos-sim", description="The POS provider's host, simulated.")
    parser.set_defaults(ignores_arguments=False)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    _add_host_parser(subparsers)
    _add_cable_parser(subparsers)
    _add_trace_parser(subparsers)
    _add_report_parser(subparsers)
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
    cable.add_argument("--baud", type=_baud, metavar="N", help="pace each direction at N baud, 10 bits a byte")
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
    cable = NullModemCable(settings, link_a=args.link_a, link_b=args.link_b)
    stop_requested = threading.Event()
    # Installed before the paths are printed, so whoever reads them may signal at once.
    previous_handlers = {
        signum: signal.signal(signum, lambda _signum, _frame: stop_requested.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
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
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)


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


def _baud(text: str) -> int:
    try:
        baud = int(text)
    except ValueError:
        baud = 0
    if baud <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a baud rate; write a positive whole number, such as 9600")
    return baud


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


# -- not in this build yet -----------------------------------------------------------------------


def _add_host_parser(subparsers: argparse._SubParsersAction) -> None:
    _add_unavailable_parser(subparsers, "host", "serve the host's side of the protocol on a serial line")


def _add_trace_parser(subparsers: argparse._SubParsersAction) -> None:
    _add_unavailable_parser(subparsers, "trace", "decode a capture into frames and messages")


def _add_report_parser(subparsers: argparse._SubParsersAction) -> None:
    _add_unavailable_parser(subparsers, "report", "what the host did, from its database")


def _add_unavailable_parser(subparsers: argparse._SubParsersAction, name: str, summary: str) -> None:
    command = subparsers.add_parser(name, help=f"{summary} (not in this build yet)", add_help=False)
    # Whatever arguments come with it are ignored, so the answer is about the command, not its options.
    command.set_defaults(run=lambda _args: _report_unavailable(name), ignores_arguments=True)


def _report_unavailable(name: str) -> int:
    print(f"pos-sim {name}: this command is not available in this build yet", file=sys.stderr)
    return EXIT_USAGE
