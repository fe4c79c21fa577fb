"""`pos-terminal`: the terminal app (default) and the technician's commands on the command line.

Exit codes: 0 done · 1 host refused, or no such voucher/request · 2 usage or config error ·
3 link failure · 4 outcome unknown (kept pending, to be settled).
"""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from typing import TYPE_CHECKING, NoReturn

from terminal.command_output import CommandOutput
from terminal.config import ConfigError, TerminalConfig
from terminal.exit_codes import EXIT_DONE, EXIT_USAGE, reader_gone
from terminal.runtime import config_as_run, read_config

if TYPE_CHECKING:
    from protocol import Reason
    from terminal.capture_file import CaptureFile
    from terminal.plugin_api import PluginContext
    from terminal.runtime import TerminalRuntime

# protocol.enums.Reason as `cancel --help` lists it. Written out so that reading the command line
# does not load the protocol package, which the app loads only once its menu is painted;
# tests/terminal/test_cli.py checks that the two agree.
REASONS = "1 no longer needed, 2 will rebook, 3 chose another provider, 4 business closed, 9 other"


DISTRIBUTION = "pos-cancel-appointment"
VERBOSE_HELP = "print each step with the host on stderr as it happens (frames, ACK/NAK, resends, waits)"


def package_version() -> str:
    """The installed package's version, as both CLIs' --version print it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed as a package)"


class _PrintVersion(argparse.Action):
    """--version, reading the package's metadata only when asked (it costs start-up time)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> NoReturn:
        print(f"{parser.prog} {package_version()}")
        parser.exit(EXIT_DONE)


class _Parser(argparse.ArgumentParser):
    # Set by main() when --json is anywhere on the line: usage errors then come as JSON too.
    errors_as_json = False

    def error(self, message: str) -> NoReturn:
        text = f"{message} (pos-terminal --help explains every command)"
        if _Parser.errors_as_json:
            CommandOutput(as_json=True).fail(EXIT_USAGE, "usage", text)
            self.exit(EXIT_USAGE)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"pos-terminal: {text}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pos-terminal",
        description="Cancel-appointment plugin for POS terminals. With no port configured it runs "
        "against a built-in simulated host with demo data (supervisor PIN 123456).",
        epilog="exit codes: 0 done, 1 host refused or no such voucher/request, 2 usage or config "
        "error, 3 link failure, 4 outcome unknown (kept pending, to be settled)",
    )
    parser.add_argument("--version", action=_PrintVersion)
    parser.add_argument("--config", metavar="FILE", help="terminal config (TOML); default $POS_TERMINAL_CONFIG")
    parser.add_argument("--port", metavar="URL", help="serial port or pyserial URL, overriding the config")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)
    parser.add_argument(
        "--capture", metavar="FILE",
        help="append every byte read and written on the line to FILE, with its time and the port "
        "(decode it with pos-sim trace FILE; format: docs/captures.md)",
    )
    parser.add_argument(
        "--training", action="store_true", help="practise against the built-in simulated host"
    )
    # --json and --verbose are also taken after the command; SUPPRESS: absent there, they leave the
    # global ones be.
    json_after = argparse.ArgumentParser(add_help=False)
    json_after.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output")
    json_after.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.add_parser("ui", help="the terminal app (default)")
    commands.add_parser("echo", help="link test", parents=[json_after])
    listing = commands.add_parser("list", help="the merchant's appointments", parents=[json_after])
    listing.add_argument("--page", type=_page, default=0, metavar="N", help="the page, counting from 0 (the first page is --page 0)")
    cancel = commands.add_parser("cancel", help="cancel an appointment", parents=[json_after])
    cancel.add_argument("appt_id", metavar="APPT_ID")
    cancel.add_argument("--reason", type=_reason, required=True, metavar="N", help=REASONS)
    cancel.add_argument(
        "--accept-fee", type=_fen, default=0, metavar="FEN",
        help="largest fee (in fen) you agree to pay; default 0, so a fee is never accepted silently",
    )
    status = commands.add_parser("status", help="settle or show one cancellation", parents=[json_after])
    status.add_argument("request_id", metavar="REQUEST_ID")
    commands.add_parser("history", help="every cancellation this terminal attempted", parents=[json_after])
    reprint = commands.add_parser("reprint", help="print or show a voucher again", parents=[json_after])
    reprint.add_argument("cancel_ref", metavar="CANCEL_REF")
    return parser


def _page(text: str) -> int:
    if not text.isdigit() or int(text) > 255:
        raise argparse.ArgumentTypeError(f"page must be a number 0..255, not {text!r}")
    return int(text)


def _reason(text: str) -> Reason:
    from protocol import Reason

    try:
        return Reason(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"reason must be one of {REASONS}; got {text!r}") from None


def _fen(text: str) -> int:
    if not text.isdigit() or int(text) >= 2**32:
        raise argparse.ArgumentTypeError(
            f"fee is a whole number of fen (¥12.50 is 1250), not {text!r}"
        )
    return int(text)


def main(argv: list[str] | None = None) -> int:
    _Parser.errors_as_json = "--json" in (sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    command = args.command or "ui"
    try:
        config = read_config(args.config, args.port)
    except ConfigError as exc:
        return CommandOutput(args.json).fail(EXIT_USAGE, "config", str(exc))
    if args.capture is not None:
        from terminal.capture_file import CaptureFile, CaptureFileError

        try:
            args.capture = CaptureFile(args.capture)  # from here on the open file; the terminal closes it
        except CaptureFileError as exc:
            return CommandOutput(args.json).fail(EXIT_USAGE, "capture", str(exc))
    if command == "ui":
        return _run_ui(config, training=args.training, capture=args.capture)
    from terminal.commands import run_command

    try:
        return run_command(command, config, args)
    except BrokenPipeError:  # `pos-terminal history | head`
        return reader_gone()


def _run_ui(config: TerminalConfig, *, training: bool, capture: CaptureFile | None) -> int:
    """The app. Its menu is painted first; the terminal (journal, host client, the demo host) is
    opened after that, on a thread of the shell's, since loading and opening it takes longer than
    drawing the menu and the menu needs none of it."""
    from terminal.shell import TerminalOpening, build_app

    opened: list[TerminalRuntime] = []

    def open_context() -> PluginContext:
        from terminal.plugin_api import PluginContext
        from terminal.runtime import open_terminal

        runtime = open_terminal(config, training=training, capture=capture)
        opened.append(runtime)
        logging.basicConfig(
            filename=str(runtime.config.journal.path.with_suffix(".log")),
            level=logging.INFO,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
        )
        # Settle what an earlier run left open without holding up the first screen.
        runtime.settler.start()
        return PluginContext(
            client=runtime.client,
            journal=runtime.journal,
            settler=runtime.settler,
            config=runtime.config,
            locale=runtime.locale,
            training=runtime.training,
            printer=runtime.printer,
        )

    def loaded() -> None:
        # What start-up loaded (Textual, the protocol, every screen: most of the heap) stays for
        # the life of the process. Frozen, the cyclic collector no longer walks it at each full
        # collection, which otherwise takes 30-60 ms of the UI thread in the middle of a key.
        gc.collect()
        gc.freeze()

    shown = config_as_run(config, training=training)
    app = build_app(TerminalOpening(shown, shown.ui.locale, training, open_context, loaded))
    try:
        app.run()
    finally:
        app.wait_opened()
        for runtime in opened:
            runtime.close()
    if app.opening_error is not None:
        # Imported only now: the journal brings the protocol and sqlite3, which the menu does
        # not need before it is painted.
        from terminal.journal import JournalError

        if isinstance(app.opening_error, (ConfigError, JournalError)):
            print(f"pos-terminal: {app.opening_error}", file=sys.stderr)
            return EXIT_USAGE
        raise app.opening_error
    return EXIT_DONE

if __name__ == "__main__":
    sys.exit(main())
