"""Textual's Linux driver with a prompt Esc: the keypad's Cancel key sends a lone ESC, and Textual
takes a lone ESC for the key only when its input thread's 100 ms poll of the terminal runs out,
whatever ESCDELAY says. Here the poll ends when the parser's wait for the next byte of a sequence
does, and that wait is ESCAPE_WAIT_MS.

The wait applies between any two bytes of a sequence. A terminal (and the pty or console behind
it) hands over an arrow's or F1's bytes together; a link that splits one by more than the wait (a
slow ssh hop, a terminal server) would turn an arrow into Esc and two letters: there ESCDELAY
(ms, as in Textual) sets a longer wait, ESCDELAY=100 Textual's own.

Only `run_input_thread` differs from textual.drivers.linux_driver (textual is pinned exactly)."""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder
from collections.abc import Mapping

from textual.drivers.linux_driver import LinuxDriver

from terminal.textual_private import InputParser, input_clock, set_escape_wait

ESCAPE_WAIT_MS = 10
IDLE_POLL = 0.1  # seconds: how often the input thread looks at exit_event, as in Textual


def escape_wait_seconds(environ: Mapping[str, str] = os.environ) -> float:
    """The wait for the rest of an escape sequence: ESCDELAY (ms; at least 1, as Textual reads it)
    when it is a whole number, else ESCAPE_WAIT_MS."""
    try:
        milliseconds = int(environ["ESCDELAY"])
    except (KeyError, ValueError):
        milliseconds = ESCAPE_WAIT_MS
    return max(1, milliseconds) / 1000


def poll_timeout(sequence_due: float | None, now: float) -> float:
    """How long the input thread may wait for input: until the parser gives up on the rest of a
    sequence (`sequence_due`, on the parser's clock), at most IDLE_POLL."""
    if sequence_due is None:
        return IDLE_POLL
    return min(IDLE_POLL, max(0.0, sequence_due - now))


class PromptEscapeDriver(LinuxDriver):
    """LinuxDriver whose input thread wakes when a pending lone ESC is due, not 100 ms later."""

    def run_input_thread(self) -> None:
        # The parser reads the wait each time it meets an ESC; this process runs one app, so
        # setting it here sets it for this driver alone.
        set_escape_wait(escape_wait_seconds())
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = InputParser(self)
        decode = getincrementaldecoder("utf-8")().decode

        def process(events: list, final: bool = False) -> None:
            for index, (_key, mask) in enumerate(events):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 4096), final=final and index == len(events) - 1)
                    if not data:
                        break  # stdin piped and at its end
                    for message in parser.feed(data):
                        self.process_message(message)
            for message in parser.tick():
                self.process_message(message)

        try:
            while not self.exit_event.is_set():
                process(selector.select(poll_timeout(parser.sequence_due(), input_clock())))
            selector.unregister(fileno)
            process(selector.select(IDLE_POLL), final=True)
        finally:
            selector.close()
            parser.close()
