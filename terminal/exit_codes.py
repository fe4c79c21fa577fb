"""The exit codes of both command lines, `pos-terminal` and `pos-sim` (README, "Command line").
Imports nothing of the project: either command loads it before anything else."""

from __future__ import annotations

import os
import signal
import sys

EXIT_DONE = 0
# Not done: the host refused, or there is no such voucher or request; pos-sim: the cable's relay failed.
EXIT_FAILED = 1
EXIT_USAGE = 2  # a usage, config or journal error; pos-sim: arguments, data or a port it cannot use
EXIT_LINK = 3  # the host could not be reached
EXIT_UNKNOWN = 4  # the outcome is not known yet: kept pending, to be settled


def exit_code_of_signal(signal_number: int) -> int:
    """As a shell reports a process that a signal ended: 128 + its number (130 Ctrl-C, 143 SIGTERM)."""
    return 128 + signal_number


EXIT_READER_GONE = exit_code_of_signal(signal.SIGPIPE)  # 141: the reader of the output went away


def reader_gone() -> int:
    """The reader of standard output went away (`pos-sim report | head`): there is nothing more
    to tell it, so standard output is pointed at /dev/null (flushing it at exit would fail again),
    and the code is a SIGPIPE's, since what the command did was not all said."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_READER_GONE
