"""The speeds a serial line runs at in this product (docs/protocol.md, section 1): the terminal's
config, `pos-sim host --baud` and `pos-sim cable --baud` take these and no other, so a bench that
one of them accepts is never refused by another.

Imports nothing of the project: the config checks a speed before pyserial or the protocol is
loaded (the app paints its menu first), and the simulator uses it too."""

from __future__ import annotations

import argparse

LINE_SPEEDS = (9600, 19200, 38400, 57600, 115200, 921600)
LINE_SPEEDS_TEXT = ", ".join(map(str, LINE_SPEEDS))  # as messages and help texts list them


def check_line_speed(value: int | str) -> int:
    """`value` (a number, or the text of one) as a line speed; ValueError, naming the speeds there
    are, when it is not one of them."""
    try:
        baud = int(value)
    except ValueError:
        baud = None
    if baud not in LINE_SPEEDS:
        shown = repr(value) if isinstance(value, str) else str(value)
        raise ValueError(f"{shown} is not a supported speed; use one of {LINE_SPEEDS_TEXT}")
    return baud


def line_speed_argument(text: str) -> int:
    """A command line's --baud N (argparse's type)."""
    try:
        return check_line_speed(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None
