"""Fixtures every layer's tests share."""

from __future__ import annotations

import pytest

from tests.material import KEY, VECTORS


@pytest.fixture(scope="session")
def vectors() -> dict:
    return VECTORS


@pytest.fixture(scope="session")
def vector_key() -> bytes:
    return KEY


def pytest_addoption(parser: pytest.Parser) -> None:
    """Hardware-in-loop options (tests/hil). Without --hil-port the hil tests run on pty cables."""
    group = parser.getgroup("hil", "hardware-in-loop scenarios (tests/hil, marker hil)")
    group.addoption(
        "--hil-port", metavar="PATH",
        help="the terminal side's serial port (e.g. /dev/ttyUSB0); without it the hil tests run on "
        "pos-sim cable ptys at 9600, 115200 and 921600 baud",
    )
    group.addoption(
        "--hil-host-port", metavar="PATH",
        help="a second adapter, joined to --hil-port by a null-modem cable, where the suite starts pos-sim host; "
        "omit it when a real provider host is on the line (then only read-only scenarios run)",
    )
    group.addoption("--hil-baud", type=int, default=115200, metavar="N", help="line speed with --hil-port (default 115200)")
    group.addoption(
        "--hil-allow-cancel", action="store_true",
        help="against a real provider host, also run the scenarios that cancel an appointment",
    )
    group.addoption(
        "--hil-config", metavar="FILE",
        help="terminal config whose TID, merchant and key file are used against a real provider host "
        "(default: the protocol vectors' test terminal TEST0001)",
    )
