"""The hardware-in-loop test options (`pytest -m hil --hil-port /dev/ttyUSB0 …`, docs/hil.md), as a
pytest plugin that pytest loads at its start (the `pytest11` entry point in pyproject.toml).

They cannot live in a conftest.py: pytest looks for its configuration before it reads any
conftest, and at that point it takes an option's value that names an existing file (a serial
device) for a test path. It then settles on the device's folder (/dev) as its root and reads no
configuration at all. Loaded from an entry point, the options are known when the arguments are
parsed, and a run that found no configuration that way is started again with this checkout's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.line_speed import line_speed_argument

# The checkout this module was loaded from (an editable install); absent in an installed wheel.
CHECKOUT_CONFIG = Path(__file__).resolve().parents[1] / "pyproject.toml"


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
    group.addoption("--hil-baud", type=line_speed_argument, default=115200, metavar="N", help="line speed with --hil-port (default 115200)")
    group.addoption(
        "--hil-allow-cancel", action="store_true",
        help="against a real provider host, also run the scenarios that cancel an appointment",
    )
    group.addoption(
        "--hil-config", metavar="FILE",
        help="terminal config whose TID, merchant and key file are used against a real provider host "
        "(default: the protocol vectors' test terminal TEST0001)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """Run again with this checkout's configuration when pytest found none because a device path
    stood among the arguments, and it was started inside the checkout."""
    if config.inipath is not None or not CHECKOUT_CONFIG.is_file():
        return None
    if not config.invocation_params.dir.resolve().is_relative_to(CHECKOUT_CONFIG.parent):
        return None
    return pytest.main(["-c", str(CHECKOUT_CONFIG), *config.invocation_params.args])
